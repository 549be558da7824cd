# The verbs of this repository. Each target does its own set-up, idempotently.
#   make deploy            deploy the local environment to the embedded AWS (moto)
#   make test              the whole test suite (CI runs this)
# ENV selects an environment (local, dev, staging, prod). synth/validate/scan default to all.
# Who synthesizes: the verbs that act on an account (plan, apply-plan, deploy, drift, destroy) are
# scripts/ops.py's, and ops synthesizes for them; the offline readers (validate, scan, addresses,
# cost, diagram) run `ops synth` here first.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
PIPENV_VERSION := 2026.10.3
# pip's own default index, so no registry host is written in this repository.
PIP_INDEX_URL ?= $(shell $(PYTHON) -c 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)')
export PIP_INDEX_URL
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKPOINT_DISABLE := 1
export PYTHONUNBUFFERED := 1

PIPENV := $(PYTHON) -m pipenv
RUN := $(PIPENV) run python
STAMPS := .build/stamps
CHECKOV := .build/checkov/bin/checkov
ACTIONLINT := .build/actionlint/bin/actionlint
# actionlint with shellcheck for run: scripts, both from tools/actionlint.requirements.txt
LINT_WORKFLOWS := $(ACTIONLINT) -no-color -shellcheck=.build/actionlint/bin/shellcheck
# The TableSleuth host's web entry point (textual-serve + tablesleuth), which the host-boot test
# runs. Python 3.13 as on the hosts (tablesleuth 0.6.1 requires it): python3.13 if it runs, else
# pyenv's newest 3.13 (a pyenv shim exists even where that version is not selected).
HOST_WEB := .build/host-web/bin/tablesleuth
PYTHON313 ?= $(shell for p in python3.13 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 \
  2>/dev/null | sort -V | tail -1); do "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' \
  >/dev/null 2>&1 && { echo "$$p"; break; }; done)

ENV ?=
STACK ?=
# pytest workers for `make test`: the integration deploy (one worker, mostly waiting on Terraform
# and moto) beside two for the CPU-bound layers, one per core. JOBS (stacks at once) goes to
# scripts/ops.py through the environment; see scripts/graph.py for its default.
TEST_WORKERS ?= 3
# loadfile: every test of a module runs on one worker, so the integration module deploys once.
# (loadgroup would do it by marker, but under pytest 9 xdist's group suffix never reaches the
# scheduler and the module was split over all workers: three deploys at once, which failed CI.
# tests/unit/test_suite_distribution.py runs this mode and checks a module stays on one worker.)
TEST_DIST := loadfile
DEPLOY_ENV := $(or $(ENV),local)
comma := ,
empty :=
space := $(empty) $(empty)

.PHONY: help setup synth addresses validate scan preflight plan deploy drift destroy test test-fast lint bench \
        local-aws-start local-aws-stop local-aws-status clean actionlint plan-summary apply-plan \
        ci-matrix ci-config cost diagram pr-cost graphviz host-web

help: ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMPS)/pipenv-tool:
	@mkdir -p $(STAMPS)
	@$(PYTHON) -m pipenv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "pipenv==$(PIPENV_VERSION)"
	@touch $@

$(STAMPS)/python-env: Pipfile.lock $(STAMPS)/pipenv-tool
	$(PIPENV) sync --dev
	@touch $@

$(STAMPS)/node-env: package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found; install Node.js 20 or newer" >&2; exit 2; }
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

$(CHECKOV): tools/checkov.requirements.txt
	rm -rf .build/checkov
	$(PYTHON) -m venv .build/checkov
	.build/checkov/bin/pip install --quiet --disable-pip-version-check -r tools/checkov.requirements.txt
	@touch $@

$(ACTIONLINT): tools/actionlint.requirements.txt
	rm -rf .build/actionlint
	$(PYTHON) -m venv .build/actionlint
	.build/actionlint/bin/pip install --quiet --disable-pip-version-check --only-binary=:all: --require-hashes \
	  -r tools/actionlint.requirements.txt
	@touch $@

