# shellcheck shell=bash
# api_stack.sh - raia-api beside a stack from stack_test.sh, for api_test.sh
# and dashboard_test.sh (source it after stack_test_begin):
#   add_partner NAME raia partners add ARGS...   token in $run/partner-NAME.out
#   token_of NAME                                that partner's token
#   gw_sql SQL                                   SQL as the gateway's login
#   api_login                                    the raia_api_t login (role raia_api)
#   start_api NAME PORT RPM                      raia-api on 127.0.0.1:PORT, log in $run/api-NAME.log
#   stop_apis                                    SIGTERM every raia-api started, wait for each
# stack_test_cleanup calls stop_apis when the test ends early.

add_partner() {
  local name=$1
  shift
  "$build/cli/raia" partners add --config "$RAIA_CONFIG" "$name" "$@" \
    >"$run/partner-$name.out" 2>>"$run/partners.log"
}
token_of() { tail -n 1 "$run/partner-$1.out"; }

gw_sql() { psql -X -q -tA -v ON_ERROR_STOP=1 "$RAIA_GW_CONNINFO" -c "$1"; }

api_login() {
  psql -q -v ON_ERROR_STOP=1 "$RAIA_PG_SUPER" -c "SET client_min_messages = warning" \
    -c "DROP ROLE IF EXISTS raia_api_t" -c "CREATE ROLE raia_api_t LOGIN IN ROLE raia_api" >/dev/null
  api_conninfo="host=127.0.0.1 port=$RAIA_PG_PORT dbname=raia user=raia_api_t"
}

start_api() { # NAME PORT RPM
  local cfg="$run/api-$1.yaml"
  cp "$RAIA_CONFIG" "$cfg"
  printf 'api:\n  listen: 127.0.0.1\n  port: %s\n  conninfo: "%s"\n  requests_per_minute: %s\n  token_refresh_s: 1\n  page_max: 500\n  timeout_s: 2\n' \
    "$2" "$api_conninfo" "$3" >>"$cfg"
  "$build/api/raia-api" --config "$cfg" 2>>"$run/api-$1.log" &
  api_pids="${api_pids:-} $!"
  raia_wait_port "$2" 10
}

stop_apis() {
  local pid
  for pid in ${api_pids:-}; do
    kill -TERM "$pid" && raia_wait_exit "$pid" 10 || return 1
  done
  api_pids=
}
