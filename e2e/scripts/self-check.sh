#!/usr/bin/env bash
# Checks the e2e suites themselves against real Better Auth servers, with no Rust API: a throwaway PostgreSQL,
# then client-flow.test.mjs against one Better Auth server (SKIP_TASK_ROUTES=1), then shared-db.test.mjs and
# shared-db-email.test.mjs with a second Better Auth server (--argon2) beside it, then email-flows.test.mjs
# against the first one and a third one configured as scripts/e2e.sh configures our second API
# (BETTER_AUTH_OPTIONS requireEmailVerification), then account.test.mjs against the first one and a fourth and
# fifth configured as scripts/e2e.sh configures our account and delete APIs (change-email and delete-user; delete-user
# confirmed by mail). The first server stands in for our API throughout; each server writes its mails to its own
# outbox. shared-db-account.test.mjs runs inside test:shared-db. Last, shared-db-own-origin.test.mjs against a sixth
# server (each at its own origin, rate limiting in the database) standing in for our own-origin API and a seventh as
# the Better Auth server, with the first as API_URL (SKIP_TASK_ROUTES=1). Then seed-configs.test.mjs with
# SEEDS_OURS=stock (each fixture's port, taken back to Better Auth's options, stands in for our API: it starts its own
# servers and databases). Everything it starts, it stops.
# Needs: node_modules (npm ci), PostgreSQL server binaries and cargo (the throwaway PostgreSQL is
# `local-api postgres`, built here; no Rust API runs), or LOCAL_API_BIN=/path/to/local-api instead of cargo.
set -euo pipefail
if [ -n "${LOCAL_API_BIN:-}" ]; then
  LOCAL_API_BIN=$(realpath "$LOCAL_API_BIN")
  [ -x "$LOCAL_API_BIN" ] || { echo "LOCAL_API_BIN=$LOCAL_API_BIN is not an executable"; exit 1; }
fi
cd "$(dirname "$0")/.."
source ../scripts/lib.sh

WORK=$(mktemp -d /tmp/e2e-self-check.XXXXXX)
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

if [ -n "${LOCAL_API_BIN:-}" ]; then
  # start_postgres runs $CARGO_TARGET_DIR/debug/local-api.
  mkdir -p "$WORK/bin/debug" && ln -s "$LOCAL_API_BIN" "$WORK/bin/debug/local-api"
  CARGO_TARGET_DIR=$WORK/bin start_postgres "$WORK"
else
  [ -x "$SCRIPTS_ROOT/target/debug/local-api" ] || (cd .. && cargo build -q -p local-api)
  start_postgres "$WORK"
fi
BETTER_AUTH_SECRET=$(random_secret self-check-secret)
export BETTER_AUTH_SECRET
export TRUSTED_ORIGINS="${ORIGIN:-http://localhost:3000}"
# storage "database" adds the rateLimit table (our API's migrations always create it), for the own-origin pairing.
BETTER_AUTH_URL=http://127.0.0.1 BETTER_AUTH_OPTIONS='{"rateLimit":{"storage":"database"}}' node better-auth-server.mjs --migrate-only

start_ba() { # port, BETTER_AUTH_URL, outbox dir, BETTER_AUTH_OPTIONS ("" = none), extra args…
  local port=$1 url=$2 outbox=$3 options=$4; shift 4
  BETTER_AUTH_URL="$url" PORT=$port EMAIL_OUTBOX_DIR="$outbox" BETTER_AUTH_OPTIONS="$options" \
    node better-auth-server.mjs "$@" >"$WORK/ba-$port.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do
    grep -q listening "$WORK/ba-$port.log" && return 0
    sleep 0.2
  done
  cat "$WORK/ba-$port.log"; return 1
}
# The same options scripts/e2e.sh gives our second, third and fourth APIs.
VERIFY_OPTIONS='{"emailAndPassword":{"requireEmailVerification":true}}'
ACCOUNT_OPTIONS='{"user":{"changeEmail":{"enabled":true,"sendChangeEmailConfirmation":true},"deleteUser":{"enabled":true}}}'
DELETE_OPTIONS='{"user":{"deleteUser":{"enabled":true,"sendDeleteAccountVerification":true}}}'
API_OUTBOX=$WORK/outbox-api BA_OUTBOX=$WORK/outbox-ba VERIFY_OUTBOX=$WORK/outbox-verify
ACCOUNT_OUTBOX=$WORK/outbox-account DELETE_OUTBOX=$WORK/outbox-delete
P1=$(free_port); start_ba "$P1" "http://127.0.0.1:$P1" "$API_OUTBOX" ""
# The second server shares the first one's public base URL (so the same JWT iss/aud), as README.md advises
# for running shared-db.test.mjs against our API.
P2=$(free_port); start_ba "$P2" "http://127.0.0.1:$P1" "$BA_OUTBOX" "" --argon2
P3=$(free_port); start_ba "$P3" "http://127.0.0.1:$P3" "$VERIFY_OUTBOX" "$VERIFY_OPTIONS"
# `true` for the mail callbacks: better-auth-server.mjs turns them into outbox writers, as our API does.
P4=$(free_port); start_ba "$P4" "http://127.0.0.1:$P4" "$ACCOUNT_OUTBOX" "$ACCOUNT_OPTIONS"
P5=$(free_port); start_ba "$P5" "http://127.0.0.1:$P5" "$DELETE_OUTBOX" "$DELETE_OPTIONS"
# The own-origin pairing, as scripts/e2e.sh starts it (its Better Auth server's options for both). The stand-in for our
# API runs with NODE_ENV=development, so that Better Auth keys its rate limit by 127.0.0.1 without x-forwarded-for,
# as our API keys it by the socket's address.
OWN_OPTIONS='{"rateLimit":{"enabled":true,"storage":"database"}}'
OWN_API_OUTBOX=$WORK/outbox-own-api OWN_BA_OUTBOX=$WORK/outbox-own-ba
P6=$(free_port); NODE_ENV=development start_ba "$P6" "http://127.0.0.1:$P6" "$OWN_API_OUTBOX" "$OWN_OPTIONS"
P7=$(free_port); start_ba "$P7" "http://127.0.0.1:$P7" "$OWN_BA_OUTBOX" "$OWN_OPTIONS"

