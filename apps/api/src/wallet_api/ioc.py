"""The API's own providers: use cases, the response encoder, request context, probes."""

from __future__ import annotations

from dishka import Provider, Scope, alias, provide
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.deadline import Deadline
from wallet_domain.errors import Unauthorized
from wallet_domain.ports.answered_keys import AnsweredKeys
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.payment_gateway import PaymentGateway
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.settlement import PaymentSettlement
from wallet_domain.use_cases.add_dispute_evidence import AddDisputeEvidence
from wallet_domain.use_cases.cancel_dispute import CancelDispute
from wallet_domain.use_cases.create_hold import CreateHold
from wallet_domain.use_cases.create_wallet import CreateWallet
from wallet_domain.use_cases.deposit import Deposit
from wallet_domain.use_cases.expire_holds import ExpireHolds
from wallet_domain.use_cases.forward_dispute_evidence import ForwardDisputeEvidence
from wallet_domain.use_cases.get_balance import GetBalance
from wallet_domain.use_cases.get_dispute import GetDispute
from wallet_domain.use_cases.get_hold import GetHold
from wallet_domain.use_cases.get_payment import GetPayment
from wallet_domain.use_cases.get_transfer import GetTransfer
from wallet_domain.use_cases.get_wallet import GetWallet
from wallet_domain.use_cases.list_disputes import ListDisputes
from wallet_domain.use_cases.list_holds import ListHolds
from wallet_domain.use_cases.list_providers import ListProviders
from wallet_domain.use_cases.list_transactions import ListTransactions
from wallet_domain.use_cases.make_transfer import MakeTransfer
from wallet_domain.use_cases.open_dispute import OpenDispute
from wallet_domain.use_cases.pay import Pay
from wallet_domain.use_cases.resolve_pending_payments import ResolvePendingPayments
from wallet_domain.use_cases.settle_deposit import SettleDeposit
from wallet_domain.use_cases.settle_hold import SettleHold
from wallet_domain.use_cases.settle_stranded_filings import SettleStrandedFilings
from wallet_domain.wallet_precondition import (
    Unconditional,
    WalletPrecondition,
    WritePrecondition,
)
from wallet_infra.answered_keys import RecentAnsweredKeys
from wallet_infra.config import EXPECTED_SCHEMA_VERSION
from wallet_infra.config.settings import Settings
from wallet_infra.health import HealthProbe, broker_reachable, database_and_schema
from wallet_infra.persistence.autocommit import Autocommit
from wallet_infra.persistence.idempotency_store import PooledIdempotencyReplies
from wallet_infra.persistence.payment_book import AsyncpgPaymentBook
from wallet_infra.persistence.pooled_ledger_reads import PooledLedgerReads
from wallet_infra.persistence.pooled_wallet_reads import PooledWalletReads
from wallet_infra.persistence.provider_cache import ProviderCache
from wallet_infra.persistence.service_providers import SqlaServiceProviders
from wallet_infra.read_replicas import (
    ReadConsistency,
    ReadRouter,
    ReplicaFirstDisputeBook,
    ReplicaFirstHoldBook,
    ReplicaFirstLedger,
    ReplicaFirstTransferBook,
    ReplicaFirstWallets,
)
from wallet_infra.read_replicas.primary_only import PrimaryOnlyLedger, PrimaryOnlyWallets
from wallet_infra.telemetry import current_traceparent

from wallet_api.auth.principal import Principal
from wallet_api.http.consistency import read_consistency
from wallet_api.http.context import deadline_of, principal_of
from wallet_api.http.gateway_webhooks import GatewayWebhooks
from wallet_api.http.response_encoder import JsonResponseEncoder
from wallet_api.routes.payments import UnconditionalPay


