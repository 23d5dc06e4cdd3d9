"""Fuzz the live API against its own OpenAPI document (schemathesis).

The real `make_app` serves on a free port under uvicorn (its own thread and event loop,
lifespan included) against the test database, with the gateway client talking to an
in-process mock gateway. Every operation gets a bounded number of generated requests,
valid and invalid; each response must be no 5xx, and its status code, content type,
headers and body must be the ones the document declares. Valid requests must not be
refused as invalid, invalid ones must be refused.

Where JSON Schema cannot say what the API means, the run is told instead:
- generated strings are ASCII: the domain's "printable" rule (str.isprintable) has an
  exact pattern only over ASCII;
- unknown query parameters are not generated: the API ignores them (unknown *body*
  fields are refused; apps/api/tests cover that);
- a whole float amount (`2500.0`) is sent as an integer: JSON Schema counts `2500.0` as an
  integer, the API refuses it on purpose (amounts are never floats);
- a transfer from a wallet to itself is refused (400): JSON Schema cannot compare two
  fields, so a generated transfer whose two user ids are equal gets another receiver
  (and `POST /transfers` skips the coverage phase, which does not run that hook);
- valid requests may meet the documented 402 (a `mock:declined:` reference) and 422 (a
  generated Idempotency-Key that repeats with another body), so those count as accepted.

Random data rarely gets past "no such wallet" or "no such provider", so every outcome a
payment can have (201, 402, 409, 502, 504 refunded and pending) is also sent on purpose,
to a funded wallet through the mock gateway's modes, and validated the same way (a 502 or
504 there is the gateway's failure, documented, so only the "no 5xx" check is skipped).
"""

from __future__ import annotations

import importlib
import sys

# With --import-mode=importlib pytest may register the mock_gateway/ *directory* as a
# namespace package, hiding the installed one (see apps/api/tests/conftest.py).
if getattr(sys.modules.get("mock_gateway"), "__file__", "") is None:
    del sys.modules["mock_gateway"]
    importlib.import_module("mock_gateway")

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, Final

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from wallet_api.main import make_app
from wallet_infra.config.settings import Settings
from wallet_testkit.api import PROVIDER_ID, MockGatewayClientProvider

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

API_KEY: Final = "schemathesis-key"
FUNDS: Final = 1_000_000
MAX_EXAMPLES: Final = 25  # per operation and generation mode: the whole run stays well under 60 s
START_TIMEOUT_S: Final = 20.0
FAST_GATEWAY: Final[dict[str, Any]] = {
    "gateway_connect_timeout_s": 0.05,
    "gateway_attempt_timeout_s": 0.1,
    "gateway_max_attempts": 2,
    "gateway_retry_budget_s": 0.5,
    "gateway_backoff_initial_s": 0.01,
    "gateway_backoff_max_s": 0.02,
    "gateway_backoff_jitter_s": 0.0,
}


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        """pytest owns the signals; this server runs in a worker thread."""


@pytest.fixture(scope="module")
def live_api(private_database_url: str) -> Iterator[str]:
    """Base URL of the real app served by uvicorn on a free local port, on a database of
    this test session's own: the generated wallets and keys ("0", ...) repeat from run to
    run, and a key answered by an older version would replay that version's reply."""
    settings_ = Settings.model_validate(
        {
            "database_url": private_database_url,
            "api_keys": API_KEY,
            "log_level": "error",
            "recovery_enabled": False,
            # Deterministic outcomes: no 429 from the burst of generated requests, no 503
            # from a breaker opened by the failure modes sent on purpose.
            "rate_limit_per_s": 0,
            # Nor from the checks that send missing and wrong keys on purpose, all from
            # this one address.
            "auth_failure_burst": 0,
            "gateway_breaker_failure_threshold": 1_000,
            **FAST_GATEWAY,
        }
    )
    mock = create_mock_gateway(MockGatewaySettings(hang_s=0.3))
    app = make_app(MockGatewayClientProvider(mock), settings=settings_)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = _ThreadServer(
        uvicorn.Config(app, lifespan="on", log_config=None, access_log=False, loop="asyncio")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the API did not start under uvicorn")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


CONFIG: Final = schemathesis.Config.from_dict(
    {
        "generation": {"codec": "ascii", "allow-extra-parameters": False},
        "auth": {"openapi": {"ApiKey": {"api_key": API_KEY}}},
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "402", "404", "409", "422", "429"],
            },
        },
        # The coverage phase builds its cases without the hooks below, so it would send a
        # transfer from a wallet to itself as valid (see the module docstring).
        "operations": [
            {
                "include-path": "/transfers",
                "include-method": "POST",
                "phases": {"coverage": {"enabled": False}},
            }
        ],
    }
)


