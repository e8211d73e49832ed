#!/usr/bin/env bash
# Checks the e2e suite itself against real Better Auth servers, with no Rust API: a throwaway PostgreSQL,
# then client-flow.test.mjs against one Better Auth server (SKIP_TASK_ROUTES=1), then shared-db.test.mjs with
# a second Better Auth server (--argon2) standing in for our API. Everything it starts, it stops.
# Needs: node_modules (npm ci), PostgreSQL binaries (PG_BIN, default /usr/lib/postgresql/15/bin).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
WORK=$(mktemp -d /tmp/e2e-self-check.XXXXXX)
PIDS=()
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -f "$WORK/pg/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null || true; fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] && chown postgres "$WORK"
PGPORT=$(free_port)
as_pg "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust -E UTF8 >"$WORK/initdb.log"
as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
  -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
"$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc 'create database e2e' >/dev/null

export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/e2e"
export BETTER_AUTH_SECRET="self-check-secret-$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')"
export TRUSTED_ORIGINS="${ORIGIN:-http://localhost:3000}"
BETTER_AUTH_URL=http://127.0.0.1 node better-auth-server.mjs --migrate-only

start_ba() { # port, BETTER_AUTH_URL, extra args…
  local port=$1 url=$2; shift 2
  BETTER_AUTH_URL="$url" PORT=$port node better-auth-server.mjs "$@" >"$WORK/ba-$port.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do
    grep -q listening "$WORK/ba-$port.log" && return 0
    sleep 0.2
  done
  cat "$WORK/ba-$port.log"; return 1
}
P1=$(free_port); start_ba "$P1" "http://127.0.0.1:$P1"
# The second server shares the first one's public base URL (so the same JWT iss/aud), as README.md advises
# for running shared-db.test.mjs against our API.
P2=$(free_port); start_ba "$P2" "http://127.0.0.1:$P1" --argon2

echo "# client-flow.test.mjs against Better Auth on :$P1 (SKIP_TASK_ROUTES=1)"
API_URL="http://127.0.0.1:$P1" SKIP_TASK_ROUTES=1 E2E_AUTH_RATE_LIMIT=${E2E_AUTH_RATE_LIMIT:-off} npm run -s test:client
echo "# shared-db.test.mjs: Better Auth :$P1 as API_URL, Better Auth --argon2 :$P2 as BA_URL"
API_URL="http://127.0.0.1:$P1" BA_URL="http://127.0.0.1:$P2" BA_ARGON2=1 SKIP_TASK_ROUTES=1 E2E_AUTH_RATE_LIMIT=${E2E_AUTH_RATE_LIMIT:-off} \
  npm run -s test:shared-db
