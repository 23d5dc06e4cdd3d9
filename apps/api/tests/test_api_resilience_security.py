"""Security limits the other modules leave out: wallet scoping on routes and methods beyond
the documented ones, the body limit at its exact boundary, and the leak recorder that
checks every error response of the session (conftest's `no_error_response_leaks`)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import httpx
import pytest
from wallet_api_testkit import (
    ERROR_RESPONSES,
    PROVIDER_ID,
    SCOPED_KEY,
    Api,
    StartApi,
    assert_error,
    leaking_error_responses,
    new_key,
    new_user_id,
    record_error_response,
)

SCOPED = {"X-API-Key": SCOPED_KEY}


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("GET", "/"),
        ("DELETE", ""),
        ("PUT", "/balance"),
        ("GET", "/balance/"),
        ("GET", "/transactions?limit=1&type=PAYMENT"),
        ("GET", "/unknown-route"),
        ("PATCH", "/payments"),
    ],
)
async def test_scoped_key_gets_404_on_any_path_under_another_wallet(
    api: Api, method: str, suffix: str
) -> None:
    other = await api.funded_wallet(100)
    response = await api.client.request(method, f"/wallets/{other}{suffix}", headers=SCOPED)
    error = assert_error(response, 404, "NOT_FOUND")
    assert error["details"] == {"user_id": other}


async def test_scoped_key_cannot_create_another_users_wallet(api: Api) -> None:
    existing, fresh = await api.create_wallet(), new_user_id()
    for user_id in (existing, fresh):
        response = await api.client.post("/wallets", json={"user_id": user_id}, headers=SCOPED)
        assert_error(response, 404, "NOT_FOUND")
    assert (await api.client.get(f"/wallets/{fresh}/balance")).status_code == 404


def _payment_of_size(size: int) -> bytes:
    """A valid payment body of exactly `size` bytes (padded in external_reference)."""
    body = {"provider_id": PROVIDER_ID, "external_reference": "", "amount": 1, "currency": "USD"}
    padding = size - len(json.dumps(body, separators=(",", ":")).encode())
    body["external_reference"] = "r" * padding
    raw = json.dumps(body, separators=(",", ":")).encode()
    assert len(raw) == size
    return raw


async def test_body_limit_is_exact_and_a_refusal_keeps_the_key(start_api: StartApi) -> None:
    limit = 200
    async with start_api(max_body_bytes=limit) as api:
        user_id = await api.funded_wallet(1_000)
        key = new_key()
        headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
        too_big = await api.client.post(
            f"/wallets/{user_id}/payments", content=_payment_of_size(limit + 1), headers=headers
        )
        error = assert_error(too_big, 413, "PAYLOAD_TOO_LARGE")
        assert error["details"] == {"max_bytes": limit}
        assert await api.balances(user_id) == {"USD": {"available": 1_000, "pending": 0}}

        at_limit = await api.client.post(
            f"/wallets/{user_id}/payments", content=_payment_of_size(limit), headers=headers
        )
        assert at_limit.status_code == 201, at_limit.text
        assert "Idempotent-Replayed" not in at_limit.headers


async def test_the_leak_recorder_sees_error_responses_and_flags_leaks(api: Api) -> None:
    before = len(ERROR_RESPONSES)
    assert_error(await api.client.get(f"/wallets/{new_user_id()}/balance"), 404, "NOT_FOUND")
    assert len(ERROR_RESPONSES) == before + 1, "the API client's hook recorded it"

    planted = [
        httpx.Response(500, text='Traceback (most recent call last):\n  File "x.py"'),
        httpx.Response(400, text='{"error": "SELECT * FROM transactions"}'),
        httpx.Response(401, headers={"X-Echo": SCOPED_KEY}),
    ]
    for response in planted:
        response.request = httpx.Request("GET", "http://api/planted")
        await record_error_response(response)
    try:
        flagged = {marker for _, _, marker in leaking_error_responses()}
        assert {"Traceback", 'File "', "SELECT ", SCOPED_KEY} <= flagged
    finally:
        del ERROR_RESPONSES[-len(planted) :]  # planted on purpose: not the session's leaks


_CRASH_LOG = textwrap.dedent(
    """
    import structlog
    from wallet_infra.logging_setup import configure_logging
    configure_logging(log_format="{fmt}", log_level="info")

    def handle(headers):
        raise RuntimeError("boom")

    try:
        handle([(b"x-api-key", b"sk-local-variable-secret")])
    except RuntimeError:
        structlog.get_logger("t").exception("unhandled_error")
    """
)


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_logged_tracebacks_show_no_local_variables(fmt: str) -> None:
    """A traceback logged while handling a request must not print its locals: they hold
    the request's headers, the API key among them."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _CRASH_LOG.format(fmt=fmt)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "RuntimeError" in done.stderr  # the traceback is there...
    assert "sk-local-variable-secret" not in done.stderr  # ...its locals are not
