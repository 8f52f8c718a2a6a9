#!/usr/bin/env bash
# storage_test.sh TEST_BINARY - runs a test of the storage module
# (storage_test, pg_async_test) against throwaway redis-server and
# PostgreSQL servers on private loopback ports.
set -euo pipefail
bin=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/scripts/lib/servers.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/raia-storage.XXXXXX")
chmod 755 "$dir" # the postgres user must reach its cluster folder inside
trap 'raia_servers_stop; rm -rf "$dir"' EXIT
raia_servers_start "$dir"
"$bin"
