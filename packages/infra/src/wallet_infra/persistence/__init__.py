"""PostgreSQL persistence: SQLAlchemy Core over asyncpg, one adapter per domain port.

Adapters take the request's `AsyncSession` and never commit; `SqlaTransactionManager`
ends the unit of work, so a business change and its outbox event commit together.
"""

from wallet_infra.persistence.engine import make_engine, make_session_factory
from wallet_infra.persistence.idempotency_store import SqlaIdempotencyStore
from wallet_infra.persistence.ledger import SqlaLedger
from wallet_infra.persistence.outbox import SqlaOutboxWriter
from wallet_infra.persistence.payment_book import SqlaPaymentBook
from wallet_infra.persistence.provider_cache import ProviderCache
from wallet_infra.persistence.service_providers import SqlaServiceProviders
from wallet_infra.persistence.transaction_manager import SqlaTransactionManager
from wallet_infra.persistence.transfer_book import SqlaTransferBook
from wallet_infra.persistence.wallet_balances import SqlaWalletBalances
from wallet_infra.persistence.wallets import SqlaWallets

__all__ = [
    "ProviderCache",
    "SqlaIdempotencyStore",
    "SqlaLedger",
    "SqlaOutboxWriter",
    "SqlaPaymentBook",
    "SqlaServiceProviders",
    "SqlaTransactionManager",
    "SqlaTransferBook",
    "SqlaWalletBalances",
    "SqlaWallets",
    "make_engine",
    "make_session_factory",
]
