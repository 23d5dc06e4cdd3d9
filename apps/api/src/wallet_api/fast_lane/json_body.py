"""A lane request's JSON body as the route's model, when FastAPI would accept it as is."""

from __future__ import annotations

from typing import Final, TypeVar

import pydantic

from wallet_api.fast_lane.lane import LaneRequest
from wallet_api.http.strict_json import loads_unique_keys

Model = TypeVar("Model", bound=pydantic.BaseModel)

# The content types the lane takes, as clients spell them; FastAPI also reads no content
# type, `+json` types and other spellings as JSON: those go to its route.
_JSON: Final = frozenset({b"application/json", b"application/json; charset=utf-8"})


def json_body(request: LaneRequest, model: type[Model]) -> Model | None:
    """`model` from the body, or None for anything FastAPI would refuse or read
    differently (its route then answers, with its own error)."""
    if request.headers.get(b"content-type") not in _JSON:
        return None
    try:
        parsed = loads_unique_keys(request.body)
        # As FastAPI validates a body field (its TypeAdapter, from_attributes on).
        return model.model_validate(parsed, from_attributes=True)
    except Exception:
        return None
