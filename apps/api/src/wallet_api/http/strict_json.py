"""JSON request bodies that name each field once: a duplicated key is an error, not "last wins".

With `{"amount": 1, "amount": 2}` a proxy, a log reader or an auditor may act on one
value while the API acts on the other; a money API must refuse such a body outright.

Cost on the payment path: a flat object (every request body the API takes) is parsed by
orjson and checked by counting colons. Every key in the text is followed by one colon, and
the other colons sit inside strings; a repeat leaves one key (and value) fewer in the
parsed object than in the text. So the body has no repeat exactly when its colons number
the parsed keys plus the colons inside the parsed keys and string values, provided no
string is escaped (then parsed text is the raw text). Anything else (escapes, a nested
object or array, or what orjson refuses, such as NaN or an integer beyond 64 bits) takes
the exact parse: the standard library's, as FastAPI's own, with each object's pairs
checked for repeats. `bench/strict_input_cost.py` measures both against plain `json.loads`.
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
        if type(value) is dict:
            if _flat_without_repeats(value, body):
                return value
        elif not isinstance(value, _CONTAINERS):
            return value  # a scalar has no keys
    return _unique(json.loads(body, object_pairs_hook=_Pairs), ())


def _flat_without_repeats(value: dict[str, Any], body: bytes) -> bool:
    """True when `value`, parsed from `body`, holds only scalars and `body` repeats no key
    (False also when this cannot tell: the exact parse decides then)."""
    colons = body.count(b":")
    if colons == len(value):  # no colon inside any string: one per key, none repeated
        return not any(isinstance(item, _CONTAINERS) for item in value.values())
    if b"\\" in body:
        return False
    in_strings = 0
    for key, item in value.items():
        if isinstance(item, _CONTAINERS):
            return False
        in_strings += key.count(":") + (item.count(":") if type(item) is str else 0)
    return colons == len(value) + in_strings


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
