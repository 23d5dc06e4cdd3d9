"""Release a hold in full."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.errors import HoldNotFound
from wallet_domain.hold_moves import move_hold
from wallet_domain.idempotent_action import optional_key, run_once
from wallet_domain.model.hold import HoldStatus
from wallet_domain.model.idempotency import Reply, StoredResponse, fingerprint
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.hold_book import HoldBook
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyStore
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.transaction_manager import TransactionManager


@dataclass(frozen=True, slots=True, kw_only=True)
class RevertHoldRequest:
    user_id: str
    hold_id: UUID
    idempotency_key: str | None = None


class RevertHold:
    """Give a PENDING hold's whole amount back to the balance; the hold becomes REVERTED
    and `hold.reverted` is written.

    Rules: as for completing, exactly one of complete, revert and expiry moves a hold;
    the others get INVALID_STATE with its status, except a repeat of a winning revert
    (200 with the hold). Another wallet's hold is NOT_FOUND. The optional
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

    async def execute(self, request: RevertHoldRequest) -> Reply:
        user_id = validate_user_id(request.user_id)
        key = optional_key(request.idempotency_key)
        now = self._clock.now()

        async def revert() -> StoredResponse:
            hold = await self._book.lock(user_id, request.hold_id)
            if hold is None:
                raise HoldNotFound(hold_id=str(request.hold_id))
            settled = await move_hold(
                book=self._book, ids=self._ids, hold=hold, to=HoldStatus.REVERTED, at=now
            )
            return self._encoder.hold(settled, status_code=200)

        return await run_once(
            idempotency=self._idempotency,
            tx=self._tx,
            user_id=user_id,
            key=key,
            request_fingerprint=fingerprint(
                "hold.revert", {"user_id": user_id, "hold_id": request.hold_id}
            ),
            now=now,
            action=revert,
        )
