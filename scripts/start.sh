#!/usr/bin/env bash
# Runs the PlantPulse demo: installs npm deps if needed, builds, then starts
# `plantpulse demo` (examples/plant.yaml, data dir ./data, plus the simulator).
#   bash scripts/start.sh [demo args...]      (also: npm start -- [demo args...])
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/deps.sh
source scripts/lib/deps.sh

ensure_node_deps || { echo "start: installing npm dependencies failed (see above)." >&2; exit 1; }
npm run --silent build || { echo "start: npm run build failed (see tsc errors above)." >&2; exit 1; }

if [ ! -f dist/cli/main.js ]; then
  echo "start: dist/cli/main.js was not produced by the build (is cli/main.ts missing?)." >&2
  exit 1
fi
exec node dist/cli/main.js demo "$@"
