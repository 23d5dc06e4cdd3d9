"""Provider webhook verification: Standard Webhooks signatures, rotation, decoding."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import orjson
import pytest
from standardwebhooks.webhooks import Webhook
from wallet_domain.errors import ValidationError, WebhookSignatureInvalid
from wallet_domain.model.provider_event import (
    DisputeUpdated,
    PaymentRefunded,
    PaymentSettled,
    ProviderDisputeStatus,
    UnsupportedProviderEvent,
)
from wallet_infra.webhooks.signature import WebhookVerifier

OLD_SECRET = "whsec_" + base64.b64encode(b"old-secret-of-the-provider-32by").decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"new-secret-of-the-provider-32by").decode()


def _body(event_id: str = "evt_1", event_type: str = "payment.settled", **data: object) -> bytes:
    data = data or {"payment_id": str(uuid4()), "status": "approved"}
    return orjson.dumps(
        {
            "provider_event_id": event_id,
            "type": event_type,
            "created_at": "2026-12-06T10:00:00+00:00",
            "data": data,
        }
    )


def _headers(
    body: bytes, *, secret: str = NEW_SECRET, event_id: str = "evt_1", at: datetime | None = None
) -> dict[str, str]:
    at = at or datetime.now(UTC)
    return {
        "Webhook-Id": event_id,
        "Webhook-Timestamp": str(int(at.timestamp())),
        "Webhook-Signature": Webhook(secret).sign(event_id, at, body),
    }


def test_a_body_signed_with_the_configured_secret_verifies_and_decodes() -> None:
    payment_id = uuid4()
    body = _body(payment_id=str(payment_id), status="declined")
    event = WebhookVerifier([NEW_SECRET]).verified_event(body, _headers(body))
    assert event == PaymentSettled(
        provider_event_id="evt_1",
        created_at=datetime(2026, 12, 6, 10, tzinfo=UTC),
        payment_id=payment_id,
        approved=False,
    )


def test_during_a_rotation_either_secret_verifies() -> None:
    verifier = WebhookVerifier([OLD_SECRET, NEW_SECRET])
    body = _body()
    verifier.verify(body, _headers(body, secret=OLD_SECRET))
    verifier.verify(body, _headers(body, secret=NEW_SECRET))


def test_several_signatures_in_the_header_verify_when_one_matches() -> None:
    body = _body()
    headers = _headers(body, secret=NEW_SECRET)
    other = _headers(body, secret=OLD_SECRET)["Webhook-Signature"]
    headers["Webhook-Signature"] = f"{other} {headers['Webhook-Signature']}"
    WebhookVerifier([NEW_SECRET]).verify(body, headers)


@pytest.mark.parametrize(
    "case",
    ["tampered body", "wrong secret", "old timestamp", "future timestamp", "missing signature"],
)
def test_a_webhook_that_does_not_verify_is_refused(case: str) -> None:
    body = _body()
    now = datetime.now(UTC)
    headers = {
        "tampered body": lambda: _headers(body),
        "wrong secret": lambda: _headers(body, secret=OLD_SECRET),
        "old timestamp": lambda: _headers(body, at=now - timedelta(minutes=6)),
        "future timestamp": lambda: _headers(body, at=now + timedelta(minutes=6)),
        "missing signature": lambda: {
            k: v for k, v in _headers(body).items() if k != "Webhook-Signature"
        },
    }[case]()
    sent = body.replace(b"approved", b"declined") if case == "tampered body" else body
    with pytest.raises(WebhookSignatureInvalid):
        WebhookVerifier([NEW_SECRET]).verified_event(sent, headers)


def test_a_timestamp_within_five_minutes_verifies() -> None:
    body = _body()
    at = datetime.now(UTC) - timedelta(minutes=4)
    WebhookVerifier([NEW_SECRET]).verify(body, _headers(body, at=at))


def test_a_body_naming_another_event_id_than_its_header_is_invalid() -> None:
    body = _body(event_id="evt_body")
    with pytest.raises(ValidationError) as refused:
        WebhookVerifier([NEW_SECRET]).verified_event(body, _headers(body, event_id="evt_header"))
    assert "webhook-id" in refused.value.details["reason"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"provider_event_id": "evt_1", "type": "payment.settled"}',
        _body(payment_id="not-a-uuid", status="approved"),
        _body(payment_id=str(uuid4()), status="maybe"),
        _body(event_type="payment.refunded", payment_id=str(uuid4()), amount=0),
        _body(event_type="payment.refunded", payment_id=str(uuid4()), amount="10"),
        _body(event_type="dispute.updated", dispute_id=str(uuid4()), status="WON"),
        orjson.dumps(
            {
                "provider_event_id": "evt_1",
                "type": "x",
                "created_at": "2026-12-06T10:00:00",
                "data": {},
            }
        ),
        # Deeper than msgspec reads (it raises RecursionError, not a DecodeError).
        _body(anything="X").replace(b'"X"', b"[" * 2_000 + b"]" * 2_000),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "missing-fields",
        "bad-uuid",
        "bad-status",
        "zero-refund",
        "string-amount",
        "upper-case-dispute-status",
        "naive-created-at",
        "nested-too-deeply",
    ],
)
def test_a_well_signed_body_that_is_not_a_provider_event_is_invalid(body: bytes) -> None:
    with pytest.raises(ValidationError):
        WebhookVerifier([NEW_SECRET]).verified_event(body, _headers(body))


def test_each_event_type_decodes_to_its_domain_value() -> None:
    payment_id, dispute_id = uuid4(), uuid4()
    verifier = WebhookVerifier([NEW_SECRET])
    refund = _body(event_type="payment.refunded", payment_id=str(payment_id), amount=250)
    dispute = _body(event_type="dispute.updated", dispute_id=str(dispute_id), status="won")
    other = _body(event_type="charge.captured", anything="goes")
    assert verifier.verified_event(refund, _headers(refund)) == PaymentRefunded(
        provider_event_id="evt_1",
        created_at=datetime(2026, 12, 6, 10, tzinfo=UTC),
        payment_id=payment_id,
        amount=250,
    )
    decoded_dispute = verifier.verified_event(dispute, _headers(dispute))
    assert isinstance(decoded_dispute, DisputeUpdated)
    assert decoded_dispute.status is ProviderDisputeStatus.WON
    unsupported = verifier.verified_event(other, _headers(other))
    assert isinstance(unsupported, UnsupportedProviderEvent)
    assert unsupported.type == "charge.captured"


def test_a_verifier_without_secrets_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookVerifier([])
