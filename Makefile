# One task runner. A newcomer needs two targets:
#   make preview STACK=prod   the offline preview of a stack, with the policy report
#   make test                 the whole test suite, with lint and type checks
# Both create .venv and install the pinned dependencies first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# The IAM policy simulator (offline/access.py) runs on Node 20: @cloud-copilot/iam-simulate, pinned by its lockfile.
SIMULATOR := offline/iam_simulator
SIMULATOR_STAMP := $(SIMULATOR)/node_modules/.installed-stamp
STACK ?= dev
MODE ?= preview

.PHONY: install ffmpeg-layer graphviz nginx preview preflight test unit lint typecheck docs clean

# The dev stack's ffmpeg layer: bin/ffmpeg from the pinned imageio-ffmpeg wheel for manylinux_2_28 x86_64 (the
# transcoder's architecture; python3.12 runs on Amazon Linux 2023, glibc 2.34), whatever machine builds it.
# The stack uploads it and publishes a LayerVersion.
FFMPEG_LAYER := build/ffmpeg-layer.zip
IMAGEIO_FFMPEG := $(shell sed -n 's/^imageio-ffmpeg==//p' constraints.txt)

$(STAMP): requirements.txt requirements-dev.txt policies/requirements.txt constraints.txt components/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

$(SIMULATOR_STAMP): $(SIMULATOR)/package.json $(SIMULATOR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "Node.js 20 and npm are required for the IAM simulator (offline/iam_simulator)" >&2; exit 1; }
	npm ci --prefix $(SIMULATOR) --no-audit --no-fund --loglevel=error
	touch $(SIMULATOR_STAMP)


install: $(STAMP) $(FFMPEG_LAYER) $(SIMULATOR_STAMP)

# Needs only pip and the standard library, so a job with just the program's .venv can build it too.
$(FFMPEG_LAYER): constraints.txt components/streaming_platform/media/ffmpeg_layer.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	rm -rf build/ffmpeg-wheel
	$(PY) -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
	  --platform manylinux_2_28_x86_64 --dest build/ffmpeg-wheel imageio-ffmpeg==$(IMAGEIO_FFMPEG)
	$(PY) components/streaming_platform/media/ffmpeg_layer.py $@ build/ffmpeg-wheel

ffmpeg-layer: $(FFMPEG_LAYER)

# Graphviz's `dot` renders the architecture pictures (the `diagrams` library drives it; a test renders
# the DOT source to check it). On a clean Debian/Ubuntu machine it comes from the `graphviz` package.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq graphviz; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq graphviz; \
	  else echo "Graphviz is missing: install the graphviz package (apt-get install -y graphviz) as root" >&2; exit 1; fi; }

# Debian's nginx binary for tests/test_default_image.py (the default image's server contract under a real nginx).
# Unpacked from the .deb into build/nginx (`apt-get download` needs no root and starts no service); skipped when
# nginx is on PATH. Its libraries (libpcre2, libssl3, zlib) are on every Debian 12 machine.
NGINX_BIN := build/nginx/usr/sbin/nginx
$(NGINX_BIN):
	@command -v nginx >/dev/null 2>&1 || { \
	  rm -rf build/nginx-deb build/nginx && mkdir -p build/nginx-deb && cd build/nginx-deb && \
	  { apt-get download -qq nginx 2>/dev/null || { \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq; elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq; fi; \
	    apt-get download -qq nginx; }; } && \
	  dpkg-deb -x nginx_*.deb ../nginx && ../nginx/usr/sbin/nginx -v; }

nginx: $(NGINX_BIN)

preview: $(STAMP) $(FFMPEG_LAYER) $(SIMULATOR_STAMP)
	$(PY) -m offline.preview --stack $(STACK) --mode $(MODE) $(if $(JSON),--json $(JSON)) $(if $(DIAGRAM),--diagram $(DIAGRAM)) $(if $(ACCESS),--access)

# Before the first `pulumi up`: checks the account behind your AWS credentials for what STACK needs (service-linked
# roles, zone delegation, quotas, images, SES, instance classes). Read-only; exits 1 when a check fails.
preflight: $(STAMP)
	$(PY) -m preflight --stack $(STACK) $(if $(DNS_SERVER),--dns-server $(DNS_SERVER))

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy

unit: $(STAMP) $(FFMPEG_LAYER) $(SIMULATOR_STAMP) graphviz $(NGINX_BIN)
	$(PY) -m pytest -n 2 -q

test: graphviz lint typecheck unit

docs: $(STAMP) $(FFMPEG_LAYER) $(SIMULATOR_STAMP) graphviz
	$(PY) -m offline.docs
	$(PY) -m offline.component_docs
	$(PY) -m offline.access
	$(PY) -m offline.policy_docs
	$(PY) -m offline.diagram
	$(PY) -m offline.cost --readme

clean:
	rm -rf $(VENV) $(SIMULATOR)/node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
