"""compose.yaml passes the operator's webhook settings on to every process that reads them.

docs/operations.md runs broker mode under Compose with
`WALLET_WEBHOOK_MODE=broker MOCK_WEBHOOK_URL=... docker compose --profile webhooks-broker
up -d` and says every API and consumer process must agree on the mode (in broker mode
the API's route answers 404); `WALLET_WEBHOOK_SECRETS`: "Replace the default in
production". If the `api` service did not pass them on, under Compose the API would keep
sync mode and the mock's published development secret whatever the operator set, and its
public `POST /webhooks/gateway` would keep applying webhooks signed with that secret.
Unset, the defaults stay: sync mode, the development secret on both sides. Set empty, the
secrets stay empty ("every webhook refused"), never the published development secret.

The file is read as Compose reads it (tests/compose_file.py): no Docker engine needed.
"""

from __future__ import annotations

from typing import Final

from wallet_infra.config.settings import DEV_WEBHOOK_SECRET, Settings

from .compose_file import compose_services
from .deploy_tools import ROOT

COMPOSE_FILE: Final = ROOT / "compose.yaml"
OPERATOR_SECRET: Final = "whsec_b3BlcmF0b3Itb3duLXNlY3JldC0wMTIzNDU2Nzg5"
INGEST_URL: Final = "http://webhook_ingest:8001/webhooks/gateway"


def test_broker_mode_and_the_operators_secret_reach_the_api_the_ingest_and_the_mock() -> None:
    services = compose_services(
        COMPOSE_FILE,
        environ={
            "WALLET_WEBHOOK_MODE": "broker",
            "WALLET_WEBHOOK_SECRETS": OPERATOR_SECRET,
            "MOCK_WEBHOOK_SECRET": OPERATOR_SECRET,
            "MOCK_WEBHOOK_URL": INGEST_URL,
        },
        profiles=["webhooks-broker"],
    )

    api = services["api"]["environment"]
    assert api["WALLET_WEBHOOK_MODE"] == "broker"
    assert api["WALLET_WEBHOOK_SECRETS"] == OPERATOR_SECRET
    assert services["webhook_ingest"]["environment"]["WALLET_WEBHOOK_SECRETS"] == OPERATOR_SECRET
    mock = services["mock_gateway"]["environment"]
    assert mock["MOCK_WEBHOOK_SECRET"] == OPERATOR_SECRET
    assert mock["MOCK_WEBHOOK_URL"] == INGEST_URL


def test_in_sync_mode_the_api_verifies_with_the_operators_secrets() -> None:
    services = compose_services(COMPOSE_FILE, environ={"WALLET_WEBHOOK_SECRETS": OPERATOR_SECRET})
    api = services["api"]["environment"]
    assert api["WALLET_WEBHOOK_MODE"] == "sync"
    assert api["WALLET_WEBHOOK_SECRETS"] == OPERATOR_SECRET


def test_unset_the_api_and_the_mock_share_the_development_defaults() -> None:
    services = compose_services(COMPOSE_FILE, environ={})
    api = services["api"]["environment"]
    assert api["WALLET_WEBHOOK_MODE"] == "sync"
    assert api["WALLET_WEBHOOK_SECRETS"] == DEV_WEBHOOK_SECRET
    assert services["mock_gateway"]["environment"]["MOCK_WEBHOOK_SECRET"] == DEV_WEBHOOK_SECRET
    assert "webhook_ingest" not in services  # the broker profile is off by default


def test_webhook_secrets_set_empty_reach_the_api_and_the_ingest_empty() -> None:
    assert Settings(webhook_secrets="").webhook_secrets == ()  # what empty means to the app
    services = compose_services(
        COMPOSE_FILE, environ={"WALLET_WEBHOOK_SECRETS": ""}, profiles=["webhooks-broker"]
    )
    assert services["api"]["environment"]["WALLET_WEBHOOK_SECRETS"] == ""
    assert services["webhook_ingest"]["environment"]["WALLET_WEBHOOK_SECRETS"] == ""
