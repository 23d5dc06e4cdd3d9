"""Base for request bodies: unknown fields and type coercion are errors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResponseBody(BaseModel):
    """Documents a response shape in OpenAPI; bodies are rendered with orjson."""

    model_config = ConfigDict(frozen=True)
