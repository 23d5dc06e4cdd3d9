"""The spec: "OpenTelemetry reads the standard OTEL_* vars"; telemetry.py's docstring:
"`OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` override or add resource attributes".
The SDK merges the attributes passed in code over the environment's, so a name passed as
`Resource.create({SERVICE_NAME: service_name})` silently beat OTEL_SERVICE_NAME (and a
`service.name` in OTEL_RESOURCE_ATTRIBUTES): every API instance of two deployments
reported as `wallet-api`. The code's name is now only the default."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from wallet_infra import telemetry

OTEL_NAMING: tuple[str, ...] = ("OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES")


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[TracerProvider]]:
    """What configure_telemetry would install, the process-wide provider left untouched;
    no OTEL_* naming from the machine running the tests."""
    for name in OTEL_NAMING:
        monkeypatch.delenv(name, raising=False)
    providers: list[TracerProvider] = []
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: trace.ProxyTracerProvider())
    monkeypatch.setattr(trace, "set_tracer_provider", providers.append)
    yield providers
    for provider in providers:
        provider.shutdown()


def _service_name(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]) -> object:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    provider = telemetry.configure_telemetry(
        "wallet-api", environ={"OTEL_TRACES_EXPORTER": "console", **environ}
    )
    assert provider is not None
    return provider.resource.attributes["service.name"]


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize(
    "environ",
    [
        {"OTEL_SERVICE_NAME": "wallet-api-eu"},
        {"OTEL_RESOURCE_ATTRIBUTES": "service.name=wallet-api-eu,deployment.environment=eu"},
        {"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=eu,service.name=wallet%2Dapi-eu"},
        # As the SDK ranks them: the dedicated variable first.
        {"OTEL_SERVICE_NAME": "wallet-api-eu", "OTEL_RESOURCE_ATTRIBUTES": "service.name=x"},
    ],
)
def test_otel_service_name_from_the_environment_names_the_service(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    assert _service_name(monkeypatch, environ) == "wallet-api-eu"


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize("environ", [{}, {"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=eu"}])
def test_without_one_the_process_names_itself(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    assert _service_name(monkeypatch, environ) == "wallet-api"
