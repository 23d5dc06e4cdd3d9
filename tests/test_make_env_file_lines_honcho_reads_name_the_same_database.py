"""The Makefile reads `.env` so that `make migrate*` / `make reset-local` act on the database
`make run`'s processes use, which is the one honcho parses out of the same `.env`. For
`.env` lines honcho reads (and python-dotenv and Docker Compose read alike) that are not
quoted, make must get the same value; otherwise a migrate or a reset acts on another
database than the processes run against (or fails, for a password the processes accept).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Final

import pytest
from honcho.environ import parse

from .shell_stubs import ROOT, environ, recorded, recording_stub, run_make

URL: Final = "postgresql://wallet:wallet@localhost:5432/from_dotenv"


@pytest.mark.parametrize(
    "line",
    [
        f"WALLET_DATABASE_URL={URL}  # the dev database\n",  # inline comment
        "WALLET_DATABASE_URL=postgresql://wallet:pa$word@localhost:5432/from_dotenv\n",  # '$'
    ],
    ids=["inline-comment", "dollar-in-password"],
)
def test_make_migrates_the_database_honcho_hands_the_processes(tmp_path: Path, line: str) -> None:
    work = tmp_path / "checkout"
    work.mkdir()
    shutil.copy(ROOT / "Makefile", work / "Makefile")
    (work / "migrations").mkdir()
    (work / ".env").write_bytes(line.encode())
    processes_url = parse(line)["WALLET_DATABASE_URL"]  # what `make run`'s processes get

    calls = tmp_path / "calls"
    stub = recording_stub(tmp_path / "bin", "migrate", calls)
    env = environ(f"{tmp_path / 'bin'}:/usr/bin:/bin", MIGRATE_BIN=str(stub))
    env.pop("WALLET_DATABASE_URL", None)
    env.pop("DATABASE_URL", None)
    done = run_make("-C", str(work), "migrate-up", env=env)
    assert done.returncode == 0, done.stderr
    (call,) = recorded(calls)
    assert f"-database {processes_url}?sslmode=disable up" == call.split(" ", 2)[2], (
        f"processes use {processes_url!r}; make migrated: {call!r}"
    )


def test_make_up_hands_compose_the_value_compose_reads_from_dotenv(tmp_path: Path) -> None:
    """Compose reads `.env` itself (quotes stripped, `# comments` dropped) but lets the
    shell's environment win over it; a Makefile exporting its own reading of `.env` (make
    syntax: quotes kept, blanks before a comment kept) into `$(COMPOSE) up`'s environment
    would hand the API keys of a quoted `.env` with their quotes."""
    work = tmp_path / "checkout"
    work.mkdir()
    shutil.copy(ROOT / "Makefile", work / "Makefile")
    (work / ".env").write_text('WALLET_API_KEYS="svc-key,alice-key=alice"\n')
    calls = tmp_path / "calls"
    compose = recording_stub(
        tmp_path / "bin",
        "compose",
        calls,
        body=f'echo "keys=${{WALLET_API_KEYS-<unset>}}" >> {calls}',
    )
    env = environ(f"{tmp_path / 'bin'}:/usr/bin:/bin")
    env.pop("WALLET_API_KEYS", None)
    done = run_make("-C", str(work), "up", f"COMPOSE={compose}", env=env)
    assert done.returncode == 0, done.stderr
    seen = [line for line in recorded(calls) if line.startswith("keys=")]
    # What Compose then passes the API: the shell's value if set, else its own .env reading.
    assert seen[-1] in ("keys=<unset>", "keys=svc-key,alice-key=alice"), seen
