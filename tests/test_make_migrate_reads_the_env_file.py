"""The Makefile reads `.env`, as README and .env.example say `make run` and `make migrate*` do.

`make run` = `make migrate-up`, then honcho, which loads `.env` into the processes.
README: "Copy .env.example to .env to change a setting: honcho loads it"; .env.example:
"WALLET_DATABASE_URL=... (also what `make migrate*` use)". A Makefile that ignored `.env`
would, with `WALLET_DATABASE_URL` set only there, migrate the default database and then
start every process against the other one, left unmigrated (its /readyz never ready).
Without `.env` nothing changes: the default database, or the shell's. Make reads only that
one name (with honcho's parser) and exports nothing: honcho loads `.env` into the processes.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Final

from .shell_stubs import ROOT, environ, recorded, recording_stub, run_make

ENV_DB: Final = "postgresql://wallet:wallet@localhost:5432/from_dotenv"
DEFAULT_DB: Final = "postgresql://wallet:wallet@localhost:5432/wallet"


def _checkout(tmp_path: Path, *, dotenv: str | None) -> Path:
    work = tmp_path / "checkout"
    work.mkdir()
    shutil.copy(ROOT / "Makefile", work / "Makefile")
    (work / "migrations").mkdir()
    if dotenv is not None:
        (work / ".env").write_text(dotenv)
    return work


def _dotenv_naming(database_url: str) -> str:
    example = (ROOT / ".env.example").read_text()
    assert f"WALLET_DATABASE_URL={DEFAULT_DB}\n" in example
    return example.replace(
        f"WALLET_DATABASE_URL={DEFAULT_DB}", f"WALLET_DATABASE_URL={database_url}"
    )


def _migrate_up(tmp_path: Path, work: Path, *make_args: str, **extra: str) -> str:
    calls = tmp_path / "calls"
    stub = recording_stub(tmp_path / "bin", "migrate", calls)
    env = environ(f"{tmp_path / 'bin'}:/usr/bin:/bin", MIGRATE_BIN=str(stub))
    env.pop("WALLET_DATABASE_URL", None)
    env.pop("DATABASE_URL", None)
    done = run_make("-C", str(work), "migrate-up", *make_args, env={**env, **extra})
    assert done.returncode == 0, done.stderr
    (call,) = recorded(calls)
    return call


def test_make_migrate_up_uses_the_database_named_in_dotenv(tmp_path: Path) -> None:
    work = _checkout(tmp_path, dotenv=_dotenv_naming(ENV_DB))
    call = _migrate_up(tmp_path, work)
    assert f"{ENV_DB}?sslmode=disable" in call, f"migrated another database than .env names: {call}"


def test_without_dotenv_make_migrate_up_uses_the_default_or_the_shells_database(
    tmp_path: Path,
) -> None:
    work = _checkout(tmp_path, dotenv=None)
    assert f"{DEFAULT_DB}?sslmode=disable" in _migrate_up(tmp_path, work)
    (tmp_path / "calls").unlink()
    assert f"{ENV_DB}?sslmode=disable" in _migrate_up(tmp_path, work, WALLET_DATABASE_URL=ENV_DB)


def test_dotenv_wins_over_the_shell_and_the_make_command_line_over_both(tmp_path: Path) -> None:
    work = _checkout(tmp_path, dotenv=_dotenv_naming(ENV_DB))
    shell_db = "postgresql://wallet:wallet@localhost:5432/from_shell"
    assert f"{ENV_DB}?sslmode=disable" in _migrate_up(tmp_path, work, WALLET_DATABASE_URL=shell_db)
    (tmp_path / "calls").unlink()
    cli_db = "postgresql://wallet:wallet@localhost:5432/from_cli"
    call = _migrate_up(tmp_path, work, f"WALLET_DATABASE_URL={cli_db}")
    assert f"{cli_db}?sslmode=disable" in call


def test_make_run_migrates_the_dotenv_database_and_leaves_the_rest_of_dotenv_to_honcho(
    tmp_path: Path,
) -> None:
    work = _checkout(tmp_path, dotenv=_dotenv_naming(ENV_DB) + "WALLET_LOG_LEVEL=debug\n")
    calls = tmp_path / "calls"
    migrate = recording_stub(tmp_path / "bin", "migrate", calls)
    # Stands in for `uv run ... honcho start`: records what honcho would start with.
    uv = recording_stub(
        tmp_path / "bin", "uv", calls, body=f'echo "${{WALLET_LOG_LEVEL-<unset>}}" >> {calls}'
    )
    env = environ(f"{tmp_path / 'bin'}:/usr/bin:/bin", MIGRATE_BIN=str(migrate))
    env.pop("WALLET_LOG_LEVEL", None)

    done = run_make("-C", str(work), "run", f"UV_RUN={uv}", env=env)

    assert done.returncode == 0, done.stderr
    migrate_call, honcho_call, log_level = recorded(calls)
    assert ENV_DB in migrate_call
    assert "honcho start" in honcho_call
    # honcho reads `.env` itself; make's environment for it is the shell's, untouched.
    assert log_level == "<unset>"
