"""JSON request bodies that name each field once: a duplicated key is an error, not "last wins".

With `{"amount": 1, "amount": 2}` a proxy, a log reader or an auditor may act on one
value while the API acts on the other; a money API must refuse such a body outright.

Cost on the payment path: a flat object (every request body the API takes) is parsed by
orjson, and it cannot hold a duplicate when it has as many keys as the body has colons
(every key is followed by one, and a duplicate collapses two keys into one). Only bodies
failing that count (a colon inside a string, a nested object or array, or something orjson
refuses, such as NaN or an integer beyond 64 bits) take the exact parse: the standard
library's, as FastAPI's own, with each object's key/value pairs checked for repeats.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

JsonPath = tuple[str | int, ...]
_CONTAINERS = (dict, list)


class DuplicateKeyError(ValueError):
    """A JSON object in the body repeats a key; `path` locates it from the document root
    (object keys and array indexes, the repeated key last)."""

    def __init__(self, path: JsonPath) -> None:
        super().__init__("duplicate key in a JSON object")
        self.path = path


class _Pairs(list[tuple[str, Any]]):
    """One JSON object as parsed, its pairs in document order (repeats kept)."""


def loads_unique_keys(body: bytes) -> Any:
    """The parsed body, or DuplicateKeyError; other malformed input raises
    json.JSONDecodeError (or ValueError) exactly as `json.loads` does."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        pass  # not UTF-8, NaN, a huge integer...: the exact path decides, as json.loads would
    else:
        if type(value) is not dict:
            if not isinstance(value, _CONTAINERS):
                return value  # a scalar has no keys
        elif len(value) == body.count(b":") and not any(
            isinstance(item, _CONTAINERS) for item in value.values()
        ):
            return value
    return _unique(json.loads(body, object_pairs_hook=_Pairs), ())


def _unique(node: Any, path: JsonPath) -> Any:
    """`node` with each object rebuilt as a dict, refusing the first repeated key."""
    if isinstance(node, _Pairs):
        built: dict[str, Any] = {}
        for key, value in node:
            if key in built:
                raise DuplicateKeyError((*path, key))
            built[key] = _unique(value, (*path, key))
        return built
    if isinstance(node, list):
        return [_unique(item, (*path, index)) for index, item in enumerate(node)]
    return node
