#!/usr/bin/env bash
# End-to-end tests with real JavaScript peers: the frontend's better-auth client against local-api,
# and a stock Better Auth server (better-auth 1.7.25) sharing local-api's database and secret.
#
#   scripts/e2e.sh            # builds local-api, starts PostgreSQL, two local-apis and Better Auth, runs the suites
#
# Servers, all on one database and one secret, each writing its mails to its own outbox directory:
#   local-api              API_URL         the reference options (BETTER_AUTH_OPTIONS unset)
#   local-api (verify)     VERIFY_API_URL  BETTER_AUTH_OPTIONS={"emailAndPassword":{"requireEmailVerification":true}}
#   better-auth-server.mjs BA_URL          --argon2, sharing API_URL as its public base URL
# Suites: test:client, test:shared-db (shared-db.test.mjs, then shared-db-email.test.mjs), then test:email.
# e2e/scripts/self-check.sh runs the same suites with Better Auth servers in place of both local-apis.
#
# Needs: cargo, node + npm, PostgreSQL server binaries (for `local-api postgres`). Everything it
# starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

source scripts/lib.sh

WORK=$(mktemp -d /tmp/e2e.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_postgres
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT INT TERM

(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
cargo build -p local-api

start_postgres "$WORK"

API_PORT=$(free_port)
VERIFY_PORT=$(free_port)
BA_PORT=$(free_port)
BETTER_AUTH_SECRET=$(random_secret e2e)
export BETTER_AUTH_SECRET
export API_URL="http://127.0.0.1:$API_PORT" BA_URL="http://127.0.0.1:$BA_PORT" VERIFY_API_URL="http://127.0.0.1:$VERIFY_PORT"
export ORIGIN=http://localhost:3000
# Not exported: EMAIL_OUTBOX_DIR means "where I write" to a server and "our API's outbox" to the tests.
API_OUTBOX=$WORK/outbox-api VERIFY_OUTBOX=$WORK/outbox-verify BA_OUTBOX=$WORK/outbox-ba
VERIFY_OPTIONS='{"emailAndPassword":{"requireEmailVerification":true}}'

# Our API first: its migrations create Better Auth's tables (and ours) on the empty database.
BETTER_AUTH_URL=$API_URL CORS_ORIGINS=$ORIGIN PORT=$API_PORT RUST_LOG=info EMAIL_OUTBOX_DIR=$API_OUTBOX \
  "$ROOT/target/debug/local-api" >"$WORK/local-api.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/local-api.log" "local API on"
# The second API (same database, its own URL and outbox) requires verified emails, for test:email.
BETTER_AUTH_URL=$VERIFY_API_URL CORS_ORIGINS=$ORIGIN PORT=$VERIFY_PORT RUST_LOG=info EMAIL_OUTBOX_DIR=$VERIFY_OUTBOX \
  BETTER_AUTH_OPTIONS=$VERIFY_OPTIONS "$ROOT/target/debug/local-api" >"$WORK/local-api-verify.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/local-api-verify.log" "local API on"
# Better Auth shares our public base URL, so both sides issue and accept the same iss/aud (and its mails'
# links point at API_URL; the tests take the tokens out of them).
# exec: $! must be node's pid, or cleanup's kill stops only the subshell and leaves the server running.
(cd e2e && BETTER_AUTH_URL=$API_URL TRUSTED_ORIGINS=$ORIGIN PORT=$BA_PORT EMAIL_OUTBOX_DIR=$BA_OUTBOX \
  exec node better-auth-server.mjs --argon2 >"$WORK/better-auth.log" 2>&1) &
PIDS+=($!)
wait_for "$WORK/better-auth.log" "listening"

status=0
echo "# e2e: the better-auth client against local-api ($API_URL)"
(cd e2e && npm run -s test:client) || status=1
echo "# e2e: local-api and a Better Auth server on one database ($BA_URL), with their mails"
(cd e2e && BA_ARGON2=1 EMAIL_OUTBOX_DIR=$API_OUTBOX BA_OUTBOX_DIR=$BA_OUTBOX npm run -s test:shared-db) || status=1
echo "# e2e: forgot password ($API_URL) and email verification ($VERIFY_API_URL, $VERIFY_OPTIONS)"
(cd e2e && EMAIL_OUTBOX_DIR=$API_OUTBOX VERIFY_OUTBOX_DIR=$VERIFY_OUTBOX npm run -s test:email) || status=1
if [ $status -ne 0 ]; then
  echo "--- local-api log"; tail -50 "$WORK/local-api.log"
  echo "--- local-api (verify) log"; tail -50 "$WORK/local-api-verify.log"
  echo "--- better-auth log"; tail -50 "$WORK/better-auth.log"
fi
exit $status
