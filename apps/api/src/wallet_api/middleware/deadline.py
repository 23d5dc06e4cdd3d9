"""Starts the request's deadline as it arrives, before body parsing or pool waits.

The deadline is cooperative: the payment use case bounds its gateway calls (retries and
outcome lookup) by it. Nothing is cancelled mid-flight, since cutting a payment between
its two transactions would only leave work for the recovery worker.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send
from wallet_domain.deadline import Deadline

from wallet_api.http.context import DEADLINE, state_of


class DeadlineMiddleware:
    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self._seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state_of(scope)[DEADLINE] = Deadline.after(self._seconds)
        await self.app(scope, receive, send)
