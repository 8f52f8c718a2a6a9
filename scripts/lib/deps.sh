# shellcheck shell=bash
# deps.sh - installs the Debian packages raia needs, only those missing.
# Sourced by scripts/demo.sh and scripts/test.sh.

RAIA_PACKAGES=(
  cmake make gcc pkg-config                  # build
  libsmpp34-dev libevent-dev libhiredis-dev  # SMPP codec, event loop, Redis client
  libpq-dev libyaml-dev libssl-dev           # PostgreSQL client, YAML, HMAC-SHA256
  redis-server redis-tools                   # throwaway Redis for demo and tests
  postgresql postgresql-client               # throwaway PostgreSQL for demo and tests
  clang libclang-rt-14-dev                   # libFuzzer targets
  python3 libnet-smpp-perl                   # integration-test helpers, an independent SMSC
  procps openssl                             # ps/uptime for bench/run; keys and pseudonyms in scripts
  curl libglpk-dev                           # api_test's HTTP client; GLPK bounds attack in safe_table_test
  libreadstat-dev                            # raia export --format sav|dta (SPSS, Stata files)
  pspp python3-pandas                        # export_test: independent readers of .sav and .dta
  python3-prometheus-client                  # e2e_ussd_test: parses GET /metrics independently
  chromium                                   # dashboard_test: the dashboard in headless Chromium
  valgrind                                   # bench/codec/run: callgrind instruction counts
)
# npm: the build installs the dashboard's pinned chart library with `npm ci`.
# Debian's npm conflicts with a NodeSource nodejs, which brings its own npm.
command -v npm >/dev/null 2>&1 || RAIA_PACKAGES+=(npm)

raia_install_deps() {
  local missing=() p
  for p in "${RAIA_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "raia: installing ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "raia: need root to apt-get install these packages" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's postinst may start system-wide services; raia runs its own.
  service redis-server stop >/dev/null 2>&1 || true
  service postgresql stop >/dev/null 2>&1 || true
}
