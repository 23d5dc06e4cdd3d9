"""`scripts/recreate_database.py` (`make reset-local`) promises to drop only a database on
this machine. A URL without a host (`postgresql:///wallet`, `postgresql://u:p@/wallet`) is
taken as local, but asyncpg then connects to `$PGHOST` (or the host of a `?service=` entry
in `~/.pg_service.conf`), which may be any server: the script must refuse, not connect there
and DROP ... WITH (FORCE)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

from .shell_stubs import ROOT

SCRIPT: Final = ROOT / "scripts" / "recreate_database.py"
REMOTE: Final = "db.prod.example.invalid"


def _run(database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={**clean, **env, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "database_url",
    ["postgresql:///wallet", "postgresql://wallet:pw@/wallet?sslmode=disable"],
)
def test_a_hostless_url_with_pghost_elsewhere_is_refused(database_url: str) -> None:
    done = _run(database_url, PGHOST=REMOTE)
    assert done.returncode == 1
    # Refused on its own check, before any connection (an attempt names the remote host).
    assert "another host" in done.stderr, done.stderr
    assert "pw@" not in done.stderr


def test_a_hostless_url_naming_a_remote_service_is_refused(tmp_path: Path) -> None:
    services = tmp_path / "pg_service.conf"
    services.write_text(f"[prod]\nhost={REMOTE}\nport=5432\n")
    done = _run("postgresql:///wallet?service=prod", PGSERVICEFILE=str(services))
    assert done.returncode == 1
    assert "another host" in done.stderr, done.stderr


@pytest.mark.parametrize(
    "database_url",
    [
        f"postgresql://wallet:s3cret-pw@localhost,{REMOTE}/wallet",
        f"postgresql://wallet:s3cret-pw@/wallet?host=/run/postgresql&host={REMOTE}",
        f"postgresql://wallet:s3cret-pw@/wallet?host=/run/postgresql,{REMOTE}:5432",
    ],
    ids=["url-hosts", "host-parameters", "host-parameter-list"],
)
def test_several_hosts_are_local_only_if_every_one_is(database_url: str) -> None:
    done = _run(database_url)
    assert done.returncode == 1
    assert "another host" in done.stderr, done.stderr
    assert "s3cret-pw" not in done.stderr + done.stdout
