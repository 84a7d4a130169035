# Two entry points for a newcomer: `make demo` and `make test`.
# Everything they need is installed here: the venv, the package with its
# test extras, and the npm packages of the fixtures and the example app.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
NPM_DIRS := $(patsubst %/package-lock.json,%,$(wildcard fixtures/*/package-lock.json examples/*/package-lock.json))
NPM_STAMPS := $(addsuffix /node_modules/.stamp,$(NPM_DIRS))

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: test demo install npm chromium servers clean

install: $(VENV)/.stamp

$(VENV)/.stamp: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $@

# `npm ci` once per lockfile change.
%/node_modules/.stamp: %/package-lock.json %/package.json
	cd $* && npm ci --no-audit --no-fund --loglevel=error
	touch $@

npm: $(NPM_STAMPS)

# Browser tests drive Debian's chromium (never a downloaded browser build).
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# The remote cache tests run Debian's nginx (WebDAV, PROPFIND from dav-ext) and redis-server.
servers:
	@{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 && test -e /usr/lib/nginx/modules/ngx_http_dav_ext_module.so \
		&& command -v redis-server >/dev/null 2>&1 \
		|| { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nginx libnginx-mod-http-dav-ext redis-server >/dev/null; }

test: install npm chromium servers
	$(PY) -m pytest -q $(PYTEST_ARGS)

demo: install npm
	$(PY) examples/run_demo.py

clean:
	rm -rf $(VENV) $(NPM_STAMPS)
