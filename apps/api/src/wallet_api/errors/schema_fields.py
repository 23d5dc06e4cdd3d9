"""Which part of an error's location names fields of the request schema.

A location inside a body comes from the client as much as from the schema: an unknown
key (`{"' OR 1=1--": 1}`) is reported by pydantic under its own name. Only the part
that walks through declared fields (and array indexes) may be shown back; the rest is
the client's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args

from pydantic import BaseModel
from starlette.types import Scope


def body_model(scope: Scope) -> type[BaseModel] | None:
    """The pydantic model of the matched route's JSON body, if it has one."""
    body_field = getattr(scope.get("route"), "body_field", None)
    annotation = getattr(getattr(body_field, "field_info", None), "annotation", None)
    return _model_in(annotation)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model `annotation` is, or holds (Optional, Annotated, list of, a union...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        model = _model_in(arg)
        if model is not None:
            return model
    return None


def _field_annotation(model: type[BaseModel], name: str) -> tuple[bool, Any]:
    for field_name, field in model.model_fields.items():
        if name in (field_name, field.alias, field.validation_alias):
            return True, field.annotation
    return False, None


def schema_prefix(model: type[BaseModel] | None, path: Sequence[Any]) -> tuple[list[str], bool]:
    """The leading part of `path` that is the schema's (field names, indexes as text),
    and whether that is all of it."""
    known: list[str] = []
    current: Any = model
    for part in path:
        if isinstance(part, int):
            known.append(str(part))
            continue
        found = _model_in(current)
        if found is None:
            return known, False
        declared, current = _field_annotation(found, str(part))
        if not declared:
            return known, False
        known.append(str(part))
    return known, True
