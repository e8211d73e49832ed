# Helpers the scripts share; `source "$(dirname "$0")/lib.sh"` after `set -euo pipefail`.
# The throwaway PostgreSQL is local-api's own (local-api/src/postgres.rs, which knows how to run
# initdb as root, finds any installed version and deletes the cluster on exit).

SCRIPTS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits up to 60 s until something listens on 127.0.0.1:$1.
wait_port() {
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing listens on port $1 after 60 s"
  return 1
}

# Waits up to 30 s for a line matching $2 in the file $1.
wait_for() {
  for _ in $(seq 150); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "timed out waiting for '$2' in $1:"; cat "$1"; return 1
}

# start_postgres WORK_DIR [local-api postgres options...]: starts `local-api postgres` (built
# into target/debug), sets POSTGRES_PID and DATABASE_URL (database `postgres`). Stop it with
# `stop_postgres`, which also deletes its data.
start_postgres() {
  local work=$1; shift
  "${CARGO_TARGET_DIR:-$SCRIPTS_ROOT/target}/debug/local-api" postgres "$@" >"$work/postgres.url" 2>"$work/postgres-cli.log" &
  POSTGRES_PID=$!
  for _ in $(seq 300); do
    [ -s "$work/postgres.url" ] && break
    kill -0 "$POSTGRES_PID" 2>/dev/null || { echo "local-api postgres failed:"; cat "$work/postgres-cli.log"; return 1; }
    sleep 0.2
  done
  DATABASE_URL=$(head -n 1 "$work/postgres.url")
  [ -n "$DATABASE_URL" ] || { echo "local-api postgres printed no URL:"; cat "$work/postgres-cli.log"; return 1; }
  export DATABASE_URL
}

stop_postgres() {
  if [ -n "${POSTGRES_PID:-}" ]; then
    kill -TERM "$POSTGRES_PID" 2>/dev/null || true
    wait "$POSTGRES_PID" 2>/dev/null || true
    POSTGRES_PID=
  fi
}

# A random secret of 48 hex characters after the prefix $1.
random_secret() { echo "$1-$(python3 -c 'import secrets; print(secrets.token_hex(24))')"; }
