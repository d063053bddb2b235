#!/usr/bin/env bash
# Serve models for real with the notebook image's `serve` mode (images/notebook/serve.py), the way
# the ModelService Deployment runs it: the image's non-root user, a read-only root filesystem, no
# capabilities, no privilege escalation, the artifact on a read-only mount.
#
# In the image, a scikit-learn LogisticRegression is trained on iris and saved with joblib, and a
# Ridge regression on the diabetes data is saved with plain pickle; the in-process predictions of
# the saved files are written beside them. Each model is then served, and:
#   - the server listens on 127.0.0.1 only (host network, MODEL_HOST=127.0.0.1; traffic stays on loopback);
#   - GET /healthz answers 200;
#   - POST /predict returns exactly the in-process predictions (class labels, and floats bit for bit);
#   - malformed requests get a 4xx whose message names the problem, never a 500 or a stack trace;
#   - an artifact that cannot be loaded stops the server with a one-line reason.
#
# Needs the notebook image (bash .ci/image-test.sh builds it; it must contain serve.py and uvicorn)
# and node (npm ci). Ends with "N passed, M failed" and exits non-zero if anything failed.
#
# Env: IMAGE (default ds-platform/notebook:ci), MODEL_TEST_PORT (default 18601; +1 for the second model).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/checks.sh
source "$ROOT/.ci/lib/checks.sh"
# shellcheck source=lib/docker.sh
source "$ROOT/.ci/lib/docker.sh"
cd "$ROOT" || exit 1

DOCKER=${DOCKER:-/usr/bin/docker}
IMAGE=${IMAGE:-ds-platform/notebook:ci}
PORT=${MODEL_TEST_PORT:-18601}
PORT2=$((PORT + 1))
START_SECS=60

PREFIX="dsp-model-$$"
WORK=$(mktemp -d)

cleanup() {
  remove_containers "$PREFIX"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# serve NAME PORT ARTIFACT [ARGS...]: a model server as the Deployment runs it, on loopback only.
serve() {
  local name=$1 port=$2 artifact=$3
  shift 3
  "$DOCKER" run -d --name "${PREFIX}-${name}" --network host \
    --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
    -v "$WORK/models:/models:ro" \
    -e MODEL_HOST=127.0.0.1 -e MODEL_PORT="$port" -e MODEL_NAME="$name" -e MODEL_ARTIFACT="$artifact" \
    "$@" "$IMAGE" serve >/dev/null
}

port_of() { if [ "$1" = iris ]; then echo "$PORT"; else echo "$PORT2"; fi; }

running() { [ "$("$DOCKER" inspect -f '{{.State.Running}}' "${PREFIX}-$1" 2>/dev/null)" = true ]; }

# wait_ready NAME PORT: until /healthz answers 200, or the container stops, or START_SECS pass.
wait_ready() {
  local deadline=$((SECONDS + START_SECS))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$2/healthz")" = 200 ] && return 0
    running "$1" || return 1
    sleep 0.5
  done
  return 1
}

show_logs() { "$DOCKER" logs --tail 25 "${PREFIX}-$1" 2>&1 | sed 's/^/  | /'; }

# request PORT METHOD PATH [curl args...]: prints "STATUS BODY".
request() {
  local port=$1 method=$2 path=$3
  shift 3
  curl -s -o "$WORK/body" -w '%{http_code}' -X "$method" "$@" "http://127.0.0.1:$port$path" >"$WORK/status"
  echo "$(cat "$WORK/status") $(cat "$WORK/body")"
}

# bad CASE WANT_STATUS MESSAGE_PATTERN BODY: a malformed /predict must get WANT_STATUS and a message.
bad() {
  local what=$1 want=$2 pattern=$3 body=$4 out status
  out=$(request "$PORT" POST /predict -H 'content-type: application/json' --data-binary "$body")
  status=${out%% *}
  if [ "$status" = "$want" ] && grep -qE -- "$pattern" "$WORK/body" && ! grep -q Traceback "$WORK/body"; then
    pass "$what: $status $(cut -c1-110 "$WORK/body")"
  else
    fail "$what: wanted $want with /$pattern/, got: $(echo "$out" | cut -c1-200)"
  fi
}

