#!/usr/bin/env bash
# Idempotent machine + venv setup for Zentra. Safe to run on every `make` invocation.
#  - .venv (python3.11) with `pip install -e '.[test]'` when pyproject.toml changed or packages are missing
#  - bun 1.4.4 (Reflex 0.10.1's pin) from the npm registry, so Reflex never downloads it
#  - Debian chromium at /usr/bin/chromium for browser tests
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"

BUN_VERSION="1.4.4"
VENV="$ROOT/.venv"
STAMP="$VENV/.zentra-bootstrap.stamp"
log() { printf '[bootstrap] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else "$@"; fi; }

# --- Python venv ------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  PY="$(command -v python3.11 || true)"
  if [ -z "$PY" ]; then log "python3.11 not found on PATH"; exit 1; fi
  log "creating .venv with $PY"
  "$PY" -m venv "$VENV"
  rm -f "$STAMP"
fi

need_install=0
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
  need_install=1
elif [ ! -x "$VENV/bin/zentra" ]; then
  need_install=1
elif ! "$VENV/bin/python" - "$ROOT/pyproject.toml" <<'PY' >/dev/null 2>&1
# every distribution pyproject.toml asks for (dependencies + the test extra) must be installed
import re, sys, tomllib
from importlib.metadata import PackageNotFoundError, version
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
reqs = project.get("dependencies", []) + project.get("optional-dependencies", {}).get("test", [])
missing = []
for req in reqs:
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req).group(1)
    try:
        version(name)
    except PackageNotFoundError:
        missing.append(name)
sys.exit(1 if missing else 0)
PY
then
  need_install=1
fi
if [ "$need_install" -eq 1 ]; then
  log "pip install -e '.[test]'"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -e '.[test]'
  touch "$STAMP"
fi

# --- bun (for Reflex's frontend build) ----------------------------------------
bun_ok() { [ "$(bun --version 2>/dev/null || true)" = "$BUN_VERSION" ]; }
if ! bun_ok; then
  if ! command -v npm >/dev/null 2>&1; then
    log "npm not found: install nodejs/npm (apt-get install -y nodejs npm)"; exit 1
  fi
  log "npm install -g bun@$BUN_VERSION"
  npm install -g --no-fund --no-audit "bun@$BUN_VERSION" || true
  hash -r
  if ! bun_ok; then
    # npm >= 11 may skip install scripts; bun's postinstall puts the native binary in place.
    log "bun --version is not $BUN_VERSION yet; retrying with --allow-scripts=bun"
    npm install -g --no-fund --no-audit --allow-scripts=bun "bun@$BUN_VERSION" || true
    hash -r
  fi
  if ! bun_ok; then
    installer="$(npm root -g)/bun/install.js"
    if [ -f "$installer" ]; then
      log "running bun's postinstall by hand"
      (cd "$(dirname "$installer")" && node install.js) || true
      hash -r
    fi
  fi
  if ! bun_ok; then
    log "bun $BUN_VERSION is not usable (bun --version: '$(bun --version 2>&1 || true)')"; exit 1
  fi
fi

# --- chromium (browser tests) ------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
  log "installing Debian chromium"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi

log "ok (python $("$VENV/bin/python" -c 'import platform; print(platform.python_version())'), bun $(bun --version), $(/usr/bin/chromium --version 2>/dev/null | head -1))"
