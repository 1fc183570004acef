# satfeed: run `make` (or `make help`) for the targets.
#
# Tools and versions are variables so CI or a developer can override them.
# uv from PATH, else where `pip install --user` puts it.
UV          ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
UV_VERSION  ?= 0.13.9
PYTEST_ARGS ?=
RUN         := $(UV) run --frozen
# checkov has an environment and lock file of its own (dev/checkov: its pins clash with
# the workspace's); it runs offline (.checkov.yaml: skip-download; no update check).
CHECKOV_UV  := $(UV) --project dev/checkov

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "; print "satfeed make targets:\n"} \
	     /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: setup
setup: ## Install Python deps from uv.lock and build/fetch the test bed (cached per machine)
	@UV=$(UV) UV_VERSION=$(UV_VERSION) scripts/check-prereqs.sh test
	$(UV) sync --frozen
	$(CHECKOV_UV) sync --frozen --quiet
	$(RUN) satfeed-testbed setup

.PHONY: lint
DOCKERFILES   := $(wildcard services/*/Dockerfile operator/Dockerfile dev/docker/*/Dockerfile)
SHELL_SCRIPTS := .ci/run deploy/cluster.sh $(wildcard deploy/compose/*.sh) \
                 $(wildcard scripts/*.sh dev/scripts/*.sh dev/docker/kafka/bin/*.sh)

lint: ## ruff (lint + format check), mypy, hadolint (Dockerfiles), shellcheck (scripts), checkov
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) hadolint $(DOCKERFILES)
	$(RUN) shellcheck $(SHELL_SCRIPTS)
	$(MAKE) --no-print-directory checkov

.PHONY: checkov
checkov: ## Audit every Kubernetes object satfeed deploys with checkov (.checkov.yaml)
	$(RUN) python scripts/render_manifests.py build/audit  # the directory .checkov.yaml audits
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECKOV_UV) run --frozen --quiet checkov --config-file .checkov.yaml

.PHONY: fmt
fmt: ## Format the code with ruff
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

.PHONY: plotly-bundle
plotly-bundle: ## Rebuild the page's plotly.js (services/frontend/plotly: npm ci, esbuild; needs npm)
	cd services/frontend/plotly && npm ci --ignore-scripts --no-audit --no-fund && node build.mjs

.PHONY: test-unit
test-unit: ## Fast tests that need no services (no set-up of the test bed)
	$(UV) sync --frozen --quiet
	$(RUN) pytest tests/unit $(PYTEST_ARGS)

.PHONY: test-integration
test-integration: ## Tests against the real services (starts and stops the test bed)
	$(RUN) pytest tests/integration $(PYTEST_ARGS)

# As root the node suite can always run (setup installed its packages): a node that does not
# start is then a failure, not a skip.
SATFEED_REQUIRE_NODE ?= $(shell [ "$$(id -u)" = 0 ] && echo 1 || echo 0)

.PHONY: test
test: setup lint ## Everything: set-up, lint, unit, integration and node tests
	SATFEED_REQUIRE_NODE=$(SATFEED_REQUIRE_NODE) $(RUN) pytest $(PYTEST_ARGS)

.PHONY: setup-node e2e-node
setup-node: setup ## Build the node's binaries and the project's images with buildah (cached)
	$(RUN) satfeed-testbed setup-node
e2e-node: setup ## The charts and images as real pods on the test bed's node (needs root)
	$(RUN) pytest tests/node $(PYTEST_ARGS)

.PHONY: catalogue-configmaps
NAMESPACE ?= satfeed
catalogue-configmaps: ## The bundled 16,069-object catalogue as ConfigMaps for examples/groups/catalogue.yaml
	$(RUN) python -m satfeed_dev.catalogue --namespace $(NAMESPACE) | kubectl apply --server-side -f -

.PHONY: demo
demo: ## Run Kafka, producers for TERRA, AQUA, AURA and the dashboard locally; Ctrl-C stops all
	@UV=$(UV) UV_VERSION=$(UV_VERSION) scripts/check-prereqs.sh demo
	$(UV) sync --frozen --quiet
	$(RUN) python -m satfeed_dev.demo

.PHONY: local
local: ## One process, no Kafka, no Kubernetes: the dashboard computes TERRA, AQUA, AURA itself
	@UV=$(UV) UV_VERSION=$(UV_VERSION) scripts/check-prereqs.sh local
	$(UV) sync --frozen --quiet
	$(RUN) python -m satfeed_dev.demo --local

.PHONY: screenshot
screenshot: setup ## Render the dashboard with live data from the test bed into docs/images/dashboard.png
	$(RUN) python -m satfeed_dev.screenshot --output docs/images/dashboard.png

.PHONY: testbed-up
testbed-up: setup ## Start the test bed for exploring by hand; writes build/testbed.env
	$(RUN) satfeed-testbed up

.PHONY: testbed-down
testbed-down: ## Stop what testbed-up started
	$(RUN) satfeed-testbed down

.PHONY: testbed-status
testbed-status: ## Show which test bed services run
	$(RUN) satfeed-testbed status

# --- A real cluster (needs Docker plus kind or minikube, helm, kubectl) -----------------
CLUSTER := deploy/cluster.sh

.PHONY: kind-up minikube-up images kind-load minikube-load deploy satellites dashboard e2e-cluster down
kind-up: ## Create a kind cluster, install Strimzi and a single-node Kafka, wait until Ready
	$(CLUSTER) kind-up
minikube-up: ## Same on minikube
	$(CLUSTER) minikube-up
images: ## Build the producer, frontend and operator images with docker
	$(CLUSTER) images
kind-load: ## Load the images into the kind cluster
	$(CLUSTER) kind-load
minikube-load: ## Load the images into minikube
	$(CLUSTER) minikube-load
deploy: ## helm upgrade --install the operator and frontend charts, wait
	$(CLUSTER) deploy
satellites: ## Apply the TERRA, AQUA and AURA examples, wait until Ready
	$(CLUSTER) satellites
dashboard: ## Port-forward the frontend to http://127.0.0.1:8050
	$(CLUSTER) dashboard
e2e-cluster: ## On the cluster: Satellites Ready, topics Ready, frontend up, helm test
	$(CLUSTER) e2e
down: ## Delete the kind cluster or minikube profile
	$(CLUSTER) down

# --- Docker Compose: Kafka, a producer per satellite and the dashboard, no Kubernetes ----
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
COMPOSE_PROJECT ?= satfeed
# More files, e.g. a satellite's override: COMPOSE_FILE=deploy/compose/compose.yaml:my.yaml
COMPOSE_FILE ?= deploy/compose/compose.yaml

.PHONY: compose-up compose-down
compose-up: ## Kafka, producers for TERRA, AQUA, AURA and the dashboard with Docker Compose (after make images)
	COMPOSE="$(COMPOSE)" COMPOSE_PROJECT_NAME=$(COMPOSE_PROJECT) COMPOSE_FILE=$(COMPOSE_FILE) \
	  deploy/compose/up.sh
compose-down: ## Stop the Compose stack; removes its containers, network and volumes (Kafka's data, certificates, passwords)
	COMPOSE_FILE=$(COMPOSE_FILE) $(COMPOSE) --project-name $(COMPOSE_PROJECT) down --volumes

.PHONY: clean
clean: ## Remove build outputs of this checkout (not the per-machine cache)
	-$(RUN) satfeed-testbed down
	rm -rf build .venv dev/checkov/.venv .mypy_cache .ruff_cache .pytest_cache