$(HOST_WEB): tools/host-web.requirements.txt
	@[ -n "$(PYTHON313)" ] || { echo "error: Python 3.13 not found (tablesleuth 0.6.1 needs it); install it or set PYTHON313=/path/to/python3.13" >&2; exit 2; }
	rm -rf .build/host-web
	$(PYTHON313) -m venv .build/host-web
	.build/host-web/bin/pip install --quiet --disable-pip-version-check --only-binary=:all: --require-hashes \
	  -r tools/host-web.requirements.txt
	@touch $@

host-web: $(HOST_WEB) ## the TableSleuth host's web environment (serve.py's packages), for the host-boot test

setup: $(STAMPS)/python-env $(STAMPS)/node-env $(CHECKOV) ## install the Python env, cdktf-cli and checkov
	@$(RUN) -c 'from scripts.toolchain import terraform_binary, write_cli_config; terraform_binary(); write_cli_config()' \
	  || { echo "error: see above; the toolchain is incomplete" >&2; exit 2; }

synth: setup ## synthesize stacks (ENV=dev,prod selects; default all)
	$(RUN) -m scripts.ops synth $(ENV)

addresses: synth ## rewrite tests/stacks/addresses.txt, the pinned resource addresses (only when a move is the point)
	$(RUN) -m scripts.addresses cdktf.out

validate: synth ## terraform validate every synthesized stack against the real provider
	$(RUN) -m scripts.ops validate $(ENV)

