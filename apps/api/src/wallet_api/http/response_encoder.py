"""The domain's ResponseEncoder port: final replies rendered once, stored, replayed as is."""

from __future__ import annotations

from wallet_domain.errors import DomainError
from wallet_domain.model.dispute import Dispute
from wallet_domain.model.hold import Hold
from wallet_domain.model.idempotency import StoredResponse
from wallet_domain.model.transaction import LedgerEntry
from wallet_domain.model.transfer import Transfer
from wallet_domain.ports.response_encoder import ResponseEncoder

from wallet_api.errors.envelope import error_bytes
from wallet_api.errors.registry import status_for
from wallet_api.http.disputes import dispute_json
from wallet_api.http.holds import hold_json
from wallet_api.http.json import dumps
from wallet_api.http.transactions import transaction_json
from wallet_api.http.transfers import transfer_json


class JsonResponseEncoder(ResponseEncoder):
    """201 with the transaction (or hold), 200 with a settled one, or the error envelope
    with its mapped status. Headers are not stored: errors with `Retry-After` are never
    final, so never stored."""

    def created(self, entry: LedgerEntry) -> StoredResponse:
        return StoredResponse(201, dumps(transaction_json(entry)))

    def transaction(self, entry: LedgerEntry, *, status_code: int) -> StoredResponse:
        return StoredResponse(status_code, dumps(transaction_json(entry)))

    def hold(self, hold: Hold, *, status_code: int) -> StoredResponse:
        return StoredResponse(status_code, dumps(hold_json(hold)))

    def transferred(self, transfer: Transfer) -> StoredResponse:
        return StoredResponse(201, dumps(transfer_json(transfer)))

    def dispute(self, dispute: Dispute, *, status_code: int) -> StoredResponse:
        return StoredResponse(status_code, dumps(dispute_json(dispute)))

    def failed(self, error: DomainError) -> StoredResponse:
        return StoredResponse(status_for(error.code), error_bytes(error))
