#!/usr/bin/env bash
# The one command that runs PlantPulse's whole test suite on a fresh machine:
#   bash scripts/test.sh [vitest args...]      (also: npm test -- [vitest args...])
# Installs what the tests need (npm deps; Debian packages when root), builds, runs vitest,
# and ends with exactly one line `N passed, N failed[, N skipped]` (CI reads it).
set -uo pipefail

# Debian packages the tests use. Tests start their own instances (ephemeral ports);
# none relies on a system service.
TEST_APT_PACKAGES="mosquitto mosquitto-clients victoria-metrics influxdb poppler-utils docker-compose"

REPORT=.vitest-report.json

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
# shellcheck source=scripts/lib/deps.sh
source scripts/lib/deps.sh

setup_failed() {
  echo "test: $*"
  echo "0 passed, 1 failed"
  exit 1
}

setup_errors=""
ensure_node_deps || setup_failed "installing npm dependencies failed (see above)."
# shellcheck disable=SC2086 # the package list is meant to split into words
ensure_apt_packages $TEST_APT_PACKAGES ||
  setup_errors="installing Debian packages ($TEST_APT_PACKAGES) failed; tests that need them fail."

npm run --silent build || setup_failed "npm run build failed (see tsc errors above)."

rm -f "$REPORT"
vitest_rc=0
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$REPORT" "$@" ||
  vitest_rc=$?

PP_SETUP_ERRORS="$setup_errors" node scripts/lib/vitest-summary.mjs "$REPORT" "$vitest_rc"
