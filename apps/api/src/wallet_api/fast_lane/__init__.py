"""The fast lane: the hottest routes' ordinary requests, without FastAPI's per-request work.

`lane.py` is the plain-ASGI component; `payments.py`, `balances.py`, `transactions.py`
and `holds.py` each hand one route's requests to that route's own endpoint function;
`install.py` says which routes take the lane.
"""
