#!/usr/bin/env bash
# Run JupyterHub for real on the settings the dev stack generates, and log in to it.
#
# The dev stack is rendered under Pulumi mocks; its JupyterHub release's `hub.config` values (what
# the chart applies as `c.<Class>.<trait>`) become jupyterhub_config.json. A small
# jupyterhub_config.py beside it provides what the chart and Kubernetes would: a spawner (a local
# process of the same image instead of KubeSpawner), an external configurable-http-proxy, addresses
# and a database. The hub runs from the notebook image, whose jupyterhub must be the version the
# chart runs, and starts the image's jupyterhub-singleuser as a user's server.
#
# Everything listens on 127.0.0.1 only (host networking, fixed high ports). Needs the notebook image
# (bash .ci/image-test.sh builds it) and `npm ci` (ts-node, configurable-http-proxy). Ends with
# "N passed, M failed" and exits non-zero if anything failed.
#
# Env: IMAGE (default ds-platform/notebook:ci), STACK (default dev), HUB_TEST_PORT_BASE (default
#      18700: proxy, proxy API, hub and user server take it and the next three ports), HUB_TEST_LOG
#      (a file to keep the hub's log in, for CI artifacts).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/checks.sh
source "$ROOT/.ci/lib/checks.sh"
cd "$ROOT"

DOCKER=${DOCKER:-/usr/bin/docker}
IMAGE=${IMAGE:-ds-platform/notebook:ci}
STACK=${STACK:-dev}
# The chart release the values are written for, and the JupyterHub it runs (z2jh 4.4.0 ships
# JupyterHub 5.5.x). Checked against the rendered release, so a chart bump makes this test say so.
CHART_VERSION=4.4.0
HUB_VERSION_PREFIX=5.5.

BASE=${HUB_TEST_PORT_BASE:-18700}
PROXY_PORT=$BASE
PROXY_API_PORT=$((BASE + 1))
HUB_PORT=$((BASE + 2))
USER_PORT=$((BASE + 3))
PUBLIC="http://127.0.0.1:$PROXY_PORT"

# Timeouts in seconds.
HUB_START_SECS=120
SPAWN_SECS=120
HTTP_SECS=20

PREFIX="dsp-hub-$$"
HUB="${PREFIX}-hub"
WORK=$(mktemp -d)
CHP_PID=""

