"""The idempotency keys' long statement: claim a key, or read its holder, in one round trip."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Boolean, DateTime, LargeBinary, SmallInteger, Text, column, text

from wallet_infra.persistence.tables import IDEMPOTENCY_KEYS_PKEY, StdUuid

# text(): SQLAlchemy 2.0 never caches a postgresql.insert() (its inherit_cache is False),
# so the Core form would be recompiled on every call of this hot-path statement.
CLAIM: Final = text(
    "WITH claimed AS ("  # noqa: S608 - constants only
    " INSERT INTO idempotency_keys (user_id, key, fingerprint, state, payment_id,"
    " response_status, response_body, created_at, completed_at)"
    " VALUES (:user_id, :key, :fingerprint, :state, :payment_id,"
    " :response_status, :response_body, :created_at, :completed_at)"
    f" ON CONFLICT ON CONSTRAINT {IDEMPOTENCY_KEYS_PKEY} DO NOTHING RETURNING user_id)"
    " SELECT true AS claimed, NULL::text AS user_id, NULL::text AS key,"
    " NULL::text AS fingerprint, NULL::text AS state, NULL::uuid AS payment_id,"
    " NULL::smallint AS response_status, NULL::bytea AS response_body,"
    " NULL::timestamptz AS created_at FROM claimed"
    " UNION ALL"
    " SELECT false, k.user_id, k.key, k.fingerprint, k.state, k.payment_id,"
    " k.response_status, k.response_body, k.created_at"
    " FROM idempotency_keys k WHERE k.user_id = :user_id AND k.key = :key"
    " AND NOT EXISTS (SELECT FROM claimed)"
).columns(
    column("claimed", Boolean),
    column("user_id", Text),
    column("key", Text),
    column("fingerprint", Text),
    column("state", Text),
    column("payment_id", StdUuid()),
    column("response_status", SmallInteger),
    column("response_body", LargeBinary),
    column("created_at", DateTime(timezone=True)),
)
