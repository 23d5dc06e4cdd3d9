"""API keys as configured: `key` is a service key, `key=user_id` is scoped to a wallet.

Only parsing lives here; matching a presented key (in constant time) is the API's job.
Secrets stay in `SecretStr` so no repr, log line or error message can show them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, SecretStr
from wallet_domain.errors import ValidationError
from wallet_domain.model.wallet import validate_user_id

DEV_API_KEY: Final = "dev-key"


class ApiKey(BaseModel):
    """One configured key. `user_id` None means a service key (every wallet)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    secret: SecretStr
    user_id: str | None = None

    @property
    def is_service_key(self) -> bool:
        return self.user_id is None


def parse_api_key(entry: str) -> ApiKey:
    """`key` or `key=user_id`. Split on the last `=` with something after it, so
    base64-style keys ending in `=` padding still read as service keys."""
    text = entry.strip()
    secret, sep, user_id = text.rpartition("=")
    if not sep or not user_id:
        secret, user_id = text, ""
    if not secret:
        raise ValueError("an API key entry has an empty key")
    if not user_id:
        return ApiKey(secret=SecretStr(secret))
    try:
        validate_user_id(user_id)
    except ValidationError:
        raise ValueError("an API key is scoped to an invalid user_id") from None
    return ApiKey(secret=SecretStr(secret), user_id=user_id)


def parse_api_keys(value: Any) -> tuple[ApiKey, ...]:
    """A comma-separated string (env) or a list of entries (YAML) as ApiKeys.

    Error messages never include the key text: pydantic would echo them into logs.
    """
    if isinstance(value, tuple) and all(isinstance(k, ApiKey) for k in value):
        return value
    entries: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    keys: list[ApiKey] = []
    for entry in entries:
        if isinstance(entry, ApiKey):
            keys.append(entry)
        elif isinstance(entry, str):
            if entry.strip():
                keys.append(parse_api_key(entry))
        else:
            raise ValueError("API key entries must be strings")
    if not keys:
        raise ValueError("at least one API key must be configured")
    secrets = [k.secret.get_secret_value() for k in keys]
    if len(set(secrets)) != len(secrets):
        raise ValueError("an API key is configured more than once")
    return tuple(keys)
