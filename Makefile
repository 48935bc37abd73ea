# Two entry points: `make run` and `make test`. Each installs what it needs
# (a .venv, npm packages, Debian packages) and skips what is already there.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
NPM := npm --no-audit --no-fund --loglevel=error
LABEXT_DIR := extensions/labextension
LABEXT_OUT := extensions/dtaas/labextension/package.json
# the TypeScript types are generated from the two OpenAPI documents, so they are sources too
LABEXT_SRC := $(LABEXT_DIR)/package.json $(LABEXT_DIR)/package-lock.json $(LABEXT_DIR)/tsconfig.json \
	$(shell find $(LABEXT_DIR)/src $(LABEXT_DIR)/style $(LABEXT_DIR)/schema -type f \
		-not -path '*/src/schema/*') extensions/dtaas/openapi.yaml asset_library/openapi.yaml
LABEXT_LINK := $(VENV)/share/jupyter/labextensions/dtaas-labextension
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian's own Python: every workspace account can run it (a pyenv build under
# /root cannot be reached by other accounts)
SYSPY := /usr/bin/python3


.PHONY: run test install install-test postgresql mosquitto lint format clean system-python traversable \
	docker-engine images workspace-image debootstrap

run: install $(if $(filter docker,$(DTAAS_PROFILE)),workspace-image)
	$(VENV)/bin/jupyterhub -f jupyterhub_config.py

test: install-test lint
	cd $(LABEXT_DIR) && $(NPM) test
	$(PY) -m pytest

install: $(VENV)/.installed node_modules/.installed $(LABEXT_OUT) traversable mosquitto postgresql
	@# the venv's JupyterLab finds the extension built in place (pip copies a snapshot)
	@[ -L $(LABEXT_LINK) ] || { rm -rf $(LABEXT_LINK); ln -s $(CURDIR)/extensions/dtaas/labextension $(LABEXT_LINK); }

install-test: install /usr/bin/chromium workspace-image

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Python: one venv with the project installed editable, and its test tools
$(VENV)/.installed: pyproject.toml $(LABEXT_OUT) | system-python
	test -x $(PY) || $(SYSPY) -m venv $(VENV)
	# the Lab extension is built above; a wheel build (pip wheel .) builds it itself
	HATCH_JUPYTER_BUILDER_SKIP_NPM=1 $(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@# jsonschema's IRI format check (rfc3987-syntax) builds 35 parsers on import: 2 s of
	@# every server, kernel run and hub start, for a format no Jupyter schema uses
	$(PY) -m pip uninstall -q -y rfc3987-syntax
	touch $@

# workspace accounts run the checkout's .venv: its parent folders must let them pass
# (o+x: pass through, not list); only root runs servers under other accounts
traversable:
	@if [ "$$(id -u)" = 0 ]; then d="$(CURDIR)"; while [ "$$d" != / ]; do \
		if [ -z "$$(find "$$d" -maxdepth 0 -perm -o+x)" ]; then \
			echo "chmod o+x $$d (workspace accounts must reach $(CURDIR))"; chmod o+x "$$d"; fi; \
		d="$$(dirname "$$d")"; done; fi

# Debian's python3 with its venv module
system-python:
	@$(SYSPY) -c 'import ensurepip, venv' 2>/dev/null || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3 python3-venv; }

# configurable-http-proxy, the hub's proxy
node_modules/.installed: package.json package-lock.json
	$(NPM) ci
	touch $@

# the JupyterLab extension, built to extensions/dtaas/labextension
$(LABEXT_OUT): $(LABEXT_SRC)
	cd $(LABEXT_DIR) && $(NPM) ci && $(NPM) run build:prod
	touch $@

# Debian's Chromium for the browser tests (never a downloaded browser)
/usr/bin/chromium:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

# Debian's PostgreSQL server binaries: the hub runs its own cluster as the time-series
# store, and the tests start their own (Debian's service, where systemd starts it, listens on
# 5432 and is not used)
postgresql:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql; }

# Debian's mosquitto, the platform's MQTT broker: the hub runs its own instance
# (Debian's service, where systemd starts it, listens on 1883 and is not used)
mosquitto:
	@[ -x /usr/sbin/mosquitto ] || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq mosquitto; }

# a Docker engine that answers (Debian's docker.io, dockerd started if none runs)
docker-engine:
	@$(SUDO) images/engine.sh

# the base image (debootstrap, then docker import: nothing is pulled), the workspace
# image and the hub image; their sizes are printed
images: install docker-engine debootstrap
	$(SUDO) images/build.sh $(CURDIR)/$(PY) workspace hub

# the image every user server starts from (what the tests and `make run` need)
workspace-image: install docker-engine debootstrap
	$(SUDO) images/build.sh $(CURDIR)/$(PY) workspace

debootstrap:
	@command -v debootstrap >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq debootstrap; }

clean:
	rm -rf $(VENV) node_modules $(LABEXT_DIR)/node_modules $(LABEXT_DIR)/lib extensions/dtaas/labextension
