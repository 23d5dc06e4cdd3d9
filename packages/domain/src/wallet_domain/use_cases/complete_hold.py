"""Capture a hold, in whole or in part."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.errors import HoldNotFound, ValidationError
from wallet_domain.hold_moves import move_hold
from wallet_domain.idempotent_action import optional_key, run_once
from wallet_domain.model.hold import HoldStatus
from wallet_domain.model.idempotency import Reply, StoredResponse, fingerprint
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.money import MAX_AMOUNT
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.hold_book import HoldBook
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyStore
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.transaction_manager import TransactionManager


@dataclass(frozen=True, slots=True, kw_only=True)
class CompleteHoldRequest:
    user_id: str
    hold_id: UUID
    amount: int | None = None
    idempotency_key: str | None = None


class CompleteHold:
    """Capture `amount` of a PENDING hold (all of it if not given) and release the rest
    to the balance; the hold becomes COMPLETED and `hold.completed` is written.

    Rules: 1 <= amount <= the held amount; the hold's row lock makes complete, revert and
    expiry race fairly: exactly one moves it, the others get INVALID_STATE with the
    status it reached, except a repeat of exactly the winning completion (same amount),
    which answers 200 with the hold. A hold of another wallet is NOT_FOUND. The optional
    Idempotency-Key replays the first reply.
    """

    def __init__(
        self,
        *,
        book: HoldBook,
        idempotency: IdempotencyStore,
        tx: TransactionManager,
        clock: Clock,
        ids: IdGenerator,
        encoder: ResponseEncoder,
    ) -> None:
        self._book = book
        self._idempotency = idempotency
        self._tx = tx
        self._clock = clock
        self._ids = ids
        self._encoder = encoder

    async def execute(self, request: CompleteHoldRequest) -> Reply:
        user_id = validate_user_id(request.user_id)
        key = optional_key(request.idempotency_key)
        amount = request.amount
        if amount is not None and (type(amount) is not int or not 1 <= amount <= MAX_AMOUNT):
            raise ValidationError(f"amount must be between 1 and {MAX_AMOUNT}", field="amount")
        now = self._clock.now()

        async def complete() -> StoredResponse:
            hold = await self._book.lock(user_id, request.hold_id)
            if hold is None:
                raise HoldNotFound(hold_id=str(request.hold_id))
            settled = await move_hold(
                book=self._book,
                ids=self._ids,
                hold=hold,
                to=HoldStatus.COMPLETED,
                amount=amount,
                at=now,
            )
            return self._encoder.hold(settled, status_code=200)

        return await run_once(
            idempotency=self._idempotency,
            tx=self._tx,
            user_id=user_id,
            key=key,
            request_fingerprint=fingerprint(
                "hold.complete",
                {"user_id": user_id, "hold_id": request.hold_id, "amount": amount},
            ),
            now=now,
            action=complete,
        )
