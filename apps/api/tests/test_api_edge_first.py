"""FastAPI's own outer layers are skipped (edge_first.py): a request meets the edge first,
and what those layers did is still done."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.types import Receive, Scope, Send
from wallet_api.edge_first import FRAMEWORK_OUTER, inside_framework_layers
from wallet_api.middleware.edge import EdgeMiddleware
from wallet_api.middleware.server_span import ServerSpanMiddleware
from wallet_api_testkit import Api, StartApi
from wallet_testkit.tracing import in_memory_tracing


async def test_a_request_meets_the_edge_first(api: Api) -> None:
    assert type(api.app.middleware_stack) is EdgeMiddleware
    assert (await api.client.get("/healthz")).status_code == 200


async def test_with_tracing_a_request_meets_the_server_span_then_the_edge(
    start_api: StartApi,
) -> None:
    with in_memory_tracing():
        async with start_api() as api:
            stack: Any = api.app.middleware_stack
            assert type(stack) is ServerSpanMiddleware
            assert type(stack.app) is EdgeMiddleware
            assert (await api.client.get("/healthz")).status_code == 200


class _Layer:
    def __init__(self, app: object) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("never called")


def test_a_framework_stack_that_changed_is_refused() -> None:
    renamed = {name: type(name, (_Layer,), {}) for name in FRAMEWORK_OUTER}
    ours = _Layer(None)
    stack = renamed[FRAMEWORK_OUTER[0]](
        renamed[FRAMEWORK_OUTER[1]](renamed[FRAMEWORK_OUTER[2]](ours))
    )
    assert inside_framework_layers(stack) is ours
    with pytest.raises(RuntimeError, match="ExceptionTelemetryMiddleware expected"):
        inside_framework_layers(renamed[FRAMEWORK_OUTER[0]](ours))
