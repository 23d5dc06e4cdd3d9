"""Settings shared by every process (env `WALLET_*`, optional YAML)."""

from wallet_infra.config.api_keys import ApiKey
from wallet_infra.config.schema import EXPECTED_SCHEMA_VERSION
from wallet_infra.config.settings import Settings

__all__ = ["EXPECTED_SCHEMA_VERSION", "ApiKey", "Settings"]
