"""Every use case wired to the fakes as a composition root would: `World`, one `Scope`
per request, and the seeded providers."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Generic
from uuid import UUID

import pytest
from wallet_domain.deadline import Deadline
from wallet_domain.errors import ValidationError
from wallet_domain.model.events import EventType, event_for
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.model.payment_backoff import RecheckBackoff, SettleBackoff
from wallet_domain.model.provider import ServiceProvider
from wallet_domain.model.provider_event import ProviderEventOutcome
from wallet_domain.model.transaction import (
    LedgerEntry,
    TransactionStatus,
    new_payment,
)
from wallet_domain.money import DEFAULT_CURRENCIES, Money
from wallet_domain.ports.answered_keys import AnsweredKeys
from wallet_domain.ports.charge_corrections import ChargeCorrections
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.hold_book import HoldBook
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.idempotency_store import IdempotencyReplies, IdempotencyStore
from wallet_domain.ports.ledger import Ledger, LedgerReads
from wallet_domain.ports.outbox import OutboxWriter
from wallet_domain.ports.payment_book import OpenOutcome, PaymentBook
from wallet_domain.ports.payment_gateway import PaymentGateway
from wallet_domain.ports.pending_deposits import PendingDeposits
from wallet_domain.ports.provider_event_log import ProviderEventLog
from wallet_domain.ports.provider_payments import ProviderPayments
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.ports.service_providers import ServiceProviders
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.ports.transfer_book import TransferBook
from wallet_domain.ports.wallet_balances import BalanceReads, WalletBalances
from wallet_domain.ports.wallet_versions import WalletVersions
from wallet_domain.ports.wallets import WalletLookup, Wallets
from wallet_domain.settlement import PaymentSettlement
from wallet_domain.use_cases.add_dispute_evidence import AddDisputeEvidence
from wallet_domain.use_cases.apply_dispute_update import ApplyDisputeUpdate
from wallet_domain.use_cases.apply_provider_event import ApplyProviderEvent
from wallet_domain.use_cases.cancel_dispute import CancelDispute
from wallet_domain.use_cases.correct_refunded_charge import CorrectRefundedCharge
from wallet_domain.use_cases.create_hold import CreateHold
from wallet_domain.use_cases.create_wallet import CreateWallet
from wallet_domain.use_cases.deposit import Deposit
from wallet_domain.use_cases.expire_holds import ExpireHolds
from wallet_domain.use_cases.forward_dispute_evidence import ForwardDisputeEvidence
from wallet_domain.use_cases.get_balance import GetBalance
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
from wallet_domain.use_cases.pay import Pay, PayRequest
from wallet_domain.use_cases.resolve_pending_payments import ResolvePendingPayments
from wallet_domain.use_cases.settle_deposit import SettleDeposit
from wallet_domain.use_cases.settle_hold import SettleHold
from wallet_domain.use_cases.settle_stranded_filings import SettleStrandedFilings
from wallet_domain.wallet_precondition import WalletPrecondition, WritePrecondition

from wallet_testkit.fakes.answered_keys import NotedKeys
from wallet_testkit.fakes.charge_corrections import FakeChargeCorrections
from wallet_testkit.fakes.clock import EPOCH, FixedClock, SequentialIds
from wallet_testkit.fakes.dispute_book import FakeDisputeBook
from wallet_testkit.fakes.dispute_updates import ScriptedDisputeUpdates
from wallet_testkit.fakes.hold_book import FakeHoldBook
from wallet_testkit.fakes.idempotency_store import FakeIdempotencyStore
from wallet_testkit.fakes.ledger import FakeLedger
from wallet_testkit.fakes.outbox import FakeOutbox
from wallet_testkit.fakes.payment_book import FakePaymentBook
from wallet_testkit.fakes.payment_gateway import ScriptedGateway
from wallet_testkit.fakes.pending_deposits import FakePendingDeposits
from wallet_testkit.fakes.provider_event_log import FakeProviderEventLog
from wallet_testkit.fakes.provider_event_monitor import CountingMonitor
from wallet_testkit.fakes.provider_payments import FakeProviderPayments
from wallet_testkit.fakes.response_encoder import JsonResponseEncoder
from wallet_testkit.fakes.service_providers import FakeServiceProviders
from wallet_testkit.fakes.store import InMemoryDatabase
from wallet_testkit.fakes.transfer_book import FakeTransferBook
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager
from wallet_testkit.fakes.wallet_versions import FakeWalletVersions
from wallet_testkit.fakes.wallets import FakeWalletBalances, FakeWallets
from wallet_testkit.fakes.wiring import Built, assemble

PROVIDER: Final = ServiceProvider(
    id=UUID("018f0000-0000-7000-8000-00000000a001"), name="Power Co", active=True
)
WATER: Final = ServiceProvider(
    id=UUID("018f0000-0000-7000-8000-00000000a002"), name="Aqua Utility", active=True
)
RETIRED: Final = ServiceProvider(
    id=UUID("018f0000-0000-7000-8000-00000000a003"), name="Old Telecom", active=False
)
CURRENCIES: Final = DEFAULT_CURRENCIES
SAMPLE_PAYMENT_ID: Final = UUID("01900000-0000-7000-8000-000000000001")


def sample_payment(status: TransactionStatus = TransactionStatus.PENDING) -> LedgerEntry:
    """Alice's 2,500 USD payment of bill-42 to `PROVIDER`, made at `EPOCH` (PENDING) and,
    for any other `status`, settled to it at `EPOCH`: for model tests."""
    pending = new_payment(
        id=SAMPLE_PAYMENT_ID,
        user_id="alice",
        money=Money(2_500, "USD"),
        provider_id=PROVIDER.id,
        external_reference="bill-42",
        at=EPOCH,
    )
    return pending if status is TransactionStatus.PENDING else pending.settle(status, EPOCH)


def bill_payment(key: str, amount: int, currency: str = "USD") -> PayRequest:
    """Alice pays `PROVIDER` the bill `bill-<key>` under Idempotency-Key `key` (30 s)."""
    return PayRequest(
        user_id="alice",
        idempotency_key=key,
        provider_id=PROVIDER.id,
        external_reference=f"bill-{key}",
        amount=amount,
        currency=currency,
        deadline=Deadline.after(30),
    )


async def refused_field(scope: Scope, request: Awaitable[object]) -> str:
    """The `field` of the ValidationError `request` (a use case run in `scope`) raises,
    once it is checked that the refusal left the request's unit of work unwritten."""
    with pytest.raises(ValidationError) as caught:
        await request
    assert not scope.tx.has_pending_writes
    field: str = caught.value.details["field"]
    return field