def _document() -> dict[str, Any]:
    """The app's OpenAPI document; it depends on no setting, so defaults will do."""
    return make_app(settings=Settings.model_validate({})).openapi()


schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


@schema.hook
def map_body(context: schemathesis.HookContext, body: Any) -> Any:
    """`2500.0` -> `2500` (amounts, a hold's expiry), and two sides to a transfer: see the
    module docstring."""
    if not isinstance(body, dict):
        return body
    for name in ("amount", "expires_in_s"):  # the integer fields of the request bodies
        value = body.get(name)
        if isinstance(value, float) and value.is_integer():
            body = {**body, name: int(value)}
    return _two_sides(body)


def _two_sides(body: dict[str, Any]) -> dict[str, Any]:
    """A transfer body naming one wallet twice names another receiver of the same shape
    (the last character changed), so whatever else made it valid or invalid stays so."""
    sender, receiver = body.get("from_user_id"), body.get("to_user_id")
    if not isinstance(sender, str) or sender != receiver or not sender:
        return body
    return {**body, "to_user_id": sender[:-1] + ("b" if sender.endswith("a") else "a")}


def test_live_app_serves_the_fuzzed_document(live_api: str) -> None:
    served = httpx.get(f"{live_api}/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == _document()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_api_conforms_to_its_openapi(case: schemathesis.Case[Any], live_api: str) -> None:
    case.call_and_validate(base_url=live_api, timeout=10)


@pytest.fixture(scope="module")
def funded_wallet(live_api: str) -> str:
    user_id = f"fuzz-{uuid.uuid4().hex[:12]}"
    headers = {"X-API-Key": API_KEY}
    with httpx.Client(base_url=live_api, headers=headers, timeout=10) as client:
        assert client.post("/wallets", json={"user_id": user_id}).status_code == 201
        deposit = client.post(
            f"/wallets/{user_id}/deposits",
            json={"amount": FUNDS, "currency": "USD"},
            headers={"Idempotency-Key": "seed"},
        )
        assert deposit.status_code == 201
    return user_id


@pytest.mark.parametrize(
    ("external_reference", "amount", "status", "resolution"),
    [
        ("bill-1", 100, 201, None),
        ("mock:declined:bill-2", 100, 402, None),
        ("mock:error:bill-3", 100, 502, "refunded"),
        ("mock:timeout:bill-4", 100, 504, "refunded"),
        ("mock:charged_timeout:bill-5", 100, 201, None),
        ("mock:unknown:bill-6", 100, 504, "pending"),
        ("bill-7", FUNDS * 10, 409, None),
    ],
)
def test_every_payment_outcome_conforms(
    live_api: str,
    funded_wallet: str,
    external_reference: str,
    amount: int,
    status: int,
    resolution: str | None,
) -> None:
    pay = schema["/wallets/{user_id}/payments"]["POST"].Case(
        path_parameters={"user_id": funded_wallet},
        headers={"X-API-Key": API_KEY, "Idempotency-Key": uuid.uuid4().hex},
        body={
            "provider_id": PROVIDER_ID,
            "external_reference": external_reference,
            "amount": amount,
            "currency": "USD",
        },
    )
    # A 502/504 is the documented answer to a failing gateway, not the API's own error;
    # every other check (status documented, body and headers as documented) still runs.
    upstream: list[schemathesis.CheckFunction] = [not_a_server_error] if status >= 500 else []
    response = pay.call_and_validate(base_url=live_api, timeout=10, excluded_checks=upstream)
    assert response.status_code == status, response.text
    body = response.json()
    if resolution is not None:
        assert body["error"]["details"]["resolution"] == resolution
    if status in (201, 402, 502, 504):
        payment_id = body["id"] if status == 201 else body["error"]["details"]["payment_id"]
        lookup = schema["/wallets/{user_id}/payments/{payment_id}"]["GET"].Case(
            path_parameters={"user_id": funded_wallet, "payment_id": payment_id},
            headers={"X-API-Key": API_KEY},
        )
        assert lookup.call_and_validate(base_url=live_api, timeout=10).status_code == 200
