# shellcheck shell=bash
# Sourced helper for scripts/*.sh: makes a fresh machine ready to build and test PlantPulse.
#
#   source scripts/lib/deps.sh
#   ensure_node_deps                 # node_modules present, current, and better-sqlite3 loads
#   ensure_apt_packages pkg...       # Debian packages the tests need (installs them as root)
#
# Both functions are idempotent: on a ready machine they only check and print nothing.
# Neither calls `exit`; they return non-zero on failure so the caller decides what to do.

PP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

_pp_say() { printf '%s\n' "$*" >&2; }

# Runs "$@" with its output in a log; shows only the log's tail if it fails.
_pp_quiet() {
  local log rc=0
  log="$(mktemp "${TMPDIR:-/tmp}/plantpulse-setup.XXXXXX")"
  "$@" >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    _pp_say "setup: '$*' failed (exit $rc); last lines of its output:"
    tail -n 40 "$log" >&2
  fi
  rm -f "$log"
  return "$rc"
}

_pp_sqlite_loads() {
  (cd "$PP_ROOT" && node -e "new (require('better-sqlite3'))(':memory:').close()") >/dev/null 2>&1
}

# node_modules is (re)installed with `npm ci` when it is missing or older than package-lock.json.
# npm 11 runs only the install scripts approved in package.json "allowScripts" (better-sqlite3
# builds its native binding there); if the binding still does not load, it is rebuilt once.
ensure_node_deps() {
  local stamp="$PP_ROOT/node_modules/.package-lock.json" start
  if [ ! -f "$PP_ROOT/package-lock.json" ]; then
    _pp_say "setup: package-lock.json is missing in $PP_ROOT; cannot run npm ci"
    return 1
  fi
  if [ ! -f "$stamp" ] || [ "$PP_ROOT/package-lock.json" -nt "$stamp" ]; then
    _pp_say "setup: installing npm dependencies (npm ci; builds better-sqlite3, about a minute)..."
    start=$SECONDS
    (cd "$PP_ROOT" && _pp_quiet npm ci --no-audit --no-fund) || return 1
    _pp_say "setup: npm ci done in $((SECONDS - start))s"
  fi
  if ! _pp_sqlite_loads; then
    _pp_say "setup: better-sqlite3 native binding does not load; running npm rebuild better-sqlite3..."
    (cd "$PP_ROOT" && _pp_quiet npm rebuild better-sqlite3) || return 1
    if ! _pp_sqlite_loads; then
      _pp_say "setup: better-sqlite3 still does not load after rebuild:"
      (cd "$PP_ROOT" && node -e "new (require('better-sqlite3'))(':memory:')") 2>&1 | tail -n 5 >&2
      return 1
    fi
  fi
}

# What a missing package costs, for the message printed when we cannot install it.
_pp_apt_why() {
  case "$1" in
    mosquitto) echo "tests that run Mosquitto as a foreign broker" ;;
    mosquitto-clients) echo "tests that use mosquitto_pub/mosquitto_sub as foreign MQTT clients" ;;
    python3-paho-mqtt) echo "tests that use paho-mqtt (Python) as a foreign MQTT client" ;;
    influxdb) echo "InfluxQL query tests (influxd 1.x)" ;;
    victoria-metrics) echo "InfluxDB v2 write-API tests (victoria-metrics)" ;;
    poppler-utils) echo "PDF report tests (pdftotext/pdftoppm)" ;;
    docker-compose) echo "compose-file validation tests (docker-compose config)" ;;
    chromium) echo "browser page tests (playwright-core with /usr/bin/chromium)" ;;
    *) echo "tests that need $1" ;;
  esac
}

_pp_apt_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

_PP_APT_UPDATED=${_PP_APT_UPDATED:-0}

# ensure_apt_packages pkg... : installs the missing ones when root; otherwise says how and goes on.
# Services are kept from starting during the install (policy-rc.d): tests start their own
# instances on ephemeral ports and must not depend on a system service.
ensure_apt_packages() {
  local missing=() pkg start rc=0 policy=/usr/sbin/policy-rc.d made_policy=0
  for pkg in "$@"; do
    _pp_apt_installed "$pkg" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0

  if [ "$(id -u)" -ne 0 ]; then
    _pp_say "setup: missing Debian packages: ${missing[*]}. Install them with:"
    _pp_say "sudo apt-get install -y ${missing[*]}"
    _pp_say "Without them these will fail:"
    for pkg in "${missing[@]}"; do
      _pp_say "  - $pkg: $(_pp_apt_why "$pkg")"
    done
    _pp_say "setup: continuing without them."
    return 0
  fi

  _pp_say "setup: installing Debian packages: ${missing[*]}..."
  start=$SECONDS
  if [ "$_PP_APT_UPDATED" -eq 0 ]; then
    _pp_quiet apt-get -o DPkg::Lock::Timeout=300 update || return 1
    _PP_APT_UPDATED=1
  fi
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# plantpulse-temporary: keep services from starting during install\nexit 101\n' >"$policy"
    chmod +x "$policy"
    made_policy=1
  fi
  _pp_quiet env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y \
    --no-install-recommends "${missing[@]}" || rc=$?
  if [ "$made_policy" -eq 1 ]; then rm -f "$policy"; fi
  [ "$rc" -eq 0 ] || return "$rc"
  _pp_say "setup: apt install done in $((SECONDS - start))s"
}
