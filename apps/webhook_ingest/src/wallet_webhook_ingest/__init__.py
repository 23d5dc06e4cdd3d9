"""`wallet-webhook-ingest`: provider webhooks in broker mode, without a database.

It verifies each webhook's Standard Webhooks signature, publishes the verified body to
RabbitMQ (`gateway.webhooks`, persistent, mandatory, publisher confirms) and answers 202
only after the broker's confirm; `wallet-webhook-consumer` applies it later. A slow or
absent database therefore never makes the provider's webhooks fail: only a broker outage
does (503, and the provider retries). It holds no business rule, so it has no use case:
the route hands the body from the verifier (infra) to the publisher (infra).
"""
