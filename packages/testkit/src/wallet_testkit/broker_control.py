"""Driving the test broker's node: `rabbitmqctl` (virtual hosts, permissions), waiting
for AMQP to answer, and stopping/starting the broker for outage tests."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Final

import aio_pika

RABBITMQCTL_TIMEOUT_S: Final = 120
AMQP_READY_TIMEOUT_S: Final = 90.0


class RabbitControl:
    """Runs `rabbitmqctl` against the test broker's node: on this host, or in its container."""

    def __init__(self, command_prefix: list[str]) -> None:
        self._prefix = command_prefix

    def __call__(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 - fixed binary, our own arguments
            [*self._prefix, *args],
            capture_output=True,
            text=True,
            timeout=RABBITMQCTL_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    @classmethod
    def local(cls) -> RabbitControl | None:
        """`rabbitmqctl` on this host, if it is installed and reaches a running node."""
        binary = shutil.which("rabbitmqctl")
        if binary is None:
            return None
        control = cls([binary, "-q"])
        try:
            control("status")
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            return None
        return control


def wait_for_amqp(url: str, timeout_s: float = AMQP_READY_TIMEOUT_S) -> None:
    """Block until an AMQP connection to `url` opens (a TCP accept is not enough).

    Callable from async tests too: the probe runs its own event loop in a worker thread.
    """

    async def attempt() -> None:
        connection = await aio_pika.connect(url, timeout=5)
        await connection.close()

    deadline = time.monotonic() + timeout_s
    with ThreadPoolExecutor(max_workers=1) as worker:
        while True:
            try:
                worker.submit(asyncio.run, attempt()).result()
                return
            except Exception as error:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"RabbitMQ did not answer within {timeout_s}s") from error
                time.sleep(0.5)


class BrokerOutage:
    """Stops RabbitMQ's application (the node stays up) and starts it again.

    This takes the broker away from every client on the machine, other test sessions
    included: keep the window short.
    """

    def __init__(self, control: RabbitControl, url: str) -> None:
        self._control = control
        self._url = url

    def stop(self) -> None:
        self._control("stop_app")

    def start(self) -> None:
        self._control("start_app")
        self._control("await_startup")
        wait_for_amqp(self._url)
