#!/usr/bin/env bash
# The Next.js example (examples/nextjs) in a real Chromium against local-api, in both setups of docs/nextjs.md:
#   cross-origin  the app calls the API's /api/auth/* with credentials (the API's cookie) and its tasks with a JWT
#   first-party   the app proxies /api/auth/* to the API (the cookie is the app's; proxy.ts guards /dashboard
#                 and /settings)
# For each: build the app with that setup's URLs (NEXT_PUBLIC_* are compiled in), start local-api and
# `next start`, run examples/nextjs/tests/app.test.mjs and settings.test.mjs (node:test + playwright-core), stop
# both.
#
#   scripts/browser-e2e.sh                               # builds local-api with cargo (CI's path)
#   LOCAL_API_BIN=/path/to/local-api scripts/browser-e2e.sh
#
# Needs node + npm and PostgreSQL server binaries (local-api starts its own throwaway cluster); installs Debian's
# chromium with apt-get when /usr/bin/chromium (or CHROMIUM_PATH) is missing. Never downloads a browser.
# Screenshots (the dashboard, the settings page) go to examples/nextjs/test-results/ (SCREENSHOT_DIR). Everything
# it starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/lib.sh

WORK=$(mktemp -d /tmp/browser-e2e.XXXXXX)
PIDS=()
stop_all() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
cleanup() {
  local rc=$?
  stop_all
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT INT TERM
took() { echo "# browser-e2e: $* done at $SECONDS s"; }

export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "# installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
"$CHROMIUM_PATH" --version
took chromium

if [ -z "${LOCAL_API_BIN:-}" ]; then
  cargo build -p local-api
  LOCAL_API_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/local-api
  took "cargo build -p local-api"
fi

cd examples/nextjs
npm ci --no-audit --no-fund --loglevel=error
took "npm ci"
export NEXT_TELEMETRY_DISABLED=1
export SCREENSHOT_DIR=${SCREENSHOT_DIR:-$PWD/test-results}
BETTER_AUTH_SECRET=$(random_secret browser-e2e)
export BETTER_AUTH_SECRET
APP_PORT=$(free_port)
APP_URL=http://localhost:$APP_PORT # the app is always on localhost; so is the API, so the two are same-site

# run_setup NAME: one setup. Returns non-zero when anything in it fails; the caller stops what it started.
run_setup() {
  local name=$1 api_port api_url auth_url outbox=$WORK/outbox-$1 status=0
  api_port=$(free_port)
  api_url=http://localhost:$api_port
  case $name in
    cross-origin) auth_url=$api_url ;;
    first-party) auth_url=$APP_URL ;;
  esac
  echo "# browser: $name (app $APP_URL, Better Auth at $auth_url, tasks at $api_url)"
  # The API's BETTER_AUTH_URL is where browsers reach Better Auth: the JWTs' iss/aud and the mailed links.
  # The suite signs in 17 times within seconds; the default limit is 3 per 10 s per IP.
  # The settings page's "change email" and "delete account" are off unless Better Auth's options enable them.
  BETTER_AUTH_URL=$auth_url CORS_ORIGINS=$APP_URL PORT=$api_port EMAIL_OUTBOX_DIR=$outbox AUTH_RATE_LIMIT_MAX=100 \
    BETTER_AUTH_OPTIONS='{"user":{"deleteUser":{"enabled":true},"changeEmail":{"enabled":true}}}' \
    RUST_LOG=info "$LOCAL_API_BIN" >"$WORK/local-api-$name.log" 2>&1 &
  PIDS+=($!)
  export NEXT_PUBLIC_API_URL=$api_url NEXT_PUBLIC_BETTER_AUTH_URL=$auth_url
  npx next build >"$WORK/next-build-$name.log" 2>&1 || { cat "$WORK/next-build-$name.log"; return 1; }
  took "next build ($name)"
  # exec: $! must be next's pid, so that stop_all stops the server and not a wrapper.
  (exec node_modules/.bin/next start -p "$APP_PORT" >"$WORK/next-$name.log" 2>&1) &
  PIDS+=($!)
  wait_for "$WORK/local-api-$name.log" "local API on" || return 1
  wait_port "$APP_PORT" || { cat "$WORK/next-$name.log"; return 1; }
  APP_URL=$APP_URL API_URL=$api_url AUTH_URL=$auth_url EMAIL_OUTBOX_DIR=$outbox \
    node --test --test-concurrency=1 tests/app.test.mjs tests/settings.test.mjs || status=1
  took "tests ($name)"
  if [ $status -ne 0 ]; then
    echo "--- local-api log ($name)"; tail -40 "$WORK/local-api-$name.log"
    echo "--- next start log ($name)"; tail -40 "$WORK/next-$name.log"
  fi
  return $status
}

status=0
for setup in cross-origin first-party; do
  run_setup $setup || status=1
  stop_all
done
[ $status -ne 0 ] || ls "$SCREENSHOT_DIR"/dashboard-*.png "$SCREENSHOT_DIR"/settings-*.png
exit $status
