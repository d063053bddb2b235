#!/usr/bin/env bash
# Lint .github/workflows with actionlint, installed through the Go module proxy
# at a pinned version (cached in GOPATH/bin between runs).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ACTIONLINT_VERSION=${ACTIONLINT_VERSION:-v1.7.12}

# The Go toolchain's standard install location, when it is not on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || { echo "actionlint.sh: Go toolchain not found (needed to install actionlint)" >&2; exit 1; }
GOBIN=${GOBIN:-$(go env GOPATH)/bin}
bin="$GOBIN/actionlint"
if ! [ -x "$bin" ] || [ "$("$bin" -version 2>/dev/null | head -1)" != "$ACTIONLINT_VERSION" ]; then
  echo "actionlint.sh: installing actionlint $ACTIONLINT_VERSION" >&2
  GOBIN="$GOBIN" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi

cd "$ROOT"
shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ "${#files[@]}" -eq 0 ]; then
  echo "actionlint.sh: no workflow files" >&2
  exit 1
fi

# actionlint also runs shellcheck on run: blocks when shellcheck is installed.
passed=0 failed=0
for f in "${files[@]}"; do
  if "$bin" "$f"; then
    echo "PASS: actionlint $f"; passed=$((passed + 1))
  else
    echo "FAIL: actionlint $f"; failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