class Scope:
    """One request: its unit of work and the repositories bound to it."""

    def __init__(self, db: InMemoryDatabase) -> None:
        self.tx = FakeTransactionManager(db)
        self.wallets = FakeWallets(self.tx)
        self.balances = FakeWalletBalances(self.tx)
        self.ledger = FakeLedger(self.tx)
        self.idempotency = FakeIdempotencyStore(self.tx)
        self.outbox = FakeOutbox(self.tx)
        self.book = FakePaymentBook(self.tx)
        self.holds = FakeHoldBook(self.tx)
        self.pending = FakePendingDeposits(self.tx)
        self.transfers = FakeTransferBook(self.tx)
        self.disputes = FakeDisputeBook(self.tx)
        self.provider_payments = FakeProviderPayments(self.tx)
        self.provider_events = FakeProviderEventLog(self.tx)
        self.corrections = FakeChargeCorrections(self.tx)
        self.versions = FakeWalletVersions(self.tx)

    def ports(self) -> dict[object, object]:
        """This request's fakes, by the port each stands for."""
        return {
            TransactionManager: self.tx,
            Wallets: self.wallets,
            WalletLookup: self.wallets,
            WalletBalances: self.balances,
            BalanceReads: self.balances,
            Ledger: self.ledger,
            LedgerReads: self.ledger,
            IdempotencyStore: self.idempotency,
            IdempotencyReplies: self.idempotency,
            OutboxWriter: self.outbox,
            PaymentBook: self.book,
            HoldBook: self.holds,
            PendingDeposits: self.pending,
            TransferBook: self.transfers,
            DisputeBook: self.disputes,
            ProviderPayments: self.provider_payments,
            ProviderEventLog: self.provider_events,
            ChargeCorrections: self.corrections,
            WalletVersions: self.versions,
            # The If-Match check a use case gets from the API's container (Pay's port).
            WritePrecondition: WalletPrecondition(
                versions=self.versions, idempotency=self.idempotency, tx=self.tx
            ),
        }


class wired(Generic[Built]):  # lower case: read like Dishka's `provide(UseCase)`
    """A `World` attribute that builds `use_case` when called: `world.pay()` in a fresh
    request scope, `world.pay(scope)` in that one."""

    def __init__(self, use_case: type[Built]) -> None:
        self.use_case = use_case

    def __get__(self, world: World, owner: type[World] | None = None) -> _Wiring[Built]:
        return _Wiring(world, self.use_case)


@dataclass(frozen=True, slots=True)
class _Wiring(Generic[Built]):
    world: World
    use_case: type[Built]

    def __call__(self, scope: Scope | None = None) -> Built:
        return self.world.build(self.use_case, scope)


