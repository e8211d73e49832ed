#!/usr/bin/env bash
# End-to-end tests with real JavaScript peers: the frontend's better-auth client against local-api,
# and a stock Better Auth server (better-auth 1.7.25) sharing local-api's database and secret.
#
#   scripts/e2e.sh            # builds local-api, starts PostgreSQL, local-api and Better Auth, runs both suites
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
BA_PORT=$(free_port)
BETTER_AUTH_SECRET=$(random_secret e2e)
export BETTER_AUTH_SECRET
export API_URL="http://127.0.0.1:$API_PORT" BA_URL="http://127.0.0.1:$BA_PORT"
export ORIGIN=http://localhost:3000

# Our API first: its migrations create Better Auth's tables (and ours) on the empty database.
BETTER_AUTH_URL=$API_URL CORS_ORIGINS=$ORIGIN PORT=$API_PORT RUST_LOG=info \
  "$ROOT/target/debug/local-api" >"$WORK/local-api.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/local-api.log" "local API on"
# Better Auth shares our public base URL, so both sides issue and accept the same iss/aud.
(cd e2e && BETTER_AUTH_URL=$API_URL TRUSTED_ORIGINS=$ORIGIN PORT=$BA_PORT node better-auth-server.mjs --argon2 \
  >"$WORK/better-auth.log" 2>&1) &
PIDS+=($!)
wait_for "$WORK/better-auth.log" "listening"

status=0
echo "# e2e: the better-auth client against local-api ($API_URL)"
(cd e2e && npm run -s test:client) || status=1
echo "# e2e: local-api and a Better Auth server on one database ($BA_URL)"
(cd e2e && BA_ARGON2=1 npm run -s test:shared-db) || status=1
if [ $status -ne 0 ]; then
  echo "--- local-api log"; tail -50 "$WORK/local-api.log"
  echo "--- better-auth log"; tail -50 "$WORK/better-auth.log"
fi
exit $status
