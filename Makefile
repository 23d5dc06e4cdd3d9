# Operations entry points (docs/operations.md). `make` alone lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

UV_RUN ?= uv run --all-packages
# Compose v2 plugin, else the standalone docker-compose binary.
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" \
	|| { command -v docker-compose >/dev/null 2>&1 && echo docker-compose; } || echo "docker compose")
PYTEST_ARGS ?=
# Prometheus's promtool (`bash .ci/run` installs it; Debian: the `prometheus` package).
PROMTOOL ?= promtool

# --- migrations -------------------------------------------------------------------------------
# The `migrate` CLI (golang-migrate) when it is on PATH or in Go's bin dir, else the compose
# `migrate` service. Override with MIGRATE_BIN=/path/to/migrate.
MIGRATIONS_DIR ?= migrations
WALLET_DATABASE_URL ?= postgresql://wallet:wallet@localhost:5432/wallet
# The database `make run`'s processes use: honcho hands them `.env`'s WALLET_DATABASE_URL over
# the shell's, so a `.env` that sets it wins here too; `make WALLET_DATABASE_URL=...` wins over
# both. Read with honcho's own parser (as make syntax, `.env` would lose its `$`s, keep its
# quotes and the blanks before a `# comment`), only that name, exported to nothing, and only
# when a target uses the database: no other target runs Python or depends on `.env`.
DOTENV_VALUE ?= $(UV_RUN) python scripts/dotenv_value.py
_dotenv_value = $(shell $(DOTENV_VALUE) $(1))$(if $(filter-out 0,$(.SHELLSTATUS)),$(error \
	could not read $(1) from .env ('$(DOTENV_VALUE) $(1)' failed)))
