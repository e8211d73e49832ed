#!/usr/bin/env bash
# End-to-end tests with real JavaScript peers: the frontend's better-auth client against local-api,
# and a stock Better Auth server (better-auth 1.7.25) sharing local-api's database and secret.
#
#   scripts/e2e.sh                                  # builds local-api, starts PostgreSQL, four local-apis and
#                                                   # Better Auth, runs the suites
#   LOCAL_API_BIN=/path/to/local-api scripts/e2e.sh # the same with a prebuilt binary (no cargo build)
#
# Servers, all on one database and one secret, each writing its mails to its own outbox directory:
#   local-api              API_URL          the reference options (BETTER_AUTH_OPTIONS unset)
#   local-api (verify)     VERIFY_API_URL   BETTER_AUTH_OPTIONS={"emailAndPassword":{"requireEmailVerification":true}}
#   local-api (account)    ACCOUNT_API_URL  BETTER_AUTH_OPTIONS={"user":{"changeEmail":{"enabled":true,
#                                             "sendChangeEmailConfirmation":true},"deleteUser":{"enabled":true}}}
#   local-api (delete)     DELETE_API_URL   BETTER_AUTH_OPTIONS={"user":{"deleteUser":{"enabled":true,
#                                             "sendDeleteAccountVerification":true}}}
#   better-auth-server.mjs BA_URL           --argon2, sharing API_URL as its public base URL
# and a second pairing, as a team runs Better Auth in its Next.js app at its own origin:
#   local-api (own)        OWN_API_URL      PASSWORD_HASH=scrypt, JWT_ISSUERS=<OWN_BA_URL's origin>
#   better-auth-server.mjs OWN_BA_URL       its own URL as BETTER_AUTH_URL, no --argon2, BETTER_AUTH_OPTIONS=
#                                             {"rateLimit":{"enabled":true,"storage":"database"}}
# Suites: test:client, test:shared-db (shared-db.test.mjs, shared-db-email.test.mjs, shared-db-account.test.mjs),
# test:email, test:account, test:seeds (seed-configs.test.mjs, which starts its own servers and databases), then
# test:own-origin (last: it leaves the sign-in/up rate-limit buckets full).
# e2e/scripts/self-check.sh runs the same suites with Better Auth servers in place of the local-apis.
#
# Needs: node + npm, PostgreSQL server binaries (for `local-api postgres`), and cargo unless LOCAL_API_BIN is
# set. Everything it starts, it stops.
set -euo pipefail
# Resolved before the cd, so a path relative to the caller's directory works.
if [ -n "${LOCAL_API_BIN:-}" ]; then
  LOCAL_API_BIN=$(realpath "$LOCAL_API_BIN")
  [ -x "$LOCAL_API_BIN" ] || { echo "LOCAL_API_BIN=$LOCAL_API_BIN is not an executable"; exit 1; }
fi
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
if [ -z "${LOCAL_API_BIN:-}" ]; then
  cargo build -p local-api
  LOCAL_API_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/local-api
fi
# start_postgres runs $CARGO_TARGET_DIR/debug/local-api: point it at the binary the APIs run.
mkdir -p "$WORK/bin/debug" && ln -s "$LOCAL_API_BIN" "$WORK/bin/debug/local-api"
CARGO_TARGET_DIR=$WORK/bin start_postgres "$WORK"

API_PORT=$(free_port)
VERIFY_PORT=$(free_port)
ACCOUNT_PORT=$(free_port)
DELETE_PORT=$(free_port)
BA_PORT=$(free_port)
OWN_API_PORT=$(free_port)
OWN_BA_PORT=$(free_port)
BETTER_AUTH_SECRET=$(random_secret e2e)
export BETTER_AUTH_SECRET
export API_URL="http://127.0.0.1:$API_PORT" BA_URL="http://127.0.0.1:$BA_PORT" VERIFY_API_URL="http://127.0.0.1:$VERIFY_PORT"
export ACCOUNT_API_URL="http://127.0.0.1:$ACCOUNT_PORT" DELETE_API_URL="http://127.0.0.1:$DELETE_PORT"
export OWN_API_URL="http://127.0.0.1:$OWN_API_PORT" OWN_BA_URL="http://127.0.0.1:$OWN_BA_PORT"
export ORIGIN=http://localhost:3000
# Not exported: EMAIL_OUTBOX_DIR means "where I write" to a server and "our API's outbox" to the tests.
API_OUTBOX=$WORK/outbox-api VERIFY_OUTBOX=$WORK/outbox-verify BA_OUTBOX=$WORK/outbox-ba
ACCOUNT_OUTBOX=$WORK/outbox-account DELETE_OUTBOX=$WORK/outbox-delete
OWN_API_OUTBOX=$WORK/outbox-own-api OWN_BA_OUTBOX=$WORK/outbox-own-ba
VERIFY_OPTIONS='{"emailAndPassword":{"requireEmailVerification":true}}'
ACCOUNT_OPTIONS='{"user":{"changeEmail":{"enabled":true,"sendChangeEmailConfirmation":true},"deleteUser":{"enabled":true}}}'
DELETE_OPTIONS='{"user":{"deleteUser":{"enabled":true,"sendDeleteAccountVerification":true}}}'
# Better Auth rate-limits only with NODE_ENV=production unless told; in the database, so its buckets are our table.
OWN_BA_OPTIONS='{"rateLimit":{"enabled":true,"storage":"database"}}'

