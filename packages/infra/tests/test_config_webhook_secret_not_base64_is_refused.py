"""docs/operations.md: "an entry that is not a `whsec_<base64>` secret stops the process at
start". The verifier's base64 decoding is not strict (`b64decode` without validate drops
every non-alphabet character), so a check that only builds `standardwebhooks.Webhook`
lets a secret that is not base64 at all start the process whenever its remaining
characters happen to decode: the verifier then holds a key nobody signs with and answers
every webhook 401 while `/readyz` says ready. The settings decode it strictly; unpadded
base64, which the library accepts, stays accepted."""

from __future__ import annotations

import os

import pydantic
import pytest
from wallet_infra.config.settings import Settings


@pytest.fixture
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("WALLET_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("_clean_env")
@pytest.mark.parametrize(
    "value",
    [
        "whsec_my-provider-secret",  # '-' is not base64: 16 letters remain, they decode
        "whsec_not base64 at all!",
        "whsec_bXktcHJvdmlkZXI=c2VjcmV0",  # padding inside
    ],
)
def test_a_webhook_secret_that_is_not_base64_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("WALLET_WEBHOOK_SECRETS", value)
    with pytest.raises(pydantic.ValidationError) as raised:
        Settings()
    assert "webhook_secrets" in str(raised.value)
    assert value.removeprefix("whsec_") not in str(raised.value)


@pytest.mark.usefixtures("_clean_env")
def test_unpadded_base64_is_still_a_webhook_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLET_WEBHOOK_SECRETS", "whsec_dGVzdA")
    assert Settings().webhook_secrets == ("whsec_dGVzdA",)
