# syntax=docker/dockerfile:1.7
# One image for every process; the command picks it (docs/operations.md, Processes):
#   wallet-api (default) | wallet-relay | wallet-metrics-consumer | wallet-audit-consumer |
#   wallet-webhook-ingest | wallet-webhook-consumer | mock-gateway
# Build: docker build -t wallet-platform . (compose.yaml does it for `make up`).

FROM ghcr.io/astral-sh/uv:0.13.8 AS uv

# --- build: resolve the locked dependencies into /app/.venv ---------------------------------------
FROM python:3.11-slim-bookworm AS build
COPY --from=uv /uv /uvx /usr/local/bin/
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src

# Third-party dependencies first: this layer is rebuilt only when a pyproject.toml or uv.lock
# changes, not on every source edit.
COPY pyproject.toml uv.lock ./
COPY packages/domain/pyproject.toml packages/domain/
COPY packages/infra/pyproject.toml packages/infra/
COPY apps/api/pyproject.toml apps/api/
COPY apps/relay/pyproject.toml apps/relay/
COPY apps/metrics_consumer/pyproject.toml apps/metrics_consumer/
COPY apps/audit_consumer/pyproject.toml apps/audit_consumer/
COPY apps/webhook_ingest/pyproject.toml apps/webhook_ingest/
COPY apps/webhook_consumer/pyproject.toml apps/webhook_consumer/
COPY apps/ops/pyproject.toml apps/ops/
COPY mock_gateway/pyproject.toml mock_gateway/
# The dev-only test kit is a workspace member (uv needs its pyproject to read the lock) but is
# never installed in the image.
COPY packages/testkit/pyproject.toml packages/testkit/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-install-workspace --all-packages --no-dev \
        --no-install-package wallet-testkit

# Then the workspace members, as regular (non-editable) installs, so the runtime stage needs
# the virtualenv only and no source tree.
COPY packages/ packages/
COPY apps/ apps/
COPY mock_gateway/ mock_gateway/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --all-packages --no-dev --no-editable \
        --no-install-package wallet-testkit

# --- runtime: slim Python, the virtualenv, a non-root user ----------------------------------------
FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 wallet \
    && useradd --system --uid 10001 --gid wallet --no-create-home --shell /usr/sbin/nologin wallet
COPY --from=build /app/.venv /app/.venv
# HEALTH_PORT/HEALTH_PATH: where this container's process answers its liveness probe
# (api 8000, mock-gateway 8100, metrics consumer 9100, audit consumer 9101, webhook ingest
# 8001, webhook consumer 9104; empty = none,
# e.g. the relay, whose compose service checks its dependencies instead).
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WALLET_LOG_FORMAT=json \
    WALLET_API_HOST=0.0.0.0 \
    WALLET_API_METRICS_HOST=0.0.0.0 \
    WALLET_METRICS_HOST=0.0.0.0 \
    WALLET_AUDIT_HOST=0.0.0.0 \
    WALLET_WEBHOOK_INGEST_HOST=0.0.0.0 \
    WALLET_WEBHOOK_INGEST_METRICS_HOST=0.0.0.0 \
    WALLET_WEBHOOK_CONSUMER_HOST=0.0.0.0 \
    MOCK_GATEWAY_HOST=0.0.0.0 \
    HEALTH_PORT=8000 \
    HEALTH_PATH=/healthz
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os,urllib.request as r; p=os.environ.get('HEALTH_PORT'); p and r.urlopen('http://127.0.0.1:'+p+os.environ.get('HEALTH_PATH','/healthz'), timeout=2)"]
CMD ["wallet-api"]