cleanup() {
  if [ -n "$CHP_PID" ]; then
    kill "$CHP_PID" 2>/dev/null
    wait "$CHP_PID" 2>/dev/null
  fi
  if [ -n "${HUB_TEST_LOG:-}" ]; then
    "$DOCKER" logs "$HUB" >"$HUB_TEST_LOG" 2>&1 || true
  fi
  # The user's server is a child process inside the hub container; removing the container ends both.
  "$DOCKER" rm -f "$HUB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

show_hub_log() {
  echo "  ---- last hub log lines:"
  "$DOCKER" logs --tail "${1:-30}" "$HUB" 2>&1 | sed 's/^/  | /'
}

# http OUT ARGS...: curl with a time cap; writes the body to OUT and prints the status code (000 if none).
http() {
  local out=$1
  shift
  curl -s -o "$out" -w '%{http_code}' --max-time "$HTTP_SECS" "$@" || true
}

# api OUT METHOD PATH [ARGS...]: a hub REST API call with the test token.
api() {
  local out=$1 method=$2 path=$3
  shift 3
  http "$out" -X "$method" -H "Authorization: token $TOKEN" "$PUBLIC/hub/api$path" "$@"
}

# browse OUT JAR URL: a browser visit following redirects; prints "<status> <final URL>".
browse() {
  curl -s -o "$1" -w '%{http_code} %{url_effective}' --max-time "$HTTP_SECS" -L --max-redirs 10 \
    -c "$2" -b "$2" "${BROWSER[@]}" "$3" || true
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------------------
note "prerequisites"
# shellcheck source=lib/docker.sh
source "$ROOT/.ci/lib/docker.sh"
require_image
for tool in curl node; do
  command -v "$tool" >/dev/null || { fail "$tool is not installed"; finish; }
done
CHP="$ROOT/node_modules/.bin/configurable-http-proxy"
if [ ! -x "$CHP" ] || [ ! -x "$ROOT/node_modules/.bin/ts-node" ]; then
  fail "node_modules lacks configurable-http-proxy or ts-node; run: npm ci"
  finish
fi
for port in $PROXY_PORT $PROXY_API_PORT $HUB_PORT $USER_PORT; do
  port_free "$port" || { fail "127.0.0.1:$port is already in use (set HUB_TEST_PORT_BASE)"; finish; }
done
# The image's user (numeric: the image may name it) runs the hub and the user's server; the config
# holds secrets, so it is made readable by that user alone.
IMAGE_UID=$("$DOCKER" run --rm --network none --entrypoint id "$IMAGE" -u 2>/dev/null)
if ! [[ "$IMAGE_UID" =~ ^[0-9]+$ ]]; then
  fail "could not read the image's user id"
  finish
fi
echo "image $IMAGE (uid $IMAGE_UID), configurable-http-proxy $("$CHP" --version 2>/dev/null)"

# ---------------------------------------------------------------------------
note "render the $STACK stack's JupyterHub values under Pulumi mocks"
CFG="$WORK/hub-config"
render_stack test/integration/render-hub-config.ts "$CFG" "$STACK"
EXPECT="$CFG/expect.json"
chart_version=$(json "$EXPECT" 'd.chartVersion')
if [ "$chart_version" = "$CHART_VERSION" ]; then
  pass "the stack's JupyterHub release pins chart $chart_version (JupyterHub ${HUB_VERSION_PREFIX}x)"
else
  fail "the stack's JupyterHub release pins chart $chart_version, this test expects $CHART_VERSION; update CHART_VERSION and HUB_VERSION_PREFIX"
fi
PASSWORD=$(json "$EXPECT" 'd.password')
ADMIN_PASSWORD=$(json "$EXPECT" 'd.adminPassword')
ADMIN=$(json "$EXPECT" 'd.admins[0] ?? ""')
if [ "$(json "$CFG/jupyterhub_config.json" 'd.JupyterHub.authenticator_class')" != shared-password ] || [ "$PASSWORD" = null ] || [ "$ADMIN_PASSWORD" = null ] || [ -z "$ADMIN" ]; then
  fail "the $STACK stack does not use the shared-password login with an admin user; this test needs both"
  finish
fi
# A user who is not in the admin list, to check that only admins become admins.
PLAIN_USER=analyst
WRONG_PASSWORD="not-$PASSWORD"

# Chart-side settings: the chart runs the idle culler as a hub service from these values.
culling=$(json "$CFG/values.json" 'd.cull')
if [ "$(json "$CFG/values.json" 'd.cull.enabled === true && d.cull.timeout > 0 && d.cull.every > 0 && d.cull.every <= d.cull.timeout')" = true ]; then
  pass "idle culling is on in the rendered values: $culling"
else
  fail "idle culling settings in the rendered values: $culling"
fi

# The chart passes each hub.config section through as `c[<section>]` and stops the hub on a section
# that is not a class name (lower-case first letter), which traitlets would otherwise ignore.
sections=$(json "$CFG/jupyterhub_config.json" 'Object.keys(d).join(" ")')
if [ "$(json "$CFG/jupyterhub_config.json" 'Object.keys(d).length > 0 && Object.keys(d).every((k) => /^[A-Z][A-Za-z0-9]*$/.test(k))')" = true ]; then
  pass "every hub.config section is a class name, as the chart requires: $sections"
else
  fail "hub.config sections the chart would refuse: $sections"
fi

# What the chart's jupyterhub_config.py and Kubernetes provide, replaced for one machine. The
# values file beside it (jupyterhub_config.json) is loaded after this one by traitlets, as the chart
# applies hub.config after its own settings.
cat >"$CFG/jupyterhub_config.py" <<PY
import os

c = get_config()  # noqa: F821 (provided by traitlets when it runs this file)

# KubeSpawner starts a pod of the notebook image; here the user's server is a process in the
# hub's own container, which is the same image: jupyterhub-singleuser runs as the image's user.
c.JupyterHub.spawner_class = "simple"
c.Spawner.ip = "127.0.0.1"
c.Spawner.port = $USER_PORT
c.Spawner.start_timeout = $SPAWN_SECS
c.Spawner.http_timeout = $SPAWN_SECS

# The chart runs configurable-http-proxy in its own pod; here it runs on the host.
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:$PROXY_API_PORT"
c.ConfigurableHTTPProxy.auth_token = os.environ["CONFIGPROXY_AUTH_TOKEN"]
c.JupyterHub.bind_url = "$PUBLIC"

c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = $HUB_PORT

# The chart keeps the database on a volume; a scratch directory is enough here. The cookie secret
# comes from the values: if it did not, the hub would write a generated one to this file.
c.JupyterHub.db_url = "sqlite:////tmp/hub/jupyterhub.sqlite"
c.JupyterHub.pid_file = "/tmp/hub/jupyterhub.pid"
c.JupyterHub.cookie_secret_file = "/tmp/hub/jupyterhub_cookie_secret"
PY
if [ "$(id -u)" = 0 ]; then
  chown -R "$IMAGE_UID" "$CFG" && chmod 0700 "$CFG"
else
  # Not root: the files cannot be given to the image's user, so let it read them.
  chmod -R a+rX "$CFG"
fi

# ---------------------------------------------------------------------------
note "start configurable-http-proxy and the hub"
CONFIGPROXY_AUTH_TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export CONFIGPROXY_AUTH_TOKEN
# The same command line the hub would use to start the proxy itself: everything to the hub by default.
"$CHP" --ip 127.0.0.1 --port "$PROXY_PORT" --api-ip 127.0.0.1 --api-port "$PROXY_API_PORT" \
  --default-target "http://127.0.0.1:$HUB_PORT" --error-target "http://127.0.0.1:$HUB_PORT/hub/error" \
  --log-level warn >"$WORK/chp.log" 2>&1 &
CHP_PID=$!

t0=$(now)
if ! "$DOCKER" run -d --name "$HUB" --network host -e CONFIGPROXY_AUTH_TOKEN \
  -v "$CFG:/srv/hub:ro" --tmpfs "/tmp/hub:uid=$IMAGE_UID,mode=0700" \
  "$IMAGE" jupyterhub -f /srv/hub/jupyterhub_config.py >/dev/null; then
  fail "the hub container did not start"
  finish
fi

up=""
deadline=$((SECONDS + HUB_START_SECS))
while [ "$SECONDS" -lt "$deadline" ]; do
  code=$(http "$WORK/api.json" "$PUBLIC/hub/api")
  if [ "$code" = 200 ]; then up=1; break; fi
  [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$HUB" 2>/dev/null)" = true ] || break
  kill -0 "$CHP_PID" 2>/dev/null || break
  sleep 1
done
if [ -z "$up" ]; then
  fail "the hub did not answer $PUBLIC/hub/api within ${HUB_START_SECS}s"
  show_hub_log 40
  echo "  ---- proxy log:"; sed 's/^/  | /' "$WORK/chp.log"
  finish
fi
HUB_UP_SECS=$(since "$t0")
echo "  hub answering through the proxy after $HUB_UP_SECS s"

version=$(json "$WORK/api.json" 'd.version')
if [[ "$version" == "$HUB_VERSION_PREFIX"* ]]; then
  pass "the hub reports JupyterHub $version (chart $CHART_VERSION runs ${HUB_VERSION_PREFIX}x)"
else
  fail "the hub reports JupyterHub $version, the chart runs ${HUB_VERSION_PREFIX}x"
fi
if "$DOCKER" exec "$HUB" test -e /tmp/hub/jupyterhub_cookie_secret; then
  fail "the hub generated its own cookie secret: the values' JupyterHub.cookie_secret was not applied"
else
  pass "the hub uses the cookie secret from the values (it generated none)"
fi

# ---------------------------------------------------------------------------
note "log in through the login form"
# JupyterHub 5's form flow: GET /hub/login sets an _xsrf cookie and puts the same token in the form;
# the POST must carry both. The token is bound to the client (address and User-Agent), so one
# cookie jar per browser session. Sec-Fetch-* are what a browser sends for a form submission.
BROWSER=(-H "User-Agent: ds-platform-hub-test" -H "Sec-Fetch-Mode: navigate" -H "Sec-Fetch-Site: same-origin")

# login JAR USER PASSWORD [no-xsrf]: prints the POST's status code.
login() {
  local jar=$1 user=$2 password=$3 without=${4:-} xsrf=""
  rm -f "$jar"
  http "$WORK/login-form.html" -c "$jar" -b "$jar" "${BROWSER[@]}" "$PUBLIC/hub/login" >/dev/null
  xsrf=$(sed -n 's/.*name="_xsrf" value="\([^"]*\)".*/\1/p' "$WORK/login-form.html" | head -n 1)
  local form=(--data-urlencode "username=$user" --data-urlencode "password=$password")
  [ -n "$without" ] || form+=(--data-urlencode "_xsrf=$xsrf")
  http "$WORK/login-post.html" -c "$jar" -b "$jar" "${BROWSER[@]}" -H "Origin: $PUBLIC" "${form[@]}" "$PUBLIC/hub/login?next=%2Fhub%2Fhome"
}
has_cookie() { grep -q "[[:space:]]$2[[:space:]]" "$1" 2>/dev/null; }

code=$(login "$WORK/admin.jar" "$ADMIN" "$ADMIN_PASSWORD")
if [ "$code" = 302 ] && has_cookie "$WORK/admin.jar" jupyterhub-session-id && has_cookie "$WORK/admin.jar" jupyterhub-hub-login; then
  pass "'$ADMIN' logs in with the stack's admin password (302, session and login cookies set)"
else
  fail "'$ADMIN' login with the stack's admin password: HTTP $code"
  show_hub_log 20
fi
# SharedPasswordAuthenticator: an admin's name with the users' password is refused, so knowing the
# users' password never grants admin rights.
code=$(login "$WORK/admin-user-password.jar" "$ADMIN" "$PASSWORD")
if [ "$code" = 403 ] && ! has_cookie "$WORK/admin-user-password.jar" jupyterhub-hub-login; then
  pass "'$ADMIN' with the users' password is refused (403): admins need the admin password"
else
  fail "'$ADMIN' with the users' password: HTTP $code"
fi
code=$(login "$WORK/wrong.jar" "$ADMIN" "$WRONG_PASSWORD")
if [ "$code" = 403 ] && grep -q 'Invalid username or password' "$WORK/login-post.html" && ! has_cookie "$WORK/wrong.jar" jupyterhub-hub-login; then
  pass "a wrong password is refused (403, 'Invalid username or password', no login cookie)"
else
  fail "login with a wrong password: HTTP $code"
fi
code=$(login "$WORK/noxsrf.jar" "$ADMIN" "$ADMIN_PASSWORD" no-xsrf)
if [ "$code" = 403 ] && ! has_cookie "$WORK/noxsrf.jar" jupyterhub-hub-login; then
  pass "a login form posted without its _xsrf token is refused (403)"
else
  fail "login without the _xsrf token: HTTP $code"
fi
code=$(login "$WORK/user.jar" "$PLAIN_USER" "$PASSWORD")
if [ "$code" = 302 ] && has_cookie "$WORK/user.jar" jupyterhub-hub-login; then
  pass "'$PLAIN_USER', not an admin, logs in with the shared password too (no allowed-users list)"
else
  fail "'$PLAIN_USER' login with the stack's password: HTTP $code"
fi

code=$(http "$WORK/home.html" -b "$WORK/admin.jar" "${BROWSER[@]}" "$PUBLIC/hub/home")
if [ "$code" = 200 ] && grep -q "$ADMIN" "$WORK/home.html"; then
  pass "the session cookie opens /hub/home as '$ADMIN'"
else
  fail "/hub/home with the login cookies: HTTP $code"
fi
admin_page=$(http "$WORK/admin.html" -b "$WORK/admin.jar" "${BROWSER[@]}" "$PUBLIC/hub/admin")
user_page=$(http "$WORK/admin-user.html" -b "$WORK/user.jar" "${BROWSER[@]}" "$PUBLIC/hub/admin")
if [ "$admin_page" = 200 ] && [ "$user_page" = 403 ]; then
  pass "the admin panel opens for '$ADMIN' (200) and not for '$PLAIN_USER' (403)"
else
  fail "admin panel: '$ADMIN' HTTP $admin_page, '$PLAIN_USER' HTTP $user_page"
fi

# ---------------------------------------------------------------------------
note "API token and the admin flag"
# A token for the admin, created the way an operator would: the CLI in the hub's container, on its database.
TOKEN=$(timeout 60 "$DOCKER" exec "$HUB" jupyterhub token -f /srv/hub/jupyterhub_config.py "$ADMIN" 2>"$WORK/token.err" | tail -n 1)
if [[ "$TOKEN" =~ ^[0-9a-f]{32,}$ ]]; then
  pass "'jupyterhub token $ADMIN' in the hub container issued an API token"
else
  fail "'jupyterhub token $ADMIN' gave no token: $(tail -n 3 "$WORK/token.err")"
  finish
fi
code=$(api "$WORK/admin-user.json" GET "/users/$ADMIN")
code2=$(api "$WORK/plain-user.json" GET "/users/$PLAIN_USER")
if [ "$code" = 200 ] && [ "$code2" = 200 ] && [ "$(json "$WORK/admin-user.json" 'd.admin')" = true ] && [ "$(json "$WORK/plain-user.json" 'd.admin')" = false ]; then
  pass "the API reports '$ADMIN' as admin and '$PLAIN_USER' as not"
else
  fail "admin flags: /users/$ADMIN HTTP $code $(cat "$WORK/admin-user.json"), /users/$PLAIN_USER HTTP $code2"
fi

# ---------------------------------------------------------------------------
note "start ${ADMIN}'s server: jupyterhub-singleuser from the image"
t0=$(now)
code=$(api "$WORK/spawn.json" POST "/users/$ADMIN/server")
if [ "$code" = 201 ] || [ "$code" = 202 ]; then
  ready=""
  deadline=$((SECONDS + SPAWN_SECS))
  while [ "$SECONDS" -lt "$deadline" ]; do
    api "$WORK/state.json" GET "/users/$ADMIN" >/dev/null
    if [ "$(json "$WORK/state.json" 'd.servers?.[""]?.ready === true')" = true ]; then ready=1; break; fi
    sleep 1
  done
  if [ -n "$ready" ]; then
    SPAWN_SECS_TAKEN=$(since "$t0")
    pass "POST /hub/api/users/$ADMIN/server (HTTP $code): the server is ready after $SPAWN_SECS_TAKEN s"
  else
    fail "the server of '$ADMIN' was not ready within ${SPAWN_SECS}s: $(cat "$WORK/state.json")"
    show_hub_log 40
    finish
  fi
else
  fail "POST /hub/api/users/$ADMIN/server: HTTP $code $(cat "$WORK/spawn.json")"
  show_hub_log 40
  finish
fi

# "<uid> <command line>" of every process in the hub container (the image need not have ps).
procs=$("$DOCKER" exec "$HUB" sh -c 'for p in /proc/[0-9]*; do
  [ -r "$p/cmdline" ] || continue
  printf "%s " "$(awk "/^Uid:/ { print \$2 }" "$p/status")"; tr "\0" " " <"$p/cmdline"; echo
done' 2>/dev/null | grep 'jupyterhub-singleuser' | grep -v -e 'sh -c' -e awk)
if [ -n "$procs" ] && [ "$(awk '{ print $1; exit }' <<<"$procs")" = "$IMAGE_UID" ]; then
  pass "the server is the image's jupyterhub-singleuser, as the image's user: $(head -n 1 <<<"$procs" | sed 's/ *$//')"
else
  fail "no jupyterhub-singleuser process of UID $IMAGE_UID in the hub container: ${procs:-none}"
fi

code=$(http "$WORK/status.json" -H "Authorization: token $TOKEN" "$PUBLIC/user/$ADMIN/api/status")
if [ "$code" = 200 ] && [ "$(json "$WORK/status.json" 'typeof d.started === "string" && typeof d.kernels === "number"')" = true ]; then
  pass "GET /user/$ADMIN/api/status through the proxy with the token: 200 $(cat "$WORK/status.json")"
else
  fail "GET /user/$ADMIN/api/status through the proxy: HTTP $code $(head -c 300 "$WORK/status.json")"
  show_hub_log 20
fi
code=$(http "$WORK/status-anon.json" "$PUBLIC/user/$ADMIN/api/status")
if [ "$code" = 403 ] || [ "$code" = 401 ]; then
  pass "the same request without credentials is refused ($code)"
else
  fail "GET /user/$ADMIN/api/status without credentials: HTTP $code"
fi
code=$(http "$WORK/status-bad.json" -H "Authorization: token 0123456789abcdef0123456789abcdef" "$PUBLIC/user/$ADMIN/api/status")
if [ "$code" = 403 ] || [ "$code" = 401 ]; then
  pass "a bad token is refused by the user's server ($code)"
else
  fail "GET /user/$ADMIN/api/status with a bad token: HTTP $code"
fi

# A browser: the login cookie alone reaches JupyterLab, through the server's OAuth handshake with the
# hub (redirects to /hub/api/oauth2/authorize and back to the server's callback, which sets its cookie).
t0=$(now)
code=$(browse "$WORK/lab.html" "$WORK/admin.jar" "$PUBLIC/user/$ADMIN/lab")
if [[ "$code" == "200 $PUBLIC/user/$ADMIN/lab"* ]] && grep -qi 'jupyterlab' "$WORK/lab.html"; then
  pass "/user/$ADMIN/lab opens in the logged-in browser session after the OAuth handshake (200 in $(since "$t0") s)"
else
  fail "/user/$ADMIN/lab in the browser session: $code"
  show_hub_log 20
fi
code=$(browse "$WORK/lab-other.html" "$WORK/user.jar" "$PUBLIC/user/$ADMIN/lab")
if [[ "$code" != 200* ]]; then
  pass "'$PLAIN_USER' cannot open ${ADMIN}'s server (${code%% *})"
else
  fail "'$PLAIN_USER' opened ${ADMIN}'s server: $code"
fi

# ---------------------------------------------------------------------------
note "stop the server"
t0=$(now)
code=$(api "$WORK/stop.json" DELETE "/users/$ADMIN/server")
stopped=""
deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do
  api "$WORK/state.json" GET "/users/$ADMIN" >/dev/null
  if [ "$(json "$WORK/state.json" 'd.servers !== undefined && Object.keys(d.servers).length === 0')" = true ]; then stopped=1; break; fi
  sleep 1
done
if { [ "$code" = 204 ] || [ "$code" = 202 ]; } && [ -n "$stopped" ] && port_free "$USER_PORT"; then
  pass "DELETE /hub/api/users/$ADMIN/server stopped it in $(since "$t0") s (port $USER_PORT closed)"
else
  fail "stopping the server: HTTP $code, stopped=${stopped:-no}"
fi

# ---------------------------------------------------------------------------
note "hub log"
"$DOCKER" logs "$HUB" >"$WORK/hub.log" 2>&1
# traitlets warns about a trait its class does not have: a misspelt key in the values would only warn.
if grep -q 'not recognized by' "$WORK/hub.log"; then
  fail "the hub ignored settings: $(grep -m 3 'not recognized by' "$WORK/hub.log")"
else
  pass "the hub recognized every setting it was given"
fi
# The errors expected are the two refusals provoked above: the form without _xsrf, and the other
# user's attempt to open the admin's server.
errors=$(grep -E '^\[E |Traceback' "$WORK/hub.log" |
  grep -v -e 'XSRF error on login form' -e "User <User($PLAIN_USER .*)> not allowed to access Server at /user/$ADMIN/")
if [ -z "$errors" ]; then
  pass "no errors or tracebacks in the hub's log besides the two provoked refusals"
else
  fail "errors in the hub's log:"; sed 's/^/  | /' <<<"$errors" | head -n 20
fi

echo "FIGURE hub_ready_seconds=$HUB_UP_SECS spawn_seconds=${SPAWN_SECS_TAKEN:-na}"
finish
