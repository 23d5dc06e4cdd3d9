"""JSON rendering with orjson: one serializer for every body, stored or live."""

from __future__ import annotations

from typing import Any, Final

import orjson
from starlette.responses import Response

_OPTIONS: Final = orjson.OPT_UTC_Z


def dumps(value: Any) -> bytes:
    """UUIDs and datetimes natively; timestamps as RFC 3339 with `Z`."""
    return orjson.dumps(value, option=_OPTIONS)


class JsonResponse(Response):
    """Renders with `dumps`, so live and stored (replayed) bodies agree byte for byte."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)
