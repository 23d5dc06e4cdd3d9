"""A seeded random run of deposits, payments and transfers between the wallets through
the in-process API, with every gateway failure mode, reused keys and concurrent clients;
then held charges are released and the recovery worker runs until nothing is PENDING;
then the ledger must be whole.

One wallet starts a hair below the largest amount a balance may hold, and some deposits
are near that amount: deposits that would leave no room for money PENDING payments hold
are refused (400), and every refund of held money must still fit. Transfers into that
wallet meet the same limit; transfers in both directions run alongside everything else,
and must leave each currency's total exactly where deposits, payments and refunds put it.

The seed is printed; rerun one with `MONEY_SAFETY_SEED=<seed>`. `MONEY_SAFETY_OPS` sets
the number of operations (default 2,000).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

import httpx
import orjson
import pytest
from wallet_api.ops.payment_recovery import recover_once
from wallet_domain.money import MAX_AMOUNT
from wallet_domain.use_cases.resolve_pending_payments import ResolvePendingRequest

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

from .money_safety_kit import (
    PROVIDER_ID,
    assert_money_invariants,
    fetch,
    in_process_api,
    open_wallets,
    pending_payments,
    private_database,
    run_seed,
)
from .money_safety_outbox import assert_outbox_matches_ledger

OPS: Final = int(os.environ.get("MONEY_SAFETY_OPS", "2000"))
BATCH: Final = 40
WALLETS: Final = 6
CURRENCIES: Final = ("USD", "EUR", "JPY")
MODES: Final = {
    "happy": 40,
    "declined": 12,
    "error": 10,
    "timeout": 10,
    "charged_timeout": 12,
    "unknown": 16,
}
# Fast gateway limits, so thousands of timeouts fit in a minute; a small breaker that
# opens and recovers many times during the run (its 503s must keep their keys too).
SETTINGS: Final[dict[str, Any]] = {
    "db_pool_size": 10,
    "db_max_overflow": 10,  # the PostgreSQL server is shared: stay well under its limit
    "request_timeout_s": 5.0,
    "gateway_connect_timeout_s": 0.05,
    "gateway_attempt_timeout_s": 0.1,
    "gateway_max_attempts": 2,
    "gateway_retry_budget_s": 0.6,
    "gateway_backoff_initial_s": 0.01,
    "gateway_backoff_max_s": 0.02,
    "gateway_backoff_jitter_s": 0.01,
    # Low enough to open often: of the modes above only error and timeouts count (a held
    # charge's lookup is the provider answering), against happy and declined resetting it.
    "gateway_breaker_failure_threshold": 6,
    "gateway_breaker_recovery_s": 0.1,
    "recovery_enabled": False,  # driven by the test after the run
}
RESOLVE_NOW: Final = ResolvePendingRequest(
    older_than=timedelta(0), batch=1000, lookup_timeout_s=2.0
)
TRANSFER_SHARE: Final = 0.2
# Replies that store their answer under the key; anything else left the key free.
KEY_CONSUMED: Final = frozenset({201, 402, 409, 502, 504})


@dataclass
class Sent:
    user_id: str
    key: str
    path: str
    body: dict[str, Any]
    status: int = 0
    content: bytes = b""
    replayed: bool = False


@dataclass
class Run:
    rng: random.Random
    users: list[str]
    sent: list[Sent] = field(default_factory=list)
    statuses: dict[tuple[str, int], int] = field(default_factory=dict)

    def new_operation(self, n: int) -> Sent:
        if self.rng.random() < TRANSFER_SHARE:
            return transfer_operation(self, n)
        user_id, currency = self.rng.choice(self.users), self.rng.choice(CURRENCIES)
        if self.rng.random() < 0.3:
            amount = self.rng.randint(500, 5_000)
            if self.rng.random() < 0.03:  # near the limit: fits only an (almost) empty one
                amount = MAX_AMOUNT - self.rng.randint(0, 10_000)
            body = {"amount": amount, "currency": currency, "reference": f"dep-{n}"}
            return Sent(user_id, f"k-{n}", f"/wallets/{user_id}/deposits", body)
        mode = self.rng.choices(list(MODES), weights=list(MODES.values()))[0]
        body = {
            "provider_id": PROVIDER_ID,
            "external_reference": f"mock:{mode}:bill-{n}",
            "amount": self.rng.randint(1, 800),
            "currency": currency,
        }
        return Sent(user_id, f"k-{n}", f"/wallets/{user_id}/payments", body)

    def reuse(self, original: Sent) -> tuple[Sent, str]:
        """The same key again: the same body (a replay) or another one (a reuse)."""
        if self.rng.random() < 0.5:
            return Sent(original.user_id, original.key, original.path, original.body), "same"
        other = dict(original.body)
        other["amount"] = int(other["amount"]) + 1
        return Sent(original.user_id, original.key, original.path, other), "different"


def transfer_operation(run: Run, n: int) -> Sent:
    """A transfer between two of the run's wallets, either direction; its key is the
    sender's. Into the near-limit wallet in USD it is refused (400) like a deposit."""
    sender, receiver = run.rng.sample(run.users, 2)
    body = {
        "from_user_id": sender,
        "to_user_id": receiver,
        "amount": run.rng.randint(1, 2_000),
        "currency": run.rng.choice(CURRENCIES),
        "reference": f"tr-{n}",
    }
    return Sent(sender, f"k-{n}", "/transfers", body)


