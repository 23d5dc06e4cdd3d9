"""SQLAlchemy Core tables mirroring `migrations/` exactly.

Used to build queries only: the schema is owned by the SQL migrations and the app never
creates or alters it. Constraint and index names are constants shared with the SQL so
adapters can translate a violation of a known constraint into a domain error.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Identity,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    TypeDecorator,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from wallet_infra.persistence.std_uuid import std_uuid

WALLETS_PKEY: Final = "wallets_pkey"
WALLETS_USER_ID_FORMAT: Final = "wallets_user_id_format"
WALLET_BALANCES_PKEY: Final = "wallet_balances_pkey"
WALLET_BALANCES_NON_NEGATIVE: Final = "wallet_balances_non_negative"
WALLET_BALANCES_TOTAL_WITHIN_LIMIT: Final = "wallet_balances_total_within_limit"
WALLET_BALANCES_CURRENCY_FORMAT: Final = "wallet_balances_currency_format"
WALLET_BALANCES_USER_ID_FKEY: Final = "wallet_balances_user_id_fkey"
SERVICE_PROVIDERS_PKEY: Final = "service_providers_pkey"
TRANSACTIONS_PKEY: Final = "transactions_pkey"
TRANSACTIONS_REFUND_ONCE: Final = "transactions_refund_once"
TRANSACTIONS_SHAPE: Final = "transactions_shape"
TRANSACTIONS_TYPE_VALID: Final = "transactions_type_valid"
TRANSACTIONS_USER_ID_FKEY: Final = "transactions_user_id_fkey"
TRANSACTIONS_PROVIDER_ID_FKEY: Final = "transactions_provider_id_fkey"
TRANSACTIONS_REFUND_OF_FKEY: Final = "transactions_refund_of_fkey"
TRANSACTIONS_USER_ID_CREATED_AT_ID_IDX: Final = "transactions_user_id_created_at_id_idx"
TRANSACTIONS_TRANSFER_ID_FKEY: Final = "transactions_transfer_id_fkey"
TRANSACTIONS_TRANSFER_LEG_IDX: Final = "transactions_transfer_leg_idx"
TRANSACTIONS_PROVIDER_REFUND_OF_FKEY: Final = "transactions_provider_refund_of_fkey"
TRANSACTIONS_GIVEN_BACK_WITHIN_AMOUNT: Final = "transactions_given_back_within_amount"
TRANSACTIONS_PROVIDER_REFUND_LINK: Final = "transactions_provider_refund_link"
PROVIDER_EVENTS_PKEY: Final = "provider_events_pkey"
TRANSFERS_PKEY: Final = "transfers_pkey"
TRANSFERS_DISTINCT_WALLETS: Final = "transfers_distinct_wallets"
TRANSACTIONS_PENDING_IDX: Final = "transactions_pending_idx"
TRANSACTIONS_HOLD_ID_FKEY: Final = "transactions_hold_id_fkey"
TRANSACTIONS_HOLD_STEP_ONCE: Final = "transactions_hold_step_once"
HOLDS_PKEY: Final = "holds_pkey"
HOLDS_USER_ID_FKEY: Final = "holds_user_id_fkey"
HOLDS_USER_ID_CREATED_AT_ID_IDX: Final = "holds_user_id_created_at_id_idx"
HOLDS_USER_ID_STATUS_CREATED_AT_ID_IDX: Final = "holds_user_id_status_created_at_id_idx"
HOLDS_PENDING_EXPIRY_IDX: Final = "holds_pending_expiry_idx"
IDEMPOTENCY_KEYS_PKEY: Final = "idempotency_keys_pkey"
RECONCILIATION_CORRECTIONS_PKEY: Final = "reconciliation_corrections_pkey"
# Not in pg_constraint: the name the trigger of 0038 raises a refused re-debit under.
RECONCILIATION_CORRECTIONS_NOT_REFUNDED_THERE: Final = (
    "reconciliation_corrections_not_refunded_there"
)
IDEMPOTENCY_KEYS_PAYMENT_ID_IDX: Final = "idempotency_keys_payment_id_idx"
OUTBOX_PKEY: Final = "outbox_pkey"
OUTBOX_UNSENT_DUE_IDX: Final = "outbox_unsent_due_idx"
AUDIT_LOG_EVENT_ID_KEY: Final = "audit_log_event_id_key"
CONSUMER_INBOX_PKEY: Final = "consumer_inbox_pkey"
CONSUMER_INBOX_PROCESSED_AT_IDX: Final = "consumer_inbox_consumer_processed_at_idx"
TRANSACTIONS_DISPUTE_ID_FKEY: Final = "transactions_dispute_id_fkey"
TRANSACTIONS_CHARGEBACK_ONCE: Final = "transactions_chargeback_once"
DISPUTES_PKEY: Final = "disputes_pkey"
DISPUTES_ONE_OPEN_PER_PAYMENT: Final = "disputes_one_open_per_payment"
DISPUTES_USER_ID_CREATED_AT_ID_IDX: Final = "disputes_user_id_created_at_id_idx"
DISPUTE_EVENTS_PKEY: Final = "dispute_events_pkey"
DISPUTE_EVENTS_DEFAULT_PARTITION: Final = "dispute_events_default"


class StdUuid(TypeDecorator[UUID]):
    """A uuid column read back as a stdlib `uuid.UUID`.

    asyncpg returns its own UUID subclass, which orjson (events, API bodies) refuses.
    """

    impl = Uuid
    cache_ok = True

    def process_result_value(self, value: UUID | None, dialect: Dialect) -> UUID | None:
        return None if value is None else std_uuid(value)


_TS = DateTime(timezone=True)
_NOW = text("now()")

metadata: Final = MetaData()

wallets: Final = Table(
    "wallets",
    metadata,
    Column("user_id", Text, primary_key=True),
    Column("created_at", _TS, nullable=False, server_default=_NOW),
)

wallet_balances: Final = Table(
    "wallet_balances",
    metadata,
    Column("user_id", Text, primary_key=True),
    Column("currency", CHAR(3), primary_key=True),
    Column("balance", BigInteger, nullable=False, server_default=text("0")),
    Column("updated_at", _TS, nullable=False, server_default=_NOW),
    Column("pending_debit", BigInteger, nullable=False, server_default=text("0")),
    Column("pending_credit", BigInteger, nullable=False, server_default=text("0")),
    # Bumped by a trigger on every change of the three amounts (conditional requests).
    Column("version", BigInteger, nullable=False, server_default=text("1")),
)

service_providers: Final = Table(
    "service_providers",
    metadata,
    Column("id", StdUuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
)

transactions: Final = Table(
    "transactions",
    metadata,
    Column("id", StdUuid, primary_key=True),
    Column("user_id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("provider_id", StdUuid),
    Column("external_reference", Text),
    Column("reference", Text),
    Column("refund_of", StdUuid),
    Column("created_at", _TS, nullable=False),
    Column("updated_at", _TS, nullable=False),
    Column("hold_id", StdUuid),
    Column("transfer_id", StdUuid),
    # A payment's provider refunds so far: an APPROVED one's, or a re-debited FAILED or
    # DECLINED one's (0 on every other row).
    Column("refunded_amount", BigInteger, nullable=False, server_default=text("0")),
    # An APPROVED payment's won chargebacks so far; with its refunds, never over its amount.
    Column("charged_back_amount", BigInteger, nullable=False, server_default=text("0")),
    # A PROVIDER_REFUND's payment (the domain shows it as `refund_of`, like a REFUND's).
    Column("provider_refund_of", StdUuid),
    Column("dispute_id", StdUuid),
)

provider_events: Final = Table(
    "provider_events",
    metadata,
    Column("provider_event_id", Text, primary_key=True),
    Column("type", Text, nullable=False),
    Column("subject_id", StdUuid),
    Column("outcome", Text, nullable=False),
    Column("created_at", _TS, nullable=False),
    Column("applied_at", _TS, nullable=False, server_default=_NOW),
)

holds: Final = Table(
    "holds",
    metadata,
    Column("id", StdUuid, primary_key=True),
    Column("user_id", Text, nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("captured", BigInteger),
    Column("status", Text, nullable=False),
    Column("reference", Text),
    Column("expires_at", _TS, nullable=False),
    Column("created_at", _TS, nullable=False),
    Column("updated_at", _TS, nullable=False),
)

disputes: Final = Table(
    "disputes",
    metadata,
    Column("id", StdUuid, primary_key=True),
    Column("payment_id", StdUuid, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("evidence", JSONB, nullable=False, server_default=text("'[]'")),
    Column("created_at", _TS, nullable=False),
    Column("updated_at", _TS, nullable=False),
    # The key awaiting the filing's reply (NULL once it is stored), when to ask the
    # provider about it again and how often it was asked: see migration 0025.
    Column("filing_key", Text),
    Column("filing_retry_at", _TS),
    Column("filing_attempts", Integer, nullable=False, server_default=text("0")),
    # How many of its evidence texts (the first ones) the provider confirmed it holds, and
    # when the recovery worker may send it the rest (NULL: due now): see migrations 0031-0033.
    Column("evidence_forwarded", Integer, nullable=False, server_default=text("0")),
    Column("evidence_due_at", _TS),
)

# Partitioned by month on created_at; rows are written by the disputes' trigger only.
dispute_events: Final = Table(
    "dispute_events",
    metadata,
    Column("id", StdUuid, primary_key=True),
    Column("dispute_id", StdUuid, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("from_status", Text),
    Column("to_status", Text, nullable=False),
    Column("created_at", _TS, primary_key=True),
)

transfers: Final = Table(
    "transfers",
    metadata,
    Column("id", StdUuid, primary_key=True),
    Column("from_user_id", Text, nullable=False),
    Column("to_user_id", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("reference", Text),
    Column("status", Text, nullable=False),
    Column("created_at", _TS, nullable=False),
)

idempotency_keys: Final = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("payment_id", StdUuid),
    Column("response_status", SmallInteger),
    Column("response_body", LargeBinary),
    Column("created_at", _TS, nullable=False),
    Column("completed_at", _TS),
)

outbox: Final = Table(
    "outbox",
    metadata,
    Column("event_id", StdUuid, primary_key=True),
    Column("event_type", Text, nullable=False),
    Column("aggregate_id", StdUuid, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("occurred_at", _TS, nullable=False),
    Column("schema_version", Integer, nullable=False, server_default=text("1")),
    Column("payload", JSONB, nullable=False),
    Column("traceparent", Text),
    Column("sent_at", _TS),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", _TS),  # NULL: due now; else a failed event's next retry
)

audit_log: Final = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("event_id", StdUuid, nullable=False, unique=True),
    Column("event_type", Text, nullable=False),
    Column("aggregate_id", StdUuid, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("occurred_at", _TS, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("received_at", _TS, nullable=False, server_default=_NOW),
)

consumer_inbox: Final = Table(
    "consumer_inbox",
    metadata,
    Column("consumer", Text, primary_key=True),
    Column("event_id", StdUuid, primary_key=True),
    Column("processed_at", _TS, nullable=False, server_default=_NOW),
)

reconciliation_corrections: Final = Table(
    "reconciliation_corrections",
    metadata,
    Column("payment_id", StdUuid, primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("user_id", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("transaction_id", StdUuid),
    Column("reason", Text, nullable=False),
    Column("created_at", _TS, nullable=False),
)
