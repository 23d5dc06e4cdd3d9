"""Throwaway PostgreSQL and RabbitMQ containers, for a machine without the services.

The root conftest uses them only when `WALLET_TEST_DATABASE_URL` / `WALLET_TEST_AMQP_URL`
are not set and a Docker engine answers (testcontainers is imported only then).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

POSTGRES_IMAGE: Final = "postgres:15-alpine"
RABBITMQ_IMAGE: Final = "rabbitmq:3.13-alpine"


def docker_reachable() -> bool:
    """Whether a Docker engine answers a ping within 3 s."""
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@contextmanager
def postgres_container() -> Iterator[str]:
    """A PostgreSQL container for the block; its connection URL (no driver)."""
    from testcontainers.community.postgres import PostgresContainer

    with PostgresContainer(POSTGRES_IMAGE, driver=None) as container:
        yield container.get_connection_url()


@contextmanager
def rabbitmq_container() -> Iterator[tuple[str, list[str]]]:
    """A RabbitMQ container for the block: its AMQP URL and the command prefix that runs
    `rabbitmqctl` inside it (the URL may not answer yet: see `broker_control`)."""
    from testcontainers.core.container import DockerContainer

    with DockerContainer(RABBITMQ_IMAGE).with_exposed_ports(5672) as container:
        host = container.get_container_host_ip()
        url = f"amqp://guest:guest@{host}:{container.get_exposed_port(5672)}/"
        container_id = container.get_wrapped_container().id
        yield url, ["docker", "exec", container_id, "rabbitmqctl", "-q"]
