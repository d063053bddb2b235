# Shared by the CI test scripts (source it): PASS/FAIL bookkeeping, the closing
# "N passed, M failed" line, timing, JSON reads and container clean-up.
# Expects DOCKER to name the docker client when remove_containers is used.

PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }
note() { echo "---- $*"; }

# finish: prints the summary line and exits non-zero when any check failed.
finish() {
  echo
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit $?
}

# json FILE EXPR: prints a JavaScript expression over the parsed JSON `d` (node is there after npm ci).
json() {
  node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const v = eval(process.argv[2]); console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1" "$2"
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# remove_containers PREFIX: removes every container whose name starts with "PREFIX-".
remove_containers() {
  local ids
  ids=$("$DOCKER" ps -aq --filter "name=^$1-" 2>/dev/null || true)
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086
    "$DOCKER" rm -f $ids >/dev/null 2>&1 || true
  fi
}

# require_image: a running engine and the built notebook image ($IMAGE), or a failed check and exit.
require_image() {
  ensure_docker || { fail "docker engine could not be started"; finish; }
  if ! "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
    fail "image $IMAGE is missing; build it with: bash .ci/image-test.sh"
    finish
  fi
}

# render_stack SCRIPT OUT STACK: runs a test/integration renderer (the stack under Pulumi mocks)
# into OUT, or fails the run.
render_stack() {
  local t0
  t0=$(now)
  if ! "$ROOT/node_modules/.bin/ts-node" --transpile-only "$1" "$2" "$3"; then
    fail "rendering the $3 stack failed"
    finish
  fi
  echo "  rendered in $(since "$t0") s"
}
