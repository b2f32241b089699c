#!/usr/bin/env bash
# Run the suite on embedded defaults, then again against real services when the caller set
# ZENTRA_TEST_DATABASE_URL, ZENTRA_TEST_REDIS_URL and ZENTRA_TEST_NATS_URL.
# Extra args go to pytest. Non-zero if either run fails; "no tests collected" (exit 5) is a failure.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"
PY="$ROOT/.venv/bin/python"

SERVICE_VARS=(ZENTRA_TEST_DATABASE_URL ZENTRA_TEST_REDIS_URL ZENTRA_TEST_NATS_URL)

run_pytest() {  # $1 = label, rest = pytest args; prints a verdict and returns 0/1
  local label="$1"; shift
  echo "[test.sh] pytest ($label)"
  "$PY" -m pytest "$@"
  local rc=$?
  if [ "$rc" -eq 5 ]; then
    echo "[test.sh] pytest ($label): FAILED: no tests were collected (exit 5)" >&2
    return 1
  elif [ "$rc" -ne 0 ]; then
    echo "[test.sh] pytest ($label): FAILED (exit $rc)" >&2
    return 1
  fi
  echo "[test.sh] pytest ($label): passed"
  return 0
}

status=0

# Run 1: embedded defaults (sqlite, in-process fakes, bundled nats-server), service URLs unset.
( unset "${SERVICE_VARS[@]}"; run_pytest "embedded defaults" "$@" ) || status=1

# Run 2: real services, only when all three are set.
set_count=0
for v in "${SERVICE_VARS[@]}"; do
  if [ -n "${!v:-}" ]; then set_count=$((set_count + 1)); fi
done
if [ "$set_count" -eq "${#SERVICE_VARS[@]}" ]; then
  run_pytest "services: postgres + redis + nats" "$@" || status=1
elif [ "$set_count" -gt 0 ]; then
  echo "[test.sh] WARNING: only $set_count of ${SERVICE_VARS[*]} set; skipping the services run (set all three)" >&2
else
  echo "[test.sh] services run skipped: ${SERVICE_VARS[*]} not set"
fi

if [ "$status" -ne 0 ]; then
  echo "[test.sh] FAILED" >&2
else
  echo "[test.sh] all runs passed"
fi
exit "$status"
