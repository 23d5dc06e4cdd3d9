"""Rewrites error responses as problem details when the client asks for them.

Requests that don't ask pass straight through: one header scan, nothing buffered. For
those that do, only an error response (status >= 400) in the JSON envelope is held back
and rewritten; success responses stream through untouched.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wallet_api.errors.problem_details import (
    PROBLEM_JSON,
    problem_from_envelope,
    wants_problem_details,
)

_ACCEPT = b"accept"
_CONTENT_TYPE = b"content-type"
_CONTENT_LENGTH = b"content-length"


class ProblemDetailsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not any(
            name == _ACCEPT and wants_problem_details(value) for name, value in scope["headers"]
        ):
            await self.app(scope, receive, send)
            return
        instance = scope.get("root_path", "") + scope["path"]
        held: Message | None = None
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                if message["status"] >= 400 and _is_json(message["headers"]):
                    held = message
                    return
                await send(message)
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            converted = problem_from_envelope(body, held["status"], instance)
            headers = list(held["headers"])
            if converted is not None:
                body = converted
                headers = [
                    (name, value)
                    for name, value in headers
                    if name.lower() not in (_CONTENT_TYPE, _CONTENT_LENGTH)
                ]
                headers += [
                    (_CONTENT_TYPE, PROBLEM_JSON.encode()),
                    (_CONTENT_LENGTH, str(len(body)).encode()),
                ]
            await send({**held, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, rewrite)


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == _CONTENT_TYPE and value.startswith(b"application/json")
        for name, value in headers
    )
