# shellcheck shell=bash
# stack_test.sh - how every whole-stack test begins: it sources servers.sh,
# stack.sh and check.sh, and defines
#   stack_test_begin BUILD_DIR NAME   sets $build, $src and $run (a fresh folder
#                                     BUILD_DIR/NAME.XXXXXX), starts the stack,
#                                     and stops it when the test exits, after
#                                     the test's own stack_test_cleanup if any.
# A passing test removes its run folder (a PostgreSQL cluster is ~60 MB, and
# eighteen such tests in two builds would fill a disk over a few days of
# runs); a failing one keeps it, logs included, and says where.
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
source "$src/scripts/lib/servers.sh"
source "$src/scripts/lib/stack.sh"
source "$src/tests/integration/lib/check.sh"

stack_test_begin() {
  build=$(cd "$1" && pwd)
  run=$(mktemp -d "$build/$2.XXXXXX")
  trap stack_test_end EXIT
  raia_stack_start "$build" "$run"
}

stack_test_end() {
  local status=$?
  if declare -F stack_test_cleanup >/dev/null; then stack_test_cleanup || true; fi
  raia_stack_stop >/dev/null 2>&1 || true
  if [ "$status" -eq 0 ]; then rm -rf "$run"; else echo "run folder kept for inspection: $run" >&2; fi
}
