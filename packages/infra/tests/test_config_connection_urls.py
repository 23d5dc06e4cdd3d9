"""Connection URLs the drivers would misread are refused when the settings load, and the
error names the setting but never the value (it holds a password)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from wallet_infra.config import Settings

PASSWORD = "S3cretPW"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("database_url", f"postgresql://wallet:{PASSWORD}/wallet"),  # `@host` forgotten
        ("database_url", f"postgresql://wallet:p@{PASSWORD}@127.0.0.1:5432/wallet"),  # an @
        ("database_url", f"mysql://wallet:{PASSWORD}@localhost/wallet"),
        ("database_replica_urls", f"postgresql://wallet:p@{PASSWORD}@127.0.0.1:5433/wallet"),
        ("database_replica_urls", f"postgresql://wallet:{PASSWORD}/wallet"),
        ("amqp_url", f"amqp://guest:{PASSWORD}/"),
        # A password with `/`, `?` or `#` before its unescaped `@`.
        ("database_url", f"postgresql://wallet:a/b@{PASSWORD}@db.internal:5432/wallet"),
        ("database_replica_urls", f"postgresql://u:a?b@{PASSWORD}@db.internal/w"),
        ("database_url", f"postgresql://u:a#b@{PASSWORD}@db.internal/w"),
        ("amqp_url", f"amqp://guest:a/b@{PASSWORD}@localhost:5672/"),
    ],
)
def test_a_url_the_drivers_would_misread_is_refused_without_echoing_it(
    setting: str, value: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{setting: value})

    assert PASSWORD not in str(refused.value)
    assert "WALLET_" in str(refused.value)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("database_url", "postgresql://wallet:wallet@localhost:5432/wallet"),
        ("database_url", "postgres://wallet:p%40ss@db/wallet"),  # an @ percent-encoded
        ("database_url", "postgresql:///wallet?host=/var/run/postgresql"),  # a socket
        ("database_replica_urls", "postgresql://a:b@r1:5433/w,postgresql://a:b@r2/w"),
        ("amqp_url", "amqp://guest:guest@localhost:5672/"),
        ("amqp_url", "amqps://user:pw@broker/vhost"),
        ("amqp_url", "amqp://guest:p@ss@localhost:5672/"),  # yarl reads the password whole
        ("database_url", "postgresql://wallet:p[x]@db/wallet"),  # brackets in a password
        ("database_url", "postgresql://wallet:wallet@[::1]:5432/wallet"),
    ],
)
def test_well_formed_urls_are_taken(setting: str, value: str) -> None:
    Settings(**{setting: value})
