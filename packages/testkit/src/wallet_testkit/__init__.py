"""Shared test support for the wallet workspace (dev only: no production package imports it).

Where a test helper goes (docs/architecture.md, "Where test helpers live"): a helper two
or more suites use lives here, one module per concept; a fake of a domain port lives in
`fakes`, one module per port; a helper only one suite uses stays in that suite's
`*_kit.py`; a `conftest.py` only wires fixtures from these.

- `polling`: `eventually`, poll-until-true with a timeout;
- `processes`: services as subprocesses (env, logs, graceful stop, health wait);
- `amqp`: virtual hosts, queue readers and collectors, dead-letter inspection, publishing;
- `broker_control`: `rabbitmqctl`, waiting for AMQP, stopping/starting the broker;
- `db`: the `migrate` CLI, private migrated databases, ad-hoc queries;
- `replica`: the test server's streaming replica (its URL, catching up, pausing replay);
- `containers`: throwaway PostgreSQL/RabbitMQ containers when no service is configured;
- `logging_state`: saving and restoring process-wide logging around each test;
- `metrics`: Prometheus text parsing and sample lookups;
- `garbage`: what a piece of work leaves in reference cycles;
- `api`: the API in-process behind a mock gateway, and a typed client over it;
- `consumers`, `consumer_fixtures`: FastStream consumer-app helpers and shared fixtures;
- `outbox`: reading the outbox table;
- `contract_docs`: exporting and checking the committed OpenAPI / AsyncAPI documents;
- `fakes`: in-memory fakes of the domain's ports, for use-case unit tests.
"""