async def transfer_ids(database_url: str, users: list[str]) -> set[str]:
    """The transfers the run's wallets sent: movements whose key is the sender's."""
    rows = await fetch(
        database_url,
        "SELECT id::text AS id FROM transfers WHERE from_user_id = ANY($1::text[])",
        users,
    )
    return {row["id"] for row in rows}


async def send(client: httpx.AsyncClient, op: Sent) -> Sent:
    response = await client.post(op.path, json=op.body, headers={"Idempotency-Key": op.key})
    op.status, op.content = response.status_code, response.content
    op.replayed = response.headers.get("Idempotent-Replayed") == "true"
    return op


def consumed(op: Sent) -> bool:
    return op.status in KEY_CONSUMED and b"IDEMPOTENCY_IN_PROGRESS" not in op.content


def check_reuse(original: Sent, again: Sent, how: str) -> None:
    """What a second request with a key settled in an earlier batch must get."""
    if not consumed(original):  # e.g. a 503: the key is free, this is a first request
        assert not again.replayed, (original.status, again.status, again.content)
        return
    if how == "same":
        assert again.replayed, (original.status, again.status, again.content)
        assert (again.status, again.content) == (original.status, original.content)
    else:
        assert again.status == 422, (again.status, again.content)
        assert b"IDEMPOTENCY_KEY_REUSED" in again.content


def movement_id(op: Sent) -> str | None:
    """The ledger row a reply names: the created transaction, or the failed payment."""
    if not op.content.startswith(b"{"):
        return None
    body = orjson.loads(op.content)
    if op.status == 201:
        return str(body["id"])
    details = body.get("error", {}).get("details", {})
    payment_id = details.get("payment_id")
    return str(payment_id) if payment_id else None


async def drive(client: httpx.AsyncClient, run: Run, ops: int = OPS) -> None:
    """Batches of concurrent requests; about one in eight reuses the key of a request
    from an earlier batch. A key its first request left free (a 503) is reused at most
    once, so what its reuse must get is known."""
    settled: list[Sent] = []
    freed_and_reused: set[str] = set()
    n = 0
    while n < ops:
        batch: list[Sent] = []
        fresh: list[Sent] = []
        reuses: list[tuple[Sent, Sent, str]] = []
        for _ in range(min(BATCH, ops - n)):
            original = run.rng.choice(settled) if settled else None
            if original is not None and run.rng.random() < 0.12:
                again, how = run.reuse(original)
                batch.append(again)
                if consumed(original) or original.key not in freed_and_reused:
                    freed_and_reused.update(() if consumed(original) else (original.key,))
                    reuses.append((original, again, how))
            else:
                fresh.append(run.new_operation(n))
                batch.append(fresh[-1])
            n += 1
        done = await asyncio.gather(*(send(client, op) for op in batch))
        for op in done:
            kind = op.path.rsplit("/", 1)[-1]
            run.statuses[(kind, op.status)] = run.statuses.get((kind, op.status), 0) + 1
            assert op.status < 500 or op.status in (502, 503, 504), (op.status, op.content)
        for original, again, how in reuses:
            check_reuse(original, again, how)
        run.sent.extend(done)
        settled.extend(fresh)


