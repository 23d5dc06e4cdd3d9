"""How the webhook consumer reads `webhooks.queue`: each body is a provider webhook the
ingest service verified and published byte for byte, decoded here with the same strict
decoder as the API's sync mode. A body that does not decode is `MalformedEvent` (the
ingest would have refused it, so it came some other way): dead-lettered, never retried.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from faststream.message import StreamMessage
from wallet_domain.errors import ValidationError
from wallet_domain.model.provider_event import ProviderEvent
from wallet_domain.model.provider_event_label import event_type_label

from wallet_infra.consuming.delivery import EventReader
from wallet_infra.messaging.envelope import MalformedEvent
from wallet_infra.webhooks.provider_event_body import decode_provider_event


class ProviderEventReader(EventReader[ProviderEvent]):
    def decode(self, body: bytes) -> ProviderEvent:
        try:
            return decode_provider_event(body)
        except ValidationError as invalid:
            raise MalformedEvent(str(invalid.details.get("reason", invalid.message))) from None

    def sent_at(self, message: StreamMessage[Any], event: ProviderEvent) -> datetime | None:
        """The ingest's acceptance: the AMQP `timestamp` it set (the provider's own
        `created_at` would count its retries and clock too)."""
        accepted = getattr(message.raw_message, "timestamp", None)
        if not isinstance(accepted, datetime):
            return None
        return accepted if accepted.tzinfo is not None else accepted.replace(tzinfo=UTC)

    def log_fields(self, event: ProviderEvent) -> dict[str, Any]:
        return {"provider_event_id": event.provider_event_id, "event_type": event_type_label(event)}


PROVIDER_EVENTS: Final = ProviderEventReader()
