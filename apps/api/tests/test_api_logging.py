"""The shared logging set-up: JSON lines, request context, secrets redacted."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from wallet_infra.logging_setup import REDACTED, redact_secrets

_SCRIPT = textwrap.dedent(
    """
    import logging, structlog
    from wallet_infra.logging_setup import configure_logging
    configure_logging(log_format="json", log_level="info")
    log = structlog.get_logger("t")
    with structlog.contextvars.bound_contextvars(request_id="rid-1"):
        log.info("hello", api_key="k1", headers={"X-API-Key": "k2", "Authorization": "b"},
                 database_url="postgresql://u:pw1@h/db", amount=5)
    log.debug("filtered out")
    logging.getLogger("uvicorn.error").warning("stdlib %s", "line", extra={"password": "p1"})
    logging.getLogger("httpx").info("HTTP Request: POST http://gw/payments 200")
    """
)


def test_json_lines_with_context_and_no_secrets() -> None:
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    # httpx's own INFO line per request is not among them: the gateway adapter logs its calls.
    assert [line["event"] for line in lines] == ["hello", "stdlib line"]
    hello, stdlib = lines
    assert hello["request_id"] == "rid-1"
    assert hello["level"] == "info"
    assert hello["timestamp"].endswith("Z")
    assert hello["amount"] == 5
    assert hello["database_url"] == "postgresql://u:***@h/db"
    assert stdlib["password"] == REDACTED
    for secret in ("k1", "k2", "pw1", "p1"):
        assert f'"{secret}"' not in done.stderr
        assert f":{secret}@" not in done.stderr


def test_redaction_is_by_key_name_at_any_depth() -> None:
    event = redact_secrets(
        None,
        "info",
        {
            "event": "x",
            "X-Api-Key": "a",
            "nested": {"client_secret": "b", "list": [{"password": "c"}], "ok": "d"},
        },
    )
    assert event == {
        "event": "x",
        "X-Api-Key": REDACTED,
        "nested": {"client_secret": REDACTED, "list": [{"password": REDACTED}], "ok": "d"},
    }


def test_a_plain_value_is_redacted_under_a_secret_or_url_key_wherever_it_sits() -> None:
    plain = {"event": "http_request", "method": "POST", "status": 201, "latency_ms": 1.5}
    assert redact_secrets(None, "info", dict(plain)) == plain
    event = redact_secrets(
        None,
        "info",
        {**plain, "api_key": "a", "database_url": "postgresql://u:pw@h/db", "ok": None},
    )
    assert event == {
        **plain,
        "api_key": REDACTED,
        "database_url": "postgresql://u:***@h/db",
        "ok": None,
    }