scan: synth ## checkov on the synthesized JSON, and on any saved plan JSON
	$(RUN) -m scripts.scan synth $(ENV)
	@for dir in .build/plans/*/; do \
	  [ -d "$$dir" ] && ls "$$dir"*.json >/dev/null 2>&1 || continue; \
	  $(RUN) -m scripts.scan plan "$$(basename "$$dir")"; \
	done

preflight: $(STAMPS)/python-env ## read-only check of ENV's account: credentials, regions, quotas, singletons to adopt
	$(RUN) -m scripts.preflight $(DEPLOY_ENV)

plan: setup ## saved plans + readable summary + checkov on each plan (ENV=x [STACK=name])
	$(RUN) -m scripts.preflight $(DEPLOY_ENV) --for plan
	STACK=$(STACK) $(RUN) -m scripts.ops plan $(DEPLOY_ENV)

apply-plan: setup ## apply exactly the saved plans of `make plan` (ENV=x [STACK=name]); CI's deploy step
	STACK=$(STACK) $(RUN) -m scripts.ops apply-plan $(DEPLOY_ENV)

plan-summary: $(STAMPS)/python-env ## Markdown summary of saved plans (.build/plans/summary.md) [ENV=x]
	@$(RUN) -m scripts.plan_summary $(ENV)

ci-matrix: $(STAMPS)/python-env ## after synth: the env x stack matrix CI plans, as matrix=<json> for $$GITHUB_OUTPUT
	@$(RUN) -m scripts.ci matrix

ci-config: $(STAMPS)/python-env ## account, region and OIDC role ARNs of ENV=x, as key=value for $$GITHUB_OUTPUT
	@$(RUN) -m scripts.ci config $(DEPLOY_ENV)

actionlint: $(ACTIONLINT) ## lint .github/workflows
	$(LINT_WORKFLOWS)

deploy: setup ## preflight, bootstrap state, synth, checkov gate, deploy stacks along their graph (ENV=local, JOBS=4)
	$(RUN) -m scripts.preflight $(DEPLOY_ENV)
	$(RUN) -m scripts.ops deploy $(DEPLOY_ENV)

drift: setup ## exit 0 when nothing would change, 2 when something would (ENV=x)
	$(RUN) -m scripts.ops drift $(DEPLOY_ENV)

destroy: setup ## destroy an environment's stacks in reverse order (ENV=x)
	$(RUN) -m scripts.ops destroy $(DEPLOY_ENV)

# What the suite needs installed. They are independent installs (pipenv, npm, three tool venvs,
# a Debian package), so `make test` builds them at once: on a fresh 2-core machine about 1.5
# minutes instead of 4.5 one after another. Output is grouped per target (-O), never interleaved.
TEST_TOOLS := setup $(ACTIONLINT) graphviz $(HOST_WEB)
INSTALL_AT_ONCE := --no-print-directory -j 6 --output-sync=target

test: ## lint (ruff, actionlint), then the whole suite: unit, stacks, terraform, integration, bad input
	@$(MAKE) $(INSTALL_AT_ONCE) $(TEST_TOOLS)
	$(PIPENV) run ruff check .
	$(LINT_WORKFLOWS)
	$(PIPENV) run pytest -n $(TEST_WORKERS) --dist $(TEST_DIST)

test-fast: ## everything but the deploy-to-moto integration tests
	@$(MAKE) $(INSTALL_AT_ONCE) setup graphviz $(HOST_WEB)
	$(PIPENV) run pytest -n $(TEST_WORKERS) --dist $(TEST_DIST) -m "not integration"

lint: setup $(ACTIONLINT) ## ruff and actionlint
	$(PIPENV) run ruff check .
	$(LINT_WORKFLOWS)

bench: setup ## synth vs import floor, local deploy/drift/destroy, test suite: JSON + table (.build/bench.json)
	$(RUN) -m scripts.bench

# Graphviz draws the architecture picture (`make diagram` and its test). It comes from Debian's
# package, installed only when `dot` is missing (as root, or through sudo where there is one).
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 || { echo "error: Graphviz (dot) is missing; install the graphviz package" >&2; exit 2; }; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "installing graphviz (Debian package) for the architecture picture"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq graphviz >/dev/null; }

cost: setup ## monthly cost estimate of ENV=x, offline (BASE=<git ref>: the change since that commit)
	$(RUN) -m scripts.ops synth $(DEPLOY_ENV)
	$(RUN) -m scripts.cost $(DEPLOY_ENV) --json --out .build/cost/$(DEPLOY_ENV).json >/dev/null
	$(RUN) -m scripts.cost $(DEPLOY_ENV)
	$(if $(BASE),$(RUN) -m scripts.cost $(DEPLOY_ENV) --base $(BASE))

diagram: setup graphviz ## architecture picture of ENV=x: Mermaid, SVG, PNG in .build/diagram (README=1: prod's in README and docs/)
	$(RUN) -m scripts.ops synth $(DEPLOY_ENV)
	$(RUN) -m scripts.diagram $(DEPLOY_ENV) $(if $(README),--readme)

PR_ENVS ?= dev staging prod
pr-cost: setup ## the PR comment's cost and picture sections, against BASE (default origin/main): .build/cost/pr.md
	$(RUN) -m scripts.ops synth $(subst $(space),$(comma),$(strip $(PR_ENVS)))
	$(RUN) -m scripts.cost pr $(PR_ENVS) --base $(or $(BASE),origin/main) --out .build/cost/cost.md >/dev/null
	$(RUN) -m scripts.diagram pr $(PR_ENVS) --base $(or $(BASE),origin/main) --out .build/cost/picture.md >/dev/null
	cat .build/cost/cost.md .build/cost/picture.md > .build/cost/pr.md

local-aws-start: $(STAMPS)/python-env ## start the embedded AWS (moto) on 127.0.0.1
	$(RUN) -m scripts.local_aws start

local-aws-stop: $(STAMPS)/python-env ## stop it (everything it held is gone)
	$(RUN) -m scripts.local_aws stop

local-aws-status: $(STAMPS)/python-env
	$(RUN) -m scripts.local_aws status

clean: ## remove synth output and build state (not the environments)
	rm -rf cdktf.out .build/plans .build/tfdata .build/scan .build/logs
