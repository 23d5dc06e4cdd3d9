"""Prometheus exposition text as data: {(sample name, sorted labels): value}."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse_metrics(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def scrape(app: Any, *, base_url: str = "http://consumer") -> Samples:
    """`GET /metrics` of an in-process ASGI app."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return parse_metrics(response.text)


async def scrape_url(base_url: str, *, timeout_s: float = 5.0) -> Samples:
    """`GET /metrics` of a process serving HTTP at `base_url`."""
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout_s) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return parse_metrics(response.text)


def value(samples: Samples, name: str, **labels: Any) -> float:
    """The sample `name` with exactly `labels` (0.0 if absent)."""
    return samples.get((name, tuple(sorted((k, str(v)) for k, v in labels.items()))), 0.0)


def total(samples: list[Samples], name: str, **labels: str) -> float:
    """`name`'s samples matching `labels`, summed over instances (and other labels)."""
    return sum(
        value
        for instance in samples
        for (sample, sample_labels), value in instance.items()
        if sample == name and labels.items() <= dict(sample_labels).items()
    )


def deliveries(samples: Samples, queue: str) -> dict[str, int]:
    """`wallet_consumer_deliveries_total` of `queue` by outcome (outcomes never seen left out)."""
    found = {}
    for (name, labels), count in samples.items():
        label = dict(labels)
        if name == "wallet_consumer_deliveries_total" and label["queue"] == queue and count:
            found[label["outcome"]] = int(count)
    return found
