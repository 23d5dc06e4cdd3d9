"""`WALLET_WEBHOOK_SECRETS` is checked at start: an entry that is not a `whsec_<base64>`
secret (not base64, or an empty key, alone or beside a good one) is a settings
ValidationError naming the setting and never echoing the value, not a process that says
it is ready and then answers every webhook with a 500 (the library's own error for an
empty key is not even a ValueError) or a 401 (the library's base64 decoding drops every
character outside the alphabet, so `whsec_my-provider-secret` would load as a key nobody
signs with). Unpadded base64, which the library accepts, stays accepted."""

from __future__ import annotations

import os

import pydantic
import pytest
from wallet_infra.config.settings import DEV_WEBHOOK_SECRET, Settings

NOT_BASE64 = "whsec_!!!not-base64"


@pytest.fixture
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("WALLET_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("_clean_env")
@pytest.mark.parametrize(
    "value",
    [
        NOT_BASE64,
        f"{DEV_WEBHOOK_SECRET},{NOT_BASE64}",
        "whsec_",
        "whsec_==",
        f"{DEV_WEBHOOK_SECRET},whsec_",
        "whsec_my-provider-secret",  # '-' is not base64: the 16 letters left would decode
        "whsec_not base64 at all!",
        "whsec_bXktcHJvdmlkZXI=c2VjcmV0",  # padding inside
    ],
)
def test_a_malformed_webhook_secret_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("WALLET_WEBHOOK_SECRETS", value)
    with pytest.raises(pydantic.ValidationError) as raised:
        Settings()
    assert "webhook_secrets" in str(raised.value)
    assert "not-base64" not in str(raised.value)
    if secret := value.split(",")[-1].removeprefix("whsec_"):
        assert secret not in str(raised.value)


@pytest.mark.usefixtures("_clean_env")
def test_good_secrets_are_kept_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLET_WEBHOOK_SECRETS", f"{DEV_WEBHOOK_SECRET}, whsec_dGVzdA==")
    assert Settings().webhook_secrets == (DEV_WEBHOOK_SECRET, "whsec_dGVzdA==")


@pytest.mark.usefixtures("_clean_env")
def test_unpadded_base64_is_still_a_webhook_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLET_WEBHOOK_SECRETS", "whsec_dGVzdA")
    assert Settings().webhook_secrets == ("whsec_dGVzdA",)
