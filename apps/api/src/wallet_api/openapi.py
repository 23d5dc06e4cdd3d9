"""The OpenAPI document, adjusted to what the API really does.

FastAPI documents a 422 `HTTPValidationError` on every route with parameters, but this
API answers validation failures with 400 and the error envelope (documented per route),
and 422 only means IDEMPOTENCY_KEY_REUSED. The X-API-Key scheme is declared globally;
the probes opt out with an empty `security`. Two input rules only known here are added:
`Idempotency-Key` is required where the domain requires it (optional at the HTTP
layer only so that the domain reports its absence), and `currency` in requests is one
of the configured currencies. Every documented error is offered in both formats: the
envelope and RFC 9457 problem details.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from wallet_infra.problem_details import PROBLEM_JSON

from wallet_api.routes.params import IDEMPOTENCY_KEY_HEADER, OPTIONAL_KEY
from wallet_api.schemas.constraints import IDEMPOTENCY_KEY_RULE
from wallet_api.schemas.errors import ErrorEnvelope, ProblemDetails

_SCHEME: Final = "ApiKey"
_FASTAPI_VALIDATION_SCHEMAS: Final = ("HTTPValidationError", "ValidationError")


def _drop_framework_422(schema: dict[str, Any]) -> None:
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if "HTTPValidationError" in str(responses.get("422", "")):
                del responses["422"]
    schemas = schema.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)


def _operations(schema: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for path_item in schema.get("paths", {}).values():
        yield from path_item.values()


def _require_idempotency_key(schema: dict[str, Any]) -> None:
    """Required where the operation does not say it is optional (`OPTIONAL_KEY`)."""
    for operation in _operations(schema):
        optional = operation.pop(OPTIONAL_KEY, False)
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "header" and parameter["name"] == IDEMPOTENCY_KEY_HEADER:
                parameter["required"] = not optional
                parameter["schema"] = {**IDEMPOTENCY_KEY_RULE, "title": IDEMPOTENCY_KEY_HEADER}


def _headers_are_strings(schema: dict[str, Any]) -> None:
    """An optional header is absent or a string, never JSON null: FastAPI's
    `anyOf [string, null]` for `str | None` would offer the text `null` as a value."""
    for operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            parameter_schema = parameter.get("schema", {})
            if parameter["in"] == "header" and parameter_schema.get("anyOf") == [
                {"type": "string"},
                {"type": "null"},
            ]:
                del parameter_schema["anyOf"]
                parameter_schema["type"] = "string"


def _enumerate_currencies(schema: dict[str, Any], currencies: frozenset[str]) -> None:
    """Query filters and request bodies take a configured currency; responses may show any."""
    enum = sorted(currencies)
    components = schema.get("components", {}).get("schemas", {})
    for operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] == "currency":
                parameter["schema"]["enum"] = enum
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        ref = body.get("schema", {}).get("$ref", "")
        properties = components.get(ref.rpartition("/")[2], {}).get("properties", {})
        if "currency" in properties:
            properties["currency"]["enum"] = enum


def _offer_problem_details(schema: dict[str, Any]) -> None:
    """Every error documented with the envelope is also offered as problem+json."""
    envelope_ref = f"#/components/schemas/{ErrorEnvelope.__name__}"
    problem_ref = f"#/components/schemas/{ProblemDetails.__name__}"
    offered = False
    for operation in _operations(schema):
        for response in operation.get("responses", {}).values():
            content = response.get("content", {})
            if content.get("application/json", {}).get("schema", {}).get("$ref") == envelope_ref:
                content[PROBLEM_JSON] = {"schema": {"$ref": problem_ref}}
                offered = True
    if offered:
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components[ProblemDetails.__name__] = ProblemDetails.model_json_schema()


def install_openapi(app: FastAPI, *, currencies: frozenset[str]) -> None:
    """The document of the app's routes as they are now, in this order (the reading
    order of the routers), whatever order the app later serves them in."""
    documented = list(app.routes)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=documented,
            )
            _drop_framework_422(schema)
            _require_idempotency_key(schema)
            _headers_are_strings(schema)
            _enumerate_currencies(schema, currencies)
            _offer_problem_details(schema)
            components = schema.setdefault("components", {})
            components.setdefault("securitySchemes", {})[_SCHEME] = {
                "type": "apiKey",
                "in": "header",
                "name": "X-API-Key",
            }
            schema["security"] = [{_SCHEME: []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
