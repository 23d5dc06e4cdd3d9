"""deploy/grafana: the four dashboards exist, every query in them parses as PromQL
(`promtool check rules` on a rules file made of them), every panel reads the provisioned
data source, and the provisioning files point where compose.yaml mounts them.

Which metrics the queries read, and that each is exported, is checked against running
processes in tests/test_observability_metrics.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from .promql_inventory import DASHBOARDS, ROOT, Query, dashboard_queries, dashboards, promtool

PROVISIONING: Final = ROOT / "deploy" / "grafana" / "provisioning"
REQUIRED_DASHBOARDS: Final = {"Payments", "Gateway", "Pipeline", "Database"}


def _check_as_rules(queries: list[Query], tmp_path: Path) -> tuple[int, str]:
    """promtool parses each query as the expression of a recording rule."""
    rules = [
        {"record": f"dashboard_query_{n}", "expr": query.expr} for n, query in enumerate(queries)
    ]
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    done = promtool("check", "rules", str(path))
    return done.returncode, done.stdout + done.stderr


def test_every_dashboard_query_parses(tmp_path: Path) -> None:
    queries = dashboard_queries()
    assert len(queries) >= 20, queries
    returncode, output = _check_as_rules(queries, tmp_path)
    assert returncode == 0, output


def test_a_query_that_does_not_parse_fails_the_check(tmp_path: Path) -> None:
    broken = Query("broken", "sum by (status (rate(http_requests_total[5m]))")
    returncode, output = _check_as_rules([*dashboard_queries(), broken], tmp_path)
    assert returncode != 0, output


def test_the_required_dashboards_exist_with_unique_uids() -> None:
    found = dashboards()
    titles = {dashboard["title"].removeprefix("Wallet / ") for dashboard in found.values()}
    assert titles >= REQUIRED_DASHBOARDS
    uids = [dashboard["uid"] for dashboard in found.values()]
    assert len(set(uids)) == len(uids), uids


def _provisioned(directory: str, key: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for path in sorted((PROVISIONING / directory).glob("*.yml")):
        entries.extend(yaml.safe_load(path.read_text())[key])
    return entries


def test_every_panel_reads_the_provisioned_prometheus() -> None:
    (source,) = _provisioned("datasources", "datasources")
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"  # the compose service
    for name, dashboard in dashboards().items():
        for panel in dashboard["panels"]:
            if panel["type"] == "text":
                continue
            assert panel["datasource"]["uid"] == source["uid"], (name, panel["title"])
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == source["uid"], (name, panel["title"])


@pytest.mark.parametrize("name", sorted(dashboards()))
def test_every_panel_says_what_it_shows(name: str) -> None:
    for panel in dashboards()[name]["panels"]:
        assert panel.get("title"), panel
        assert panel.get("description") or panel["type"] == "text", panel["title"]


def test_the_dashboards_directory_is_the_provisioned_one() -> None:
    (provider,) = _provisioned("dashboards", "providers")
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/etc/grafana/dashboards"  # compose.yaml mounts it
    assert DASHBOARDS.is_dir()


def test_the_readme_describes_every_dashboard() -> None:
    readme = (ROOT / "README.md").read_text()
    where_to_look = readme.split("### Where to look first", 1)[1].split("\n### ", 1)[0]
    for dashboard in dashboards().values():
        title = dashboard["title"].removeprefix("Wallet / ")
        assert f"**{title}**" in where_to_look, f"README: say what the {title} dashboard shows"
