"""Retrying one gateway call with stamina, every wait bounded by the request deadline.

The first attempt runs on its own: most calls answer at once, and entering stamina's retry
machinery (tenacity underneath) costs more CPU than the rest of the call's bookkeeping.
Only after it fails does stamina take over, and it is handed that failure as its own first
attempt: attempt numbers, the backoff before attempt 2 and later, the attempts/timeout
stop, testing mode, `stamina.is_active()` and the on-retry instrumentation hooks all work
exactly as if stamina had run attempt 1 itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

import stamina
from structlog.typing import FilteringBoundLogger
from wallet_domain.deadline import Deadline

from wallet_infra.gateway.failures import Failure, TransientFailure
from wallet_infra.gateway.settings import GatewaySettings

T = TypeVar("T")

# Below this an attempt cannot complete; starting it would only risk an ambiguous charge.
MIN_ATTEMPT_S: Final = 0.01


class RetriesExhausted(Exception):
    """No attempt gave an answer; `failures` (oldest first, maybe empty) say why."""

    def __init__(self, failures: tuple[Failure, ...]) -> None:
        super().__init__(", ".join(f.value for f in failures) or "no attempt made")
        self.failures = failures


def _room_for_another(attempt: stamina.Attempt, bound: Deadline, settings: GatewaySettings) -> bool:
    """Would the longest possible backoff still leave time for one more attempt?"""
    longest_wait = min(settings.backoff_max_s, attempt.next_wait + settings.backoff_jitter_s)
    return bound.remaining() >= longest_wait + MIN_ATTEMPT_S


async def _attempt(
    once: Callable[[float], Awaitable[T]],
    number: int,
    seconds_left: float,
    failures: list[Failure],
    log: FilteringBoundLogger,
) -> T:
    """One attempt, logged; a TransientFailure is noted in `failures` and re-raised."""
    started = time.monotonic()
    try:
        result = await once(seconds_left)
    except TransientFailure as exc:
        failures.append(exc.failure)
        log.warning(
            "gateway_attempt",
            attempt=number,
            latency_ms=round((time.monotonic() - started) * 1000, 1),
            outcome=exc.failure.value,
            detail=exc.detail,
        )
        raise
    # Debug: the request's access line already says it went through; a failed attempt
    # (above) is the one worth a line at the usual level. Its fields are only worked out
    # when the line is written.
    if log.is_enabled_for(logging.DEBUG):
        log.debug(
            "gateway_attempt",
            attempt=number,
            latency_ms=round((time.monotonic() - started) * 1000, 1),
            outcome=str(result),
        )
    return result


async def call_with_retries(
    once: Callable[[float], Awaitable[T]],
    *,
    attempts: int,
    deadline: Deadline,
    settings: GatewaySettings,
    log: FilteringBoundLogger,
) -> T:
    """Run `once(seconds_left)` until it answers, retrying only on TransientFailure.

    Attempts, backoffs and the stamina budget all fit inside the earlier of `deadline`
    and `retry_budget_s`. Raises RetriesExhausted when no attempt answered.
    """
    bound = Deadline(min(deadline.expires_at, time.monotonic() + settings.retry_budget_s))
    failures: list[Failure] = []
    seconds_left = bound.remaining()
    if seconds_left < MIN_ATTEMPT_S:
        log.warning("gateway_call_skipped", reason="deadline_exhausted")
        raise RetriesExhausted(())
    try:
        return await _attempt(once, 1, seconds_left, failures, log)
    except TransientFailure as exc:
        first = exc
    return await _retry_after(first, once, attempts, bound, settings, failures, log)


async def _retry_after(
    first: TransientFailure,
    once: Callable[[float], Awaitable[T]],
    attempts: int,
    bound: Deadline,
    settings: GatewaySettings,
    failures: list[Failure],
    log: FilteringBoundLogger,
) -> T:
    """Attempts 2 and later under stamina, which is handed `first` as its attempt 1."""
    try:
        async for attempt in stamina.retry_context(
            on=TransientFailure,
            attempts=attempts,
            # Stamina's clock starts now, after attempt 1: what is left ends where it would
            # have ended had it started before (the bound's expiry). Never 0, which stamina
            # reads as "no retries" and warns about; no room left stops below anyway.
            timeout=max(bound.remaining(), MIN_ATTEMPT_S),
            wait_initial=settings.backoff_initial_s,
            wait_max=settings.backoff_max_s,
            wait_jitter=settings.backoff_jitter_s,
        ):
            with attempt:
                if attempt.num == 1:  # already made: its failure, as stamina would have seen it
                    if not _room_for_another(attempt, bound, settings):
                        break
                    raise first
                seconds_left = bound.remaining()
                if seconds_left < MIN_ATTEMPT_S:
                    log.warning("gateway_call_stopped", attempt=attempt.num, reason="deadline")
                    break
                try:
                    return await _attempt(once, attempt.num, seconds_left, failures, log)
                except TransientFailure:
                    if not _room_for_another(attempt, bound, settings):
                        break
                    raise
    except TransientFailure:
        pass  # stamina gave up and re-raised the last failure, already recorded
    raise RetriesExhausted(tuple(failures))
