"""Building a use case from its ports by their types, the way the apps' Dishka containers
do, so the fakes' composition root (`World`) lists each port once instead of once per use
case."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Built = TypeVar("Built", bound="DataclassInstance")


def assemble(
    service: type[Built], by_type: dict[object, object], by_name: dict[str, object]
) -> Built:
    """`service` with each field filled from `by_name` if named there, else from `by_type`,
    else (a domain service made of ports) assembled the same way."""
    hints = get_type_hints(service)
    values: dict[str, Any] = {}
    for field in fields(service):
        wanted = hints[field.name]
        if field.name in by_name:
            values[field.name] = by_name[field.name]
        elif wanted in by_type:
            values[field.name] = by_type[wanted]
        elif is_dataclass(wanted) and isinstance(wanted, type):
            values[field.name] = assemble(wanted, by_type, by_name={})
        else:
            raise LookupError(f"no fake provides {wanted!r} for {service.__name__}.{field.name}")
    return service(**values)
