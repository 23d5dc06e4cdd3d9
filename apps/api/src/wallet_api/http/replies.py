"""An idempotent command's Reply as an HTTP response: the stored bytes, untouched.

`wallet_idempotent_replays_total{status}` counts the replies that were replays (same key,
same body again), by the replayed status: a client retrying a lot shows up there (the
Payments dashboard), and only a replay pays for the count.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter
from starlette.responses import Response
from wallet_domain.model.idempotency import Reply

REPLAYED_HEADER: Final = "Idempotent-Replayed"
REPLAYS: Final = Counter(
    "wallet_idempotent_replays",
    "Replies replayed from an idempotency key's stored reply, by that reply's status.",
    ["status"],
)


# The labelled child per status: `labels()` takes a lock and builds its key each call.
_REPLAYS_BY_STATUS: Final[dict[int, Counter]] = {}


def reply_response(reply: Reply) -> Response:
    """The first reply byte for byte; a replay says so in `Idempotent-Replayed`."""
    headers = None
    if reply.replayed:
        headers = {REPLAYED_HEADER: "true"}
        status = reply.response.status_code
        counter = _REPLAYS_BY_STATUS.get(status)
        if counter is None:
            counter = _REPLAYS_BY_STATUS[status] = REPLAYS.labels(str(status))
        counter.inc()
    return Response(
        content=reply.response.body,
        status_code=reply.response.status_code,
        headers=headers,
        media_type="application/json",
    )
