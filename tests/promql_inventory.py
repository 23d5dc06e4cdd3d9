"""Every PromQL expression the operators' view uses, and the metric names each reads.

The expressions are the alert and recording rules of deploy/prometheus/rules.yml and the
panel queries of deploy/grafana/dashboards/*.json. The deploy tests check they parse
(`promtool`); the observability test checks each metric they read is one a running process
exports, so a renamed metric breaks a test instead of a dashboard.

Metric names are read with a small lexer rather than a full PromQL parser: strings, label
matchers, ranges, numbers and grouping clauses are dropped, then every identifier not
followed by `(` and not a keyword is a metric name. Enough for the expressions here (the
tests fail on a name that is not exported, so a misread shows up, never hides).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

ROOT: Final = Path(__file__).resolve().parents[1]
RULES: Final = ROOT / "deploy" / "prometheus" / "rules.yml"
RULE_TESTS: Final = ROOT / "deploy" / "prometheus" / "rules.test.yml"
PROMETHEUS_CONFIG: Final = ROOT / "deploy" / "prometheus.yml"
DASHBOARDS: Final = ROOT / "deploy" / "grafana" / "dashboards"
PROMTOOL_TIMEOUT_S: Final = 120
# Series Prometheus makes itself for every target (not exported by any process).
SCRAPE_SERIES: Final = frozenset({"up"})

_STRING: Final = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_MATCHERS: Final = re.compile(r"\{[^}]*\}")
_RANGE: Final = re.compile(r"\[[^\]]*\]")
_GROUPING: Final = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.IGNORECASE
)
_NUMBER: Final = re.compile(r"(?<![\w:])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[a-zA-Z]*")
_IDENTIFIER: Final = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?")
_KEYWORDS: Final = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
    | {"group_left", "group_right", "inf", "nan", "atan2"}
)


@dataclass(frozen=True)
class Query:
    where: str  # "rules.yml: alert X" or "payments.json: panel title"
    expr: str


def metric_names(expr: str) -> set[str]:
    """The metric names `expr` selects (functions, keywords and label names left out)."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = _NUMBER.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        name, call = match.groups()
        if call is None and name.lower() not in _KEYWORDS:
            names.add(name)
    return names


def _rule_groups() -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = yaml.safe_load(RULES.read_text())["groups"]
    return groups


def rules() -> list[dict[str, Any]]:
    return [rule for group in _rule_groups() for rule in group["rules"]]


def alerts() -> list[dict[str, Any]]:
    return [rule for rule in rules() if "alert" in rule]


def recorded_names() -> set[str]:
    return {rule["record"] for rule in rules() if "record" in rule}


def rule_queries() -> list[Query]:
    return [
        Query(f"rules.yml: {rule.get('alert') or rule['record']}", rule["expr"]) for rule in rules()
    ]


def dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for panel in panels:
        found.append(panel)
        found.extend(_panels(panel.get("panels", [])))  # collapsed rows hold their panels
    return found


def dashboard_queries() -> list[Query]:
    return [
        Query(f"{name}: {panel.get('title', '?')}", target["expr"])
        for name, dashboard in dashboards().items()
        for panel in _panels(dashboard.get("panels", []))
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def metrics_read() -> dict[str, set[str]]:
    """metric name -> where it is read, for every name the rules and dashboards read that
    no recording rule produces and Prometheus does not make itself."""
    produced = recorded_names() | SCRAPE_SERIES
    read: dict[str, set[str]] = {}
    for query in [*rule_queries(), *dashboard_queries()]:
        for name in metric_names(query.expr) - produced:
            read.setdefault(name, set()).add(query.where)
    return read


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Runs promtool; fails (never skips) when it is missing: a rule nobody checked is the
    failure these tests exist to catch."""
    executable = shutil.which("promtool")
    if executable is None:
        pytest.fail(
            "promtool not found: `bash .ci/run --provision-only` installs it (or, on Debian, "
            "`apt-get install prometheus`)"
        )
    return subprocess.run(
        [executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=PROMTOOL_TIMEOUT_S,
        check=False,
    )