ifneq ($(origin WALLET_DATABASE_URL),command line)
ifneq ($(wildcard .env),)
# Read once, on first use.
_WALLET_DB = $(eval _WALLET_DB := $$(or $$(call _dotenv_value,WALLET_DATABASE_URL),$$(WALLET_DATABASE_URL)))$(_WALLET_DB)
endif
endif
_WALLET_DB ?= $(WALLET_DATABASE_URL)
# golang-migrate takes postgres:// or postgresql://, not SQLAlchemy's "+asyncpg" dialect suffix,
# and needs sslmode=disable against a local server without TLS.
_DB_URL = $(subst postgresql+asyncpg://,postgresql://,$(_WALLET_DB))
_DB_SEP = $(if $(findstring ?,$(_DB_URL)),&,?)
DATABASE_URL ?= $(if $(findstring sslmode=,$(_DB_URL)),$(_DB_URL),$(_DB_URL)$(_DB_SEP)sslmode=disable)
COMPOSE_DATABASE_URL ?= postgres://wallet:wallet@postgres:5432/wallet?sslmode=disable

ifndef MIGRATE_BIN
MIGRATE_BIN := $(shell command -v migrate 2>/dev/null)
endif
ifndef MIGRATE_BIN
GO_BIN_DIRS := $(HOME)/go/bin $(shell go env GOPATH 2>/dev/null)/bin
MIGRATE_BIN := $(firstword $(wildcard $(addsuffix /migrate,$(GO_BIN_DIRS))))
endif

ifneq ($(MIGRATE_BIN),)
MIGRATE_CLI := $(MIGRATE_BIN)
MIGRATE_SRC := $(MIGRATIONS_DIR)
MIGRATE_DB = $(DATABASE_URL)
else
MIGRATE_CLI := $(COMPOSE) run --rm migrate
MIGRATE_SRC := /migrations
MIGRATE_DB := $(COMPOSE_DATABASE_URL)
endif
MIGRATE = $(MIGRATE_CLI) -path=$(MIGRATE_SRC) -database '$(MIGRATE_DB)'

# Every member's src/, so mypy maps each file to one module name (not e.g. mock_gateway.src.…).
SRC_DIRS := packages/domain/src packages/infra/src packages/testkit/src $(wildcard apps/*/src) mock_gateway/src
_empty :=
_space := $(_empty) $(_empty)

N ?= 1
V ?=
NAME ?=

RABBIT_UI_PORT ?= $(or $(WALLET_RABBIT_UI_PORT),15672)
S ?=

# --- Docker-only targets ----------------------------------------------------------------------
# Each checks first that Compose is installed and an engine answers, and otherwise says so and
# what to run instead, rather than leaving the tool's own error (`unknown shorthand flag: 'f'`).
DOCKER_PROBE_TIMEOUT_S ?= 10
WITHOUT_DOCKER_up := Without Docker: 'make run' runs every process locally against PostgreSQL \
	and RabbitMQ on localhost ('bash .ci/run --provision-only' installs and starts both on Debian).
WITHOUT_DOCKER_down := Without Docker: stop 'make run' with Ctrl-C; it stops every process it started.
WITHOUT_DOCKER_reset := Without Docker: 'make reset-local' drops and recreates the local database \
	(DATABASE_URL: ALL its data) and migrates it again.
WITHOUT_DOCKER_logs := Without Docker: 'make run' prints every process's log in its terminal, \
	each line prefixed with the process name.
WITHOUT_DOCKER_migrate := Without Docker: install the migrate CLI ('go install -tags postgres \
	github.com/golang-migrate/migrate/v4/cmd/migrate@v4.20.1'); the migrate targets then use it.
# $(call require_docker,what) fails with a plain message unless `$(COMPOSE) ls` reaches an engine.
define require_docker
limit=; if command -v timeout >/dev/null; then limit="timeout $(DOCKER_PROBE_TIMEOUT_S)"; fi; \
if ! out="$$($(COMPOSE) version 2>&1)"; then \
	why="Docker Compose is not installed ('$(COMPOSE) version': $${out%%$$'\n'*})"; \
elif ! out="$$($$limit $(COMPOSE) ls -q 2>&1)"; then \
	why="no Docker engine answers ('$(COMPOSE) ls': $${out%%$$'\n'*})"; \
else why=; fi; \
if [ -n "$$why" ]; then \
	printf 'error: make %s needs Docker: a Docker engine that answers, and Compose.\n  %s\n%s\n' \
		"$(1)" "$$why" "$(WITHOUT_DOCKER_$(1))" >&2; \
	exit 1; \
fi
endef

.PHONY: help up down reset reset-local logs migrate migrate-up migrate-down migrate-version migrate-force \
	migrate-create test lint fmt clean run consume rabbit-ui bench bench-replica bench-floor \
	bench-webhooks bench-in-process bench-gateway bench-pool openapi asyncapi _migrate-backend

help: ## Show this help
	@echo "Usage: make <target> [VAR=value]"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' \
		$(firstword $(MAKEFILE_LIST))

# --- containers -------------------------------------------------------------------------------
up: ## Build and start the whole system in Docker; returns once every service is healthy
	@$(call require_docker,up)
	$(COMPOSE) up -d --build --wait
	@echo "api http://localhost:8000/docs | mock gateway http://localhost:8100 |" \
		"RabbitMQ UI http://localhost:$(RABBIT_UI_PORT) (guest/guest) | make logs S=api"

down: ## Stop the Docker stack (keeps volumes)
	@$(call require_docker,down)
	$(COMPOSE) down

reset: ## Destroy the Docker stack and its volumes (ALL local data), start it again, migrate
	@$(call require_docker,reset)
	$(COMPOSE) down -v --remove-orphans
	$(COMPOSE) up -d --build --wait
	$(COMPOSE) run --rm migrate

logs: ## Follow the Docker stack's logs (S=api for one service)
	@$(call require_docker,logs)
	$(COMPOSE) logs -f --tail=200 $(S)

rabbit-ui: ## Print where the RabbitMQ management UI is; fails if nothing answers there
	@echo "RabbitMQ management UI: http://localhost:$(RABBIT_UI_PORT) (user guest, password guest)"
	@limit=; if command -v timeout >/dev/null; then limit="timeout 2"; fi; \
	$$limit bash -c '</dev/tcp/localhost/$(RABBIT_UI_PORT)' 2>/dev/null || { \
		echo "error: nothing answers on port $(RABBIT_UI_PORT). Local RabbitMQ: enable the" \
			"management plugin ('rabbitmq-plugins enable rabbitmq_management' as root, or" \
			"'bash .ci/run --provision-only'); Docker: 'make up'." >&2; \
		exit 1; \
	}

# --- migrations -------------------------------------------------------------------------------
_migrate-backend:
ifeq ($(MIGRATE_BIN),)
	@echo "note: migrate CLI not found, using '$(COMPOSE) run migrate'" >&2
	@$(call require_docker,migrate)
endif

migrate: migrate-up ## Apply all pending migrations (= migrate-up)

migrate-up: _migrate-backend ## Apply all pending migrations to DATABASE_URL
	@$(MIGRATE) up

migrate-down: _migrate-backend ## Roll back N migrations (N=1 by default; N=all rolls back everything)
	@case "$(N)" in \
		all) arg=-all ;; \
		''|0|*[!0-9]*) echo "error: N must be a positive integer or 'all' (got '$(N)')" >&2; exit 1 ;; \
		*) arg=$(N) ;; \
	esac; \
	$(MIGRATE) down $$arg

migrate-version: _migrate-backend ## Print the current schema version (and whether it is dirty)
	@$(MIGRATE) version

migrate-force: _migrate-backend ## Set the version to V and clear the dirty flag, running no SQL (V= required)
	@case "$(V)" in \
		'') echo "error: V is required, e.g. 'make migrate-force V=3': the last version that" \
			"applied cleanly (fix or revert the failed migration's partial changes first)" >&2; \
			exit 1 ;; \
		-1) ;; \
		*[!0-9]*) echo "error: V must be a migration version number or -1 (got '$(V)')" >&2; exit 1 ;; \
	esac
	@$(MIGRATE) force $(V)

# Not `migrate-down N=all`: the downs that would lose what cannot be rebuilt refuse on a used
# database. Needs the CLI: the compose fallback would migrate another database than this one.
reset-local: ## Without Docker: drop and recreate DATABASE_URL's database (ALL its data; local only), migrate it
ifeq ($(MIGRATE_BIN),)
	@echo "error: make reset-local needs the migrate CLI. $(WITHOUT_DOCKER_migrate)" >&2; exit 1
endif
	@DATABASE_URL='$(DATABASE_URL)' $(UV_RUN) python scripts/recreate_database.py
	@$(MIGRATE) up

migrate-create: _migrate-backend ## Create the next empty up/down pair (NAME=snake_case required)
	@case "$(NAME)" in \
		'') echo "error: NAME is required, e.g. 'make migrate-create NAME=add_fees'" >&2; exit 1 ;; \
		*[!a-z0-9_]*) echo "error: NAME must be snake_case [a-z0-9_] (got '$(NAME)')" >&2; exit 1 ;; \
	esac
	@$(MIGRATE_CLI) create -ext sql -dir $(MIGRATE_SRC) -seq -digits 4 $(NAME)

# --- development ------------------------------------------------------------------------------
# Coverage of every shipped package, service subprocesses included ([tool.coverage.run]); the
# per-package table and floors come from scripts/coverage_floors.py (a narrowed run only
# prints the table: its figures say nothing about the floors).
test: ## Run the tests; coverage per package, each with a floor (PYTEST_ARGS= to narrow)
	$(UV_RUN) pytest --cov --cov-report= $(PYTEST_ARGS)
	$(UV_RUN) python scripts/coverage_floors.py $(if $(PYTEST_ARGS),--report-only,)

lint: ## ruff, mypy --strict, import-linter, compose.yaml, Prometheus config/rules, hadolint, docs/*api.json
	$(UV_RUN) ruff check .
	$(UV_RUN) ruff format --check .
	MYPYPATH=$(subst $(_space),:,$(SRC_DIRS)) $(UV_RUN) mypy $(SRC_DIRS) scripts/supervise.py
	$(UV_RUN) lint-imports
	$(UV_RUN) docker-compose -f compose.yaml --profile observability --profile replica config -q
	@command -v $(PROMTOOL) >/dev/null || { echo "error: promtool not found (make lint checks" \
		"deploy/prometheus with it): 'bash .ci/run --provision-only' installs it, or" \
		"'apt-get install prometheus' on Debian, or set PROMTOOL=/path/to/promtool" >&2; exit 1; }
	$(PROMTOOL) check config deploy/prometheus.yml
	$(PROMTOOL) check rules deploy/prometheus/rules.yml
	$(UV_RUN) hadolint --failure-threshold style Dockerfile
	$(UV_RUN) python scripts/export_openapi.py --check
	$(UV_RUN) python scripts/export_asyncapi.py --check

fmt: ## Format and auto-fix (ruff)
	$(UV_RUN) ruff check --fix .
	$(UV_RUN) ruff format .

clean: ## Remove caches and coverage output
	find . -path ./.venv -prune -o -type d \( -name __pycache__ -o -name .pytest_cache \
		-o -name .mypy_cache -o -name .ruff_cache -o -name .import_linter_cache \
		-o -name htmlcov \) -prune -exec rm -rf {} +
	rm -f .coverage .coverage.* coverage.xml

run: migrate-up ## Migrate, then run the processes locally, restarting one that dies (needs local PostgreSQL + RabbitMQ)
	$(UV_RUN) honcho start -f Procfile

consume: migrate-up ## Migrate, then run only the event consumers locally (metrics :9100, audit :9101)
	$(UV_RUN) honcho start -f Procfile metrics_consumer audit_consumer

bench: ## Run the benchmark (bench/run.py): CPU per operation per process, then the load phases (own database)
	$(UV_RUN) python bench/run.py

bench-replica: ## GET /transactions req/s with and without a read replica (bench/replica_reads.py)
	$(UV_RUN) python bench/replica_reads.py

bench-floor: ## CPU per payment of the thinnest route on the same libraries, and pgbench (the API's floor)
	$(UV_RUN) python bench/stack_floor.py

bench-webhooks: ## Broker-mode webhooks: accepted/s by the ingest (confirms on), mock send -> DB p99
	$(UV_RUN) python bench/webhooks.py

bench-in-process: ## The API's CPU per operation in-process; A/B: ARGS="--compare-root DIR --rounds 24 --processes 4 --requests 500"
	$(UV_RUN) python bench/in_process.py $(ARGS)

bench-gateway: ## A gateway call's CPU (the adapter) against aiohttp's bare call, both on the stub
	$(UV_RUN) python bench/gateway_call.py $(ARGS)

bench-pool: ## Pool checkout waits on a saturated pool: ours (in order) against SQLAlchemy's own
	$(UV_RUN) python bench/pool_waits.py $(ARGS)

# --- contract documents -----------------------------------------------------------------------
openapi: ## Regenerate docs/openapi.json from the API (commit it; a test checks it is current)
	$(UV_RUN) python scripts/export_openapi.py

asyncapi: ## Regenerate docs/asyncapi.json from the relay/consumers' FastStream apps
	$(UV_RUN) python scripts/export_asyncapi.py
