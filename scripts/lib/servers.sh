# shellcheck shell=bash
# servers.sh - throwaway redis-server and PostgreSQL on private loopback ports
# under a project-local folder, for the demo and the tests.
#
#   raia_servers_start DIR   start both; exports RAIA_REDIS_PORT, RAIA_REDIS_URL,
#                            RAIA_PG_PORT, RAIA_PG_CONNINFO (database owner `raia`, who
#                            migrates; may create the raia_* group roles), RAIA_PG_SUPER
#   raia_servers_stop        stop both (safe to call twice)
#   raia_redis_start, raia_pg_ctl start|stop   restart one of them (fault tests)
#   raia_redis_options       the Redis server's options in RAIA_REDIS_OPTIONS
#                            (bench/instructions runs it under valgrind)
#
# PostgreSQL refuses to run as root, so its cluster lives in DIR/pg owned by
# the postgres user and is started with runuser.

raia_pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && echo "$d"; done | sort -V | tail -n 1
}

# A port nobody listens on, picked at random below the kernel's ephemeral
# range (outgoing connections take their local ports from that range, and a
# server could not bind a port one of them holds).
raia_free_port() {
  local p low
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  [ "${low:-0}" -gt 21000 ] || low=32768
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % (low - 20000) ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

raia_wait_port() { # PORT SECONDS
  for _ in $(seq 1 $(( $2 * 10 ))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# Sets RAIA_REDIS_OPTIONS to the throwaway redis-server's options (files in
# RAIA_SERVERS_DIR/redis; appendonly+everysec: the answer stream survives a
# Redis restart too), for raia_redis_start and bench/instructions.
raia_redis_options() {
  mkdir -p "$RAIA_SERVERS_DIR/redis"
  RAIA_REDIS_OPTIONS=(--bind 127.0.0.1 --port "$RAIA_REDIS_PORT" --dir "$RAIA_SERVERS_DIR/redis"
    --logfile "$RAIA_SERVERS_DIR/redis/redis.log" --save "" --appendonly yes
    --appendfsync everysec)
}

# (Re)starts redis-server on RAIA_REDIS_PORT, in the background.
raia_redis_start() {
  raia_redis_options
  redis-server "${RAIA_REDIS_OPTIONS[@]}" --daemonize yes \
    --pidfile "$RAIA_SERVERS_DIR/redis/redis.pid" >/dev/null
  raia_wait_port "$RAIA_REDIS_PORT" 10 || { echo "raia: redis did not start" >&2; return 1; }
}

# The throwaway cluster's settings beyond the defaults: fsync off (nothing
# here outlives the run), and memory sized as README "Operations" advises
# for the answers' database: with the default 128 MB of shared buffers the
# indexes that take random keys (session ids, pseudonyms) stop fitting once
# a few million answers are stored, and bench/run's drain of 1.45 million
# events onto 2.9 million answers fell from 117,000 to 28,000 events/s
# (docs/performance.md, 2026-11-27). A larger max_wal_size spaces out the
# checkpoints, after each of which every page first touched is written to
# the WAL whole.
RAIA_PG_SETTINGS="-c fsync=off -c shared_buffers=1GB -c max_wal_size=8GB"

# pg_ctl start|stop on the throwaway cluster (as the postgres user).
raia_pg_ctl() {
  local pgdir="$RAIA_SERVERS_DIR/pg"
  case $1 in
    start)
      runuser -u postgres -- "$RAIA_PG_BINDIR/pg_ctl" -D "$pgdir/data" -l "$pgdir/postgres.log" -w \
        -o "-p $RAIA_PG_PORT -k $pgdir -c listen_addresses=127.0.0.1 $RAIA_PG_SETTINGS" start \
        >/dev/null || { cat "$pgdir/postgres.log" >&2; return 1; } ;;
    stop)
      runuser -u postgres -- "$RAIA_PG_BINDIR/pg_ctl" -D "$pgdir/data" -m fast -w stop \
        >/dev/null ;;
  esac
}

raia_servers_start() {
  local dir=$1 bindir
  RAIA_SERVERS_DIR=$(mkdir -p "$dir" && cd "$dir" && pwd)
  bindir=$(raia_pg_bindir)
  [ -n "$bindir" ] || { echo "raia: PostgreSQL server binaries not found" >&2; return 1; }

  RAIA_REDIS_PORT=$(raia_free_port)
  raia_redis_start || return 1

  RAIA_PG_PORT=$(raia_free_port)
  local pgdir="$RAIA_SERVERS_DIR/pg"
  rm -rf "$pgdir"
  mkdir -p "$pgdir"
  chown postgres:postgres "$pgdir"
  chmod 700 "$pgdir"
  # Byte-order collation (README "Operations"): the same order as C.UTF-8's
  # for UTF-8 text, without the locale library in every key comparison.
  runuser -u postgres -- "$bindir/initdb" -D "$pgdir/data" -U postgres -A trust \
    --no-sync -E UTF8 --locale=C.UTF-8 --lc-collate=C >"$pgdir/initdb.log" 2>&1 \
    || { cat "$pgdir/initdb.log" >&2; return 1; }
  RAIA_PG_BINDIR=$bindir
  raia_pg_ctl start || return 1
  RAIA_PG_SUPER="host=127.0.0.1 port=$RAIA_PG_PORT dbname=postgres user=postgres"
  psql -q -v ON_ERROR_STOP=1 "$RAIA_PG_SUPER" -c "CREATE ROLE raia LOGIN CREATEROLE" \
    -c "CREATE DATABASE raia OWNER raia" >/dev/null
  RAIA_REDIS_URL="redis://127.0.0.1:$RAIA_REDIS_PORT/0"
  RAIA_PG_CONNINFO="host=127.0.0.1 port=$RAIA_PG_PORT dbname=raia user=raia"
  export RAIA_SERVERS_DIR RAIA_REDIS_PORT RAIA_REDIS_URL RAIA_PG_PORT RAIA_PG_CONNINFO \
    RAIA_PG_SUPER RAIA_PG_BINDIR
}

raia_servers_stop() {
  [ -n "${RAIA_SERVERS_DIR:-}" ] || return 0
  if [ -n "${RAIA_REDIS_PORT:-}" ]; then
    redis-cli -p "$RAIA_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  if [ -d "$RAIA_SERVERS_DIR/pg/data" ]; then
    raia_pg_ctl stop 2>/dev/null || true
  fi
  RAIA_SERVERS_DIR=
}
