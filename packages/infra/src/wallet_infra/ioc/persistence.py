"""Every persistence adapter bound to its domain port, REQUEST scope (one shared session)."""

from __future__ import annotations

from dishka import Provider, Scope, alias, provide
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.ports.charge_corrections import ChargeCorrections
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.hold_book import HoldBook
from wallet_domain.ports.idempotency_store import IdempotencyReplies, IdempotencyStore
from wallet_domain.ports.ledger import Ledger, LedgerReads
from wallet_domain.ports.outbox import OutboxWriter
from wallet_domain.ports.payment_book import PaymentBook
from wallet_domain.ports.pending_deposits import PendingDeposits
from wallet_domain.ports.provider_event_log import ProviderEventLog
from wallet_domain.ports.provider_payments import ProviderPayments
from wallet_domain.ports.service_providers import ServiceProviders
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.ports.transfer_book import TransferBook
from wallet_domain.ports.wallet_balances import WalletBalances
from wallet_domain.ports.wallet_versions import WalletVersions
from wallet_domain.ports.wallets import Wallets

from wallet_infra.persistence import (
    AsyncpgPaymentBook,
    ProviderCache,
    SqlaChargeCorrections,
    SqlaDisputeBook,
    SqlaHoldBook,
    SqlaIdempotencyStore,
    SqlaLedger,
    SqlaOutboxWriter,
    SqlaPendingDeposits,
    SqlaServiceProviders,
    SqlaTransactionManager,
    SqlaTransferBook,
    SqlaWalletBalances,
    SqlaWallets,
    SqlaWalletVersions,
)
from wallet_infra.persistence.pooled_ledger_reads import PooledLedgerReads
from wallet_infra.persistence.pooled_wallet_reads import PooledWalletReads
from wallet_infra.persistence.provider_event_log import AsyncpgProviderEventLog
from wallet_infra.persistence.provider_payments import SqlaProviderPayments
from wallet_infra.telemetry import current_traceparent


class PersistenceProvider(Provider):
    """Adapters share the request's session, so everything a use case writes, including
    its outbox events, commits or rolls back together through the TransactionManager."""

    scope = Scope.REQUEST

    wallets = provide(SqlaWallets, provides=Wallets)
    balances = provide(SqlaWalletBalances, provides=WalletBalances)
    versions = provide(SqlaWalletVersions, provides=WalletVersions)
    ledger = provide(SqlaLedger, provides=Ledger)
    idempotency = provide(SqlaIdempotencyStore, provides=IdempotencyStore)
    transactions = provide(SqlaTransactionManager, provides=TransactionManager)
    corrections = provide(SqlaChargeCorrections, provides=ChargeCorrections)
    # The provider's events (webhooks) and reconciliation's corrections both lock payments
    # and read the events stored about them.
    provider_event_log = provide(AsyncpgProviderEventLog, provides=ProviderEventLog)
    # A use case asking for the narrower port gets the same session-bound adapter.
    ledger_reads = alias(source=Ledger, provides=LedgerReads)
    idempotency_replies = alias(source=IdempotencyStore, provides=IdempotencyReplies)

    # Hold no session: one per process (see pooled_wallet_reads, pooled_ledger_reads).
    pooled_wallet_reads = provide(PooledWalletReads, scope=Scope.APP)
    pooled_ledger_reads = provide(PooledLedgerReads, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def provider_cache(self) -> ProviderCache:
        """Process-wide: reference data read once per TTL, not once per payment."""
        return ProviderCache()

    @provide
    def service_providers(self, session: AsyncSession, cache: ProviderCache) -> ServiceProviders:
        return SqlaServiceProviders(db=session, cache=cache)

    @provide
    def provider_payments(self, session: AsyncSession) -> ProviderPayments:
        return SqlaProviderPayments(session=session, traceparent_provider=current_traceparent)

    @provide
    def outbox(self, session: AsyncSession) -> OutboxWriter:
        """Each row carries the current span's traceparent (the API request's), so the
        relay's publish and the consumers' handling join the request's trace."""
        return SqlaOutboxWriter(session=session, traceparent_provider=current_traceparent)

    @provide
    def payment_book(self, session: AsyncSession) -> PaymentBook:
        return AsyncpgPaymentBook(db=session, traceparent_provider=current_traceparent)

    @provide
    def hold_book(self, session: AsyncSession) -> HoldBook:
        return SqlaHoldBook(session=session, traceparent_provider=current_traceparent)

    @provide
    def pending_deposits(self, session: AsyncSession) -> PendingDeposits:
        return SqlaPendingDeposits(session=session, traceparent_provider=current_traceparent)

    @provide
    def transfer_book(self, session: AsyncSession) -> TransferBook:
        return SqlaTransferBook(session=session, traceparent_provider=current_traceparent)

    @provide
    def dispute_book(self, session: AsyncSession) -> DisputeBook:
        return SqlaDisputeBook(session=session, traceparent_provider=current_traceparent)
