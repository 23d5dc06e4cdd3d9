"""`.ci/run` provides promtool (make lint and the rules' tests need it) without a Prometheus
server: `ensure_promtool` in `.ci/lib.sh` unpacks the tool from Debian's `prometheus`
package (`apt-get download` + `dpkg-deb -x`) instead of installing the package, whose
maintainer scripts would set up and start the server. Run against stand-ins for apt-get and
dpkg-deb, on a PATH without the real promtool.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Final

from .shell_stubs import ROOT, environ, recorded, recording_stub

STEP_TIMEOUT_S: Final = 30
# What lib.sh and the stubs need besides the stubs (and no promtool).
TOOLS: Final = ("bash", "env", "id", "mktemp", "install", "rm", "mkdir", "cp", "touch")
FAKE_PROMTOOL: Final = "#!/usr/bin/env bash\necho 'promtool, version 0 (stand-in)'\n"


def _path(tmp_path: Path) -> tuple[Path, Path, str]:
    """(stub dir, calls file, PATH): the tools above linked into a dir of their own."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (tools / tool).symlink_to(found)
    stubs = tmp_path / "bin"
    return stubs, tmp_path / "calls", f"{stubs}:{tools}:{tmp_path / 'dest'}"


def _run_step(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", "set -euo pipefail; source .ci/lib.sh; ensure_promtool"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_S,
        check=False,
    )


def test_promtool_is_unpacked_from_the_package_and_no_server_installed(tmp_path: Path) -> None:
    stubs, calls, path = _path(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    recording_stub(stubs, "sudo", tmp_path / "sudo-calls", 'exec "$@"')
    # `apt-get download` leaves the .deb in the working directory.
    recording_stub(
        stubs,
        "apt-get",
        calls,
        'if [ "$1" = download ]; then touch prometheus_2.42.0+ds-5_amd64.deb; fi',
    )
    # `dpkg-deb -x DEB DIR` unpacks the package's files under DIR.
    packaged = tmp_path / "packaged-promtool"
    packaged.write_text(FAKE_PROMTOOL)
    unpack = f'mkdir -p "$3/usr/bin" && cp {packaged} "$3/usr/bin/promtool"'
    recording_stub(stubs, "dpkg-deb", calls, unpack)

    done = _run_step(environ(path, PROMTOOL_DIR=str(dest)))

    assert done.returncode == 0, done.stdout + done.stderr
    steps = [call.split()[:2] for call in recorded(calls)]
    assert steps == [["apt-get", "update"], ["apt-get", "download"], ["dpkg-deb", "-x"]]
    assert not any("install" in call for call in recorded(calls)), "the package is not installed"
    installed = dest / "promtool"
    assert installed.read_text() == FAKE_PROMTOOL
    assert installed.stat().st_mode & 0o111, "executable"
    assert f"promtool: {installed}" in done.stdout


def test_nothing_is_fetched_when_promtool_is_on_path(tmp_path: Path) -> None:
    stubs, calls, path = _path(tmp_path)
    recording_stub(stubs, "promtool", tmp_path / "promtool-calls")
    recording_stub(stubs, "apt-get", calls)

    done = _run_step(environ(path))

    assert done.returncode == 0, done.stderr
    assert recorded(calls) == []
    assert f"promtool: {stubs / 'promtool'}" in done.stdout


def test_ci_run_provides_promtool() -> None:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "ensure_promtool" in lines
