#!/usr/bin/env bash
# End-to-end tests with real JavaScript peers: the frontend's better-auth client against local-api,
# and a stock Better Auth server (better-auth 1.7.25) sharing local-api's database and secret.
#
#   scripts/e2e.sh            # builds local-api, starts PostgreSQL, local-api and Better Auth, runs both suites
#
# Needs: cargo, node + npm, PostgreSQL server binaries. Everything it starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PG_BIN=${PG_BIN:-$(pg_config --bindir 2>/dev/null || true)}
[ -x "$PG_BIN/initdb" ] || PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
WORK=$(mktemp -d /tmp/e2e.XXXXXX)
PIDS=()
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
wait_for() { # log file, pattern
  for _ in $(seq 150); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "timed out waiting for '$2' in $1:"; cat "$1"; return 1
}
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -f "$WORK/pg/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null || true; fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT INT TERM

(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
cargo build -p local-api

[ "$(id -u)" = 0 ] && chown postgres "$WORK"
PGPORT=$(free_port)
as_pg "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust -E UTF8 >"$WORK/initdb.log"
as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
  -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
"$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc 'create database e2e' >/dev/null

API_PORT=$(free_port)
BA_PORT=$(free_port)
export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/e2e?sslmode=disable"
BETTER_AUTH_SECRET="e2e-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
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
