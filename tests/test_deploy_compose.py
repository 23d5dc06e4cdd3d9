"""compose.yaml contract (docs/operations.md), checked with the static Compose binary: no
engine needed.

`make up` cannot run here (no Docker engine), so this pins what it relies on: every
service exists; the apps start only after `migrate` completed and their dependencies are
healthy; `migrate` runs `up` on the mounted migrations; relay and consumers can be
`--scale`d (no container_name, no fixed host port); every long-running service has a
health check; the apps run the console entry points of this workspace from one image.
The `observability` profile (off by default) mounts Prometheus's config and rules where the
config reads them, and Grafana's provisioning and dashboards where the provisioning reads
them. The `replica` profile (off by default) runs a standby made by pg_basebackup -R from
`postgres`, which accepts replication connections for it.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any, Final

import pytest
import yaml

from .deploy_tools import ROOT, run_tool

COMPOSE_FILE: Final = ROOT / "compose.yaml"
APPS: Final = {
    # service: (console entry point, port of its HTTP probe or None)
    "api": ("wallet-api", 8000),
    "relay": ("wallet-relay", None),
    "metrics_consumer": ("wallet-metrics-consumer", 9100),
    "audit_consumer": ("wallet-audit-consumer", 9101),
    "mock_gateway": ("mock-gateway", 8100),
}
NEEDS_MIGRATED_INFRA: Final = ("api", "relay", "metrics_consumer", "audit_consumer", "reconcile")
SCALABLE: Final = ("relay", "metrics_consumer", "audit_consumer")
BIND_ALL: Final = {
    "api": "WALLET_API_HOST",
    "metrics_consumer": "WALLET_METRICS_HOST",
    "audit_consumer": "WALLET_AUDIT_HOST",
    "mock_gateway": "MOCK_GATEWAY_HOST",
}


def _compose(*args: str) -> str:
    done = run_tool("docker-compose", "-f", str(COMPOSE_FILE), *args)
    assert done.returncode == 0, f"docker-compose {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    services: dict[str, Any] = json.loads(_compose("config", "--format", "json"))["services"]
    return services


def _entry_points() -> set[str]:
    names: set[str] = set()
    for pyproject in ROOT.glob("*/**/pyproject.toml"):
        if ".venv" not in pyproject.parts:
            names |= set(tomllib.loads(pyproject.read_text())["project"].get("scripts", {}))
    return names


def test_compose_file_is_valid() -> None:
    _compose("config", "-q")


def test_every_service_exists(services: dict[str, Any]) -> None:
    assert set(services) >= {"postgres", "rabbitmq", "migrate", *APPS}


def test_apps_wait_for_migrations_and_healthy_infrastructure(services: dict[str, Any]) -> None:
    for name in NEEDS_MIGRATED_INFRA:
        depends = services[name].get("depends_on", {})
        assert depends.get("migrate", {}).get("condition") == "service_completed_successfully", name
        for infra in ("postgres", "rabbitmq"):
            assert depends.get(infra, {}).get("condition") == "service_healthy", (name, infra)


def test_migrate_applies_the_mounted_migrations_to_postgres(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    assert migrate["image"].startswith("migrate/migrate:")
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    mounts = [v for v in migrate["volumes"] if v["type"] == "bind"]
    assert any(
        v["source"] == str(ROOT / "migrations") and v["target"] == "/migrations" for v in mounts
    ), mounts
    command: list[str] = migrate["command"]
    assert command[-1] == "up"
    assert "-path=/migrations" in command or command[command.index("-path") + 1] == "/migrations"
    database = command[command.index("-database") + 1]
    assert database.startswith(("postgres://", "postgresql://"))
    assert "@postgres:5432/" in database
    assert migrate.get("restart", "no") == "no"


def test_relay_and_consumers_scale(services: dict[str, Any]) -> None:
    for name in SCALABLE:
        service = services[name]
        assert "container_name" not in service, name
        published = [p for p in service.get("ports", []) if p.get("published")]
        assert not published, f"{name} publishes {published}: `--scale {name}=N` would clash"


def test_every_long_running_service_has_a_health_check(services: dict[str, Any]) -> None:
    for name, service in services.items():
        if name == "migrate":
            continue
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert not check.get("disable", False), name
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_apps_run_this_workspace_from_one_image(services: dict[str, Any]) -> None:
    entry_points = _entry_points()
    images = {services[name]["image"] for name in APPS}
    assert len(images) == 1, images
    for name, (command, port) in APPS.items():
        service = services[name]
        assert service["build"]["context"] == str(ROOT), name
        assert service["command"] == [command], name
        assert command in entry_points, f"{command} is no console script of the workspace"
        environment = service["environment"]
        expected_port = "" if port is None else str(port)
        assert environment.get("HEALTH_PORT") == expected_port, name
        if name in BIND_ALL:
            assert environment[BIND_ALL[name]] == "0.0.0.0", name  # noqa: S104


def test_apps_log_json_and_reach_services_by_name(services: dict[str, Any]) -> None:
    for name in NEEDS_MIGRATED_INFRA:
        environment = services[name]["environment"]
        assert environment["WALLET_LOG_FORMAT"] == "json", name
        assert "@postgres:5432/" in environment["WALLET_DATABASE_URL"], name
        assert "@rabbitmq:5672/" in environment["WALLET_AMQP_URL"], name
        assert environment["WALLET_GATEWAY_URL"] == "http://mock_gateway:8100", name


def test_reconciliation_runs_as_a_periodic_job_with_its_gauges_served(
    services: dict[str, Any],
) -> None:
    reconcile = services["reconcile"]
    assert reconcile["command"] == ["wallet-reconcile", "--every"]
    assert "wallet-reconcile" in _entry_points()
    assert reconcile["image"] == services["api"]["image"]
    environment = reconcile["environment"]
    assert environment["WALLET_RECONCILE_METRICS_HOST"] == "0.0.0.0"  # noqa: S104
    assert (environment["HEALTH_PORT"], environment["HEALTH_PATH"]) == ("9104", "/metrics")
    assert float(environment["WALLET_RECONCILE_INTERVAL_S"]) > 0  # 0 would turn it off


def test_published_ports(services: dict[str, Any]) -> None:
    def targets(name: str) -> set[int]:
        return {p["target"] for p in services[name].get("ports", [])}

    assert targets("api") == {8000}
    assert targets("mock_gateway") == {8100}
    assert 15672 in targets("rabbitmq"), "the management UI must be reachable (make rabbit-ui)"
    assert "management" in services["rabbitmq"]["image"]


def test_postgres_keeps_its_data_in_a_named_volume(services: dict[str, Any]) -> None:
    volumes = services["postgres"]["volumes"]
    assert any(v["type"] == "volume" and v["target"] == "/var/lib/postgresql/data" for v in volumes)


# --- observability profile ---------------------------------------------------------------------


def _with_profile(profile: str) -> dict[str, Any]:
    """The services `compose.yaml` defines with `profile` switched on."""
    services: dict[str, Any] = json.loads(
        _compose("--profile", profile, "config", "--format", "json")
    )["services"]
    return services


@pytest.fixture(scope="module")
def observability() -> dict[str, Any]:
    return _with_profile("observability")


def _binds(service: dict[str, Any]) -> dict[str, str]:
    """target -> source path (relative to the repository) of each read-only bind mount."""
    binds = {}
    for volume in service.get("volumes", []):
        if volume["type"] == "bind":
            assert volume.get("read_only"), volume  # the containers never write the repo
            binds[volume["target"]] = str(Path(volume["source"]).relative_to(ROOT))
    return binds


def test_the_observability_services_are_off_by_default(
    services: dict[str, Any], observability: dict[str, Any]
) -> None:
    for name in ("jaeger", "prometheus", "grafana"):
        assert name not in services, name
        assert observability[name]["profiles"] == ["observability"], name
        assert observability[name].get("healthcheck"), name


def test_prometheus_reads_its_config_and_the_rules_where_the_config_names_them(
    observability: dict[str, Any],
) -> None:
    prometheus = observability["prometheus"]
    config_arg = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    config_path = config_arg.removeprefix("--config.file=")
    binds = _binds(prometheus)
    assert binds[config_path] == "deploy/prometheus.yml"
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    for rule_file in config["rule_files"]:
        # Prometheus resolves rule files against the config file's directory.
        in_container = str(PurePosixPath(config_path).parent / rule_file)
        assert binds[in_container] == str(Path("deploy") / rule_file), rule_file


def test_grafana_is_provisioned_with_prometheus_and_the_dashboards(
    observability: dict[str, Any],
) -> None:
    grafana = observability["grafana"]
    assert grafana["image"].startswith("grafana/grafana:")
    assert grafana["image"].split(":")[1][0].isdigit(), "pin a Grafana version"
    assert _binds(grafana) == {
        "/etc/grafana/provisioning": "deploy/grafana/provisioning",
        "/etc/grafana/dashboards": "deploy/grafana/dashboards",
    }
    assert {p["target"] for p in grafana["ports"]} == {3000}
    assert grafana["depends_on"]["prometheus"]["condition"] == "service_healthy"
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (ROOT / "deploy/grafana/dashboards" / PurePosixPath(home).name).is_file(), home
    assert grafana["environment"]["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"


# --- replica profile ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def with_replica() -> dict[str, Any]:
    return _with_profile("replica")


def test_the_replica_is_off_by_default_and_streams_from_postgres(
    services: dict[str, Any], with_replica: dict[str, Any]
) -> None:
    assert "postgres_replica" not in services
    replica = with_replica["postgres_replica"]
    assert replica["profiles"] == ["replica"]
    assert replica["image"] == services["postgres"]["image"]  # a standby needs the same major
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert replica.get("healthcheck")
    script = " ".join(replica["command"])
    assert "pg_basebackup -h postgres" in script
    assert " -R " in script  # it starts as a standby of postgres


def test_postgres_accepts_replication_from_other_containers(services: dict[str, Any]) -> None:
    postgres = services["postgres"]
    hba = next(a.removeprefix("hba_file=") for a in postgres["command"] if "hba_file=" in a)
    assert _binds(postgres)[hba] == "deploy/postgres/pg_hba.conf"
    rules = [
        line.split()
        for line in (ROOT / "deploy/postgres/pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ["host", "replication", "all", "all", "scram-sha-256"] in rules


def test_the_api_reads_from_no_replica_unless_told(services: dict[str, Any]) -> None:
    assert services["api"]["environment"]["WALLET_DATABASE_REPLICA_URLS"] == ""


# --- webhooks-broker profile -------------------------------------------------------------------


@pytest.fixture(scope="module")
def webhooks_broker() -> dict[str, Any]:
    services: dict[str, Any] = json.loads(
        _compose("--profile", "webhooks-broker", "config", "--format", "json")
    )["services"]
    return services


def test_the_broker_mode_webhook_services_are_off_by_default(
    services: dict[str, Any], webhooks_broker: dict[str, Any]
) -> None:
    entry_points = _entry_points()
    expected = {
        "webhook_ingest": ("wallet-webhook-ingest", 8001, "WALLET_WEBHOOK_INGEST_HOST"),
        "webhook_consumer": ("wallet-webhook-consumer", 9106, "WALLET_WEBHOOK_CONSUMER_HOST"),
    }
    image = services["api"]["image"]
    for name, (command, port, bind) in expected.items():
        assert name not in services, name
        service = webhooks_broker[name]
        assert service["profiles"] == ["webhooks-broker"], name
        assert service["command"] == [command], name
        assert command in entry_points, name
        assert service["image"] == image, name
        assert service["healthcheck"]["test"][0] == "CMD", name
        environment = service["environment"]
        assert environment["HEALTH_PORT"] == str(port), name
        assert environment[bind] == "0.0.0.0", name  # noqa: S104
        assert environment["WALLET_WEBHOOK_MODE"] == "broker", name
        assert "@rabbitmq:5672/" in environment["WALLET_AMQP_URL"], name


def test_the_ingest_has_no_database_and_the_consumer_scales(
    webhooks_broker: dict[str, Any],
) -> None:
    ingest, consumer = webhooks_broker["webhook_ingest"], webhooks_broker["webhook_consumer"]
    assert "WALLET_DATABASE_URL" not in ingest["environment"]
    assert set(ingest["depends_on"]) == {"rabbitmq"}
    assert {p["target"] for p in ingest["ports"]} == {8001}
    assert not [p for p in consumer.get("ports", []) if p.get("published")]
    assert "container_name" not in consumer
    depends = consumer["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