async def resolve_everything(app: Any, mock: Any, database_url: str, users: list[str]) -> None:
    """Release held outcomes at the mock, then run the recovery worker until done."""
    transport = httpx.ASGITransport(app=mock)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as gateway:
        (await gateway.post("/admin/release")).raise_for_status()
    container = app.state.dishka_container
    deadline = time.monotonic() + 60
    while await pending_payments(database_url, users):
        assert time.monotonic() < deadline, "PENDING payments left after 60 s of recovery"
        report = await recover_once(container, RESOLVE_NOW)
        if report.gateway_unavailable:  # the breaker is open: wait for its probe
            await asyncio.sleep(SETTINGS["gateway_breaker_recovery_s"])


def check_keys(run: Run, idempotency_rows: list[Any], ledger_ids: set[str]) -> None:
    """Every key produced at most one ledger movement, and every movement has its key."""
    ids_by_key: dict[tuple[str, str], set[str]] = {}
    for op in run.sent:
        found = movement_id(op)
        if found is not None:
            ids_by_key.setdefault((op.user_id, op.key), set()).add(found)
    for key, ids in ids_by_key.items():
        assert len(ids) == 1, ("one key, several movements", key, ids)
    claimed: set[str] = set()
    for row in idempotency_rows:
        body = orjson.loads(row["response_body"]) if row["response_body"] else {}
        named = row["payment_id"] or (body.get("id") if row["response_status"] == 201 else None)
        if named is not None:
            assert str(named) not in claimed, ("two keys, one movement", named)
            claimed.add(str(named))
    assert ledger_ids <= claimed, ("movements without a key", ledger_ids - claimed)


async def assert_run_left_the_ledger_whole(
    dsn: str, users: list[str], run: Run, charges: Mapping[str, int]
) -> tuple[dict[str, int], Counter[str]]:
    """After `run`: the money invariants against the gateway's `charges`, one movement per
    key and a key per movement, and the outbox matching the ledger. The payments by final
    status and the events by type, to print."""
    by_status = await assert_money_invariants(dsn, users, charges)
    movements = await fetch(
        dsn,
        "SELECT id::text AS id FROM transactions "
        "WHERE type IN ('DEPOSIT', 'PAYMENT') AND user_id = ANY($1::text[])",
        users,
    )
    keys = await fetch(
        dsn,
        "SELECT payment_id::text AS payment_id, response_status, response_body "
        "FROM idempotency_keys WHERE user_id = ANY($1::text[])",
        users,
    )
    check_keys(run, keys, {row["id"] for row in movements} | await transfer_ids(dsn, users))
    events = await assert_outbox_matches_ledger(dsn, users)
    return by_status, events


