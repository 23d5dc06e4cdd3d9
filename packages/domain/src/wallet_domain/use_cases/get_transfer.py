"""Look up one transfer."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.errors import TransferNotFound
from wallet_domain.model.transfer import Transfer
from wallet_domain.ports.transfer_book import TransferBook


@dataclass(frozen=True, slots=True, kw_only=True)
class GetTransferRequest:
    transfer_id: UUID
    # The wallet the caller is limited to; None: a caller that may see every wallet.
    viewer: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class GetTransfer:
    """The transfer, for a caller who may see every wallet or one of its two sides. Any
    other caller gets NOT_FOUND, as for an id that does not exist: ids reveal nothing
    across wallets."""

    book: TransferBook

    async def execute(self, request: GetTransferRequest) -> Transfer:
        transfer = await self.book.get(request.transfer_id)
        if transfer is None or (
            request.viewer is not None and not transfer.involves(request.viewer)
        ):
            raise TransferNotFound(transfer_id=str(request.transfer_id))
        return transfer
