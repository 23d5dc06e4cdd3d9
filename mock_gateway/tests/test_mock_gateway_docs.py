"""docs/mock_gateway.md stays true: its examples replay against the mock, in order.

Every `curl` example in the document is sent to a fresh in-process mock and its answer must
be the status and body the document shows (`…` stands for any generated id), so a change to
the admin endpoints or the modes that the document does not follow fails here. The document
must also name every route and every mode, and the README must link to it.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

import httpx
from fastapi.routing import APIRoute
from mock_gateway.app import create_app
from mock_gateway.modes import Mode
from mock_gateway.settings import Settings

ROOT: Final = Path(__file__).resolve().parents[2]
DOC: Final = ROOT / "docs" / "mock_gateway.md"
BLOCK: Final = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)
ANY_ID: Final = "…"


@dataclass(frozen=True)
class Example:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    status: int
    answer: Any


def _request(command: str) -> tuple[str, str, dict[str, str], str | None]:
    words = shlex.split(command.replace("\\\n", " "))
    assert words[0] == "curl", command
    method, headers, body, path = "GET", {}, None, None
    flags = iter(words[1:])
    for word in flags:
        if word == "-X":
            method = next(flags)
        elif word == "-H":
            name, _, value = next(flags).partition(":")
            headers[name] = value.strip()
        elif word == "-d":
            body = next(flags)
            method = "POST" if method == "GET" else method
        elif word.startswith("$MOCK"):
            path = word.removeprefix("$MOCK")
    assert path is not None, command
    return method, path, headers, body


def examples() -> list[Example]:
    """Each `curl` block of the document with the answer block after it."""
    found: list[Example] = []
    blocks = BLOCK.findall(DOC.read_text())
    for (kind, text), (_, answer) in pairwise(blocks):
        if kind == "sh" and text.lstrip().startswith("curl"):
            status, _, body = answer.strip().partition(" ")
            found.append(Example(*_request(text.strip()), int(status), json.loads(body)))
    return found


def matches(expected: Any, actual: Any) -> bool:
    if expected == ANY_ID:
        return isinstance(actual, str) and bool(actual)
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(matches(v, actual[k]) for k, v in expected.items())
        )
    return bool(expected == actual)


async def test_every_example_answers_as_documented(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    documented = examples()
    assert len(documented) >= 10, "the examples were not found"

    # The start-up settings the document assumes (the defaults), whatever MOCK_GATEWAY_* says.
    async with make_client(mode="happy", latency_ms=200, seed=0) as client:
        for example in documented:
            response = await client.request(
                example.method, example.path, headers=example.headers, content=example.body
            )

            shown = f"{example.method} {example.path}"
            assert response.status_code == example.status, (shown, response.text)
            assert matches(example.answer, response.json()), (shown, response.text)


def test_the_document_names_every_route_and_mode() -> None:
    text = DOC.read_text()
    routes = [r for r in create_app(Settings()).routes if isinstance(r, APIRoute)]

    for route in routes:
        for method in route.methods:
            assert f"`{method} {route.path}`" in text, (method, route.path)
    for mode in Mode:
        assert f"| `{mode.value}` |" in text, mode


def test_the_readme_links_the_document() -> None:
    assert "(docs/mock_gateway.md)" in (ROOT / "README.md").read_text()
