"""Base for request bodies: unknown fields and type coercion are errors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoBody(RequestBody):
    """The body of a POST that takes none: absent, `null` or `{}`. Anything else is a
    VALIDATION_ERROR, so a client's `{"amount": 1}` is refused, never silently ignored."""


class ResponseBody(BaseModel):
    """Documents a response shape in OpenAPI; bodies are rendered with orjson."""

    model_config = ConfigDict(frozen=True)
