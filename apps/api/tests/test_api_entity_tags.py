"""The If-Match / If-None-Match parser: the lists it reads, what it refuses, and that a
long header costs it time linear in its length (it runs on the event loop: a value that
fits the 16 KiB request head once took it seconds, stalling every request of the worker)."""

from __future__ import annotations

import time

import pytest
from wallet_api.http.entity_tags import ANY, EntityTag, MalformedTags, parse_tags


@pytest.mark.parametrize(
    ("value", "tags"),
    [
        ('"a"', [EntityTag("a")]),
        ('W/"a" ,\t"b"', [EntityTag("a", weak=True), EntityTag("b")]),
        ('"a", , "b",', [EntityTag("a"), EntityTag("b")]),
        ('  "a"  ' + " " * 10_000, [EntityTag("a")]),
    ],
)
def test_lists_of_tags_are_read(value: str, tags: list[EntityTag]) -> None:
    assert parse_tags(value) == tags


def test_a_star_is_any() -> None:
    assert parse_tags(" * ") == ANY


@pytest.mark.parametrize("value", ["", " , ", "a", '"a" "b"', 'W/ "a"', '"a'])
def test_what_is_not_a_list_of_tags_is_refused(value: str) -> None:
    with pytest.raises(MalformedTags):
        parse_tags(value)


@pytest.mark.parametrize("value", ['"v1",' + " " * 15_000 + "x", " " * 15_000 + "x"])
def test_a_long_run_of_spaces_that_ends_badly_is_refused_at_once(value: str) -> None:
    started = time.perf_counter()
    with pytest.raises(MalformedTags):
        parse_tags(value)
    # Linear: well under a millisecond here; the quadratic parser took ~3 s on this box.
    assert time.perf_counter() - started < 0.5