class World:
    """Everything a use case needs, wired the way a composition root would, with a fresh
    request scope per use case unless one is passed in."""

    def __init__(self) -> None:
        self.clock = FixedClock()  # the app's and the database's: one clock here
        self.db = InMemoryDatabase(providers=[PROVIDER, WATER, RETIRED], clock=self.clock)
        self.ids = SequentialIds()
        self.gateway = ScriptedGateway()
        self.encoder = JsonResponseEncoder()
        self.providers = FakeServiceProviders(self.db)
        # APP-scoped like the API's: what one request notes, the next one of this world sees.
        self.answered_keys: AnsweredKeys = NotedKeys()
        self.scopes: list[Scope] = []
        # APP-scoped like the API's: shared by every recovery round of this world.
        self.settle_backoff = SettleBackoff(base=timedelta(minutes=1), cap=timedelta(hours=1))
        self.recheck_backoff = RecheckBackoff(base=timedelta(seconds=30), cap=timedelta(minutes=5))

    def scope(self) -> Scope:
        scope = Scope(self.db)
        self.scopes.append(scope)
        return scope

    def seed_wallet(self, user_id: str, **balances: int) -> None:
        self.db.seed_wallet(user_id, ids=self.ids, at=self.clock.now(), **balances)

    async def pending_payment(
        self, user_id: str, money: Money, *, key: str | None = None
    ) -> LedgerEntry:
        """A committed PENDING payment with its debit, key and event, as transaction 1
        leaves it (the wallet must afford it)."""
        scope = self.scope()
        payment = new_payment(
            id=self.ids.new_id(),
            user_id=user_id,
            money=money,
            provider_id=PROVIDER.id,
            external_reference="bill-42",
            at=self.clock.now(),
        )
        opening = await scope.book.open(
            payment,
            IdempotencyRecord(
                user_id=user_id,
                key=key or f"key-{payment.id}",
                fingerprint="f",
                state=IdempotencyState.IN_PROGRESS,
                created_at=payment.created_at,
                payment_id=payment.id,
            ),
            event_for(
                EventType.PAYMENT_CREATED,
                payment,
                event_id=self.ids.new_id(),
                at=payment.created_at,
            ),
            StoredResponse(409, b"refused"),
        )
        assert opening.outcome is OpenOutcome.DEBITED, opening
        await scope.tx.commit()
        return payment

    def build(self, service: type[Built], scope: Scope | None = None, **extra: object) -> Built:
        """`service` (a use case, or a domain service made of ports) with each field filled
        by its type, as the apps' Dishka containers fill it: a port by its fake, bound to
        `scope` (a fresh request scope unless one is passed in) or to this world; a domain
        service (WalletPrecondition, PaymentSettlement) built the same way. `extra` fills,
        by name, the fields this world has no fake for."""
        bound = scope or self.scope()
        return assemble(service, {**self._app_ports(), **bound.ports()}, extra)

    def _app_ports(self) -> dict[object, object]:
        return {
            Clock: self.clock,
            IdGenerator: self.ids,
            ResponseEncoder: self.encoder,
            PaymentGateway: self.gateway,
            ServiceProviders: self.providers,
            AnsweredKeys: self.answered_keys,
            SettleBackoff: self.settle_backoff,
            RecheckBackoff: self.recheck_backoff,
            frozenset[str]: CURRENCIES,
        }

    def precondition(self, scope: Scope) -> WalletPrecondition:
        return self.build(WalletPrecondition, scope)

    def settlement(self, scope: Scope) -> PaymentSettlement:
        return self.build(PaymentSettlement, scope)

    def list_providers(self) -> ListProviders:
        return ListProviders(providers=self.providers)

    # `world.deposit()` (a fresh request scope) or `world.deposit(scope)`: see `build`.
    create_wallet = wired(CreateWallet)
    deposit = wired(Deposit)
    pay = wired(Pay)
    resolver = wired(ResolvePendingPayments)
    correct_refunded_charge = wired(CorrectRefundedCharge)
    get_balance = wired(GetBalance)
    list_transactions = wired(ListTransactions)
    get_payment = wired(GetPayment)
    make_transfer = wired(MakeTransfer)
    get_transfer = wired(GetTransfer)
    create_hold = wired(CreateHold)
    settle_hold = wired(SettleHold)
    expire_holds = wired(ExpireHolds)
    get_hold = wired(GetHold)
    list_holds = wired(ListHolds)
    settle_deposit = wired(SettleDeposit)
    open_dispute = wired(OpenDispute)
    settle_stranded_filings = wired(SettleStrandedFilings)
    forward_dispute_evidence = wired(ForwardDisputeEvidence)
    add_dispute_evidence = wired(AddDisputeEvidence)
    cancel_dispute = wired(CancelDispute)
    list_disputes = wired(ListDisputes)
    apply_dispute_update = wired(ApplyDisputeUpdate)
    get_wallet = wired(GetWallet)


class ProviderEventWorld:
    """A `World` plus what applying provider events needs, one request scope per event."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.monitor = CountingMonitor()
        self.disputes = ScriptedDisputeUpdates(ProviderEventOutcome.UNKNOWN_TARGET)

    def apply(self, scope: Scope | None = None) -> ApplyProviderEvent:
        bound = scope or self.world.scope()
        return self.world.build(
            ApplyProviderEvent,
            bound,
            payments=FakeProviderPayments(bound.tx),
            events=FakeProviderEventLog(bound.tx),
            disputes=self.disputes,
            monitor=self.monitor,
        )
