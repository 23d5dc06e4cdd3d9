"""The local broker's management UI: `.ci/run` enables it in place, `make rabbit-ui` checks it.

`make rabbit-ui` used to print :15672 while the broker `.ci/run` sets up never served it.
The provisioning step (`ensure_rabbit_management` in `.ci/lib.sh`) runs here against
stand-ins for RabbitMQ's CLI and a socket the test opens or not as "the UI": it enables the
plugin on the running node (no `--offline`, no broker restart) only when the UI does not
answer, waits for it, and fails plainly if it never opens.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from wallet_testkit.polling import eventually
from wallet_testkit.processes import free_port

from .shell_stubs import ROOT, environ, recorded, recording_stub, run_make

STEP_TIMEOUT_S: Final = 30.0
ENABLE: Final = "rabbitmq-plugins enable rabbitmq_management"


@contextmanager
def _listening(port: int) -> Iterator[None]:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(8)
        yield


def _broker_cli(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Stand-ins for every RabbitMQ command (and sudo) that record their calls."""
    calls = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    for name in ("rabbitmq-plugins", "rabbitmq-server", "rabbitmqctl"):
        recording_stub(bin_dir, name, calls)
    recording_stub(bin_dir, "sudo", tmp_path / "sudo-calls", 'exec "$@"')
    return environ(f"{bin_dir}:{os.environ['PATH']}"), calls


def _start_step(step: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["bash", "-c", f"set -euo pipefail; source .ci/lib.sh; {step}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_the_plugin_is_enabled_in_place_when_the_ui_does_not_answer(
    tmp_path: Path,
) -> None:
    env, calls = _broker_cli(tmp_path)
    port = free_port()
    env |= {"RABBIT_UI_PORT": str(port), "RABBIT_WAIT_SECONDS": str(int(STEP_TIMEOUT_S))}

    step = _start_step("ensure_rabbit_management", env)
    try:

        async def enabled() -> bool:
            return bool(recorded(calls))

        await eventually(enabled, timeout_s=STEP_TIMEOUT_S)
        with _listening(port):  # the plugin's listener opening
            out, err = step.communicate(timeout=STEP_TIMEOUT_S)
    finally:
        step.kill()
        step.wait()

    assert step.returncode == 0, err
    assert recorded(calls) == [ENABLE], "enabled once, on the running node, nothing restarted"
    assert f"http://localhost:{port}" in out


def test_nothing_is_enabled_when_the_ui_answers_already(tmp_path: Path) -> None:
    env, calls = _broker_cli(tmp_path)
    port = free_port()

    with _listening(port):
        step = _start_step("ensure_rabbit_management", env | {"RABBIT_UI_PORT": str(port)})
        out, err = step.communicate(timeout=STEP_TIMEOUT_S)

    assert step.returncode == 0, err
    assert recorded(calls) == []
    assert f"http://localhost:{port}" in out


def test_a_ui_that_never_opens_fails_plainly(tmp_path: Path) -> None:
    env, calls = _broker_cli(tmp_path)
    port = free_port()
    env |= {"RABBIT_UI_PORT": str(port), "RABBIT_WAIT_SECONDS": "1"}

    step = _start_step("ensure_rabbit_management", env)
    _, err = step.communicate(timeout=STEP_TIMEOUT_S)

    assert step.returncode != 0
    assert f"management UI did not open port {port}" in err
    assert recorded(calls) == [ENABLE]


def test_ci_run_enables_the_ui_once_the_broker_runs() -> None:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]

    assert lines.index("ensure_rabbit_management") > lines.index("ensure_rabbit_running")


def test_make_rabbit_ui_fails_when_nothing_answers() -> None:
    port = free_port()

    done = run_make("rabbit-ui", f"RABBIT_UI_PORT={port}", env=environ(os.environ["PATH"]))

    assert done.returncode != 0
    assert f"nothing answers on port {port}" in done.stderr
    assert "rabbitmq-plugins enable rabbitmq_management" in done.stderr


def test_make_rabbit_ui_prints_where_the_ui_answers() -> None:
    port = free_port()

    with _listening(port):
        done = run_make("rabbit-ui", f"RABBIT_UI_PORT={port}", env=environ(os.environ["PATH"]))

    assert done.returncode == 0, done.stderr
    assert f"http://localhost:{port}" in done.stdout
