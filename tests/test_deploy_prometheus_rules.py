"""deploy/prometheus: the config and its rules pass promtool, the rules' unit tests pass,
every alert has a case that fires it and one that does not, and every alert tells the
operator what happened and where its README entry is.

promtool comes from Debian's `prometheus` package (`bash .ci/run` installs it); without it
these tests fail rather than skip.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Final

import pytest
import yaml

from .promql_inventory import (
    PROMETHEUS_CONFIG,
    ROOT,
    RULE_TESTS,
    RULES,
    alerts,
    promtool,
)

README: Final = ROOT / "README.md"
SEVERITIES: Final = {"page", "ticket"}
# The alerts the operators asked for, at least (one per failure they want to be told about).
REQUIRED_ALERTS: Final = {
    "ApiHighErrorRatio",
    "PaymentFailureRatioHigh",
    "GatewayCircuitOpen",
    "GatewayBulkheadSaturated",
    "DatabasePoolExhausted",
    "OutboxBacklogHigh",
    "OutboxOldestUnsentTooOld",
    "RelayNotPublishing",
    "ConsumerLagHigh",
    "DeadLetterQueueNotEmpty",
    "PendingPaymentsStuck",
    "PaymentSettlementFailing",
    "ProcessDown",
}


def test_the_config_and_its_rule_files_pass_promtool() -> None:
    config = promtool("check", "config", str(PROMETHEUS_CONFIG))
    assert config.returncode == 0, config.stdout + config.stderr
    assert "1 rule files found" in config.stdout, "the config must load deploy/prometheus/rules.yml"
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_rules_unit_tests_pass() -> None:
    done = promtool("test", "rules", str(RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_required_alerts_exist() -> None:
    missing = REQUIRED_ALERTS - {alert["alert"] for alert in alerts()}
    assert not missing, f"rules.yml lacks the alerts {sorted(missing)}"


def test_every_alert_has_a_case_that_fires_it_and_one_that_does_not() -> None:
    cases: dict[str, set[bool]] = defaultdict(set)
    for group in yaml.safe_load(RULE_TESTS.read_text())["tests"]:
        for case in group.get("alert_rule_test", []):
            cases[case["alertname"]].add(bool(case.get("exp_alerts")))
    for alert in alerts():
        name = alert["alert"]
        assert True in cases[name], f"no test in rules.test.yml fires {name}"
        assert False in cases[name], f"no test in rules.test.yml shows {name} staying quiet"


def _github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _readme_anchors() -> set[str]:
    return {
        _github_anchor(line.lstrip("#"))
        for line in README.read_text().splitlines()
        if line.startswith("#")
    }


@pytest.mark.parametrize("alert", alerts(), ids=lambda alert: alert["alert"])
def test_every_alert_says_what_happened_and_links_its_readme_entry(alert: dict[str, Any]) -> None:
    annotations = alert.get("annotations", {})
    assert annotations.get("summary"), "a one-line summary for the notification"
    assert annotations.get("description"), "what it means and where to look"
    assert alert.get("labels", {}).get("severity") in SEVERITIES
    runbook = annotations.get("runbook_url", "")
    page, _, anchor = runbook.partition("#")
    assert page == "README.md", runbook
    assert anchor in _readme_anchors(), f"README.md has no heading with the anchor #{anchor}"