async def test_random_operations_keep_the_ledger_whole(database_url: str) -> None:
    seed = run_seed(f"operations: {OPS}")
    rng = random.Random(seed)
    mock = create_mock_gateway(MockGatewaySettings(hang_s=0.2))
    started = time.monotonic()
    async with (
        private_database(database_url) as dsn,
        in_process_api(dsn, mock, **SETTINGS) as (app, client),
    ):
        users = [f"ms-{seed}-{n}" for n in range(WALLETS)]
        await open_wallets(client, users)
        near_limit = {"amount": MAX_AMOUNT - rng.randint(0, 4_000), "currency": "USD"}
        seeded = await client.post(
            f"/wallets/{users[0]}/deposits", json=near_limit, headers={"Idempotency-Key": "seed"}
        )
        assert seeded.status_code == 201, seeded.content
        run = Run(rng=rng, users=users)
        await drive(client, run)
        await race_same_keys(client, run)
        driven_s = time.monotonic() - started
        await resolve_everything(app, mock, dsn, users)

        transport = httpx.ASGITransport(app=mock)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as gateway:
            charges = (await gateway.get("/admin/stats")).json()["charges"]
        by_status, events = await assert_run_left_the_ledger_whole(dsn, users, run, charges)

    print(f"driven in {driven_s:.1f}s; replies {sorted(run.statuses.items())}")
    print(f"payments by final status {by_status}; events {sorted(events.items())}")
    if OPS >= 1000:  # the run must have met every path it claims to cover
        seen = {status for (_, status) in run.statuses}
        assert {201, 402, 409, 422, 502, 503, 504} <= seen, seen
        assert ("deposits", 400) in run.statuses, "no deposit met the limit"
        assert {201, 409, 422} <= {s for (kind, s) in run.statuses if kind == "transfers"}
        assert {"APPROVED", "DECLINED", "FAILED"} <= set(by_status), by_status


@pytest.mark.parametrize("status", [201, 402, 502])
def test_movement_id_reads_both_reply_shapes(status: int) -> None:
    body = {"id": "a"} if status == 201 else {"error": {"details": {"payment_id": "a"}}}
    assert movement_id(Sent("u", "k", "/p", {}, status, orjson.dumps(body))) == "a"


# --------------------------------------------------------------------------- same key at once

RACE_ROUNDS: Final = 25
RACE_GROUPS: Final = 8  # keys raced at once per round
RACE_COPIES: Final = (2, 4)  # requests per key, sent together
RACE_FIRST_N: Final = 10_000_000  # operation numbers (hence keys) no batch of `drive` uses


async def race_same_keys(client: httpx.AsyncClient, run: Run) -> None:
    """Rounds of fresh operations (deposits and payments in every gateway mode), each sent
    as 2-4 requests with one key at the same moment; some copies change the amount. For
    each key: one request is answered for real, the others wait their turn and get its
    reply replayed, or are told it is in progress, or (another body) that the key is
    taken; never two answers of their own. The ledger and outbox checks that follow
    the run count one movement per key, so a race that moved money twice fails there."""
    for round_ in range(RACE_ROUNDS):
        groups: list[list[Sent]] = []
        for group in range(RACE_GROUPS):
            original = run.new_operation(RACE_FIRST_N + round_ * RACE_GROUPS + group)
            copies = [original]
            for _ in range(run.rng.randint(*RACE_COPIES) - 1):
                copies.append(race_copy(run, original))
            groups.append(copies)
        flat = [op for copies in groups for op in copies]
        done = await asyncio.gather(*(send(client, op) for op in flat))
        for op in done:
            kind = op.path.rsplit("/", 1)[-1]
            run.statuses[(kind, op.status)] = run.statuses.get((kind, op.status), 0) + 1
            assert op.status < 500 or op.status in (502, 503, 504), (op.status, op.content)
        for copies in groups:
            check_same_key_race(copies)
        run.sent.extend(done)


def race_copy(run: Run, original: Sent) -> Sent:
    """Another request with `original`'s key: mostly the same body, sometimes not."""
    if run.rng.random() < 0.25:
        again, _ = run.reuse(original)
        return again
    return Sent(original.user_id, original.key, original.path, original.body)


def check_same_key_race(copies: list[Sent]) -> None:
    """What requests sent together with one key may get (see `race_same_keys`)."""
    answered = [op for op in copies if consumed(op) and not op.replayed]
    shown = [(op.status, op.content) for op in copies]
    assert len(answered) <= 1, ("one key, two first answers", shown)
    for op in copies:
        if op.replayed:
            assert answered, ("a replay of nothing", shown)
            assert op.body == answered[0].body, ("a replay for another body", shown)
            assert (op.status, op.content) == (answered[0].status, answered[0].content), shown
        elif op.status == 422:
            assert b"IDEMPOTENCY_KEY_REUSED" in op.content, shown
            assert any(other.body != op.body for other in copies), ("422, one body", shown)
