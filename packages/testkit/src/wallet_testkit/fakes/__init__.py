"""Hand-written in-memory fakes of the domain's ports, for use-case unit tests only
(integration tests run the real adapters against PostgreSQL and RabbitMQ).

One module per port (`wallets`, `ledger`, `idempotency_store`, `outbox`, `payment_book`,
`hold_book`, `pending_deposits`, `transfer_book`, `dispute_book`, `charge_corrections`,
`wallet_versions`, `provider_payments`, `provider_event_log`, `dispute_updates`,
`provider_event_monitor`, `service_providers`, `clock`, `payment_gateway`,
`response_encoder`, `relay` for the outbox relay's ports, `consumers` for the event
consumers'), all over one shared transactional store: one `store.InMemoryDatabase` holds
the committed state and each request gets its own `unit_of_work.FakeTransactionManager`;
the repository fakes bound to it read and write a staged copy, which reaches the
database only on commit and is thrown away on rollback, so a test can assert that a
refused request left nothing behind. `world.World` wires every use case to them as a
composition root would (`world.ProviderEventWorld` adds what applying provider events
needs). Every fake subclasses its Protocol, so mypy checks the signatures against the
ports. A new port gets its fake here, in a module named after the port, and `World`
wires it.
"""
