"""The pgbench scripts for one payment, one transfer and one hold + complete pair, built
from the API's own statements.

`payment_script()` takes the two statements a payment runs on its happy path
(`wallet_infra.persistence.statements.payment_book`: OPEN, then SETTLE_APPROVED, each its own
transaction) and binds every parameter to a pgbench expression, so pgbench runs exactly
the SQL the API runs, never a hand-copied version that drifts from it. `transfer_script()`
does the same with the one statement of a transfer (`transfer_book.MOVE`), and
`hold_script()` with a hold's (`hold_book.OPEN_HOLD`, then the complete's two statements,
each its own transaction: the adapter's read of the hold and
`hold_book.SETTLE_CAPTURING_ALL`).
"""

from __future__ import annotations

import re
from typing import Final

from wallet_infra.persistence.driver import DriverStatement

# The complete's read of the hold, as the adapter sends it (a module-private statement,
# read here rather than copied so the two cannot drift apart).
from wallet_infra.persistence.hold_book import _READ as READ_HOLD
from wallet_infra.persistence.statements.hold_book import OPEN_HOLD, SETTLE_CAPTURING_ALL
from wallet_infra.persistence.statements.payment_book import OPEN, SETTLE_APPROVED
from wallet_infra.persistence.statements.transfer_book import MOVE
from wallet_infra.persistence.tables import transactions

_USER: Final = "('bench-' || :uid::text)"
_PAYMENT_ID: Final = "md5(:k::text)::uuid"  # the same id in both statements of one payment
_EMPTY_BODY: Final = "'\\x7b7d'::bytea"
_TRANSACTION_COLUMNS: Final = tuple(transactions.c.keys())


def _payment_payload(status: str) -> str:
    return (
        f'{{"transaction_id": "x", "type": "PAYMENT", "status": "{status}",'
        ' "amount": 1, "currency": "USD"}'
    )


def _event(event_type: str, payload: str) -> dict[str, str]:
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


def _transaction(prefix: str, **values: str) -> dict[str, str]:
    """A `transactions` row's columns (the ledger adapter's `entry_row`), `prefix`ed:
    the given values, the defaults of a row nothing else points at for the rest. Every
    column is named, so a new one fails `_bind` here rather than the run."""
    row = dict.fromkeys(_TRANSACTION_COLUMNS, "NULL") | {
        "currency": "'USD'",
        "created_at": "now()",
        "updated_at": "now()",
        "refunded_amount": "0",
    }
    unknown = set(values) - set(row)
    if unknown:
        raise KeyError(f"not a transactions column: {sorted(unknown)}")
    return {f"{prefix}{name}": value for name, value in (row | values).items()}


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
            **_transaction(
                "p_",
                id=_PAYMENT_ID,
                user_id=_USER,
                type="'PAYMENT'",
                status="'PENDING'",
                amount="-1",
                provider_id=f"'{provider_id}'",
                external_reference="'pgbench'",
            ),
            **_event("payment.created", _payment_payload("PENDING")),
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
            **_event("payment.completed", _payment_payload("APPROVED")),
        },
    )
    return (
        "\\set uid random(1, :wallets)\n"
        "\\set k random(1, 4000000000000000000)\n"
        f"{opened};\n{settled};\n"
    )


def _leg(prefix: str, user: str, type_: str, amount: str) -> dict[str, str]:
    return _transaction(
        prefix,
        id="gen_random_uuid()",
        user_id=user,
        type=f"'{type_}'",
        status="'COMPLETED'",
        amount=amount,
        transfer_id=_PAYMENT_ID,
    )


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
            **_event("transfer.completed", _payment_payload("COMPLETED")),
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


def _hold_payload(status: str, captured: str) -> str:
    return (
        f'{{"hold_id": "x", "status": "{status}", "amount": 1, "currency": "USD",'
        f' "captured": {captured}, "released": 0, "expires_at": "2026-12-13T00:00:00+00:00"}}'
    )


def hold_script() -> str:
    """A pgbench script of 1-unit USD holds on a random wallet of `bench-1..N`
    (`-D wallets=N`), each then captured whole, as the API runs them: the hold's one
    statement, then the complete's read of the hold and its settle, each on its own."""
    hold_id = _PAYMENT_ID
    opened = _bind(
        OPEN_HOLD,
        {
            "user_id": _USER,
            "currency": "'USD'",
            "amount": "1",
            "key": "('pgh-' || :k::text)",
            "fingerprint": "md5(:k::text)",
            "reply_status": "201",
            "reply_body": _EMPTY_BODY,
            "created_at": "now()",
            "h_id": hold_id,
            "h_user_id": _USER,
            "h_currency": "'USD'",
            "h_amount": "1",
            "h_captured": "NULL",
            "h_status": "'PENDING'",
            "h_reference": "NULL",
            "h_expires_at": "now() + interval '7 days'",
            "h_created_at": "now()",
            "h_updated_at": "now()",
            **_transaction(
                "t_",
                id="gen_random_uuid()",
                user_id=_USER,
                type="'HOLD'",
                status="'COMPLETED'",
                amount="-1",
                hold_id=hold_id,
            ),
            **_event("hold.created", _hold_payload("PENDING", "null")),
        },
    )
    read = _bind(READ_HOLD, {"hid": hold_id, "uid": _USER})
    settled = _bind(
        SETTLE_CAPTURING_ALL,
        {
            "status": "'COMPLETED'",
            "captured": "1",
            "at": "now()",
            "hold_id": hold_id,
            "released": "0",
            **_event("hold.completed", _hold_payload("COMPLETED", "1")),
        },
    )
    return (
        "\\set uid random(1, :wallets)\n"
        "\\set k random(1, 4000000000000000000)\n"
        f"{opened};\n{read};\n{settled};\n"
    )
