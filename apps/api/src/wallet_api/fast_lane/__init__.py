"""The fast lane: the hottest routes' ordinary requests, without FastAPI's per-request work.

`lane.py` is the plain-ASGI component; `payments.py` and `balances.py` adapt one request
each to its route's own endpoint function; `install.py` says which routes take it.
"""