# ---------------------------------------------------------------------------
note "image"
require_image
command -v curl >/dev/null || { fail "curl is missing"; finish; }
if "$DOCKER" run --rm "$IMAGE" python -c 'import uvicorn, os; assert os.path.exists("/opt/ds-platform/serve.py")' >/dev/null 2>&1; then
  pass "image $IMAGE has serve.py and uvicorn"
else
  fail "image $IMAGE lacks serve.py or uvicorn; rebuild it with: bash .ci/image-test.sh"
  finish
fi

# ---------------------------------------------------------------------------
note "train two models in the image and save their in-process predictions"
mkdir -p "$WORK/models"
chmod 0777 "$WORK/models"
cat >"$WORK/train.py" <<'EOF'
import json, pickle
import joblib
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge

X, y = load_iris(return_X_y=True)
joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), "/models/iris.joblib")
Xd, yd = load_diabetes(return_X_y=True)
with open("/models/diabetes.pkl", "wb") as f:
    pickle.dump(Ridge(alpha=0.5).fit(Xd, yd), f)

# The predictions of the saved files, as a client would compute them in process.
iris, diabetes = joblib.load("/models/iris.joblib"), pickle.load(open("/models/diabetes.pkl", "rb"))
for name, model, rows in (("iris", iris, X), ("diabetes", diabetes, Xd)):
    with open(f"/models/{name}-request.json", "w") as f:
        json.dump({"instances": rows.tolist()}, f)
    with open(f"/models/{name}-expected.json", "w") as f:
        json.dump({"predictions": model.predict(rows).tolist()}, f)
print("trained", type(iris).__name__, len(X), "rows;", type(diabetes).__name__, len(Xd), "rows")
EOF
if "$DOCKER" run --rm --network none -v "$WORK/models:/models" -v "$WORK/train.py:/tmp/train.py:ro" "$IMAGE" python /tmp/train.py >"$WORK/train.log" 2>&1; then
  pass "$(tail -n 1 "$WORK/train.log")"
else
  sed 's/^/  | /' "$WORK/train.log" | tail -20
  fail "training in the image failed"
  finish
fi

# ---------------------------------------------------------------------------
note "serve iris (joblib) on 127.0.0.1:$PORT and diabetes (pickle) on 127.0.0.1:$PORT2"
t0=$(now)
serve iris "$PORT" /models/iris.joblib
serve diabetes "$PORT2" /models/diabetes.pkl
for name in iris diabetes; do
  port=$(port_of "$name")
  if wait_ready "$name" "$port"; then
    pass "$name: /healthz answers 200 after $(since "$t0") s: $(curl -s "http://127.0.0.1:$port/healthz")"
  else
    show_logs "$name"
    fail "$name: server did not become ready on 127.0.0.1:$port"
    finish
  fi
done

listeners=$(ss -Hltn "( sport = :$PORT or sport = :$PORT2 )" | awk '{print $4}' | sort -u | tr '\n' ' ')
if [ -n "$listeners" ] && ! grep -qvE '^127\.0\.0\.1:' <<<"$(tr ' ' '\n' <<<"$listeners" | sed '/^$/d')"; then
  pass "servers listen on loopback only: $listeners"
else
  fail "servers listen beyond loopback: ${listeners:-none found}"
fi

user=$("$DOCKER" exec "${PREFIX}-iris" id -u 2>/dev/null)
if [ "$user" = 1000 ]; then pass "server runs as the image's non-root UID 1000"; else fail "server runs as UID ${user:-?}"; fi

