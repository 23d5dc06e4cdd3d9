"""The route class of every API router: Dishka injection, and JSON bodies without repeats.

FastAPI reads a JSON body through `Request.json()`; a route with a body gets a Request
whose `json()` refuses a repeated key (`http/strict_json.py`). FastAPI reports any
exception from that step as a bare "error parsing the body"; this route turns the one
about a repeated key into a VALIDATION_ERROR that locates the field, like any other
invalid input. Routes without a body keep FastAPI's handler untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Final

from dishka.integrations.fastapi import DishkaRoute
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from wallet_api.http.strict_json import DuplicateKeyError, loads_unique_keys

DUPLICATE_KEY: Final = "duplicate_key"

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class UniqueKeysRequest(Request):
    """`json()` parses with `loads_unique_keys`; cached like Starlette's."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads_unique_keys(await self.body())
        return self._json


def duplicate_key_error(error: DuplicateKeyError) -> RequestValidationError:
    return RequestValidationError(
        [{"type": DUPLICATE_KEY, "loc": ("body", *error.path), "msg": "Duplicate field"}]
    )


class StrictJsonRoute(DishkaRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def unique_keys_handler(request: Request) -> Response:
            try:
                return await handler(UniqueKeysRequest(request.scope, request.receive))
            except HTTPException as exc:
                if isinstance(exc.__cause__, DuplicateKeyError):
                    raise duplicate_key_error(exc.__cause__) from None
                raise

        return unique_keys_handler
