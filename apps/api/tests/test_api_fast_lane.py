"""The fast lane through the real app: a plain payment or balance read is answered
without FastAPI's route; any request the lane does not take reaches that route with its
body intact and gets the route's own answer (its own validation errors included)."""

from __future__ import annotations

import inspect
import json
import sys
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from dishka import AsyncContainer, Scope
from fastapi.routing import APIRoute
from prometheus_client import REGISTRY
from starlette.responses import Response
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope
from wallet_api.fast_lane.install import LANES
from wallet_api.fast_lane.lane import LaneHandler, LaneRequest
from wallet_api.routes import ROUTERS
from wallet_api.routes.payments import UnconditionalPay
from wallet_api_testkit import PROVIDER_ID, Api, assert_error, new_key, wallet_etag
from wallet_domain.deadline import Deadline
from wallet_domain.model.idempotency import Reply
from wallet_domain.use_cases.pay import Pay, PayRequest

PAYMENTS = "/wallets/{user_id}/payments"
BALANCE = "/wallets/{user_id}/balance"
HISTORY = "/wallets/{user_id}/transactions"
RouteCalls = Callable[[str, str], list[AsgiScope]]


@pytest.fixture
def route_calls(monkeypatch: pytest.MonkeyPatch) -> RouteCalls:
    """`route_calls(method, path)`: the requests FastAPI's own route for them handles from
    now on (the routes are shared by every app of the process; monkeypatch restores)."""

    def counting(method: str, path: str) -> list[AsgiScope]:
        route = next(
            r
            for router in ROUTERS
            for r in router.routes
            if isinstance(r, APIRoute) and r.path == path and method in (r.methods or ())
        )
        calls: list[AsgiScope] = []
        inner = route.app

        async def counted(scope: AsgiScope, receive: Receive, send: Send) -> None:
            calls.append(scope)
            await inner(scope, receive, send)

        monkeypatch.setattr(route, "app", counted)
        return calls

    return counting


def _payment(amount: int = 100, **changes: Any) -> dict[str, Any]:
    return {
        "provider_id": PROVIDER_ID,
        "external_reference": "bill-lane",
        "amount": amount,
        "currency": "USD",
        **changes,
    }


async def test_a_plain_payment_and_its_replay_skip_fastapis_route(
    api: Api, route_calls: RouteCalls
) -> None:
    user_id = await api.funded_wallet(1000)
    calls = route_calls("POST", PAYMENTS)
    key = new_key()
    first = await api.pay(user_id, 300, key=key)
    replay = await api.pay(user_id, 300, key=key)
    assert first.status_code == replay.status_code == 201, first.text
    assert replay.content == first.content
    assert replay.headers["Idempotent-Replayed"] == "true"
    spelled = await api.client.post(
        f"/wallets/{user_id}/payments",
        content=json.dumps(_payment()).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": new_key()},
    )
    assert spelled.status_code == 201, spelled.text
    assert calls == []


async def test_a_payment_in_the_lane_keeps_its_route_in_the_http_metrics(api: Api) -> None:
    labels = {"method": "POST", "route": PAYMENTS, "status": "201"}
    before = REGISTRY.get_sample_value("http_requests_total", labels) or 0.0
    user_id = await api.funded_wallet(1000)
    assert (await api.pay(user_id, 100, key=new_key())).status_code == 201
    assert REGISTRY.get_sample_value("http_requests_total", labels) == before + 1


async def test_domain_errors_in_the_lane_are_the_routes_envelopes(
    api: Api, route_calls: RouteCalls
) -> None:
    user_id = await api.funded_wallet(100)
    calls = route_calls("POST", PAYMENTS)
    assert_error(await api.pay(user_id, 500, key=new_key()), 409, "INSUFFICIENT_FUNDS")
    missing_key = await api.client.post(f"/wallets/{user_id}/payments", json=_payment())
    assert_error(missing_key, 400, "VALIDATION_ERROR")
    no_amount = await api.client.post(
        f"/wallets/{user_id}/payments", json=_payment(amount=0), headers={"Idempotency-Key": "k"}
    )
    assert assert_error(no_amount, 400, "VALIDATION_ERROR")["details"]["field"] == "amount"
    assert calls == []


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        # FastAPI reads these as JSON too: the route answers, as it always did.
        ("application/json;charset=UTF-8", json.dumps(_payment()), 201, None),
        ("application/vnd.wallet+json", json.dumps(_payment()), 201, None),
        # Refused by the route's own validation, with its field-level details.
        ("application/json", '{"amount": 1, "amount": 2}', 400, "VALIDATION_ERROR"),
        ("application/json", json.dumps(_payment(amount="1")), 400, "VALIDATION_ERROR"),
        ("application/json", json.dumps(_payment(extra=1)), 400, "VALIDATION_ERROR"),
        ("application/json", "{not json", 400, "VALIDATION_ERROR"),
        ("application/json", "", 400, "VALIDATION_ERROR"),
        ("text/plain", json.dumps(_payment()), 400, "VALIDATION_ERROR"),
    ],
)
async def test_a_payment_the_lane_does_not_take_gets_the_routes_answer(
    api: Api, route_calls: RouteCalls, content_type: str, body: str, status: int, code: str | None
) -> None:
    user_id = await api.funded_wallet(1000)
    calls = route_calls("POST", PAYMENTS)
    response = await api.client.post(
        f"/wallets/{user_id}/payments",
        content=body.encode(),
        headers={"Content-Type": content_type, "Idempotency-Key": new_key()},
    )
    assert response.status_code == status, response.text
    if code is not None:
        assert_error(response, status, code)
    assert len(calls) == 1


