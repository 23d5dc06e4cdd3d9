"""Complete (capture, in whole or in part) or revert (release in full) a hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from wallet_domain.errors import HoldNotFound, InvalidState, ValidationError
from wallet_domain.hold_moves import HoldDue, move_hold, moved_under_lock
from wallet_domain.idempotent_action import optional_key, run_once
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.idempotency import Reply, StoredResponse, fingerprint
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.model.wallet_version import WalletCondition
from wallet_domain.money import MAX_AMOUNT
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.hold_book import HoldBook
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyStore
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back
from wallet_domain.wallet_precondition import WalletPrecondition


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleHoldRequest:
    user_id: str
    hold_id: UUID
    to: HoldStatus  # COMPLETED or REVERTED (expiry is ExpireHolds')
    amount: int | None = None  # COMPLETED only: what to capture (all of it if not given)
    idempotency_key: str | None = None
    if_match: WalletCondition | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleHold:
    """COMPLETED: capture `amount` of a PENDING hold (all of it if not given) and release
    the rest to the balance, `hold.completed` is written. REVERTED: give the whole amount
    back, `hold.reverted` is written.

    Rules: 1 <= amount <= the held amount, and only a completion takes one; the hold's row
    lock makes complete, revert and expiry race fairly: exactly one moves it, the others
    get INVALID_STATE with the status it reached, except a repeat of exactly the winning
    action (same target, same amount), which answers 200 with the hold. A hold of another
    wallet is NOT_FOUND. The optional Idempotency-Key replays the first reply.

    A hold whose `expires_at` is at or before the database's now() cannot be completed
    or reverted any more (a lapsed authorization is not captured): the request expires
    it, exactly as the worker would (EXPIRED, all released, `hold.expired`), committed
    before the answer, INVALID_STATE with status EXPIRED (or, if another move won
    meanwhile, what that one made). The write itself checks the deadline (not the
    read), so a hold that falls due between the two is not captured either.

    Without a key the hold is read, unlocked, and moved by ONE write that checks it is
    still PENDING (on PostgreSQL a statement committing by itself, no transaction around
    it: this is half of every hold + capture pair); one that lost the race reads the hold
    again and answers from what won. With a key, the claim, the locked hold, the move and
    the stored reply are one transaction.

    With `if_match`, the move is conditional on the wallet's version like any write that
    moves its money (see wallet_precondition): the key (if any) is claimed, the hold
    locked, the wallet locked at a version the condition accepts, then the hold moved, all
    in one transaction; a mismatch is PRECONDITION_FAILED with nothing written.

    A keyed or conditional request that finds the hold due rolls back (the key stays
    unused, as after any INVALID_STATE) and expires it in a statement of its own."""

    book: HoldBook
    idempotency: IdempotencyStore
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator
    encoder: ResponseEncoder
    precondition: WalletPrecondition

    async def execute(self, request: SettleHoldRequest) -> Reply:
        if request.to not in (HoldStatus.COMPLETED, HoldStatus.REVERTED):
            raise ValueError(f"a hold is settled to COMPLETED or REVERTED, not {request.to}")
        if request.to is HoldStatus.REVERTED and request.amount is not None:
            raise ValueError("only a completion captures an amount")
        user_id = validate_user_id(request.user_id)
        key = optional_key(request.idempotency_key)
        amount = request.amount
        if amount is not None and (type(amount) is not int or not 1 <= amount <= MAX_AMOUNT):
            raise ValidationError(f"amount must be between 1 and {MAX_AMOUNT}", field="amount")
        now = self.clock.now()
        if key is None and request.if_match is None:
            return await self._unlocked(user_id, request, now, due=False)

        async def settle() -> StoredResponse:
            hold = await self.book.lock(user_id, request.hold_id)
            if hold is None:
                raise HoldNotFound(hold_id=str(request.hold_id))
            # The hold's row before the wallet's: the order of a settlement or an expiry
            # without If-Match (hold, then balances), so they never deadlock.
            await self.precondition.ensure_after_claim(request.if_match, user_id=user_id)
            settled = await move_hold(
                book=self.book, ids=self.ids, hold=hold, to=request.to, amount=amount, at=now
            )
            return self.encoder.hold(moved_under_lock(settled, hold), status_code=200)

        try:
            return await run_once(
                idempotency=self.idempotency,
                tx=self.tx,
                user_id=user_id,
                key=key,
                request_fingerprint=_fingerprint(request.to, user_id, request.hold_id, amount),
                now=now,
                action=settle,
            )
        except HoldDue:
            pass  # rolled back, the key unused: expired below, out of that transaction
        return await self._unlocked(user_id, request, now, due=True)

    async def _unlocked(
        self, user_id: str, request: SettleHoldRequest, now: datetime, *, due: bool
    ) -> Reply:
        """The settlement without a key or condition; a hold that expired on the way is
        committed EXPIRED, then the request refused."""
        async with rolling_back(self.tx):
            settled = await self._settle_unlocked(user_id, request.hold_id, request, now, due=due)
            await self.tx.commit()  # nothing is open on PostgreSQL: a no-op there
        if settled.status is HoldStatus.EXPIRED:
            raise InvalidState("the hold has expired", status=settled.status.value)
        return Reply(self.encoder.hold(settled, status_code=200))

    async def _settle_unlocked(
        self,
        user_id: str,
        hold_id: UUID,
        request: SettleHoldRequest,
        now: datetime,
        *,
        due: bool = False,
    ) -> Hold:
        """Read, then move if still PENDING; a lost race is read again (settled for good
        then, so the next reading answers: a repeat of the winner, or INVALID_STATE). A
        hold the move finds due (or `due`: a locked attempt found it so) is expired
        instead, and returned EXPIRED."""
        # At most: refused as due, the expiry lost to the worker's, then EXPIRED read.
        for _ in range(3):
            hold = await self.book.get(user_id, hold_id)
            if hold is None:
                raise HoldNotFound(hold_id=str(hold_id))
            if due and hold.status is HoldStatus.PENDING:
                settled = await self._expire(hold, now)
            else:
                try:
                    settled = await move_hold(
                        book=self.book,
                        ids=self.ids,
                        hold=hold,
                        to=request.to,
                        amount=request.amount,
                        at=now,
                    )
                except HoldDue:
                    settled = await self._expire(hold, now)
            if settled is not None:
                return settled
        raise RuntimeError(f"hold {hold_id} moved out of PENDING and back")

    async def _expire(self, hold: Hold, now: datetime) -> Hold | None:
        """Expire `hold` (PENDING, past its deadline) as the expiry worker does; None:
        another move won (read it again)."""
        return await move_hold(
            book=self.book, ids=self.ids, hold=hold, to=HoldStatus.EXPIRED, at=now
        )


def _fingerprint(to: HoldStatus, user_id: str, hold_id: UUID, amount: int | None) -> str:
    """What an Idempotency-Key on a settle request stands for (as it always did)."""
    if to is HoldStatus.COMPLETED:
        return fingerprint(
            "hold.complete", {"user_id": user_id, "hold_id": hold_id, "amount": amount}
        )
    return fingerprint("hold.revert", {"user_id": user_id, "hold_id": hold_id})
