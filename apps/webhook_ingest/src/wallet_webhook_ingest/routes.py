"""The ingest's routes: the webhook, liveness and readiness. Each calls an object the
lifespan resolved from the container once (`StartupDependencies`), so a request costs no
container lookup."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from wallet_infra.consuming.startup_dependencies import StartupDependencies
from wallet_infra.health import HealthProbe

from wallet_webhook_ingest.intake import PATH, WebhookIntake
from wallet_webhook_ingest.replies import json_response


def routes(dependencies: StartupDependencies) -> list[Route]:
    intake = dependencies.later(WebhookIntake)
    probe = dependencies.later(HealthProbe)

    async def webhook(request: Request) -> Response:
        return await intake()(request)

    async def healthz(_: Request) -> Response:
        """Liveness: the process answers (the broker may be away: see /readyz)."""
        return json_response(200, {"status": "ok"})

    async def readyz(_: Request) -> Response:
        """200 while connected to RabbitMQ (webhooks can be accepted), else 503."""
        readiness = await probe().check()
        status = "ready" if readiness.ok else "not_ready"
        body = {"status": status, "checks": readiness.checks}
        return json_response(200 if readiness.ok else 503, body)

    return [
        Route(PATH, webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