# start_api NAME PORT OUTBOX OPTIONS [VAR=value…]: one local-api on its own URL and outbox ("" = BETTER_AUTH_OPTIONS
# unset), with any further settings, logging to $WORK/NAME.log. exec (env execs too): $! must be local-api's pid, so
# that cleanup's kill stops it.
start_api() {
  local name=$1 port=$2 outbox=$3 options=$4; shift 4
  (
    if [ -n "$options" ]; then export BETTER_AUTH_OPTIONS=$options; else unset BETTER_AUTH_OPTIONS; fi
    BETTER_AUTH_URL=http://127.0.0.1:$port CORS_ORIGINS=$ORIGIN PORT=$port RUST_LOG=info EMAIL_OUTBOX_DIR=$outbox \
      exec env "$@" "$LOCAL_API_BIN" >"$WORK/$name.log" 2>&1
  ) &
  PIDS+=($!)
  wait_for "$WORK/$name.log" "local API on"
}
# Our API first: its migrations create Better Auth's tables (and ours) on the empty database.
start_api local-api "$API_PORT" "$API_OUTBOX" ""
# The others share the database, each with its own URL, outbox and options: verified emails required (test:email),
# change-email and delete-user (test:account), delete-user confirmed by mail (test:account).
start_api local-api-verify "$VERIFY_PORT" "$VERIFY_OUTBOX" "$VERIFY_OPTIONS"
start_api local-api-account "$ACCOUNT_PORT" "$ACCOUNT_OUTBOX" "$ACCOUNT_OPTIONS"
start_api local-api-delete "$DELETE_PORT" "$DELETE_OUTBOX" "$DELETE_OPTIONS"
# The own-origin pairing: our hashes in Better Auth's scrypt format, and Better Auth's JWTs (iss = aud = its origin).
start_api local-api-own "$OWN_API_PORT" "$OWN_API_OUTBOX" "" PASSWORD_HASH=scrypt JWT_ISSUERS="$OWN_BA_URL"
# Better Auth shares our public base URL, so both sides issue and accept the same iss/aud (and its mails'
# links point at API_URL; the tests take the tokens out of them).
# exec: $! must be node's pid, or cleanup's kill stops only the subshell and leaves the server running.
(cd e2e && BETTER_AUTH_URL=$API_URL TRUSTED_ORIGINS=$ORIGIN PORT=$BA_PORT EMAIL_OUTBOX_DIR=$BA_OUTBOX \
  exec node better-auth-server.mjs --argon2 >"$WORK/better-auth.log" 2>&1) &
PIDS+=($!)
# A Better Auth server at its own origin, as in a Next.js app: its own iss/aud and links, no argon2 hook.
(cd e2e && BETTER_AUTH_URL=$OWN_BA_URL TRUSTED_ORIGINS=$ORIGIN PORT=$OWN_BA_PORT EMAIL_OUTBOX_DIR=$OWN_BA_OUTBOX \
  BETTER_AUTH_OPTIONS=$OWN_BA_OPTIONS exec node better-auth-server.mjs >"$WORK/better-auth-own.log" 2>&1) &
PIDS+=($!)
wait_for "$WORK/better-auth.log" "listening"
wait_for "$WORK/better-auth-own.log" "listening"

status=0
echo "# e2e: the better-auth client against local-api ($API_URL)"
(cd e2e && npm run -s test:client) || status=1
echo "# e2e: local-api and a Better Auth server on one database ($BA_URL), with their mails"
(cd e2e && BA_ARGON2=1 EMAIL_OUTBOX_DIR=$API_OUTBOX BA_OUTBOX_DIR=$BA_OUTBOX npm run -s test:shared-db) || status=1
echo "# e2e: forgot password ($API_URL) and email verification ($VERIFY_API_URL, $VERIFY_OPTIONS)"
(cd e2e && EMAIL_OUTBOX_DIR=$API_OUTBOX VERIFY_OUTBOX_DIR=$VERIFY_OUTBOX npm run -s test:email) || status=1
echo "# e2e: account management ($API_URL; $ACCOUNT_API_URL, $ACCOUNT_OPTIONS; $DELETE_API_URL, $DELETE_OPTIONS)"
(cd e2e && ACCOUNT_OUTBOX_DIR=$ACCOUNT_OUTBOX DELETE_OUTBOX_DIR=$DELETE_OUTBOX npm run -s test:account) || status=1
# The seeds' configurations: the test starts its own pairs (a Better Auth server with the fixture's auth.ts options,
# a local-api with the ported settings), each server on its own new database in this cluster, and stops them.
echo "# e2e: the seeds' configurations (e2e/seeds/*.json), Better Auth and local-api with each, the same requests"
(cd e2e && LOCAL_API_BIN=$LOCAL_API_BIN npm run -s test:seeds) || status=1
echo "# e2e: Better Auth at its own origin ($OWN_BA_URL, no hook) and local-api ($OWN_API_URL, PASSWORD_HASH=scrypt, JWT_ISSUERS)"
(cd e2e && OWN_API_OUTBOX_DIR=$OWN_API_OUTBOX OWN_BA_OUTBOX_DIR=$OWN_BA_OUTBOX npm run -s test:own-origin) || status=1
if [ $status -ne 0 ]; then
  for name in local-api local-api-verify local-api-account local-api-delete local-api-own better-auth better-auth-own; do
    echo "--- $name log"; tail -50 "$WORK/$name.log"
  done
fi
exit $status
