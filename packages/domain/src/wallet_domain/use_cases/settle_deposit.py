"""Complete or revert a pending (two-phase) deposit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from uuid import UUID

from wallet_domain.deposit_moves import move_deposit
from wallet_domain.idempotent_action import optional_key, run_once
from wallet_domain.model.idempotency import Reply, StoredResponse, fingerprint
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.model.wallet_version import WalletCondition
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyStore
from wallet_domain.ports.pending_deposits import PendingDeposits
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.wallet_precondition import WalletPrecondition


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleDepositRequest:
    user_id: str
    deposit_id: UUID
    to: TransactionStatus  # COMPLETED or REVERTED
    idempotency_key: str | None = None
    if_match: WalletCondition | None = None


# What each final state does, and the fingerprint's action name for its idempotency key.
_ACTIONS: Final = {
    TransactionStatus.COMPLETED: "deposit.complete",
    TransactionStatus.REVERTED: "deposit.revert",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleDeposit:
    """Move a PENDING deposit to its final state. COMPLETED makes it spendable: the
    balance grows by its amount, the pending credit shrinks by it, `deposit.completed` is
    written. REVERTED drops it: the pending credit shrinks, the balance never saw it,
    `deposit.reverted` is written.

    Rules: the deposit's row lock lets exactly one of complete and revert win; the other
    gets INVALID_STATE with the status it reached; repeating the winning action answers
    200 with the deposit. Another wallet's deposit is NOT_FOUND. The optional
    Idempotency-Key replays the first reply. With `if_match`, the move is conditional on
    the wallet's version (see wallet_precondition): a mismatch is PRECONDITION_FAILED with
    nothing written, the key left free.
    """

    deposits: PendingDeposits
    idempotency: IdempotencyStore
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator
    encoder: ResponseEncoder
    precondition: WalletPrecondition

    async def execute(self, request: SettleDepositRequest) -> Reply:
        action_name = _ACTIONS.get(request.to)
        if action_name is None:
            raise ValueError(f"a deposit settles to COMPLETED or REVERTED, not {request.to}")
        user_id = validate_user_id(request.user_id)
        key = optional_key(request.idempotency_key)
        now = self.clock.now()

        async def condition() -> None:
            await self.precondition.ensure_after_claim(request.if_match, user_id=user_id)

        async def settle() -> StoredResponse:
            deposit = await move_deposit(
                deposits=self.deposits,
                ids=self.ids,
                user_id=user_id,
                deposit_id=request.deposit_id,
                to=request.to,
                at=now,
                once_locked=condition,
            )
            return self.encoder.transaction(deposit, status_code=200)

        return await run_once(
            idempotency=self.idempotency,
            tx=self.tx,
            user_id=user_id,
            key=key,
            request_fingerprint=fingerprint(
                action_name, {"user_id": user_id, "deposit_id": request.deposit_id}
            ),
            now=now,
            action=settle,
        )
