"""The body parser that refuses repeated keys: same values as `json.loads` otherwise, and
the repeat located at any depth; the location shown to clients stops where the schema does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from wallet_api.errors.validation import validation_details
from wallet_api.http.strict_json import DuplicateKeyError, loads_unique_keys
from wallet_api.routes import ROUTERS
from wallet_api.routes.strict_route import StrictJsonRoute

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
# Keys and values full of colons, quotes, backslashes and non-ASCII: the counting path's traps.
_COLONS = st.text(alphabet=st.sampled_from(':a\u00e9"\\'))
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(_JSON | st.dictionaries(_COLONS, _SCALARS | _COLONS, max_size=5))
def test_bodies_without_repeats_parse_as_json_loads_does(value: Any) -> None:
    for ensure_ascii in (True, False):
        body = json.dumps(value, ensure_ascii=ensure_ascii).encode()
        assert loads_unique_keys(body) == json.loads(body)


@given(
    st.dictionaries(st.text() | _COLONS, _SCALARS | _COLONS, min_size=1, max_size=5),
    _SCALARS | _COLONS,
    st.booleans(),
    st.data(),
)
def test_any_repeated_key_is_refused(
    value: dict[str, Any], again: Any, ensure_ascii: bool, data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(value)))
    text = json.dumps(value, ensure_ascii=ensure_ascii)
    repeat = json.dumps({key: again}, ensure_ascii=ensure_ascii)[1:-1]
    body = f"{text[:-1]}, {repeat}}}".encode()
    with pytest.raises(DuplicateKeyError) as caught:
        loads_unique_keys(body)
    assert caught.value.path == (key,)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b'{"a": 1, "a": 1}', ("a",)),
        (b'{"a": {"b": [0, {"c": 1, "\\u0063": 2}]}}', ("a", "b", 1, "c")),
        (b'[{"x": 1}, {"x": 1, "y": 2, "x": 3}]', (1, "x")),
        (b'{"big": 100000000000000000000000, "big": 1}', ("big",)),
        # An escaped colon in the surviving value would balance the count of the lost pair.
        (b'{"a": "x", "a": "\\u003a"}', ("a",)),
    ],
)
def test_the_repeat_is_located_at_any_depth(body: bytes, path: tuple[Any, ...]) -> None:
    with pytest.raises(DuplicateKeyError) as caught:
        loads_unique_keys(body)
    assert caught.value.path == path


def test_malformed_json_fails_as_json_loads_does() -> None:
    with pytest.raises(json.JSONDecodeError):
        loads_unique_keys(b'{"a": 1,}')


class _Line(BaseModel):
    sku: str


class _Order(BaseModel):
    lines: list[_Line]


@pytest.mark.parametrize(
    ("loc", "field", "message"),
    [
        (("body", "lines", 0, "sku"), "lines.0.sku", "Duplicate field"),
        (("body", "lines", 2, "' OR 1=1--"), "lines.2", "Duplicate field (not in the schema)"),
        (("body", "' OR 1=1--", "sku"), "", "Duplicate field (not in the schema)"),
    ],
)
def test_only_schema_names_locate_a_nested_error(
    loc: tuple[Any, ...], field: str, message: str
) -> None:
    details = validation_details([{"type": "duplicate_key", "loc": loc}], _Order)
    assert details == {"errors": [{"in": "body", "field": field, "message": message}]}


def test_every_route_with_a_body_refuses_repeated_keys() -> None:
    with_body = [r for router in ROUTERS for r in router.routes if getattr(r, "body_field", None)]
    assert with_body, "the API takes JSON bodies"
    assert all(isinstance(route, StrictJsonRoute) for route in with_body)
