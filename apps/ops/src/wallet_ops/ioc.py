"""The operator tools' providers: what `wallet-reconcile` reads, and the use cases its
`--fix` corrects through."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NewType

import httpx
from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_api.http.response_encoder import JsonResponseEncoder
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.ledger_payments import LedgerPayments
from wallet_domain.ports.provider_charges import ProviderCharges
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.settlement import PaymentSettlement
from wallet_domain.use_cases.correct_refunded_charge import CorrectRefundedCharge
from wallet_domain.use_cases.reconcile_payments import ReconcilePayments
from wallet_domain.use_cases.resolve_pending_payments import ResolvePendingPayments
from wallet_infra.config.settings import Settings
from wallet_infra.gateway.provider_charges import HttpxProviderCharges
from wallet_infra.persistence.ledger_payments import SqlaLedgerPayments

ProviderRecordsClient = NewType("ProviderRecordsClient", httpx.AsyncClient)


class ReconcileProvider(Provider):
    """The provider's records over their own HTTP client (not the charge path's, whose
    breaker and bulkhead guard payments), the ledger on the request's session; the
    corrections through the same use cases, settlement and reply encoding as the API, so a
    payment settled here is settled exactly as the recovery worker would have."""

    scope = Scope.REQUEST

    encoder = provide(JsonResponseEncoder, provides=ResponseEncoder, scope=Scope.APP)
    settlement = provide(PaymentSettlement)
    resolve_pending = provide(ResolvePendingPayments)
    correct_refunded_charge = provide(CorrectRefundedCharge)

    @provide(scope=Scope.APP)
    async def client(self, settings: Settings) -> AsyncIterator[ProviderRecordsClient]:
        timeout = httpx.Timeout(
            settings.gateway.attempt_timeout_s * 5, connect=settings.gateway.connect_timeout_s
        )
        async with httpx.AsyncClient(base_url=settings.gateway.url, timeout=timeout) as client:
            yield ProviderRecordsClient(client)

    @provide(scope=Scope.APP)
    def provider_charges(self, client: ProviderRecordsClient) -> ProviderCharges:
        return HttpxProviderCharges(client=client)

    @provide
    def ledger_payments(self, session: AsyncSession) -> LedgerPayments:
        return SqlaLedgerPayments(session=session)

    @provide
    def reconcile(
        self, ledger: LedgerPayments, provider: ProviderCharges, clock: Clock
    ) -> ReconcilePayments:
        return ReconcilePayments(ledger=ledger, provider=provider, clock=clock)
