"""The HTTP server `wallet-api` runs: uvicorn (httptools + uvloop) with the limits uvicorn's
httptools protocol lacks (request head size, head and body timeouts, a connection cap),
enforced in the protocol itself, before the app runs and before a large head is held in
memory; and the API's `/metrics` on a port of its own.
"""
