"""The repository stands alone: nothing in it points at a document outside it.

Someone who clones the repo has no sibling folder of shared documents and no outside
specification, so no file may send them there: no path into such a folder, no outside
specification by name, no section number of one. The contract lives in the repo's own
words (README.md, docs/); the README links it, and every relative link in those
documents resolves.

Every file git knows (tracked, or new and not ignored) is scanned, this one included: the
patterns and samples below are spelled so that their own source text does not match.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parents[1]
# The three forms an outside reference takes, spelled so this file's source never matches.
_SHARED: Final = "shared" + "/"  # a path into the sibling folder of shared documents
_SECTION: Final = "\u00a7"  # the section sign of a section number
_OUTSIDE_DOC: Final = "S" + "PEC"  # the outside specification by name
OUTSIDE_REFERENCE: Final = re.compile(
    rf"{re.escape(_SHARED)}|{_SECTION}\s?\d|\b{_OUTSIDE_DOC}\b",
)
CONTRACT_DOCS: Final = ("docs/api.md", "docs/events.md", "docs/operations.md")
MARKDOWN_LINK: Final = re.compile(r"\]\(([^)\s]+)\)")
HEADING: Final = re.compile(r"^#{1,6}\s+(.+?)\s*$")
FENCE: Final = "```"


def repo_files() -> list[Path]:
    """Tracked files plus new ones not ignored, so a reference fails before it is committed."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    paths = [ROOT / name for name in listed.split("\0") if name]
    return [path for path in paths if path.is_file()]  # a deleted, not yet staged file


def text_of(path: Path) -> str | None:
    """The file as text, or None for a binary one."""
    raw = path.read_bytes()
    if b"\0" in raw:
        return None
    return raw.decode("utf-8", errors="replace")


def outside_references(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of every line that refers to a document outside the repo."""
    for number, line in enumerate(text.splitlines(), start=1):
        if OUTSIDE_REFERENCE.search(line):
            yield number, line.strip()


@pytest.mark.parametrize(
    "line",
    [
        f"RabbitMQ and consumers (see `../{_SHARED}{_OUTSIDE_DOC}.md` for the contract).",
        f"dependency pins: /work/{_SHARED}STACK.md",
        f'"""Idempotency records ({_SECTION}5): scope (user_id, key)."""',
        f"# Outbox relay ({_SECTION}8, {_SECTION}12): rows claimed per transaction",
        f"-- {_SECTION} 4: a crash must not strand money",
        f"# Operations entry points ({_OUTSIDE_DOC} {_SECTION}11).",
        f"the contract, as {_OUTSIDE_DOC}.md states it",
    ],
)
def test_a_reference_outside_the_repo_is_caught(line: str) -> None:
    assert list(outside_references(line)) == [(1, line)]


@pytest.mark.parametrize(
    "line",
    [
        "see docs/api.md, Idempotency",
        "spec = importlib.util.spec_from_file_location(path.stem, path)",
        "from faststream.specification import AsyncAPI",
        "one shared registry; shared by every process",
        "Python 3.11, section 5 of the RFC",
    ],
)
def test_ordinary_text_is_not_flagged(line: str) -> None:
    assert list(outside_references(line)) == []


def test_no_file_refers_to_a_document_outside_the_repo() -> None:
    files = repo_files()
    assert Path(__file__).resolve() in files, "the scan must see this file too"
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line}"
        for path in files
        if (text := text_of(path)) is not None
        for number, line in outside_references(text)
    ]
    assert not found, (
        "the repo must stand alone: say the rule in the repo's words or point to README.md "
        "or docs/ instead of\n" + "\n".join(found)
    )


def test_the_readme_links_the_contract_documents() -> None:
    readme = (ROOT / "README.md").read_text()
    targets = set(MARKDOWN_LINK.findall(readme))
    for doc in CONTRACT_DOCS:
        assert (ROOT / doc).is_file(), doc
        assert doc in targets, f"README.md does not link {doc}"


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    anchors: set[str] = set()
    in_code = False
    for line in path.read_text().splitlines():
        if line.startswith(FENCE):
            in_code = not in_code
        elif not in_code and (match := HEADING.match(line)):
            anchors.add(slug(match[1]))
    return anchors


@pytest.mark.parametrize("document", ["README.md", *CONTRACT_DOCS])
def test_every_relative_link_resolves(document: str) -> None:
    """A link into the repo names a file that exists and, with `#anchor`, a heading in it."""
    source = ROOT / document
    broken: list[str] = []
    for link in MARKDOWN_LINK.findall(source.read_text()):
        if re.match(r"[a-z][a-z0-9+.-]*:", link):  # http:, https:, mailto:
            continue
        path, _, anchor = link.partition("#")
        target = (source.parent / path).resolve() if path else source
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in anchors_of(target):
            broken.append(f"{link}: no heading with that anchor")
    assert not broken, f"{document}: " + "; ".join(broken)
