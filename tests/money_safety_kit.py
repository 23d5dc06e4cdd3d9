"""Helpers for the money-safety tests: a private database, the API in-process or as a real
process, the mock gateway as a real process, and the ledger invariants checked at the end.

Each test gets a database of its own: these tests run the recovery worker, which settles
every stale PENDING payment it finds, and must never touch another test's (or another
concurrently running session's) payments in the shared test database.
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, Final

import httpx
from fastapi import FastAPI
from wallet_api.main import make_app
from wallet_domain.money import MAX_AMOUNT
from wallet_infra.config.settings import Settings
from wallet_testkit import db
from wallet_testkit.api import PROVIDER_ID as PROVIDER_ID
from wallet_testkit.api import MockGatewayClientProvider, lifespan_client
from wallet_testkit.db import fetch
from wallet_testkit.polling import eventually as _eventually
from wallet_testkit.processes import ServiceProcess, console_script, environ_without

ROOT: Final = Path(__file__).resolve().parent.parent
API_KEY: Final = "money-safety-key"
START_TIMEOUT_S: Final = 60.0

# Polls every 0.1 s; a condition never met is a TimeoutError.
eventually = partial(_eventually, interval_s=0.1, error=TimeoutError)


def run_seed(about: str) -> int:
    """This run's seed, printed with `about` (what the run does): `MONEY_SAFETY_SEED` if
    set, to rerun one, else a fresh one."""
    seed = int(os.environ.get("MONEY_SAFETY_SEED") or random.SystemRandom().randrange(2**32))
    print(f"\nMONEY_SAFETY_SEED={seed} ({about})")
    return seed


async def open_wallets(client: httpx.AsyncClient, users: list[str]) -> None:
    """A wallet for each of `users` (each must be created: 201)."""
    for user_id in users:
        assert (await client.post("/wallets", json={"user_id": user_id})).status_code == 201


def private_database(database_url: str) -> AbstractAsyncContextManager[str]:
    """A fresh, migrated database on the test server (dropped afterwards): `async with`."""
    return db.private_database(database_url, prefix="wallet_money_", migrations=ROOT / "migrations")


@asynccontextmanager
async def in_process_api(
    database_url: str, mock_app: FastAPI, **settings: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The real app (lifespan run), paying through `mock_app`; a service-key client."""
    values = {
        "database_url": database_url,
        "api_keys": API_KEY,
        "log_level": "error",
        "rate_limit_per_s": 0,
        **settings,
    }
    app = make_app(MockGatewayClientProvider(mock_app), settings=Settings.model_validate(values))
    async with lifespan_client(app, api_key=API_KEY, timeout=60) as client:
        yield app, client


def service_process(name: str, module: str, env: Mapping[str, str]) -> ServiceProcess:
    """A service in its own process group (its entry point, cwd the repo), with `env` and
    none of this process's WALLET_* / MOCK_* variables; `kill()` is SIGKILL."""
    return ServiceProcess(
        name,
        console_script(name, module),
        {**environ_without("WALLET_", "MOCK_"), **env},
        cwd=ROOT,
        new_session=True,
        start_timeout_s=START_TIMEOUT_S,
        stop_timeout_s=30,
    )


# --------------------------------------------------------------------------- invariants


async def pending_payments(database_url: str, users: list[str]) -> int:
    rows = await fetch(
        database_url,
        "SELECT count(*) AS n FROM transactions "
        "WHERE status = 'PENDING' AND user_id = ANY($1::text[])",
        users,
    )
    return int(rows[0]["n"])


