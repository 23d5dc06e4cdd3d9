"""`make bench` compares the API with pgbench running the API's own statements: the
scripts bind every parameter of those statements, so a statement that gains one (a new
`transactions` column) must still build its script, not fail the bench at its end."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def scripts(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))  # the bench's modules import each other bare
    return importlib.import_module("pgbench_script")


def test_every_pgbench_script_binds_every_parameter(scripts: ModuleType) -> None:
    built = [
        scripts.payment_script("01890a5d-ac96-774b-bcce-b302099a8057"),
        scripts.transfer_script(hot_receiver=False),
        scripts.transfer_script(hot_receiver=True),
        scripts.hold_script(),
    ]
    for script in built:
        assert re.search(r"\$\d", script) is None, script  # no driver placeholder left
