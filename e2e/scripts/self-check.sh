#!/usr/bin/env bash
# Checks the e2e suites themselves against real Better Auth servers, with no Rust API: a throwaway PostgreSQL,
# then client-flow.test.mjs against one Better Auth server (SKIP_TASK_ROUTES=1), then shared-db.test.mjs and
# shared-db-email.test.mjs with a second Better Auth server (--argon2) beside it, then email-flows.test.mjs
# against the first one and a third one configured as scripts/e2e.sh configures our second API
# (BETTER_AUTH_OPTIONS requireEmailVerification), then account.test.mjs against the first one and a fourth and
# fifth configured as scripts/e2e.sh configures our account and delete APIs (change-email and delete-user; delete-user
# confirmed by mail). The first server stands in for our API throughout; each server writes its mails to its own
# outbox. shared-db-account.test.mjs runs inside test:shared-db. Everything it starts, it stops.
# Needs: node_modules (npm ci), PostgreSQL server binaries and cargo (the throwaway PostgreSQL is
# `local-api postgres`, built here; no Rust API runs).
set -euo pipefail
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

[ -x "$SCRIPTS_ROOT/target/debug/local-api" ] || (cd .. && cargo build -q -p local-api)
start_postgres "$WORK"
BETTER_AUTH_SECRET=$(random_secret self-check-secret)
export BETTER_AUTH_SECRET
export TRUSTED_ORIGINS="${ORIGIN:-http://localhost:3000}"
BETTER_AUTH_URL=http://127.0.0.1 node better-auth-server.mjs --migrate-only

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