echo "# client-flow.test.mjs against Better Auth on :$P1 (SKIP_TASK_ROUTES=1)"
API_URL="http://127.0.0.1:$P1" SKIP_TASK_ROUTES=1 E2E_AUTH_RATE_LIMIT=${E2E_AUTH_RATE_LIMIT:-off} npm run -s test:client
echo "# shared-db.test.mjs, shared-db-email.test.mjs, shared-db-account.test.mjs: Better Auth :$P1 as API_URL, Better Auth --argon2 :$P2 as BA_URL"
API_URL="http://127.0.0.1:$P1" BA_URL="http://127.0.0.1:$P2" BA_ARGON2=1 SKIP_TASK_ROUTES=1 E2E_AUTH_RATE_LIMIT=${E2E_AUTH_RATE_LIMIT:-off} \
  EMAIL_OUTBOX_DIR="$API_OUTBOX" BA_OUTBOX_DIR="$BA_OUTBOX" npm run -s test:shared-db
echo "# email-flows.test.mjs: Better Auth :$P1 as API_URL, Better Auth :$P3 ($VERIFY_OPTIONS) as VERIFY_API_URL"
API_URL="http://127.0.0.1:$P1" EMAIL_OUTBOX_DIR="$API_OUTBOX" VERIFY_API_URL="http://127.0.0.1:$P3" VERIFY_OUTBOX_DIR="$VERIFY_OUTBOX" \
  E2E_AUTH_RATE_LIMIT=${E2E_AUTH_RATE_LIMIT:-off} npm run -s test:email
echo "# account.test.mjs: Better Auth :$P1 as API_URL, :$P4 ($ACCOUNT_OPTIONS) as ACCOUNT_API_URL, :$P5 ($DELETE_OPTIONS) as DELETE_API_URL (SKIP_TASK_ROUTES=1)"
API_URL="http://127.0.0.1:$P1" ACCOUNT_API_URL="http://127.0.0.1:$P4" ACCOUNT_OUTBOX_DIR="$ACCOUNT_OUTBOX" \
  DELETE_API_URL="http://127.0.0.1:$P5" DELETE_OUTBOX_DIR="$DELETE_OUTBOX" SKIP_TASK_ROUTES=1 \
  E2E_AUTH_RATE_LIMIT=${E2E_AUTH_RATE_LIMIT:-off} npm run -s test:account
echo "# shared-db-own-origin.test.mjs: Better Auth :$P6 as OWN_API_URL, :$P7 as OWN_BA_URL (both $OWN_OPTIONS), :$P1 as API_URL (SKIP_TASK_ROUTES=1)"
# Both rate-limit sign-in/up (3 per 10 s), so no E2E_AUTH_RATE_LIMIT=off here.
API_URL="http://127.0.0.1:$P1" OWN_API_URL="http://127.0.0.1:$P6" OWN_API_OUTBOX_DIR="$OWN_API_OUTBOX" \
  OWN_BA_URL="http://127.0.0.1:$P7" OWN_BA_OUTBOX_DIR="$OWN_BA_OUTBOX" SKIP_TASK_ROUTES=1 E2E_AUTH_RATE_LIMIT=3/10 \
  npm run -s test:own-origin
echo "# seed-configs.test.mjs with SEEDS_OURS=stock: Better Auth with each fixture's authTs against Better Auth with its port"
SEEDS_OURS=stock npm run -s test:seeds
