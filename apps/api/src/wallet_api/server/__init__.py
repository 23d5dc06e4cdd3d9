"""The HTTP server `wallet-api` runs: `wallet_infra.http_server` (uvicorn, httptools + uvloop,
with the limits uvicorn's httptools protocol lacks) with the API's `WALLET_API_*` limits, in
factory mode for its workers; and the API's `/metrics` on a port of its own.
"""
