"""Helpers shared by the API tests (imported by name: conftest puts this folder on sys.path).

Kept out of conftest so tests can import the types they annotate with. The API client
(`Api`, `created`), the mock-gateway override and the id helpers are wallet_testkit's,
re-exported.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID

import httpx
from dishka import Provider, Scope, provide
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.deadline import Deadline
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.ledger import Ledger
from wallet_domain.ports.payment_gateway import (
    ChargeRequest,
    ChargeStatus,
    DisputeFiling,
    EvidenceStatus,
    FilingStatus,
    LookupStatus,
    PaymentGateway,
    WithdrawalStatus,
)
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.settlement import PaymentSettlement
from wallet_testkit.api import PROVIDER_ID as PROVIDER_ID
from wallet_testkit.api import Api as Api
from wallet_testkit.api import MockGatewayClientProvider as MockGatewayClientProvider
from wallet_testkit.api import created as created
from wallet_testkit.api import new_key as new_key
from wallet_testkit.api import new_user_id as new_user_id
from wallet_testkit.polling import eventually

SERVICE_KEY: Final = "test-service-key"
SCOPED_KEY: Final = "test-scoped-key"
SCOPED_USER: Final = f"scoped-{uuid.uuid4().hex[:12]}"
INACTIVE_PROVIDER_ID: Final = "01890a5d-ac96-7c3e-8f60-8d5b1e4a7f04"  # retired in the seed
# Strings that must never reach a client: driver, SQL and Python internals.
LEAK_MARKERS: Final = (
    "Traceback",
    'File "',
    "sqlalchemy",
    "asyncpg",
    "SELECT ",
    "INSERT ",
    "UPDATE ",
    "psycopg",
    "errors.pydantic.dev",
    "input_value",
    SERVICE_KEY,
    SCOPED_KEY,
)


# Every >= 400 response an API test client received (conftest installs the hook on each
# client); checked for leaks once the whole session is over.
ERROR_RESPONSES: Final[list[tuple[str, int, str]]] = []


class ShiftedClock(Clock):
    """The system clock, moved forward by what a test adds with `advance`: the app's
    delays (the recovery worker's rechecks) pass without waiting them out."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by


class ShiftedClockProvider(Provider):
    """Overrides infra's clock with `clock` for the whole app."""

    def __init__(self, clock: ShiftedClock) -> None:
        super().__init__(scope=Scope.APP)
        self._clock = clock

    @provide
    def clock(self) -> Clock:
        return self._clock


class FakeClock:
    """Monotonic seconds that move only when a test moves `now` (rate limiter, throttle)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def record_error_response(response: httpx.Response) -> None:
    """httpx response hook: keep what an error response showed the client."""
    if response.status_code >= 400:
        await response.aread()
        where = f"{response.request.method} {response.request.url.path}"
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        ERROR_RESPONSES.append((where, response.status_code, f"{headers}\n{response.text}"))


def leaking_error_responses() -> list[tuple[str, int, str]]:
    """(request, status, marker) of every recorded error response showing a LEAK_MARKER."""
    return [
        (where, status, marker)
        for where, status, text in ERROR_RESPONSES
        for marker in LEAK_MARKERS
        if marker in text
    ]


def assert_replayed(first: httpx.Response, replay: httpx.Response) -> None:
    """`replay` (the request again, same key) answers what `first` did, status and bytes,
    marked Idempotent-Replayed; `first` is not marked."""
    assert (replay.status_code, replay.content) == (first.status_code, first.content)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers


async def send_twice(send: Callable[[], Awaitable[httpx.Response]], status: int) -> httpx.Response:
    """Sends one request twice (`send` carries its Idempotency-Key): the first answers
    `status`, the second replays it (`assert_replayed`). Returns the first answer."""
    first = await send()
    assert first.status_code == status, first.text
    assert_replayed(first, await send())
    return first


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The error envelope with `code` and `status`, and nothing that leaks internals."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str)
    assert isinstance(error["details"], dict)
    for marker in LEAK_MARKERS:
        assert marker not in response.text, (marker, response.text)
    return dict(error)


StartApi = Callable[..., AbstractAsyncContextManager[Api]]


class ProcessDiesDuringCharge(PaymentGateway):
    """A crash after the debit committed: the charge never returns, the payment stays
    PENDING with its funds held. Likewise a dispute's filing: the dispute stays OPEN, its
    key IN_PROGRESS."""

    def admission(self) -> AbstractAsyncContextManager[None]:
        @asynccontextmanager
        async def admitted() -> AsyncIterator[None]:
            yield

        return admitted()

    async def charge(self, request: ChargeRequest, deadline: Deadline) -> ChargeStatus:
        raise RuntimeError("process died")

    async def lookup(self, payment_id: UUID, deadline: Deadline) -> LookupStatus:
        raise AssertionError("never reached")

    async def file_dispute(self, filing: DisputeFiling, deadline: Deadline) -> FilingStatus:
        raise RuntimeError("process died")

    async def find_dispute(self, dispute_id: UUID, deadline: Deadline) -> FilingStatus:
        raise AssertionError("never reached")

    async def withdraw_dispute(self, dispute_id: UUID, deadline: Deadline) -> WithdrawalStatus:
        raise AssertionError("never reached")

    async def forward_evidence(
        self, dispute_id: UUID, evidence: tuple[str, ...], deadline: Deadline
    ) -> EvidenceStatus:
        raise AssertionError("never reached")


class CrashingGatewayProvider(Provider):
    scope = Scope.APP
    gateway = provide(ProcessDiesDuringCharge, provides=PaymentGateway)


HELD_TIMEOUT_S: Final = 10.0


async def wait_until_held(api: Api, user_id: str, amount: int, currency: str = "USD") -> None:
    """Until `amount` is pending on the wallet: a payment's debit committed, so it holds
    its idempotency key and its gateway slot (taken before the debit) and is now at, or
    on its way to, the gateway."""

    async def held() -> bool:
        return (await api.balances(user_id)).get(currency, {}).get("pending") == amount

    await eventually(held, timeout_s=HELD_TIMEOUT_S, interval_s=0.01)


async def settle_as_recovery_would(api: Api, user_id: str, payment_id: str) -> None:
    """The mock holds an approved charge for `unknown`; settle it as the recovery worker
    would, so the shared test database keeps no stranded PENDING payment."""
    async with api.app.state.dishka_container() as request:
        payment = await (await request.get(Ledger)).get(user_id, uuid.UUID(payment_id))
        assert payment is not None
        settled = await (await request.get(PaymentSettlement)).settle(
            payment, TransactionStatus.APPROVED, timed_out=True
        )
        assert settled is not None
        await (await request.get(TransactionManager)).commit()


async def fetch(engine: AsyncEngine, sql: str, **params: Any) -> Sequence[Row[Any]]:
    """The rows `sql` selects with `params` bound, read on a connection of its own."""
    async with engine.connect() as conn:
        return (await conn.execute(text(sql), params)).all()


async def outbox_event_types(engine: AsyncEngine, aggregate_id: str) -> list[str]:
    """The types of the events written for `aggregate_id` (a hold, a dispute...), in order."""
    sql = "SELECT event_type FROM outbox WHERE aggregate_id = :a ORDER BY event_id"
    return [r.event_type for r in await fetch(engine, sql, a=aggregate_id)]


async def wallet_etag(api: Api, user_id: str) -> str:
    """The wallet's current ETag (what If-Match on its writes takes)."""
    response = await api.client.get(f"/wallets/{user_id}")
    assert response.status_code == 200, response.text
    return response.headers["ETag"]
