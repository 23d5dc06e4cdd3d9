"""Reading the gateway's non-5xx answers. Anything unexpected reads as "we don't know"."""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

import httpx
import orjson
from wallet_domain.ports.payment_gateway import (
    ChargeStatus,
    EvidenceStatus,
    FilingStatus,
    LookupStatus,
    WithdrawalStatus,
)

_CHARGE: Final = {"approved": ChargeStatus.APPROVED, "declined": ChargeStatus.DECLINED}
_LOOKUP: Final = {"approved": LookupStatus.APPROVED, "declined": LookupStatus.DECLINED}


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object (orjson: a tenth of `response.json()`'s CPU; JSON between
    systems is UTF-8, RFC 8259), else None."""
    try:
        data = orjson.loads(response.content)
    except orjson.JSONDecodeError:  # not JSON, or not UTF-8 text at all
        return None
    return data if isinstance(data, dict) else None


def _decision(response: httpx.Response, payment_id: UUID) -> str | None:
    """The status of a 2xx answer about *this* payment, else None."""
    if not response.is_success:
        return None
    data = _json_object(response)
    if data is None or data.get("payment_id") != str(payment_id):
        return None
    status = data.get("status")
    return status if isinstance(status, str) else None


def charge_status(response: httpx.Response, payment_id: UUID) -> ChargeStatus:
    """approved/declined as such; a 4xx or garbage may hide a charge, so UNKNOWN (looked up)."""
    return _CHARGE.get(_decision(response, payment_id) or "", ChargeStatus.UNKNOWN)


def undecided(response: httpx.Response, payment_id: UUID) -> bool:
    """The provider's own "not decided yet" about *this* payment: a JSON object naming it
    with status `unknown`, on a 2xx or on the 503 a provider holding the charge answers
    (docs/mock_gateway.md). A working provider said it; a 503 without that body (a proxy,
    an overloaded provider) names no payment and stays a server error."""
    if not (response.is_success or response.status_code == 503):
        return False
    data = _json_object(response)
    return (
        data is not None
        and data.get("payment_id") == str(payment_id)
        and data.get("status") == "unknown"
    )


def lookup_status(response: httpx.Response, payment_id: UUID) -> LookupStatus:
    """NOT_CHARGED only on the gateway's own 404 body; a bare 404 (wrong URL, a proxy)
    proves nothing, and a wrong NOT_CHARGED would refund a charged payment. PENDING only on
    the provider's own `undecided` answer; anything else unreadable is UNKNOWN."""
    if response.status_code == 404:
        data = _json_object(response)
        if data is not None and data.get("status") == "not_found":
            return LookupStatus.NOT_CHARGED
        return LookupStatus.UNKNOWN
    if undecided(response, payment_id):
        return LookupStatus.PENDING
    return _LOOKUP.get(_decision(response, payment_id) or "", LookupStatus.UNKNOWN)


def dispute_found(response: httpx.Response, dispute_id: UUID) -> FilingStatus:
    """FAILED (the provider has no such dispute) only on the gateway's own 404 body, as a
    lookup's NOT_CHARGED: a wrong one would let a dispute the provider has be filed anew
    or canceled. A 2xx naming it is FILED; anything else is UNKNOWN."""
    if response.status_code == 404:
        data = _json_object(response)
        if data is not None and data.get("status") == "not_found":
            return FilingStatus.FAILED
        return FilingStatus.UNKNOWN
    data = _json_object(response) if response.is_success else None
    if data is not None and data.get("dispute_id") == str(dispute_id):
        return FilingStatus.FILED
    return FilingStatus.UNKNOWN


def filing_status(response: httpx.Response, dispute_id: UUID) -> FilingStatus:
    """A 2xx naming this dispute is FILED. FAILED only on the provider's own refusal of
    the request: its 404 `payment_not_found`, or a 400/422 with its `error` body (a
    request it will never take, with this key or any other). Any other answer may hide a
    filing, e.g. a retry after an attempt that timed out answered 409 "in flight", 429 or
    a proxy's bare 404: a wrong FAILED cancels a dispute the provider has (UNKNOWN)."""
    data = _json_object(response)
    if response.is_success:
        if data is not None and data.get("dispute_id") == str(dispute_id):
            return FilingStatus.FILED
        return FilingStatus.UNKNOWN
    if data is not None:
        if response.status_code == 404 and data.get("status") == "payment_not_found":
            return FilingStatus.FAILED
        if response.status_code in (400, 422) and isinstance(data.get("error"), str):
            return FilingStatus.FAILED
    return FilingStatus.UNKNOWN


def _dispute_refusal(response: httpx.Response, data: dict[str, Any]) -> str | None:
    """The gateway's own refusal of a change to a dispute: `not_found` (its 404 body: no
    such dispute) or `moved_on` (its 409 naming the dispute's status); None for anything
    else (a proxy's bare 404, a 409 "in flight" say nothing)."""
    if response.status_code == 404 and data.get("status") == "not_found":
        return "not_found"
    if response.status_code == 409 and isinstance(data.get("status"), str):
        return "moved_on"
    return None


def withdrawal_status(response: httpx.Response, dispute_id: UUID) -> WithdrawalStatus:
    """A 2xx naming this dispute as canceled is WITHDRAWN. NOT_FILED only on the gateway's
    own 404 body (a proxy's bare 404 says nothing), DECIDED only on its own 409 naming the
    status the dispute is in. Anything else may hide a withdrawal: UNKNOWN."""
    data = _json_object(response)
    if data is None:
        return WithdrawalStatus.UNKNOWN
    if response.is_success:
        if data.get("dispute_id") == str(dispute_id) and data.get("status") == "canceled":
            return WithdrawalStatus.WITHDRAWN
        return WithdrawalStatus.UNKNOWN
    refusal = _dispute_refusal(response, data)
    if refusal == "not_found":
        return WithdrawalStatus.NOT_FILED
    if refusal == "moved_on":
        return WithdrawalStatus.DECIDED
    return WithdrawalStatus.UNKNOWN


def evidence_status(response: httpx.Response, dispute_id: UUID, sent: int) -> EvidenceStatus:
    """A 2xx naming this dispute and holding at least the `sent` texts is HELD. REFUSED
    only on the gateway's own answers: its 404 body (no such dispute) or a 409 naming the
    dispute's status (past review, withdrawn, or texts not where they were sent). Anything
    else says nothing of what it holds: UNKNOWN (sent again later)."""
    data = _json_object(response)
    if data is None:
        return EvidenceStatus.UNKNOWN
    if response.is_success:
        evidence = data.get("evidence")
        if (
            data.get("dispute_id") == str(dispute_id)
            and isinstance(evidence, list)
            and len(evidence) >= sent
        ):
            return EvidenceStatus.HELD
        return EvidenceStatus.UNKNOWN
    if _dispute_refusal(response, data) is not None:
        return EvidenceStatus.REFUSED
    return EvidenceStatus.UNKNOWN
