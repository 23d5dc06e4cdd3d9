"""Micro-benchmark: CPU per message of `decode_envelope`, the first thing every consumer does.

Decodes one representative `payment.completed` envelope (the shape the relay publishes)
many times and prints the best of several rounds in microseconds per message, so a change
to the codec can be compared before and after on the same machine. No broker, no database.

`uv run --all-packages python bench/envelope_decode.py [--messages 200000] [--rounds 5]`
"""

from __future__ import annotations

import argparse
import timeit
import uuid
from datetime import UTC, datetime

from wallet_domain.model.events import DomainEvent, EventType
from wallet_infra.messaging.envelope import decode_envelope, encode_envelope


def sample_body() -> bytes:
    event = DomainEvent(
        event_id=uuid.uuid4(),
        event_type=EventType.PAYMENT_COMPLETED,
        occurred_at=datetime.now(UTC),
        aggregate_id=uuid.uuid4(),
        user_id="user_000123",
        payload={
            "transaction_id": str(uuid.uuid4()),
            "type": "payment",
            "status": "approved",
            "amount": 1234,
            "currency": "USD",
            "provider_id": str(uuid.uuid4()),
            "external_reference": "order-2026-000123",
        },
    )
    body = encode_envelope(event)
    if decode_envelope(body) != event:
        raise SystemExit("decode_envelope does not round-trip the sample event")
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000, help="decodes per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best is reported")
    args = parser.parse_args()
    body = sample_body()
    rounds = timeit.repeat(lambda: decode_envelope(body), number=args.messages, repeat=args.rounds)
    best_us = min(rounds) / args.messages * 1e6
    print(
        f"decode_envelope: {best_us:.2f} us/message ({len(body)}-byte envelope, best of "
        f"{args.rounds} x {args.messages})"
    )


if __name__ == "__main__":
    main()
