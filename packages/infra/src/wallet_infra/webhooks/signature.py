"""Verify a provider webhook's Standard Webhooks signature, with several secrets.

The `standardwebhooks` library does the work (HMAC-SHA256 over `{id}.{timestamp}.{body}`,
constant-time comparison, a 5-minute timestamp tolerance both ways). It takes one secret;
during a rotation the provider signs with the new secret while we still accept the old,
so a body verifies when any configured secret verifies it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from wallet_domain.errors import ValidationError, WebhookSignatureInvalid
from wallet_domain.model.provider_event import ProviderEvent

from wallet_infra.webhooks.provider_event_body import decode_provider_event

WEBHOOK_ID_HEADER = "webhook-id"


class WebhookVerifier:
    """Checks signature and timestamp, then decodes; shared by both webhook modes."""

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("at least one webhook secret is needed to verify webhooks")
        self._webhooks = tuple(Webhook(secret) for secret in secrets)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> str:
        """The verified webhook's `webhook-id`; `WebhookSignatureInvalid` unless one secret
        verifies `body` and `headers`."""
        plain = {name.lower(): value for name, value in headers.items()}
        for webhook in self._webhooks:
            try:
                webhook.verify(body, plain, json_parse=False)
            except WebhookVerificationError:
                continue
            return plain[WEBHOOK_ID_HEADER]  # the library refuses a webhook without one
        raise WebhookSignatureInvalid()

    def verified_event(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """The event in a verified body whose `provider_event_id` is its `webhook-id`.

        Raises `WebhookSignatureInvalid` (401) for a bad signature, `ValidationError`
        (400) for a well-signed body that is not a provider event or names another id.
        """
        webhook_id = self.verify(body, headers)
        event = decode_provider_event(body)
        if event.provider_event_id != webhook_id:
            raise ValidationError(
                "webhook body is not a valid provider event",
                reason="provider_event_id differs from the webhook-id header",
            )
        return event
