"""Admission to the gateway: the breaker's ticket, then a bulkhead slot, both refusing at once.

The ticket travels to the calls made inside the admission in a context variable: the
port's calls carry no admission handle, and the Pay use case (like the recovery worker)
makes them inside `async with admission()` in the same task.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from types import TracebackType
from typing import Final

from wallet_infra.gateway.breaker import CircuitBreaker, Ticket
from wallet_infra.gateway.bulkhead import Bulkhead

_ADMITTED: Final[ContextVar[Ticket | None]] = ContextVar("gateway_admission", default=None)


def admitted_ticket() -> Ticket | None:
    """The ticket of the admission the current task is inside, or None outside any."""
    return _ADMITTED.get()


class Admission:
    """One payment's hold on the gateway, for one `async with`.

    A plain class rather than two nested `@asynccontextmanager` generators: it is entered
    once per payment, and the generators cost several times its CPU.
    """

    __slots__ = ("_breaker", "_bulkhead", "_ticket", "_token")
    _ticket: Ticket
    _token: Token[Ticket | None]

    def __init__(self, breaker: CircuitBreaker, bulkhead: Bulkhead) -> None:
        self._breaker = breaker
        self._bulkhead = bulkhead

    async def __aenter__(self) -> None:
        """GatewayUnavailable at once when the circuit is open or no slot is free."""
        ticket = await self._breaker.admit()
        try:
            self._bulkhead.acquire()
        except BaseException:
            self._breaker.release(ticket)
            raise
        self._ticket = ticket
        self._token = _ADMITTED.set(ticket)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            _ADMITTED.reset(self._token)
            self._bulkhead.release()
        finally:
            self._breaker.release(self._ticket)
