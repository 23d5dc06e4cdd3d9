"""Fields a request adds to its own access line: the wallet it named, and what a
money-moving route did (the payment's id, amount, currency, provider and reference...).

One line per request, at info, then tells an operator which payment a request made or
replayed, without a second line per payment (each line costs CPU on the hot path). The
edge starts collecting for each request and writes what was collected on the access line;
a route adds with `add_access_fields` or `add_moved_money`.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any, Final

import orjson
from wallet_domain.model.idempotency import Reply

# A resource's body begins with its id (a UUID): read without parsing the body.
_ID_FIRST: Final = b'{"id":"'
_ID_END: Final = len(_ID_FIRST) + 36
_FIELDS: Final[ContextVar[dict[str, Any] | None]] = ContextVar("wallet_access_fields", default=None)


def collecting() -> tuple[dict[str, Any], Token[dict[str, Any] | None]]:
    """A request's fields (empty), collected until `stop(token)`."""
    fields: dict[str, Any] = {}
    return fields, _FIELDS.set(fields)


def stop(token: Token[dict[str, Any] | None]) -> None:
    _FIELDS.reset(token)


def add_access_fields(**fields: Any) -> None:
    """Add `fields` to the current request's access line (nothing outside a request)."""
    collected = _FIELDS.get()
    if collected is not None:
        collected.update(fields)


def add_moved_money(reply: Reply, id_field: str, **fields: Any) -> None:
    """The access line of a request that moves money: `fields` (amount, currency...), and
    under `id_field` the id of what it made or replayed: the body's `id`, else its
    error's `details[id_field]` (a declined or failed payment), when the reply names one."""
    collected = _FIELDS.get()
    if collected is None:
        return
    collected.update(fields)
    raw = reply.response.body
    if raw.startswith(_ID_FIRST) and raw[_ID_END : _ID_END + 1] == b'"':
        collected[id_field] = raw[len(_ID_FIRST) : _ID_END].decode()  # a resource, id first
        return
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return
    if not isinstance(body, dict):
        return
    subject = body.get("id")
    if subject is None and isinstance(error := body.get("error"), dict):
        details = error.get("details")
        subject = details.get(id_field) if isinstance(details, dict) else None
    if subject is not None:
        collected[id_field] = subject
