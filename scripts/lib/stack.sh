# shellcheck shell=bash
# stack.sh - brings up a whole raia stack on loopback for the demo and the
# integration tests: throwaway Redis and PostgreSQL (servers.sh), a
# pseudonym key, a config pointing at them, the schema, the SMSC simulator
# and the gateway.
#
#   raia_stack_start BUILD_DIR RUN_DIR   exports RAIA_SIM_CONTROL, RAIA_METRICS_PORT, RAIA_CONFIG (gateway role),
#                                        RAIA_ADMIN_CONFIG (database owner), RAIA_KEY_FILE,
#                                        RAIA_GATEWAY_LOG, RAIA_SIM_RECORD, RAIA_GATEWAY_PID
#   raia_stack_start_gateway             start the gateway again (after a crash test)
#   raia_stack_stop                      SIGTERM the gateway and simulator, stop the servers
#
# Needs servers.sh sourced first.

raia_stack_start() {
  local build=$1 run=$2 src
  src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  mkdir -p "$run"
  chmod 755 "$run" # the postgres user must reach its cluster folder inside
  run=$(cd "$run" && pwd)
  RAIA_RUN_DIR=$run
  raia_servers_start "$run/servers" || return 1

  # A fresh random key, readable by its owner only (the gateway refuses others).
  RAIA_KEY_FILE="$run/pseudonym.key"
  (umask 077 && openssl rand -hex 32 | tr -d '\n' >"$RAIA_KEY_FILE")

  RAIA_SMSC_PORT=$(raia_free_port)
  RAIA_SIM_CONTROL=$(raia_free_port)
  while [ "$RAIA_SIM_CONTROL" = "$RAIA_SMSC_PORT" ]; do RAIA_SIM_CONTROL=$(raia_free_port); done
  RAIA_METRICS_PORT=$(raia_free_port)
  while [ "$RAIA_METRICS_PORT" = "$RAIA_SMSC_PORT" ] || [ "$RAIA_METRICS_PORT" = "$RAIA_SIM_CONTROL" ]; do
    RAIA_METRICS_PORT=$(raia_free_port)
  done
  RAIA_CONFIG="$run/raia.yaml"
  sed -e "s|port: 2775|port: $RAIA_SMSC_PORT|" \
      -e "s|port: 9464|port: $RAIA_METRICS_PORT|" \
      -e "s|redis://127.0.0.1:6379/0|$RAIA_REDIS_URL|" \
      -e "s|host=127.0.0.1 port=5432 dbname=raia user=raia|$RAIA_PG_CONNINFO|" \
      -e "s|key_file: config/dev-pseudonym.key|key_file: $RAIA_KEY_FILE|" \
      -e "s|dir: config/flows|dir: $src/config/flows|" \
      -e "s|level: info|level: ${RAIA_LOG_LEVEL:-info}|" \
      "$src/config/raia.yaml" >"$RAIA_CONFIG"

  # The database owner migrates; the gateway and the CLI then run as a
  # login in the least-privileged raia_gateway role (003_roles.sql).
  RAIA_ADMIN_CONFIG="$run/raia-admin.yaml"
  cp "$RAIA_CONFIG" "$RAIA_ADMIN_CONFIG"
  "$build/cli/raia" db migrate --config "$RAIA_ADMIN_CONFIG" >"$run/migrate.log" 2>&1 \
    || { cat "$run/migrate.log" >&2; return 1; }
  psql -q -v ON_ERROR_STOP=1 "$RAIA_PG_SUPER" \
    -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS raia_gw" -c "CREATE ROLE raia_gw LOGIN IN ROLE raia_gateway" >/dev/null
  RAIA_GW_CONNINFO="host=127.0.0.1 port=$RAIA_PG_PORT dbname=raia user=raia_gw"
  sed -i "s|$RAIA_PG_CONNINFO|$RAIA_GW_CONNINFO|" "$RAIA_CONFIG"

  RAIA_SIM_RECORD="$run/smsc-sim.record.jsonl"
  "$build/simulators/raia-smsc-sim" --port "$RAIA_SMSC_PORT" --system-id raia --password secret \
    --control-port "$RAIA_SIM_CONTROL" --record "$RAIA_SIM_RECORD" >"$run/smsc-sim.out" 2>"$run/smsc-sim.log" &
  RAIA_SIM_PID=$!
  raia_wait_port "$RAIA_SMSC_PORT" 10 || { echo "raia: simulator did not start" >&2; return 1; }
  raia_wait_port "$RAIA_SIM_CONTROL" 10 || { echo "raia: simulator control port" >&2; return 1; }

  RAIA_GATEWAY_LOG="$run/gateway.log"
  RAIA_BUILD_DIR=$build
  raia_stack_start_gateway || return 1
  export RAIA_RUN_DIR RAIA_BUILD_DIR RAIA_ADMIN_CONFIG RAIA_GW_CONNINFO RAIA_KEY_FILE \
    RAIA_SMSC_PORT RAIA_SIM_CONTROL RAIA_METRICS_PORT RAIA_CONFIG RAIA_SIM_RECORD RAIA_SIM_PID RAIA_GATEWAY_LOG
}

# Starts raia-gateway (again) with the stack's config, appending to its log;
# returns once its bind is up (the log says state=bound at level info).
raia_stack_start_gateway() {
  local bound_before i
  bound_before=$(grep -c "state=bound" "$RAIA_GATEWAY_LOG" 2>/dev/null || true)
  "$RAIA_BUILD_DIR/gateway/raia-gateway" --config "$RAIA_CONFIG" 2>>"$RAIA_GATEWAY_LOG" &
  RAIA_GATEWAY_PID=$!
  export RAIA_GATEWAY_PID
  for i in $(seq 1 100); do
    [ "$(grep -c "state=bound" "$RAIA_GATEWAY_LOG")" -gt "${bound_before:-0}" ] && return 0
    kill -0 "$RAIA_GATEWAY_PID" 2>/dev/null || { cat "$RAIA_GATEWAY_LOG" >&2; return 1; }
    sleep 0.1
  done
  echo "raia: gateway did not bind within 10 s" >&2
  return 1
}

# Waits for a process to exit by itself, up to SECONDS; returns its status or 124.
raia_wait_exit() {
  local pid=$1 secs=$2 i
  for i in $(seq 1 $(( secs * 10 ))); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid"; return $?; }
    sleep 0.1
  done
  return 124
}

raia_stack_stop() {
  local rc=0
  if [ -n "${RAIA_GATEWAY_PID:-}" ] && kill -0 "$RAIA_GATEWAY_PID" 2>/dev/null; then
    kill -TERM "$RAIA_GATEWAY_PID"
    raia_wait_exit "$RAIA_GATEWAY_PID" 15 || { rc=$?; kill -KILL "$RAIA_GATEWAY_PID" 2>/dev/null; }
  fi
  if [ -n "${RAIA_SIM_PID:-}" ] && kill -0 "$RAIA_SIM_PID" 2>/dev/null; then
    kill -TERM "$RAIA_SIM_PID"
    raia_wait_exit "$RAIA_SIM_PID" 5 || kill -KILL "$RAIA_SIM_PID" 2>/dev/null
  fi
  RAIA_GATEWAY_PID= RAIA_SIM_PID=
  raia_servers_stop
  return $rc
}

# SIGTERM the gateway alone and require a clean exit (status 0) within 15 s.
raia_stack_stop_gateway() {
  kill -TERM "$RAIA_GATEWAY_PID" || return 1
  raia_wait_exit "$RAIA_GATEWAY_PID" 15 || return 1
  RAIA_GATEWAY_PID=
}
