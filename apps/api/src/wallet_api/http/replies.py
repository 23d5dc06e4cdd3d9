"""An idempotent command's Reply as an HTTP response: the stored bytes, untouched."""

from __future__ import annotations

from typing import Final

from starlette.responses import Response
from wallet_domain.model.idempotency import Reply

REPLAYED_HEADER: Final = "Idempotent-Replayed"


def reply_response(reply: Reply) -> Response:
    """The first reply byte for byte; a replay says so in `Idempotent-Replayed`."""
    headers = {REPLAYED_HEADER: "true"} if reply.replayed else None
    return Response(
        content=reply.response.body,
        status_code=reply.response.status_code,
        headers=headers,
        media_type="application/json",
    )
