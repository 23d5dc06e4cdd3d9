"""The pgbench scripts for one payment and one transfer, built from the API's own statements.

`payment_script()` takes the two statements a payment runs on its happy path
(`wallet_infra.persistence.statements.payment_book`: OPEN, then SETTLE_APPROVED, each its own
transaction) and binds every parameter to a pgbench expression, so pgbench runs exactly
the SQL the API runs, never a hand-copied version that drifts from it. `transfer_script()`
does the same with the one statement of a transfer (`transfer_book.MOVE`).
"""

from __future__ import annotations

import re
from typing import Final

from wallet_infra.persistence.driver import DriverStatement
from wallet_infra.persistence.statements.payment_book import OPEN, SETTLE_APPROVED
from wallet_infra.persistence.statements.transfer_book import MOVE

_USER: Final = "('bench-' || :uid::text)"
_PAYMENT_ID: Final = "md5(:k::text)::uuid"  # the same id in both statements of one payment
_EMPTY_BODY: Final = "'\\x7b7d'::bytea"


def _event(event_type: str, status: str) -> dict[str, str]:
    payload = (
        f'{{"transaction_id": "x", "type": "PAYMENT", "status": "{status}",'
        ' "amount": 1, "currency": "USD"}'
    )
    return {
        "e0_event_id": "gen_random_uuid()",
        "e0_event_type": f"'{event_type}'",
        "e0_aggregate_id": _PAYMENT_ID,
        "e0_user_id": _USER,
        "e0_occurred_at": "now()",
        "e0_schema_version": "1",
        "e0_payload": f"'{payload}'",
        "e0_traceparent": "NULL",
    }


def _bind(statement: DriverStatement, values: dict[str, str]) -> str:
    missing = set(statement.names) - set(values)
    if missing:
        raise KeyError(f"no pgbench value for {sorted(missing)}")
    return re.sub(r"\$(\d+)", lambda m: values[statement.names[int(m.group(1)) - 1]], statement.sql)


def payment_script(provider_id: str) -> str:
    """A pgbench script: `-D wallets=N` picks the wallet among `bench-1..N`."""
    opened = _bind(
        OPEN,
        {
            "user_id": _USER,
            "currency": "'USD'",
            "amount": "1",
            "key": "('pgb-' || :k::text)",
            "fingerprint": "md5(:k::text)",
            "payment_id": _PAYMENT_ID,
            "refusal_status": "409",
            "refusal_body": _EMPTY_BODY,
            "created_at": "now()",
            "p_id": _PAYMENT_ID,
            "p_user_id": _USER,
            "p_type": "'PAYMENT'",
            "p_status": "'PENDING'",
            "p_amount": "-1",
            "p_currency": "'USD'",
            "p_provider_id": f"'{provider_id}'",
            "p_external_reference": "'pgbench'",
            "p_reference": "NULL",
            "p_refund_of": "NULL",
            "p_created_at": "now()",
            "p_updated_at": "now()",
            **_event("payment.created", "PENDING"),
        },
    )
    settled = _bind(
        SETTLE_APPROVED,
        {
            "status": "'APPROVED'",
            "at": "now()",
            "payment_id": _PAYMENT_ID,
            "reply_status": "201",
            "reply_body": _EMPTY_BODY,
            **_event("payment.completed", "APPROVED"),
        },
    )
    return (
        "\\set uid random(1, :wallets)\n"
        "\\set k random(1, 4000000000000000000)\n"
        f"{opened};\n{settled};\n"
    )


def _leg(prefix: str, user: str, type_: str, amount: str) -> dict[str, str]:
    return {
        f"{prefix}id": "gen_random_uuid()",
        f"{prefix}user_id": user,
        f"{prefix}type": f"'{type_}'",
        f"{prefix}status": "'COMPLETED'",
        f"{prefix}amount": amount,
        f"{prefix}currency": "'USD'",
        f"{prefix}provider_id": "NULL",
        f"{prefix}external_reference": "NULL",
        f"{prefix}reference": "NULL",
        f"{prefix}refund_of": "NULL",
        f"{prefix}created_at": "now()",
        f"{prefix}updated_at": "now()",
        f"{prefix}transfer_id": _PAYMENT_ID,
    }


def transfer_script(*, hot_receiver: bool) -> str:
    """A pgbench script of 1-unit USD transfers among `bench-1..N` (`-D wallets=N`): between
    two random different wallets, or (`hot_receiver`) from a random one into `bench-1`."""
    sender, receiver = "('bench-' || :a::text)", "('bench-' || :b::text)"
    moved = _bind(
        MOVE,
        {
            "from_user_id": sender,
            "to_user_id": receiver,
            "currency": "'USD'",
            "amount": "1",
            "key": "('pgt-' || :k::text)",
            "fingerprint": "md5(:k::text)",
            "created_at": "now()",
            "reply_status": "201",
            "reply_body": _EMPTY_BODY,
            "refusal_status": "409",
            "refusal_body": _EMPTY_BODY,
            "transfer_id": _PAYMENT_ID,
            "reference": "NULL",
            "status": "'COMPLETED'",
            **_leg("d_", sender, "TRANSFER_OUT", "-1"),
            **_leg("c_", receiver, "TRANSFER_IN", "1"),
            **_event("transfer.completed", "COMPLETED"),
            "e0_user_id": sender,
        },
    )
    if hot_receiver:
        pick = "\\set a random(2, :wallets)\n\\set b 1\n"
    else:  # b = a shifted by 1..N-1 places around the ring: never the same wallet
        pick = (
            "\\set a random(1, :wallets)\n"
            "\\set d random(1, :wallets - 1)\n"
            "\\set b 1 + (:a - 1 + :d) % :wallets\n"
        )
    return f"{pick}\\set k random(1, 4000000000000000000)\n{moved};\n"