async def assert_money_invariants(
    database_url: str, users: list[str], charges: Mapping[str, int]
) -> dict[str, int]:
    """The ledger of `users` is whole; `charges` is the mock's charges per payment id.

    - balance == sum of the ledger rows that count (all but PENDING or REVERTED deposits),
      for every wallet and currency; none negative;
    - pending_debit == what PENDING payments and open holds hold (0 once all settled);
      pending_credit == what PENDING deposits will bring; balance + pending_debit +
      pending_credit never past the largest amount;
    - balance == completed deposits - approved payments + provider refunds - holds + what
      holds released + what won disputes gave back (refunds exactly undo the rest);
    - an approved payment's provider refunds add up to its `refunded_amount`, never past its
      amount; no other payment has any;
    - every hold has one HOLD row of its amount and, once settled, one HOLD_RELEASE row of
      what it did not capture (none when it captured everything or is still open);
    - transfers move money between wallets only: each has its two opposite legs, and they
      are part of the balance above (TRANSFER_OUT -, TRANSFER_IN +);
    - every payment terminal; refunded once iff not APPROVED;
    - APPROVED (or refunded and then re-debited by reconciliation) iff the gateway holds
      exactly one charge (never charged twice, never refunded while charged, never
      approved without a charge).
    Returns the payments counted by status.
    """
    balances = await fetch(
        database_url,
        """
        SELECT coalesce(b.user_id, l.user_id) AS user_id,
               coalesce(b.currency, l.currency) AS currency,
               coalesce(b.balance, 0) AS balance, coalesce(l.total, 0) AS total,
               coalesce(l.expected, 0) AS expected,
               coalesce(b.pending_debit, 0) AS pending_debit,
               coalesce(l.held, 0) + coalesce(h.open, 0) AS held,
               coalesce(b.pending_credit, 0) AS pending_credit,
               coalesce(l.announced, 0) AS announced
        FROM (SELECT * FROM wallet_balances WHERE user_id = ANY($1::text[])) b
        FULL JOIN (
            SELECT user_id, currency,
                   sum(amount) FILTER (
                       WHERE type <> 'DEPOSIT' OR status = 'COMPLETED'
                   ) AS total,
                   sum(amount) FILTER (
                       WHERE (type = 'DEPOSIT' AND status = 'COMPLETED')
                          OR (type = 'PAYMENT' AND status = 'APPROVED')
                          OR type IN ('HOLD', 'HOLD_RELEASE', 'TRANSFER_OUT', 'TRANSFER_IN',
                                      'PROVIDER_REFUND', 'CHARGEBACK', 'REDEBIT')
                   ) AS expected,
                   -sum(amount) FILTER (WHERE type = 'PAYMENT' AND status = 'PENDING') AS held,
                   sum(amount) FILTER (WHERE type = 'DEPOSIT' AND status = 'PENDING')
                       AS announced
            FROM transactions WHERE user_id = ANY($1::text[]) GROUP BY user_id, currency
        ) l ON (b.user_id, b.currency) = (l.user_id, l.currency)
        LEFT JOIN (
            SELECT user_id, currency, sum(amount) AS open FROM holds
            WHERE status = 'PENDING' AND user_id = ANY($1::text[]) GROUP BY user_id, currency
        ) h ON (coalesce(b.user_id, l.user_id), coalesce(b.currency, l.currency))
             = (h.user_id, h.currency)
        """,
        users,
    )
    for row in balances:
        where = (row["user_id"], row["currency"])
        assert row["balance"] == row["total"], ("balance != sum(ledger)", where, dict(row))
        assert row["balance"] >= 0, ("negative balance", where)
        assert row["balance"] == row["expected"], ("money not conserved", where, dict(row))
        assert row["pending_debit"] == row["held"], ("pending_debit != held", where, dict(row))
        assert row["pending_credit"] == row["announced"], ("pending_credit", where, dict(row))
        owned = row["balance"] + row["pending_debit"] + row["pending_credit"]
        assert owned <= MAX_AMOUNT, ("over the limit", where)

    holds = await fetch(
        database_url,
        """
        SELECT h.id::text AS id, h.status, h.amount, h.captured,
               coalesce(array_agg(t.amount ORDER BY t.type) FILTER (WHERE t.type = 'HOLD'),
                        '{}') AS debits,
               coalesce(array_agg(t.amount) FILTER (WHERE t.type = 'HOLD_RELEASE'), '{}')
                   AS releases
        FROM holds h LEFT JOIN transactions t ON t.hold_id = h.id
        WHERE h.user_id = ANY($1::text[])
        GROUP BY h.id, h.status, h.amount, h.captured
        """,
        users,
    )
    for hold in holds:
        assert list(hold["debits"]) == [-hold["amount"]], dict(hold)
        rest = 0 if hold["status"] == "PENDING" else hold["amount"] - (hold["captured"] or 0)
        assert list(hold["releases"]) == ([rest] if rest else []), dict(hold)

    payments = await fetch(
        database_url,
        """
        SELECT p.id::text AS id, p.status, count(r.id) AS refunds,
               EXISTS (SELECT FROM reconciliation_corrections c
                       WHERE c.payment_id = p.id AND c.kind = 'REDEBIT') AS redebited
        FROM transactions p LEFT JOIN transactions r ON r.refund_of = p.id
        WHERE p.type = 'PAYMENT' AND p.user_id = ANY($1::text[])
        GROUP BY p.id, p.status
        """,
        users,
    )
    await assert_transfers_conserve_money(database_url, users)
    await assert_provider_refunds_within_payments(database_url, users)
    by_status: dict[str, int] = {}
    for payment in payments:
        status, charged = payment["status"], charges.get(payment["id"], 0)
        by_status[status] = by_status.get(status, 0) + 1
        assert status != "PENDING", payment["id"]
        assert payment["refunds"] == (0 if status == "APPROVED" else 1), dict(payment)
        assert charged <= 1, ("charged twice", payment["id"])
        # A payment refunded here but charged there counts as charged once re-debited.
        kept = status == "APPROVED" or payment["redebited"]
        assert charged == (1 if kept else 0), (dict(payment), charged)
    return by_status


