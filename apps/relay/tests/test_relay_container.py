"""The relay's composition root: every port resolves to its real adapter."""

from __future__ import annotations

from datetime import timedelta

from faststream.rabbit import RabbitBroker
from wallet_domain.model.publish_retry import PublishRetry
from wallet_domain.ports.event_publisher import EventPublisher
from wallet_domain.ports.outbox_relay import OutboxRelayStore
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.use_cases.purge_sent_events import PurgeSentEvents
from wallet_domain.use_cases.relay_outbox import RelayOutbox
from wallet_infra.config.settings import Settings
from wallet_infra.messaging.publisher import FaststreamEventPublisher
from wallet_infra.persistence.driver import PoolTransaction
from wallet_infra.persistence.outbox_relay_store import AsyncpgOutboxRelayStore
from wallet_relay.config import RelayConfig
from wallet_relay.main import make_app


async def test_the_container_wires_the_relay() -> None:
    container = make_app(settings=Settings()).container
    try:
        broker = await container.get(RabbitBroker)
        publisher = await container.get(EventPublisher)
        assert isinstance(publisher, FaststreamEventPublisher)
        assert await container.get(RabbitBroker) is broker  # one per process
        async with container() as request:
            assert isinstance(await request.get(OutboxRelayStore), AsyncpgOutboxRelayStore)
            # The store's transaction is the one the use cases commit.
            assert await request.get(TransactionManager) is await request.get(PoolTransaction)
            relay = await request.get(RelayOutbox)
            assert isinstance(relay, RelayOutbox)
            assert relay.retry == PublishRetry(base=timedelta(seconds=1), cap=timedelta(seconds=60))
            assert isinstance(await request.get(PurgeSentEvents), PurgeSentEvents)
    finally:
        await container.close()


def test_the_config_comes_from_the_settings() -> None:
    settings = Settings(
        relay_batch_size=250,
        relay_poll_interval_s=0.5,
        relay_max_backoff_s=3.0,
        relay_retention_h=48,
        relay_purge_interval_s=60.0,
    )
    config = RelayConfig.from_settings(settings)
    assert (config.batch_size, config.poll_interval_s, config.max_backoff_s) == (250, 0.5, 3.0)
    assert config.retention.total_seconds() == 48 * 3600
    assert config.purge_interval_s == 60.0


def test_the_settings_defaults_match_the_spec() -> None:
    settings = Settings()
    assert settings.relay_batch_size == 500
    assert settings.relay_poll_interval_s == 1.0
    assert settings.relay_max_backoff_s == 10.0
    assert settings.relay_retention_h == 24
    assert settings.relay_purge_interval_s == 300
    assert (settings.relay_retry_base_s, settings.relay_retry_max_s) == (1.0, 60.0)
