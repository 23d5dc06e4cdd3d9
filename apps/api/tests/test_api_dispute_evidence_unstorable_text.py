"""Evidence texts are client input like `reason`: a text PostgreSQL cannot store (a NUL,
`\\u0000`, or a lone UTF-16 surrogate, `\\ud800`, both valid JSON escapes) must be a
400 VALIDATION_ERROR, as it is for `reason`, `reference` and `external_reference`, not a
500 INTERNAL whose database error lands in the server log. Evidence is prose, so
newlines and tabs stay allowed (packages/domain/tests/test_domain_dispute_model.py)."""

from __future__ import annotations

import pytest
from dispute_kit import approved_payment, opened
from wallet_api_testkit import Api, assert_error, new_key

UNSTORABLE = {
    "nul": b'"receipt \\u0000 #1"',
    "lone_surrogate": b'"receipt \\ud800 #1"',
}


@pytest.mark.parametrize("text", UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_evidence_added_later_with_an_unstorable_text_is_a_400(api: Api, text: bytes) -> None:
    user_id, payment_id = await approved_payment(api)
    dispute_id = await opened(api, user_id, payment_id)

    response = await api.client.post(
        f"/disputes/{dispute_id}/evidence",
        content=b'{"evidence": [' + text + b"]}",
        headers={"Content-Type": "application/json"},
    )

    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("text", UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_a_dispute_opened_with_an_unstorable_evidence_text_is_a_400(
    api: Api, text: bytes
) -> None:
    user_id, payment_id = await approved_payment(api)

    response = await api.client.post(
        f"/wallets/{user_id}/payments/{payment_id}/disputes",
        content=b'{"reason": "not delivered", "evidence": [' + text + b"]}",
        headers={"Content-Type": "application/json", "Idempotency-Key": new_key()},
    )

    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("text", UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_a_reason_with_an_unstorable_text_is_a_400_too(api: Api, text: bytes) -> None:
    """The rule the evidence texts lacked, as `reason` (printable only) had it."""
    user_id, payment_id = await approved_payment(api)

    response = await api.client.post(
        f"/wallets/{user_id}/payments/{payment_id}/disputes",
        content=b'{"reason": ' + text + b"}",
        headers={"Content-Type": "application/json", "Idempotency-Key": new_key()},
    )

    assert_error(response, 400, "VALIDATION_ERROR")
