"""The provider's side of disputes: filed by the wallet, moved by an operator or a test.

`POST /disputes` files one (idempotent on the dispute id: a repeat answers the first
filing); `POST /disputes/{id}/cancel` withdraws one not yet past review and
`POST /disputes/{id}/evidence` brings its evidence up to the wallet's; an admin move
sets its status and sends the signed `dispute.updated` webhook, as a provider's decision
would. The mock does not hold moves to the wallet's graph, so a test can send one the
wallet must refuse.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mock_gateway.bodies import DisputeIn, EvidenceIn
from mock_gateway.modes import Mode, override_from_reference
from mock_gateway.state import DisputeRecord, GatewayState
from mock_gateway.webhook_sender import Delivery

Reply = tuple[int, dict[str, Any]]


async def file(state: GatewayState, idempotency_key: str | None, body: DisputeIn) -> Reply:
    """One `POST /disputes`. The dispute's payment must be an approved charge here. A
    `reason` of `mock:error:…` answers 500 and `mock:timeout:…` hangs, filing nothing."""
    if idempotency_key != body.dispute_id:
        return 400, {"error": "Idempotency-Key must equal dispute_id"}
    known = state.disputes.get(body.dispute_id)
    if known is not None:
        return 200, known.view()
    mode = override_from_reference(body.reason)
    if mode is Mode.ERROR:
        return 500, {"error": "internal error"}
    if mode is Mode.TIMEOUT:
        await asyncio.sleep(state.hang_s)
        return 504, {"error": "gateway timed out"}
    charge = state.lookup(body.payment_id)
    if charge is None or charge.status != "approved":
        return 404, {"status": "payment_not_found"}
    record = DisputeRecord(
        dispute_id=body.dispute_id,
        payment_id=body.payment_id,
        amount=body.amount,
        currency=body.currency,
        reason=body.reason,
        evidence=list(body.evidence),
    )
    state.disputes[body.dispute_id] = record
    return 201, record.view()


# Where the wallet may still withdraw a dispute (as its own graph lets the client cancel).
_WITHDRAWABLE = frozenset({"open", "under_review", "canceled"})


def withdraw(state: GatewayState, dispute_id: str) -> Reply:
    """One `POST /disputes/{id}/cancel` (idempotent: a repeat finds it canceled)."""
    record = state.disputes.get(dispute_id)
    if record is None:
        return 404, {"status": "not_found"}
    if record.status not in _WITHDRAWABLE:
        return 409, {"error": "dispute_decided", "status": record.status}
    record.status = "canceled"
    return 200, record.view()


# Where the provider still takes evidence (as the wallet's graph lets the client add it).
_TAKES_EVIDENCE = frozenset({"open", "under_review"})


def take_evidence(state: GatewayState, dispute_id: str, body: EvidenceIn) -> Reply:
    """One `POST /disputes/{id}/evidence`: the body is every text the wallet holds, in
    order, and the texts this record lacks are added after its own (what it holds is
    always a prefix of the wallet's: evidence is only appended there, and a filing carries
    what the dispute held then). A repeat, or a late send of fewer texts, adds nothing.
    409 `evidence_conflict` if the texts the two share are not the same."""
    record = state.disputes.get(dispute_id)
    if record is None:
        return 404, {"status": "not_found"}
    if record.status not in _TAKES_EVIDENCE:
        return 409, {"error": "dispute_decided", "status": record.status}
    common = min(len(record.evidence), len(body.evidence))
    if body.evidence[:common] != record.evidence[:common]:
        return 409, {"error": "evidence_conflict", "status": record.status}
    # A late, shorter send (one worker's, after another's) adds nothing.
    record.evidence.extend(body.evidence[common:])
    return 200, record.view()


def move(state: GatewayState, dispute_id: str, status: str) -> tuple[DisputeRecord, Delivery]:
    """Set a known dispute's status and send `dispute.updated` (KeyError if unknown)."""
    record = state.disputes[dispute_id]
    record.status = status
    delivery = state.webhooks.emit("dispute.updated", {"dispute_id": dispute_id, "status": status})
    return record, delivery
