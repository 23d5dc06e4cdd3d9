"""PostgreSQL persistence: SQLAlchemy Core over asyncpg, one adapter per domain port.

Adapters take the request's `AsyncSession` and never commit; `SqlaTransactionManager`
ends the unit of work, so a business change and its outbox event commit together. An
adapter whose every statement goes to the driver may be built on the engine instead
(`Pooled...`, or a driver adapter given the engine): each statement is then its own
transaction, nothing is held per request, and one instance serves the process (with
`Autocommit` as its unit of work).

One rule for sending SQL:

- Every statement is written with SQLAlchemy, as Core or as `text()` with `:name`
  binds; no SQL is numbered by hand (`$1`) or rewritten by a regex.
- By default it runs through SQLAlchemy: `session.execute` on the request's session
  (or `engine.connect()` where there is no request, e.g. a health check or a gauge).
- A hot-path statement that is a whole write or read on its own (a payment's two
  writes, a refusal's key read, the reads behind GET routes: a wallet, its balances, a
  ledger entry, a history page; a consumer's batch, the relay's batch) is wrapped in
  `driver.DriverStatement`, compiled once at import by the asyncpg dialect, and run on
  the raw asyncpg connection through `driver` only (`fetchrow`/`fetch` on the session,
  `fetch_pooled` on the engine's pool, `PoolTransaction` for the relay). On a session it
  joins the session's transaction when one has begun, else it is its own (a read: one
  round trip, no BEGIN/ROLLBACK); a write that must share the caller's transaction
  calls `session.connection()` first. `driver` is the one module that imports asyncpg.
- A long statement (a chain of CTEs) lives in `statements/<table or aggregate>.py`;
  the adapter imports it. Short ones sit next to the adapter that runs them.
- An adapter is named after what it sends through: `Sqla...` if SQLAlchemy executes its
  statements, `Asyncpg...` if they all go to the driver.
"""

from wallet_infra.persistence.charge_corrections import SqlaChargeCorrections
from wallet_infra.persistence.dispute_book import SqlaDisputeBook
from wallet_infra.persistence.engine import make_engine, make_session_factory
from wallet_infra.persistence.hold_book import SqlaHoldBook
from wallet_infra.persistence.idempotency_store import SqlaIdempotencyStore
from wallet_infra.persistence.ledger import SqlaLedger
from wallet_infra.persistence.outbox import SqlaOutboxWriter
from wallet_infra.persistence.payment_book import AsyncpgPaymentBook
from wallet_infra.persistence.pending_deposits import SqlaPendingDeposits
from wallet_infra.persistence.provider_cache import ProviderCache
from wallet_infra.persistence.service_providers import SqlaServiceProviders
from wallet_infra.persistence.transaction_manager import SqlaTransactionManager
from wallet_infra.persistence.transfer_book import SqlaTransferBook
from wallet_infra.persistence.wallet_balances import SqlaWalletBalances
from wallet_infra.persistence.wallet_versions import SqlaWalletVersions
from wallet_infra.persistence.wallets import SqlaWallets

__all__ = [
    "AsyncpgPaymentBook",
    "ProviderCache",
    "SqlaChargeCorrections",
    "SqlaDisputeBook",
    "SqlaHoldBook",
    "SqlaIdempotencyStore",
    "SqlaLedger",
    "SqlaOutboxWriter",
    "SqlaPendingDeposits",
    "SqlaServiceProviders",
    "SqlaTransactionManager",
    "SqlaTransferBook",
    "SqlaWalletBalances",
    "SqlaWalletVersions",
    "SqlaWallets",
    "make_engine",
    "make_session_factory",
]
