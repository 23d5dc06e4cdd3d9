"""Provider webhook secrets as configured (`WALLET_WEBHOOK_SECRETS`): Standard Webhooks
`whsec_<base64>` strings, comma-separated, any of which verifies a webhook.

Checked at start-up, never at the first webhook. The verifier's own decoding is lenient
(`b64decode` without `validate` drops every non-alphabet character), so a secret that is
not base64 at all would still load as some other key, nobody would sign with it, and every
webhook would answer 401 while `/readyz` says ready. Errors never echo a secret.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final

from standardwebhooks.webhooks import Webhook

from wallet_infra.config.lists import split_list

_PREFIX: Final = "whsec_"
_MALFORMED: Final = "a webhook secret is not a whsec_<base64> secret"


def _check(secret: str) -> None:
    encoded = secret.removeprefix(_PREFIX)
    # Padding may be left off, as the library allows; every other character must be base64.
    try:
        base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError(_MALFORMED) from None
    # Made as the verifier makes it: its own refusals (an empty key) stop start-up too.
    try:
        Webhook(secret)
    except Exception:  # the library's errors (empty key) are not ValueErrors
        raise ValueError(_MALFORMED) from None


def parse_webhook_secrets(value: Any) -> tuple[str, ...]:
    """The comma-separated secrets in order; ValueError (naming none) if one is malformed."""
    secrets = tuple(split_list(value))
    for secret in secrets:
        _check(secret)
    return secrets
