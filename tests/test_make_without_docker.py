"""The Docker-only make targets fail plainly without Docker, and run Compose with it.

`make up/down/reset/logs` used to hand the machine's tool straight to the user: with a
docker CLI but no Compose plugin, `docker compose logs -f` answers "unknown shorthand flag:
'f'". Each now checks first that Compose is installed and an engine answers; otherwise it
says that the target needs Docker and what to run instead, exits non-zero, and runs nothing.
A stand-in `docker` plays each case, so these run the same on a machine with an engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest

from .shell_stubs import environ, recorded, recording_stub, run_make

# A machine's own tools, without a docker or docker-compose this test did not put there.
SYSTEM_PATH: Final = "/usr/bin:/bin"
NO_DAEMON: Final = """
case "$*" in
  "compose version") echo "Docker Compose version v2.40.0" ;;
  "compose ls -q") [ "${FAKE_ENGINE:-down}" = up ] && exit 0
    echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." \
      "Is the docker daemon running?" >&2; exit 1 ;;
esac
"""
NO_COMPOSE_PLUGIN: Final = """
echo "unknown shorthand flag: 'f' in -f" >&2
echo "docker: unknown command: docker compose" >&2
exit 1
"""
# target -> a piece of the alternative it must name
INSTEAD: Final = {
    "up": "'make run'",
    "down": "stop 'make run' with Ctrl-C",
    "reset": "'make reset-local'",
    "logs": "'make run' prints every process's log",
}
PROBES: Final = {"docker compose version", "docker compose ls -q"}


def _fake_docker(tmp_path: Path, body: str) -> tuple[str, Path]:
    calls = tmp_path / "calls"
    recording_stub(tmp_path / "bin", "docker", calls, body)
    return f"{tmp_path / 'bin'}:{SYSTEM_PATH}", calls


def _refused_with_the_alternative(tmp_path: Path, target: str, stub: str) -> tuple[str, Path]:
    """`make target` with the stand-in `docker` playing `stub`: it must fail, saying the
    target needs Docker and what to run instead. Its stderr and the stand-in's calls."""
    path, calls = _fake_docker(tmp_path, stub)

    done = run_make(target, env=environ(path))

    assert done.returncode != 0
    assert f"make {target} needs Docker" in done.stderr
    assert INSTEAD[target] in done.stderr
    return done.stderr, calls


@pytest.mark.parametrize("target", sorted(INSTEAD))
def test_without_an_answering_engine_the_target_says_it_needs_docker(
    tmp_path: Path, target: str
) -> None:
    stderr, calls = _refused_with_the_alternative(tmp_path, target, NO_DAEMON)

    assert "no Docker engine answers" in stderr
    assert "Is the docker daemon running?" in stderr  # the engine's reason, for the operator
    assert set(recorded(calls)) <= PROBES, "nothing may run once the check failed"


@pytest.mark.parametrize("target", sorted(INSTEAD))
def test_without_compose_the_target_says_it_needs_docker_not_a_flag_error(
    tmp_path: Path, target: str
) -> None:
    _, calls = _refused_with_the_alternative(tmp_path, target, NO_COMPOSE_PLUGIN)

    assert all(call.startswith("docker compose version") for call in recorded(calls))


def test_without_a_docker_cli_the_target_says_it_needs_docker(tmp_path: Path) -> None:
    if any(Path(d, "docker").exists() for d in SYSTEM_PATH.split(":")):
        pytest.skip("this machine has docker in /usr/bin or /bin")  # pragma: no cover
    (tmp_path / "bin").mkdir()

    done = run_make("logs", env=environ(f"{tmp_path / 'bin'}:{SYSTEM_PATH}"))

    assert done.returncode != 0
    assert "make logs needs Docker" in done.stderr
    assert "Docker Compose is not installed" in done.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("logs", "S=api"), "docker compose logs -f --tail=200 api"),
        (("down",), "docker compose down"),
    ],
)
def test_with_an_answering_engine_the_target_runs_compose(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    path, calls = _fake_docker(tmp_path, NO_DAEMON)

    done = run_make(*args, env=environ(path, FAKE_ENGINE="up"))

    assert done.returncode == 0, done.stderr
    assert recorded(calls)[-1] == expected


def test_migrations_without_the_cli_or_docker_say_to_install_the_cli(tmp_path: Path) -> None:
    path, _ = _fake_docker(tmp_path, NO_DAEMON)
    env = environ(path, HOME=str(tmp_path), GOPATH=str(tmp_path / "go"))

    done = run_make("migrate-version", env=env)

    assert done.returncode != 0
    assert "needs Docker" in done.stderr
    assert "install the migrate CLI" in done.stderr
