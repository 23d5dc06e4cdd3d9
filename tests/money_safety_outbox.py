"""The outbox against the ledger, for the money-safety tests: every committed money
movement has exactly the events its state says, each once, and no event exists without
its movement.

What each ledger row must have produced (the events are written in the same transaction
as the change they announce, so after a run they match the ledger exactly):

- a DEPOSIT: one `deposit.completed`;
- a PAYMENT: one `payment.created` (when it was debited, PENDING), then, once settled, one
  `payment.completed` (APPROVED) or one `payment.failed` (DECLINED or FAILED), whichever
  path settled it: the request itself, a lookup after a timeout, or the recovery worker;
- a REFUND or PROVIDER_REFUND: one `refund.created`, on its payment's aggregate;
- a transfer: one `transfer.completed` on the transfer's aggregate, named after its
  TRANSFER_OUT leg (the TRANSFER_IN leg has no event of its own).

A refused request (insufficient funds, a 503, a reused key) changed nothing, so it has
no event: the counts below would show one.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

import orjson
from wallet_testkit.db import fetch

# (event_type, the status its payload carries) for a ledger row of (type, final status).
EXPECTED: Final[dict[tuple[str, str], tuple[tuple[str, str], ...]]] = {
    ("DEPOSIT", "COMPLETED"): (("deposit.completed", "COMPLETED"),),
    ("PAYMENT", "APPROVED"): (("payment.created", "PENDING"), ("payment.completed", "APPROVED")),
    ("PAYMENT", "DECLINED"): (("payment.created", "PENDING"), ("payment.failed", "DECLINED")),
    ("PAYMENT", "FAILED"): (("payment.created", "PENDING"), ("payment.failed", "FAILED")),
    ("PAYMENT", "PENDING"): (("payment.created", "PENDING"),),
    ("REFUND", "COMPLETED"): (("refund.created", "COMPLETED"),),
    ("PROVIDER_REFUND", "COMPLETED"): (("refund.created", "COMPLETED"),),
    ("TRANSFER_OUT", "COMPLETED"): (("transfer.completed", "COMPLETED"),),
    ("TRANSFER_IN", "COMPLETED"): (),
}

# One key per event: (event_type, transaction_id, aggregate_id, status, amount, currency).
EventKey = tuple[str, str, str, str, int, str]


def expected_events(ledger: list[Any]) -> Counter[EventKey]:
    """The events the ledger rows (id, type, status, amount, currency, refund_of) imply."""
    expected: Counter[EventKey] = Counter()
    for row in ledger:
        kinds = EXPECTED.get((row["type"], row["status"]))
        assert kinds is not None, ("a ledger row no event covers", dict(row))
        # A refund tells its payment's story, a transfer leg its transfer's.
        aggregate = row["refund_of"] or row["transfer_id"] or row["id"]
        for event_type, status in kinds:
            amount = abs(int(row["amount"]))
            expected[(event_type, row["id"], aggregate, status, amount, row["currency"])] += 1
    return expected


def recorded_events(outbox: list[Any]) -> Counter[EventKey]:
    """The outbox rows (event_type, aggregate_id, payload) as the same keys."""
    recorded: Counter[EventKey] = Counter()
    for row in outbox:
        payload = orjson.loads(row["payload"])
        recorded[
            (
                row["event_type"],
                payload.get("transaction_id") or payload["debit_transaction_id"],
                row["aggregate_id"],
                payload["status"],
                int(payload["amount"]),
                payload["currency"],
            )
        ] += 1
    return recorded


async def assert_outbox_matches_ledger(database_url: str, users: list[str]) -> Counter[str]:
    """Every movement of `users` has exactly its events (none twice), and every event of
    theirs names a movement in the state it says. Returns the events counted by type."""
    ledger = await fetch(
        database_url,
        "SELECT id::text AS id, type, status, amount, currency,"
        " coalesce(refund_of, provider_refund_of)::text AS refund_of,"
        " transfer_id::text AS transfer_id"
        " FROM transactions WHERE user_id = ANY($1::text[])",
        users,
    )
    outbox = await fetch(
        database_url,
        "SELECT event_type, aggregate_id::text AS aggregate_id, payload::text AS payload"
        " FROM outbox WHERE user_id = ANY($1::text[])",
        users,
    )
    expected, recorded = expected_events(ledger), recorded_events(outbox)
    missing, extra = expected - recorded, recorded - expected
    assert not missing, ("changes without their event", sorted(missing.elements())[:10])
    assert not extra, ("events without their change, or twice", sorted(extra.elements())[:10])
    return Counter(row["event_type"] for row in outbox)
