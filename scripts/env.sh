# Source me: `. scripts/env.sh` (bash or sh). Sets the environment Zentra's tooling expects.
# Reflex must never download bun itself, phone home, or probe npm mirrors.
if [ -n "${BASH_SOURCE:-}" ]; then
  ZENTRA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
else
  ZENTRA_ROOT="$(pwd)"
fi
export ZENTRA_ROOT
export REFLEX_USE_SYSTEM_BUN=1
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
export NPM_CONFIG_REGISTRY=https://registry.npmjs.org/
case ":${PATH}:" in
  *":${ZENTRA_ROOT}/.venv/bin:"*) ;;
  *) export PATH="${ZENTRA_ROOT}/.venv/bin:${PATH}" ;;
esac