async def test_a_repeated_header_goes_to_the_route(api: Api, route_calls: RouteCalls) -> None:
    user_id = await api.funded_wallet(1000)
    calls = route_calls("POST", PAYMENTS)
    key = new_key()
    response = await api.client.post(
        f"/wallets/{user_id}/payments",
        content=json.dumps(_payment()).encode(),
        headers=[
            ("Content-Type", "application/json"),
            ("Idempotency-Key", key),
            ("Idempotency-Key", key),
        ],
    )
    assert response.status_code == 201, response.text
    assert len(calls) == 1


async def test_a_plain_balance_read_skips_the_route_and_a_filtered_one_takes_it(
    api: Api, route_calls: RouteCalls
) -> None:
    user_id = await api.wallet_with({"USD": 500, "EUR": 70})
    calls = route_calls("GET", BALANCE)
    plain = await api.client.get(f"/wallets/{user_id}/balance")
    assert plain.status_code == 200
    assert {b["currency"] for b in plain.json()["balances"]} == {"USD", "EUR"}
    assert calls == []
    again = await api.client.get(
        f"/wallets/{user_id}/balance", headers={"If-None-Match": plain.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.headers["ETag"] == plain.headers["ETag"]
    assert calls == []
    filtered = await api.client.get(f"/wallets/{user_id}/balance", params={"currency": "EUR"})
    assert [b["currency"] for b in filtered.json()["balances"]] == ["EUR"]
    assert filtered.headers["ETag"] == plain.headers["ETag"]
    assert len(calls) == 1


async def test_a_history_page_skips_the_route_unless_its_query_is_unusual(
    api: Api, route_calls: RouteCalls
) -> None:
    user_id = await api.wallet_with({"USD": 500, "EUR": 70})
    calls = route_calls("GET", HISTORY)
    path = f"/wallets/{user_id}/transactions"
    everything = await api.client.get(path)
    assert everything.status_code == 200
    assert len(everything.json()["items"]) == 2
    first = await api.client.get(path, params={"limit": "1", "currency": "EUR"})
    [eur] = first.json()["items"]
    assert eur["currency"] == "EUR"
    assert first.json()["next_cursor"] is None
    paged = await api.client.get(path, params={"limit": " 1"})
    assert len(paged.json()["items"]) == 1
    assert calls == []
    # The route answers these, as before: its own errors, unknown parameters ignored.
    assert_error(await api.client.get(path, params={"limit": "one"}), 400, "VALIDATION_ERROR")
    assert_error(await api.client.get(path, params={"limit": "0"}), 400, "VALIDATION_ERROR")
    repeated = await api.client.get(f"{path}?currency=EUR&currency=USD")
    assert repeated.status_code == 200
    unknown = await api.client.get(path, params={"sort": "asc"})
    assert unknown.status_code == 200
    assert len(calls) == 3


async def test_holds_are_created_and_settled_in_the_lane(api: Api, route_calls: RouteCalls) -> None:
    user_id = await api.funded_wallet(1000)
    created = route_calls("POST", "/wallets/{user_id}/holds")
    completed = route_calls("POST", "/wallets/{user_id}/holds/{hold_id}/complete")
    reverted = route_calls("POST", "/wallets/{user_id}/holds/{hold_id}/revert")
    holds = []
    for _ in range(3):
        hold = await api.hold(user_id, 100, key=new_key())
        assert hold.status_code == 201, hold.text
        holds.append(hold.json()["id"])
    base = f"/wallets/{user_id}/holds"
    whole = await api.client.post(f"{base}/{holds[0]}/complete")
    assert (whole.status_code, whole.json()["captured"]) == (200, 100), whole.text
    part = await api.client.post(f"{base}/{holds[1]}/complete", json={"amount": 40})
    assert (part.status_code, part.json()["captured"]) == (200, 40), part.text
    back = await api.client.post(f"{base}/{holds[2]}/revert")
    assert (back.status_code, back.json()["status"]) == (200, "REVERTED"), back.text
    assert created == completed == reverted == []
    # The route's own answers for what the lane does not take.
    malformed = await api.client.post(f"{base}/not-a-uuid/complete")
    assert_error(malformed, 400, "VALIDATION_ERROR")
    as_text = await api.client.post(
        f"{base}/{holds[0]}/complete",
        content=b'{"amount": 1}',
        headers={"Content-Type": "text/plain"},
    )
    assert_error(as_text, 400, "VALIDATION_ERROR")
    assert len(completed) == 2


async def test_a_payment_without_if_match_is_the_processs_one_pay_and_opens_no_container(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Pay] = []
    opened: list[object] = []
    execute, open_scope = Pay.execute, AsyncContainer.__call__

    async def spied_execute(self: Pay, request: PayRequest) -> Reply:
        served.append(self)
        return await execute(self, request)

    def spied_open(self: AsyncContainer, *args: Any, **kwargs: Any) -> AsyncContainer:
        opened.append(kwargs.get("scope"))
        return open_scope(self, *args, **kwargs)

    monkeypatch.setattr(Pay, "execute", spied_execute)
    monkeypatch.setattr(AsyncContainer, "__call__", spied_open)
    user_id = await api.funded_wallet(1000)
    the_one = await api.app.state.dishka_container.get(UnconditionalPay)
    etag = await wallet_etag(api, user_id)
    opened.clear()

    key = new_key()
    first = await api.pay(user_id, 300, key=key)
    replay = await api.pay(user_id, 300, key=key)
    assert first.status_code == replay.status_code == 201, first.text
    assert served == [the_one, the_one]
    assert opened == []

    # If-Match: the request's own Pay, whose wallet lock lives in the request's transaction.
    conditional = await api.client.post(
        PAYMENTS.format(user_id=user_id),
        json=_payment(),
        headers={"Idempotency-Key": new_key(), "If-Match": etag},
    )
    assert conditional.status_code == 412, conditional.text  # the first payment moved it
    assert served[-1] is not the_one
    assert opened == [Scope.REQUEST]


class _AnyContainer:
    """A request container that hands out a stand-in for whatever is asked of it."""

    async def get(self, dependency: Any, component: str = "") -> Any:
        return object()


# A request each lane takes, with every header a lane route reads.
_LANE_BODIES: dict[str, bytes] = {
    PAYMENTS: json.dumps(_payment()).encode(),
    "/wallets/{user_id}/holds": b'{"amount": 100, "currency": "USD"}',
    "/wallets/{user_id}/holds/{hold_id}/complete": b'{"amount": 100}',
}
_ALL_HEADERS: dict[bytes, bytes] = {
    b"content-type": b"application/json",
    b"idempotency-key": b"k-1",
    b"if-match": b'"v1"',
    b"if-none-match": b'"v1"',
    b"x-wallet-consistency": b"strong",
}


@pytest.mark.parametrize(
    ("method", "path", "handler"), LANES, ids=[f"{m} {p}" for m, p, _ in LANES]
)
async def test_each_lane_hands_its_route_every_parameter_the_route_takes(
    monkeypatch: pytest.MonkeyPatch, method: str, path: str, handler: LaneHandler
) -> None:
    """A parameter added to a route (a header such as If-Match) must reach it from the lane
    too, or lane requests silently go without it."""
    route = next(
        r
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute) and r.path == path and method in (r.methods or ())
    )
    module = sys.modules[route.endpoint.__module__]
    endpoint = getattr(module, route.endpoint.__name__)  # as written, before Dishka's wiring
    passed: dict[str, Any] = {}

    async def spy(**kwargs: Any) -> Response:
        passed.update(kwargs)
        return Response(status_code=299)

    monkeypatch.setattr(module, endpoint.__name__, spy)
    request = LaneRequest(
        path_params={"user_id": "u-1", "hold_id": str(uuid.uuid4())},
        headers=_ALL_HEADERS,
        query_string=b"",
        body=_LANE_BODIES.get(path, b""),
        container=_AnyContainer(),  # type: ignore[arg-type]
        deadline=Deadline.after(5),
    )

    answer = await handler(request)

    assert answer is not None, "the lane did not take the request"
    assert set(passed) == set(inspect.signature(endpoint).parameters)
