# shellcheck shell=bash
# bench/lib.sh - shell functions shared by bench/run and bench/compare-kannel
# (docs/performance.md). Sourced, never run; expects SRC (the checkout) set
# and scripts/lib/servers.sh sourced (raia_servers_start has run before
# bench_gateway_config).

# Stops the processes given (empty arguments skipped): TERM to all, then
# waits for each.
bench_stop_pids() {
  local pid
  for pid in "$@"; do if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi; done
  for pid in "$@"; do if [ -n "$pid" ]; then wait "$pid" 2>/dev/null || true; fi; done
}

# Builds a Release raia-gateway, raia and raia-load into $1 unless
# BENCH_NO_BUILD is set. The Release build keeps -Werror, like every other build.
bench_build() {
  local build=$1
  [ -n "${BENCH_NO_BUILD:-}" ] && return 0
  echo "bench: building Release in $build" >&2
  cmake -S "$SRC" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRAIA_BUILD_TESTS=OFF \
    -DRAIA_WERROR=ON >/dev/null
  cmake --build "$build" -j"$(nproc)" --target raia-gateway raia raia-load raia-sql-replay >/dev/null
}

# Writes the gateway config for load into $1/raia.yaml (from config/raia.yaml:
# SMSC on 127.0.0.1:$2 with window $3 and a 1 s reconnect, /metrics on a free
# loopback port, flood guard off,
# log level warn, the throwaway Redis and PostgreSQL, a fresh pseudonym key),
# migrates the database with $4/cli/raia, and makes the gateway log in as a
# least-privileged role (raia_gw in raia_gateway), as in the tests.
bench_gateway_config() {
  local run=$1 port=$2 window=$3 build=$4
  local key_file="$run/pseudonym.key" config="$run/raia.yaml" metrics_port
  metrics_port=$(raia_free_port)
  while [ "$metrics_port" = "$port" ]; do metrics_port=$(raia_free_port); done
  (umask 077 && openssl rand -hex 32 | tr -d '\n' >"$key_file")
  sed -e "s|port: 2775|port: $port|" \
      -e "s|window: 10|window: $window\n    reconnect_max_s: 1|" \
      -e "s|session_ttl_s: 600|session_ttl_s: 600\n  turns_per_minute: 0|" \
      -e "s|redis://127.0.0.1:6379/0|$RAIA_REDIS_URL|" \
      -e "s|host=127.0.0.1 port=5432 dbname=raia user=raia|$RAIA_PG_CONNINFO|" \
      -e "s|key_file: config/dev-pseudonym.key|key_file: $key_file|" \
      -e "s|dir: config/flows|dir: $SRC/config/flows|" \
      -e "s|level: info|level: warn|" \
      -e "s|port: 9464|port: $metrics_port|" \
      "$SRC/config/raia.yaml" >"$config"
  "$build/cli/raia" db migrate --config "$config" >"$run/migrate.log" 2>&1 \
    || { cat "$run/migrate.log" >&2; return 1; }
  psql -q -v ON_ERROR_STOP=1 "$RAIA_PG_SUPER" -c "SET client_min_messages = warning" \
    -c "DROP ROLE IF EXISTS raia_gw" -c "CREATE ROLE raia_gw LOGIN IN ROLE raia_gateway" >/dev/null
  sed -i "s|$RAIA_PG_CONNINFO|host=127.0.0.1 port=$RAIA_PG_PORT dbname=raia user=raia_gw|" "$config"
}
