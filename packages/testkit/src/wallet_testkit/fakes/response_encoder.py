"""A JSON `ResponseEncoder` with the API's status codes, and `body` to read a reply."""

from __future__ import annotations

import json
from typing import Any, Final

from wallet_domain.errors import (
    DomainError,
    ErrorCode,
)
from wallet_domain.model.dispute import Dispute
from wallet_domain.model.hold import Hold
from wallet_domain.model.idempotency import StoredResponse
from wallet_domain.model.transaction import (
    LedgerEntry,
)
from wallet_domain.model.transfer import Transfer
from wallet_domain.ports.response_encoder import ResponseEncoder

HTTP_STATUS: Final[dict[ErrorCode, int]] = {
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.PAYMENT_DECLINED: 402,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.INSUFFICIENT_FUNDS: 409,
    ErrorCode.WALLET_ALREADY_EXISTS: 409,
    ErrorCode.IDEMPOTENCY_IN_PROGRESS: 409,
    ErrorCode.INVALID_STATE: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL: 500,
    ErrorCode.GATEWAY_ERROR: 502,
    ErrorCode.GATEWAY_UNAVAILABLE: 503,
    ErrorCode.GATEWAY_TIMEOUT: 504,
}


class JsonResponseEncoder(ResponseEncoder):
    """Compact, key-sorted JSON with the fields a test reads; counts what it encodes."""

    def __init__(self) -> None:
        self.encoded = 0

    def created(self, entry: LedgerEntry) -> StoredResponse:
        return self.transaction(entry, status_code=201)

    def transaction(self, entry: LedgerEntry, *, status_code: int) -> StoredResponse:
        return self._reply(
            status_code,
            {
                "id": str(entry.id),
                "type": entry.type.value,
                "status": entry.status.value,
                "amount": entry.money.amount,
                "currency": entry.money.currency,
            },
        )

    def hold(self, hold: Hold, *, status_code: int) -> StoredResponse:
        return self._reply(
            status_code,
            {
                "id": str(hold.id),
                "status": hold.status.value,
                "amount": hold.money.amount,
                "captured": hold.captured,
                "currency": hold.money.currency,
            },
        )

    def transferred(self, transfer: Transfer) -> StoredResponse:
        return self._reply(
            201,
            {
                "id": str(transfer.id),
                "status": transfer.status.value,
                "from_user_id": transfer.from_user_id,
                "to_user_id": transfer.to_user_id,
                "amount": transfer.money.amount,
                "currency": transfer.money.currency,
                "reference": transfer.reference,
            },
        )

    def dispute(self, dispute: Dispute, *, status_code: int) -> StoredResponse:
        return self._reply(status_code, {"id": str(dispute.id), "status": dispute.status.value})

    def failed(self, error: DomainError) -> StoredResponse:
        body = {"code": error.code.value, "message": error.message, "details": error.details}
        return self._reply(HTTP_STATUS[error.code], {"error": body})

    def _reply(self, status_code: int, data: dict[str, Any]) -> StoredResponse:
        self.encoded += 1
        body = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        return StoredResponse(status_code, body)


def body(response: StoredResponse) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(response.body)
    return decoded
