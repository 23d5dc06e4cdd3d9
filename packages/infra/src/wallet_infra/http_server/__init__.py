"""The HTTP server every public process runs (`wallet-api`, `wallet-webhook-ingest`):
uvicorn (httptools + uvloop) with the limits uvicorn's httptools protocol lacks (request
head size, head and body timeouts, a connection cap), enforced in the protocol itself,
before the app runs and before a large head is held in memory.

A process builds a `LimitedConfig` (its app, its `ServerLimits` from its own settings,
`http=LimitedHttpToolsProtocol`) and runs it with `serve`.
"""