# ---------------------------------------------------------------------------
note "predictions equal the in-process ones"
for name in iris diabetes; do
  out=$(request "$(port_of "$name")" POST /predict -H 'content-type: application/json' --data-binary "@$WORK/models/$name-request.json")
  cp "$WORK/body" "$WORK/$name-served.json"
  if [ "${out%% *}" = 200 ] && node -e '
      const fs = require("fs"); const assert = require("assert");
      const [served, expected] = process.argv.slice(1).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
      assert.deepStrictEqual(served, expected);
      console.log(expected.predictions.length);' "$WORK/$name-served.json" "$WORK/models/$name-expected.json" >"$WORK/n" 2>"$WORK/err"; then
    pass "$name: /predict returns exactly the $(cat "$WORK/n") in-process predictions ($(cut -c1-60 "$WORK/$name-served.json")...)"
  else
    fail "$name: /predict differs from the in-process predictions: status ${out%% *}; $(head -c 300 "$WORK/err")"
  fi
done

# ---------------------------------------------------------------------------
note "malformed requests get a 4xx naming the problem"
bad "not JSON" 400 "not valid JSON" 'instances=1,2,3'
bad "empty body" 400 "empty body" ''
bad "JSON but not an object" 400 "must be a JSON object" '[[1, 2, 3, 4]]'
bad "missing key" 400 'missing key \\"instances\\"' '{"rows": [[5.1, 3.5, 1.4, 0.2]]}'
bad "unknown extra key" 400 "unknown keys: extra" '{"instances": [[5.1, 3.5, 1.4, 0.2]], "extra": 1}'
bad "instances not a list" 422 "must be a list of rows" '{"instances": "5.1,3.5,1.4,0.2"}'
bad "no rows" 422 "is empty" '{"instances": []}'
bad "flat row instead of a list of rows" 422 'instances\[0\] must be a list of numbers' '{"instances": [5.1, 3.5, 1.4, 0.2]}'
bad "wrong feature count" 422 'instances\[0\] has 3 features; the model takes 4' '{"instances": [[5.1, 3.5, 1.4]]}'
bad "ragged rows" 422 'instances\[1\] has 5 features' '{"instances": [[5.1, 3.5, 1.4, 0.2], [1, 2, 3, 4, 5]]}'
bad "non-numeric value" 422 'instances\[0\]\[2\] must be a number, got a JSON string' '{"instances": [[5.1, 3.5, "x", 0.2]]}'
bad "null value" 422 'instances\[0\]\[0\] must be a number, got a JSON null' '{"instances": [[null, 3.5, 1.4, 0.2]]}'
bad "boolean value" 422 'must be a number, got a JSON boolean' '{"instances": [[true, 3.5, 1.4, 0.2]]}'
bad "NaN" 400 "NaN is not a JSON number" '{"instances": [[NaN, 3.5, 1.4, 0.2]]}'
bad "overflowing number" 422 "must be a finite number" '{"instances": [[1e999, 3.5, 1.4, 0.2]]}'

head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$WORK/big.json"
bad "body over the 8 MiB limit" 413 "exceeds the limit" "@$WORK/big.json"

out=$(request "$PORT" GET /predict)
if [ "${out%% *}" = 405 ] && grep -q "use POST" "$WORK/body"; then pass "GET /predict: $out"; else fail "GET /predict: $out"; fi
out=$(request "$PORT" GET /nope)
if [ "${out%% *}" = 404 ] && grep -q "no such path" "$WORK/body"; then pass "unknown path: $out"; else fail "unknown path: $out"; fi

if "$DOCKER" logs "${PREFIX}-iris" 2>&1 | grep -q Traceback; then
  show_logs iris
  fail "the server logged a stack trace while answering malformed requests"
else
  pass "no stack trace in the server log"
fi
if running iris; then pass "server still running after the malformed requests"; else fail "server stopped"; fi

# ---------------------------------------------------------------------------
note "an artifact that cannot be loaded stops the server with its reason"
serve missing $((PORT + 2)) /models/absent.joblib
code=$(timeout 60 "$DOCKER" wait "${PREFIX}-missing" 2>/dev/null || echo timeout)
reason=$("$DOCKER" logs "${PREFIX}-missing" 2>&1 | grep -m1 "cannot load model")
if [ "$code" != 0 ] && [ "$code" != timeout ] && grep -q "No such file" <<<"$reason"; then
  pass "missing artifact: exit $code, \"${reason#* ERROR }\""
else
  show_logs missing
  fail "missing artifact: exit $code, reason: ${reason:-none}"
fi

finish
