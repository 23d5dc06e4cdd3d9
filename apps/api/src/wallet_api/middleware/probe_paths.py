"""Paths that probes and scrapers call every few seconds: logged at debug and untraced,
so they never drown the real traffic."""

from __future__ import annotations

from typing import Final

PROBE_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})
