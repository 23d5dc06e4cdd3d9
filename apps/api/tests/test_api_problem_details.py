"""Every error code in both formats: the default envelope, and RFC 9457 problem details for
a client sending `Accept: application/problem+json`; the two always say the same thing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Final

import httpx
import pytest
from wallet_api.errors.registry import (
    HEADERS_TOO_LARGE,
    HTTP_STATUS,
    REQUEST_TIMEOUT,
    SERVER_BUSY,
)
from wallet_api_testkit import PROVIDER_ID, Api, CrashingGatewayProvider, StartApi, new_key
from wallet_infra.problem_details import wants_problem_details
from wallet_testkit.polling import eventually

PROBLEM: Final = {"Accept": "application/problem+json"}
Case = Callable[[Api, StartApi, dict[str, str]], Awaitable[httpx.Response]]


def _payment(reference: str, amount: int = 100) -> dict[str, Any]:
    return {
        "provider_id": PROVIDER_ID,
        "external_reference": reference,
        "amount": amount,
        "currency": "USD",
    }


async def _pay(
    api: Api, user_id: str, body: dict[str, Any], headers: dict[str, str], key: str | None = None
) -> httpx.Response:
    return await api.client.post(
        f"/wallets/{user_id}/payments",
        json=body,
        headers={**headers, "Idempotency-Key": key or new_key()},
    )


async def validation_error(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    return await api.client.post("/wallets", json={"user_id": "no spaces"}, headers=headers)


async def unauthorized(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    return await api.client.get("/providers", headers={**headers, "X-API-Key": "wrong"})


async def payment_declined(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    user_id = await api.funded_wallet(1_000)
    return await _pay(api, user_id, _payment("mock:declined:bill"), headers)


async def not_found(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    return await api.client.get("/wallets/nobody-here/balance", headers=headers)


async def method_not_allowed(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    return await api.client.delete("/providers", headers=headers)


async def insufficient_funds(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    user_id = await api.funded_wallet(10)
    return await _pay(api, user_id, _payment("bill"), headers)


async def wallet_already_exists(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    user_id = await api.create_wallet()
    return await api.client.post("/wallets", json={"user_id": user_id}, headers=headers)


async def idempotency_in_progress(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    user_id, key = await api.funded_wallet(1_000), new_key()
    first = asyncio.create_task(_pay(api, user_id, _payment("mock:timeout:bill"), {}, key))

    async def debited() -> bool:
        return (await api.balances(user_id))["USD"]["pending"] == 100

    await eventually(debited, timeout_s=10)
    second = await _pay(api, user_id, _payment("mock:timeout:bill"), headers, key)
    await first
    return second


async def payload_too_large(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    body = b'{"user_id": "' + b"a" * 20_000 + b'"}'
    return await api.client.post(
        "/wallets", content=body, headers={**headers, "Content-Type": "application/json"}
    )


async def idempotency_key_reused(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    user_id, key = await api.funded_wallet(1_000), new_key()
    await _pay(api, user_id, _payment("bill"), {}, key)
    return await _pay(api, user_id, _payment("bill", amount=101), headers, key)


async def rate_limited(_: Api, start_api: StartApi, headers: dict[str, str]) -> httpx.Response:
    async with start_api(rate_limit_per_s=0.01, rate_limit_burst=1) as limited:
        await limited.client.get("/providers")
        return await limited.client.get("/providers", headers=headers)


async def internal(api: Api, start_api: StartApi, headers: dict[str, str]) -> httpx.Response:
    user_id = await api.funded_wallet(1_000)
    async with start_api(extra_providers=(CrashingGatewayProvider(),)) as crashing:
        return await _pay(crashing, user_id, _payment("bill"), headers)


async def gateway_error(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    user_id = await api.funded_wallet(1_000)
    return await _pay(api, user_id, _payment("mock:error:bill"), headers)


async def gateway_unavailable(
    api: Api, start_api: StartApi, headers: dict[str, str]
) -> httpx.Response:
    user_id = await api.funded_wallet(1_000)
    async with start_api(
        gateway_breaker_failure_threshold=1, gateway_breaker_recovery_s=60
    ) as fragile:
        await _pay(fragile, user_id, _payment("mock:error:bill"), {})  # opens the circuit
        return await _pay(fragile, user_id, _payment("bill"), headers)


async def invalid_state(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    user_id = await api.funded_wallet(1_000)
    hold = await api.hold(user_id, 100)
    path = f"/wallets/{user_id}/holds/{hold.json()['id']}"
    await api.client.post(f"{path}/revert")
    return await api.client.post(f"{path}/complete", headers=headers)


async def precondition_failed(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    user_id = await api.funded_wallet(1_000)
    return await _pay(api, user_id, _payment("bill"), {**headers, "If-Match": '"v0"'})


async def gateway_timeout(api: Api, _: StartApi, headers: dict[str, str]) -> httpx.Response:
    user_id = await api.funded_wallet(1_000)
    return await _pay(api, user_id, _payment("mock:timeout:bill"), headers)


CASES: Final[dict[str, Case]] = {
    "VALIDATION_ERROR": validation_error,
    "UNAUTHORIZED": unauthorized,
    "PAYMENT_DECLINED": payment_declined,
    "NOT_FOUND": not_found,
    "METHOD_NOT_ALLOWED": method_not_allowed,
    "INSUFFICIENT_FUNDS": insufficient_funds,
    "WALLET_ALREADY_EXISTS": wallet_already_exists,
    "IDEMPOTENCY_IN_PROGRESS": idempotency_in_progress,
    "PAYLOAD_TOO_LARGE": payload_too_large,
    "IDEMPOTENCY_KEY_REUSED": idempotency_key_reused,
    "RATE_LIMITED": rate_limited,
    "INTERNAL": internal,
    "GATEWAY_ERROR": gateway_error,
    "GATEWAY_UNAVAILABLE": gateway_unavailable,
    "GATEWAY_TIMEOUT": gateway_timeout,
    "INVALID_STATE": invalid_state,
    "PRECONDITION_FAILED": precondition_failed,
}


# The HTTP server's own refusals are sent before the app (and its middlewares) runs, on a
# connection it then closes: always in the envelope (apps/api/tests/test_api_server_limits.py).
SERVER_REFUSALS: Final = frozenset({HEADERS_TOO_LARGE, REQUEST_TIMEOUT, SERVER_BUSY})


def test_every_error_code_the_app_answers_has_a_case() -> None:
    assert set(CASES) == {str(code) for code in HTTP_STATUS} - SERVER_REFUSALS


@pytest.mark.parametrize("code", sorted(CASES))
async def test_each_error_in_both_formats(api: Api, start_api: StartApi, code: str) -> None:
    make = CASES[code]
    plain = await make(api, start_api, {})
    problem = await make(api, start_api, PROBLEM)

    status = HTTP_STATUS[code]
    assert (plain.status_code, problem.status_code) == (status, status)
    assert plain.headers["content-type"] == "application/json"
    assert problem.headers["content-type"] == "application/problem+json"
    assert plain.headers.get("retry-after") == problem.headers.get("retry-after")
    error = plain.json()["error"]
    body = problem.json()
    assert body == {
        "type": f"urn:wallet:problem:{code.lower().replace('_', '-')}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "detail": error["message"],
        "instance": str(problem.request.url.path),
        "code": code,
        "details": _same_shape(body["details"], error["details"]),
    }
    assert int(problem.headers["content-length"]) == len(problem.content)


def _same_shape(problem_details: dict[str, Any], envelope_details: dict[str, Any]) -> Any:
    """Details name the same fields; ids inside (a payment id) differ between the runs."""
    assert problem_details.keys() == envelope_details.keys()
    return problem_details


async def test_a_replayed_error_is_given_in_the_format_asked_for(api: Api) -> None:
    user_id, key = await api.funded_wallet(1_000), new_key()
    first = await _pay(api, user_id, _payment("mock:declined:bill"), {}, key)

    replay = await _pay(api, user_id, _payment("mock:declined:bill"), PROBLEM, key)

    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["content-type"] == "application/problem+json"
    assert replay.json()["details"] == first.json()["error"]["details"]
    again = await _pay(api, user_id, _payment("mock:declined:bill"), {}, key)
    assert again.content == first.content  # the stored reply itself never changes


async def test_success_responses_are_untouched(api: Api) -> None:
    response = await api.client.get("/providers", headers=PROBLEM)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        (b"application/problem+json", True),
        (b"application/json, application/problem+json;q=0.5", True),
        (b"Application/Problem+JSON", True),
        (b"application/problem+json;q=0", False),
        (b"application/problem+json;q=zero", False),
        (b"application/json", False),
        (b"*/*", False),
    ],
)
def test_accept_header_negotiation(accept: bytes, wanted: bool) -> None:
    assert wants_problem_details(accept) is wanted


def test_the_openapi_document_offers_both_formats(api: Api) -> None:
    document = api.app.openapi()
    responses = document["paths"]["/wallets/{user_id}/payments"]["post"]["responses"]
    content = responses["409"]["content"]
    assert content["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
    assert content["application/problem+json"]["schema"]["$ref"].endswith("/ProblemDetails")
    assert "ProblemDetails" in document["components"]["schemas"]
