"""Keep one process of `make run` alive: restart it when it dies, with a backoff and a cap.

honcho stops every process as soon as one exits, so one crashed relay used to take the API
and the consumers down with it. Each Procfile line runs its command under this supervisor
instead: when the command exits, for any reason, it is started again after a delay that
doubles from --backoff up to --max-backoff, and the others go on. A command that keeps dying
soon after it starts (a wrong setting, a port in use) is not retried forever: when it dies
again after --max-restarts restarts in a row of runs shorter than --stable-after seconds, the
supervisor exits with the command's status and honcho stops the rest, as before, so the
failure is seen. A run that lasted --stable-after seconds starts the count afresh.

SIGTERM, SIGINT and SIGHUP (honcho stopping, Ctrl-C) stop the command and the supervisor,
never a restart. The command stays in the supervisor's process group, so honcho's signal to
the group reaches it too.

    python scripts/supervise.py [--max-restarts 5] [--backoff 1] [--max-backoff 30]
                                [--stable-after 60] [--] command [args...]
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@dataclass(frozen=True, kw_only=True)
class RestartPolicy:
    max_restarts: int = 5
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    stable_after_s: float = 60.0

    def delay_s(self, deaths: int) -> float:
        """The wait before restart number `deaths` of a run of quick deaths (1, 2, …)."""
        return float(min(self.backoff_s * 2 ** (deaths - 1), self.max_backoff_s))


def exit_status(returncode: int) -> int:
    """A shell's status for a child's return code (killed by signal N -> 128 + N)."""
    return returncode if returncode >= 0 else 128 - returncode


def say(message: str) -> None:
    print(f"supervise: {message}", file=sys.stderr, flush=True)


class Supervisor:
    def __init__(self, *, command: Sequence[str], policy: RestartPolicy) -> None:
        self._command = list(command)
        self._name = shlex.join(command)
        self._policy = policy
        self._stop = asyncio.Event()
        self._stop_signal = signal.SIGTERM

    def stop(self, signum: signal.Signals) -> None:
        self._stop_signal = signum
        self._stop.set()

    async def run(self) -> int:
        """Run the command until told to stop or until it dies too often; its exit status."""
        loop = asyncio.get_running_loop()
        deaths = 0
        while True:
            started = loop.time()
            child = await asyncio.create_subprocess_exec(*self._command)
            status = exit_status(await self._wait(child))
            if self._stop.is_set():
                return status
            ran_s = loop.time() - started
            deaths = 1 if ran_s >= self._policy.stable_after_s else deaths + 1
            if deaths > self._policy.max_restarts:
                say(
                    f"{self._name} exited with status {status} after {ran_s:.1f}s, "
                    f"{deaths} times in a row soon after starting: giving up"
                )
                return status or 1
            delay_s = self._policy.delay_s(deaths)
            say(
                f"{self._name} exited with status {status} after {ran_s:.1f}s; "
                f"restart {deaths}/{self._policy.max_restarts} in {delay_s:g}s"
            )
            if await self._stopped_within(delay_s):
                return status

    async def _wait(self, child: asyncio.subprocess.Process) -> int:
        """The child's return code; on a stop request, pass the signal on and wait for it."""
        exited = asyncio.ensure_future(child.wait())
        stopping = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not exited.done():
            child.send_signal(self._stop_signal)
        return await exited

    async def _stopped_within(self, delay_s: float) -> bool:
        try:
            await asyncio.wait_for(self._stop.wait(), delay_s)
        except TimeoutError:
            return False
        return True


def parse_args(argv: Sequence[str]) -> tuple[list[str], RestartPolicy]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = RestartPolicy()
    parser.add_argument("--max-restarts", type=int, default=defaults.max_restarts)
    parser.add_argument("--backoff", type=float, default=defaults.backoff_s)
    parser.add_argument("--max-backoff", type=float, default=defaults.max_backoff_s)
    parser.add_argument("--stable-after", type=float, default=defaults.stable_after_s)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("a command to run is required")
    policy = RestartPolicy(
        max_restarts=args.max_restarts,
        backoff_s=args.backoff,
        max_backoff_s=args.max_backoff,
        stable_after_s=args.stable_after,
    )
    return command, policy


async def main(argv: Sequence[str]) -> int:
    command, policy = parse_args(argv)
    supervisor = Supervisor(command=command, policy=policy)
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, supervisor.stop, signum)
    return await supervisor.run()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
