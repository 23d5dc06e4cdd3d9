"""Entity tags as HTTP writes them (RFC 9110): one tag, and the lists that If-Match and
If-None-Match carry.

Parsed strictly: a header that is not `*` or a comma-separated list of tags is refused
(`MalformedTags`), so a client whose precondition would otherwise be silently ignored
learns it. No well-kept library parses these strictly (werkzeug's parser skips what it
cannot read), hence this small one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

ANY: Final = "*"
# [weak] opaque-tag, optional whitespace around it, then a comma or the end. The element
# may be empty: lists allow empty elements (`"a", , "b"`). The whitespace runs are
# possessive: two plain ones around an optional tag would try every split of a long run
# of spaces that ends in neither (time growing with its square: seconds of the event
# loop for one 16 KiB header).
_ELEMENT: Final = re.compile(r'[ \t]*+(?:(W/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*+(?:,|\Z)')


class MalformedTags(ValueError):
    """The header is neither `*` nor a list of entity tags."""


@dataclass(frozen=True, slots=True)
class EntityTag:
    opaque: str  # between the quotes
    weak: bool = False

    def __str__(self) -> str:
        return f'{"W/" if self.weak else ""}"{self.opaque}"'


def parse_tags(value: str) -> list[EntityTag] | Literal["*"]:
    """`*`, or the tags of the list (at least one)."""
    if value.strip() == ANY:
        return ANY
    tags: list[EntityTag] = []
    position = 0
    while position < len(value):
        element = _ELEMENT.match(value, position)
        if element is None or element.end() == position:
            raise MalformedTags(value)
        if element.group(2) is not None:
            tags.append(EntityTag(element.group(2), weak=element.group(1) is not None))
        position = element.end()
    if not tags:
        raise MalformedTags(value)
    return tags
