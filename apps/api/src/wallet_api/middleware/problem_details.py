"""Rewrites error responses as problem details when the client asks for them.

Requests that don't ask pass straight through (the edge middleware sees their `Accept`
in its one header scan). For those that do, only an error response (status >= 400) in
the JSON envelope is held back and rewritten; success responses stream through untouched.
"""

from __future__ import annotations

from starlette.types import Message, Send
from wallet_infra.problem_details import PROBLEM_JSON, problem_from_envelope

_CONTENT_TYPE = b"content-type"
_CONTENT_LENGTH = b"content-length"


class ProblemRewriter:
    """A `send` that rewrites the error responses passing through it, then sends on."""

    __slots__ = ("_chunks", "_held", "_instance", "_send")

    def __init__(self, send: Send, instance: str) -> None:
        self._send = send
        self._instance = instance
        self._held: Message | None = None
        self._chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        send = self._send
        if message["type"] == "http.response.start":
            if message["status"] >= 400 and _is_json(message["headers"]):
                self._held = message
                return
            await send(message)
            return
        held = self._held
        if held is None or message["type"] != "http.response.body":
            await send(message)
            return
        self._chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self._chunks)
        converted = problem_from_envelope(body, held["status"], self._instance)
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


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == _CONTENT_TYPE and value.startswith(b"application/json")
        for name, value in headers
    )
