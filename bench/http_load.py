"""A lean keep-alive HTTP/1.1 client for load generation.

httpx costs more CPU per request than the server under test on a 2-core machine, which
would measure the client. This speaks just enough HTTP/1.1 for our JSON API.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[bytes, bytes]
    body: bytes


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self._host}:{self._port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await self._reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        response_headers: dict[bytes, bytes] = {}
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            response_headers[name.strip().lower()] = value.strip()
        length = int(response_headers.get(b"content-length", b"0"))
        payload = await self._reader.readexactly(length) if length else b""
        if response_headers.get(b"connection") == b"close":
            await self.close()
        return Response(status, response_headers, payload)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._reader = None


@dataclass(slots=True)
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s else 0.0

    def merge(self, other: LoadResult) -> None:
        self.latencies_ms += other.latencies_ms
        self.elapsed_s += other.elapsed_s
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count

    def percentile(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))]


Job = Callable[[Connection, int], Awaitable[Response]]


async def run_load(
    host: str,
    port: int,
    job: Job,
    *,
    concurrency: int,
    duration_s: float | None = None,
    total: int | None = None,
) -> LoadResult:
    """Run `job` from `concurrency` connections until `duration_s` passes or `total` jobs ran."""
    result = LoadResult()
    counter = iter(range(total if total is not None else 10**12))
    start = time.perf_counter()
    stop_at = start + duration_s if duration_s is not None else float("inf")

    async def worker() -> None:
        connection = Connection(host, port)
        try:
            for n in counter:
                if time.perf_counter() >= stop_at:
                    return
                t0 = time.perf_counter()
                response = await job(connection, n)
                result.latencies_ms.append((time.perf_counter() - t0) * 1000)
                result.statuses[response.status] = result.statuses.get(response.status, 0) + 1
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - start
    return result
