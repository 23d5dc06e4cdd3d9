"""FastLane as an ASGI component: which requests its handler sees, and that whatever it
passes on reaches the app behind it exactly as the client sent it."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send
from wallet_api.fast_lane.lane import FastLane, LaneRequest, LaneRoute
from wallet_domain.errors import ValidationError

CONTAINER = object()


class Behind:
    """The app behind the lane: records the messages it reads, answers 299."""

    def __init__(self) -> None:
        self.received: list[Message] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            self.received.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        await Response(b"behind", status_code=299)(scope, receive, send)


class Handler:
    def __init__(self, answer: Response | Exception | None) -> None:
        self.answer = answer
        self.seen: list[LaneRequest] = []

    async def __call__(self, request: LaneRequest) -> Response | None:
        self.seen.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _lane(handler: Handler, behind: Behind) -> FastLane:
    route = Route("/wallets/{user_id}/payments", endpoint=lambda _: None, methods=["POST"])
    return FastLane(behind, routes=[LaneRoute("POST", route, handler)])


async def _call(
    app: FastLane, messages: list[Message], **scope: Any
) -> tuple[list[Message], Scope]:
    full: Scope = {
        "type": "http",
        "method": "POST",
        "path": "/wallets/u-1/payments",
        "root_path": "",
        "query_string": b"a=1",
        "headers": [(b"content-type", b"application/json"), (b"x-one", b"1")],
        "state": {"dishka_container": CONTAINER},
        **scope,
    }
    inbox = iter([*messages, {"type": "http.disconnect"}])
    sent: list[Message] = []

    async def receive() -> Message:
        return next(inbox)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(full, receive, send)
    return sent, full


CHUNKED: list[Message] = [
    {"type": "http.request", "body": b'{"a":', "more_body": True},
    {"type": "http.request", "body": b"", "more_body": True},
    {"type": "http.request", "body": b"1}", "more_body": False},
]


async def test_the_handler_sees_the_whole_body_and_its_answer_is_sent() -> None:
    handler, behind = Handler(Response(b"lane", status_code=201)), Behind()
    sent, scope = await _call(_lane(handler, behind), CHUNKED)
    [request] = handler.seen
    assert request.body == b'{"a":1}'
    assert request.path_params == {"user_id": "u-1"}
    assert request.query_string == b"a=1"
    assert request.header(b"x-one") == "1"
    assert request.container is CONTAINER
    assert behind.received == []
    assert (sent[0]["status"], sent[1]["body"]) == (201, b"lane")
    assert scope["route"].path == "/wallets/{user_id}/payments"


async def test_a_request_the_handler_declines_reaches_the_app_as_sent() -> None:
    handler, behind = Handler(None), Behind()
    sent, _ = await _call(_lane(handler, behind), CHUNKED)
    assert len(handler.seen) == 1
    assert behind.received == CHUNKED
    assert sent[0]["status"] == 299


async def test_a_domain_error_from_the_handler_is_its_error_envelope() -> None:
    handler = Handler(ValidationError("bad", field="amount"))
    sent, _ = await _call(_lane(handler, Behind()), CHUNKED)
    assert sent[0]["status"] == 400
    assert b'"code":"VALIDATION_ERROR"' in sent[1]["body"]


async def test_requests_the_lane_never_takes_go_straight_to_the_app() -> None:
    one: list[Message] = [{"type": "http.request", "body": b"{}"}]
    repeated = [(b"x-one", b"1"), (b"x-one", b"2")]
    cases: list[dict[str, Any]] = [
        {"method": "GET"},
        {"path": "/wallets/u-1/payments/p-1"},
        {"path": "/wallets/u-1/holds"},
        {"root_path": "/mounted"},
        {"headers": repeated},
    ]
    for scope in cases:
        handler, behind = Handler(Response(b"lane")), Behind()
        sent, _ = await _call(_lane(handler, behind), one, **scope)
        assert handler.seen == [], scope
        assert behind.received == one, scope
        assert sent[0]["status"] == 299, scope


async def test_a_client_gone_mid_body_is_the_apps_to_meet() -> None:
    handler, behind = Handler(Response(b"lane")), Behind()
    gone: list[Message] = [CHUNKED[0], {"type": "http.disconnect"}]
    await _call(_lane(handler, behind), gone)
    assert handler.seen == []
    assert behind.received == gone