async def assert_provider_refunds_within_payments(database_url: str, users: list[str]) -> None:
    """Each payment's provider refunds: their sum is its `refunded_amount`; with its
    chargebacks at most its amount; an APPROVED payment may have both, a FAILED or DECLINED
    one only refunds of what reconciliation re-debited of it."""
    payments = await fetch(
        database_url,
        """
        SELECT p.id::text AS id, p.status, -p.amount AS amount, p.refunded_amount,
               p.charged_back_amount, coalesce(sum(r.amount), 0) AS refunds,
               coalesce((SELECT c.amount FROM reconciliation_corrections c
                         WHERE c.payment_id = p.id AND c.kind = 'REDEBIT'), 0) AS redebited
        FROM transactions p LEFT JOIN transactions r ON r.provider_refund_of = p.id
        WHERE p.type = 'PAYMENT' AND p.user_id = ANY($1::text[])
        GROUP BY p.id
        """,
        users,
    )
    for payment in payments:
        assert payment["refunds"] == payment["refunded_amount"], dict(payment)
        given_back = payment["refunded_amount"] + payment["charged_back_amount"]
        assert given_back <= payment["amount"], dict(payment)
        if payment["status"] != "APPROVED":  # a refund of a re-debit at most, never a chargeback
            assert payment["charged_back_amount"] == 0, dict(payment)
            assert payment["refunded_amount"] <= payment["redebited"], dict(payment)


async def assert_transfers_conserve_money(database_url: str, users: list[str]) -> None:
    """Transfers only move money between `users`; the platform's total does not change.

    - every transfer touching `users` has both sides among them (so the sums below are
      closed) and exactly two legs: TRANSFER_OUT of -amount on the sender, TRANSFER_IN of
      +amount on the receiver, same currency, sharing the transfer's id;
    - per currency, the sum of all balances equals what entered and left the platform
      (completed deposits, payments, refunds, holds and what they released): the transfer
      legs add up to zero.
    """
    transfers = await fetch(
        database_url,
        """
        SELECT t.id, t.from_user_id, t.to_user_id, t.amount, t.currency,
               array_agg(l.user_id || ':' || l.type || ':' || l.amount || ':' || l.currency
                         ORDER BY l.type) FILTER (WHERE l.id IS NOT NULL) AS legs
        FROM transfers t LEFT JOIN transactions l ON l.transfer_id = t.id
        WHERE t.from_user_id = ANY($1::text[]) OR t.to_user_id = ANY($1::text[])
        GROUP BY t.id
        """,
        users,
    )
    for t in transfers:
        assert t["from_user_id"] in users, ("open transfer", dict(t))
        assert t["to_user_id"] in users, ("open transfer", dict(t))
        expected_legs = [
            f"{t['to_user_id']}:TRANSFER_IN:{t['amount']}:{t['currency']}",
            f"{t['from_user_id']}:TRANSFER_OUT:{-t['amount']}:{t['currency']}",
        ]
        assert t["legs"] == expected_legs, ("transfer legs", dict(t))
    totals = await fetch(
        database_url,
        """
        SELECT coalesce(b.currency, l.currency) AS currency,
               coalesce(b.total, 0) AS balances, coalesce(l.external, 0) AS external,
               coalesce(l.transferred, 0) AS transferred
        FROM (SELECT currency, sum(balance) AS total FROM wallet_balances
              WHERE user_id = ANY($1::text[]) GROUP BY currency) b
        FULL JOIN (
            SELECT currency,
                   sum(amount) FILTER (
                       WHERE type IN ('PAYMENT', 'REFUND', 'HOLD', 'HOLD_RELEASE',
                                      'PROVIDER_REFUND', 'CHARGEBACK', 'REDEBIT')
                          OR (type = 'DEPOSIT' AND status = 'COMPLETED')
                   ) AS external,
                   sum(amount) FILTER (WHERE type IN ('TRANSFER_OUT', 'TRANSFER_IN'))
                       AS transferred
            FROM transactions WHERE user_id = ANY($1::text[]) GROUP BY currency
        ) l ON b.currency = l.currency
        """,
        users,
    )
    for row in totals:
        assert row["transferred"] == 0, ("transfers changed the total", dict(row))
        assert row["balances"] == row["external"], ("total != money in - money out", dict(row))
