"""`wallet-webhook-consumer`: provider webhooks in broker mode, applied from RabbitMQ.

It consumes `webhooks.queue` (bodies the ingest service verified and published), decodes
each into a provider event and applies it with the same use case as the API's sync mode,
acknowledging only after that transaction committed.
"""