class ApiProvider(Provider):
    """Use cases are REQUEST-scoped: they hold the request's session-bound ports. One that
    only reads, each read its own statement, can be APP-scoped with pool-bound ports
    instead (`GetBalance`): a request then resolves nothing per request for it. So can a
    write none of whose statements shares a transaction with another: a payment without
    If-Match (`UnconditionalPay`).

    The read-only use cases whose answers may lag (history, hold lists, lookups of
    settled resources) get replica-first ports on the request's `ReadRouter`; every other
    use case, and so every write, balance and idempotency lookup, gets the primary's."""

    scope = Scope.REQUEST

    encoder = provide(JsonResponseEncoder, provides=ResponseEncoder, scope=Scope.APP)
    create_wallet = provide(CreateWallet)
    deposit = provide(Deposit)
    pay = provide(Pay)
    # Shared by payments and the recovery worker, so both settle alike.
    settlement = provide(PaymentSettlement)
    # Shared by every money-moving write that takes If-Match.
    wallet_precondition = provide(WalletPrecondition)
    write_precondition = alias(source=WalletPrecondition, provides=WritePrecondition)
    make_transfer = provide(MakeTransfer)
    list_providers = provide(ListProviders)
    resolve_pending = provide(ResolvePendingPayments)
    get_wallet = provide(GetWallet)
    create_hold = provide(CreateHold)
    settle_hold = provide(SettleHold)
    expire_holds = provide(ExpireHolds)
    settle_deposit = provide(SettleDeposit)
    open_dispute = provide(OpenDispute)
    settle_stranded_filings = provide(SettleStrandedFilings)
    forward_dispute_evidence = provide(ForwardDisputeEvidence)
    add_dispute_evidence = provide(AddDisputeEvidence)
    cancel_dispute = provide(CancelDispute)
    get_dispute = provide(GetDispute)

    @provide(scope=Scope.APP)
    def answered_keys(self) -> AnsweredKeys:
        """One per process, shared by both payment wirings: a replay is most often the
        same client's retry, answered by the process that answered its request."""
        return RecentAnsweredKeys()

    @provide(scope=Scope.APP)
    def get_balance(self, reads: PooledWalletReads, currencies: frozenset[str]) -> GetBalance:
        """One per process: its reads hold no session, so a balance request resolves
        nothing per request (see request_containers.py)."""
        return GetBalance(wallets=reads, balances=reads, currencies=currencies)

    @provide(scope=Scope.APP)
    def unconditional_pay(
        self,
        engine: AsyncEngine,
        providers: ProviderCache,
        gateway: PaymentGateway,
        clock: Clock,
        ids: IdGenerator,
        encoder: ResponseEncoder,
        currencies: frozenset[str],
        answered: AnsweredKeys,
    ) -> UnconditionalPay:
        """`Pay` for a request without If-Match, once per process: without a wallet lock
        to hold, none of its statements shares a transaction with another (the opening
        and the settlement are one statement each), so every port runs its statements on
        the engine's pool and nothing is built or closed per payment (~0.1 ms of CPU at
        32 clients: the request's container, session and a dozen adapters)."""
        book = AsyncpgPaymentBook(db=engine, traceparent_provider=current_traceparent)
        return UnconditionalPay(
            Pay(
                providers=SqlaServiceProviders(db=engine, cache=providers),
                ledger=PooledLedgerReads(engine=engine),
                idempotency=PooledIdempotencyReplies(engine=engine),
                book=book,
                settlement=PaymentSettlement(book=book, clock=clock, ids=ids, encoder=encoder),
                gateway=gateway,
                tx=Autocommit(),
                clock=clock,
                ids=ids,
                encoder=encoder,
                currencies=currencies,
                precondition=Unconditional(),
                answered=answered,
            )
        )

    @provide
    def read_consistency(self, request: Request) -> ReadConsistency:
        return read_consistency(request.headers)

    @provide
    def get_payment(self, router: ReadRouter) -> GetPayment:
        return GetPayment(ledger=ReplicaFirstLedger(router=router))

    @provide
    def get_transfer(self, router: ReadRouter) -> GetTransfer:
        return GetTransfer(book=ReplicaFirstTransferBook(router=router))

    @provide
    def get_hold(self, router: ReadRouter) -> GetHold:
        return GetHold(book=ReplicaFirstHoldBook(router=router))

    @provide
    def list_holds(self, router: ReadRouter) -> ListHolds:
        return ListHolds(
            wallets=ReplicaFirstWallets(router=router), book=ReplicaFirstHoldBook(router=router)
        )

    @provide
    def list_disputes(self, router: ReadRouter) -> ListDisputes:
        return ListDisputes(
            wallets=ReplicaFirstWallets(router=router), book=ReplicaFirstDisputeBook(router=router)
        )

    @provide
    def list_transactions(self, router: ReadRouter, currencies: frozenset[str]) -> ListTransactions:
        return ListTransactions(
            wallets=ReplicaFirstWallets(router=router),
            ledger=ReplicaFirstLedger(router=router),
            currencies=currencies,
        )

    @provide
    def principal(self, request: Request) -> Principal:
        """Set by the API-key middleware; its absence means a route escaped auth."""
        principal = principal_of(request.scope)
        if principal is None:
            raise Unauthorized()
        return principal

    @provide
    def deadline(self, request: Request, settings: Settings) -> Deadline:
        """Started by the deadline middleware when the request arrived."""
        return deadline_of(request.scope) or Deadline.after(settings.request_timeout_s)

    @provide(scope=Scope.APP)
    def gateway_webhooks(self, settings: Settings) -> GatewayWebhooks:
        """Sync-mode webhooks: verified with `WALLET_WEBHOOK_SECRETS`."""
        return GatewayWebhooks(settings.webhook_secrets)

    @provide(scope=Scope.APP)
    def readiness(self, engine: AsyncEngine, settings: Settings) -> HealthProbe:
        """`/readyz`: the database, the schema version this code expects, the broker."""
        return HealthProbe(
            database_and_schema(engine, expected_version=EXPECTED_SCHEMA_VERSION),
            broker_reachable(settings.amqp_url, connection_name="wallet-api readiness"),
        )


class PrimaryOnlyHistoryProvider(Provider):
    """Added after ApiProvider when the process has no replica: the history page, the hot
    read of the lag-tolerant ones, is then the primary's in any case, so ListTransactions
    is built once per process on pool-bound reads (`read_replicas/primary_only.py`)
    instead of per request on a `ReadRouter`."""

    @provide(scope=Scope.APP)
    def list_transactions(
        self, engine: AsyncEngine, currencies: frozenset[str]
    ) -> ListTransactions:
        return ListTransactions(
            wallets=PrimaryOnlyWallets(engine=engine),
            ledger=PrimaryOnlyLedger(engine=engine),
            currencies=currencies,
        )
