"""The reply to a dispute's filing, shared by the request that filed it and the recovery
worker that files again a dispute whose request was lost (use cases do not call each
other)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from wallet_domain.errors import GatewayError, GatewayTimeout
from wallet_domain.model.dispute import Dispute, DisputeStatus
from wallet_domain.model.events import dispute_event
from wallet_domain.model.idempotency import StoredResponse
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyReplies
from wallet_domain.ports.payment_gateway import DisputeFiling, FilingStatus
from wallet_domain.ports.response_encoder import ResponseEncoder


def filing_of(dispute: Dispute) -> DisputeFiling:
    """What the provider is sent to open `dispute` (the same every time it is sent: the
    dispute id is the provider's idempotency key)."""
    return DisputeFiling(
        dispute_id=dispute.id,
        payment_id=dispute.payment_id,
        money=dispute.money,
        reason=dispute.reason,
        evidence=dispute.evidence,
    )


async def answer_filing(
    *,
    book: DisputeBook,
    replies: IdempotencyReplies,
    encoder: ResponseEncoder,
    ids: IdGenerator,
    current: Dispute,
    key: str,
    filing: FilingStatus,
    at: datetime,
    evidence_sent: int = 0,
) -> StoredResponse:
    """Store the reply for what the provider said of the (locked) dispute `current` under
    `key`, in the caller's transaction; returns the reply the key holds afterwards.

    Filed, or no longer OPEN (the provider's updates moved it on, so it has the dispute,
    or its owner canceled it): 201 with the dispute. Refused: the dispute is CANCELED, so
    the payment can be disputed again, and the reply is GATEWAY_ERROR. Never sent (the
    deadline was spent before any attempt): CANCELED as well, and GATEWAY_TIMEOUT. A
    filing without an answer has no reply yet (the provider may have it and go on to
    decide it): the dispute stays OPEN, its key in progress, until it is filed again.

    `evidence_sent`: how many evidence texts the provider is known to hold once FILED (the
    filing's own, when it was the dispute's first; 0 when it may have kept an earlier
    filing's: the recovery worker then sends it the evidence in full).
    """
    if filing is FilingStatus.UNKNOWN:
        raise ValueError("a filing without an answer has no reply to store yet")
    held = evidence_sent if filing is FilingStatus.FILED else 0
    if held > current.evidence_forwarded:
        current = replace(current, evidence_forwarded=held)
    if filing is FilingStatus.FILED or current.status is not DisputeStatus.OPEN:
        response = encoder.dispute(current, status_code=201)
    else:
        canceled = current.cancel(at)
        await book.save(canceled, dispute_event(canceled, event_id=ids.new_id(), at=at))
        error: GatewayError | GatewayTimeout = (
            GatewayTimeout(
                "no time was left to file the dispute with the provider; it was canceled",
                dispute_id=str(current.id),
            )
            if filing is FilingStatus.NOT_SENT
            else GatewayError(
                "the provider did not accept the dispute; it was canceled",
                dispute_id=str(current.id),
            )
        )
        response = encoder.failed(error)
    await book.filing_answered(current.id, evidence_held=held)
    return await replies.complete(current.user_id, key, response, at)
