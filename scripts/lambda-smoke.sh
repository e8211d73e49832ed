#!/usr/bin/env bash
# Smoke test of the Lambda binaries under cargo-lambda's Lambda runtime emulator: the real
# `main` (shared::lambda::run: logging, init, lambda_runtime) rather than the handlers alone.
#
#   scripts/lambda-smoke.sh          # needs cargo-lambda (scripts/install-aws-tools.sh) and the
#                                    # PostgreSQL server binaries; no Docker, no AWS account
#
# Starts a throwaway PostgreSQL (`local-api postgres`), applies the migrations, builds list-tasks, jwks and sign-up-email
# (debug), starts `cargo lambda watch` with the functions' environment, invokes each with its
# events/ fixture and checks the API Gateway responses:
#   list-tasks (the fixture's placeholder token) → 401 {"detail": …}
#   jwks                                         → 200 {"keys": [ … ]}
#   sign-up-email                                → 200 {"token", "user"} and a session cookie
# The functions run with RUST_LOG=trace and JSON logs, as in Lambda: their log must carry the
# request id on the request lines and must not contain the fixture's password or the new session
# token (see shared::platform::logging::LOG_CAPS). Everything it starts, it stops; every file it writes is
# under a temporary directory outside the workspace (a log inside it would make `watch` rebuild
# in a loop). Exits non-zero on any failure, printing the logs; LAMBDA_SMOKE_KEEP=1 keeps them.
# Takes about 1 min when the debug build is up to date (plus the build when it is not).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
started_at=$SECONDS

source scripts/lib.sh
command -v cargo-lambda >/dev/null || { echo "lambda-smoke: cargo-lambda not found; run scripts/install-aws-tools.sh"; exit 1; }

WORK=$(mktemp -d /tmp/lambda-smoke.XXXXXX)
WATCH_PID=
FUNCTIONS=(list-tasks jwks sign-up-email)

log() { echo "lambda-smoke: $*"; }
show_logs() {
  for file in "$WORK"/*.log "$WORK"/*.json; do
    [ -s "$file" ] || continue
    echo "--- $(basename "$file") (last 80 lines)"
    tail -n 80 "$file"
  done
}
cleanup() {
  local rc=$?
  if [ -n "$WATCH_PID" ]; then
    # setsid made watch the leader of its own process group: this ends it, the cargo it runs
    # and the function processes it started, and nothing else.
    kill -TERM -- "-$WATCH_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$WATCH_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$WATCH_PID" 2>/dev/null || true
  fi
  stop_postgres
  if [ $rc -ne 0 ]; then
    show_logs
    log "FAILED after $((SECONDS - started_at)) s"
  fi
  if [ "${LAMBDA_SMOKE_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL (local-api's throwaway cluster), and the migrations through the migrate CLI
cargo build -q -p local-api
start_postgres "$WORK"
BETTER_AUTH_SECRET=$(random_secret smoke)
export BETTER_AUTH_SECRET
export BETTER_AUTH_URL=http://localhost:8000 CORS_ORIGINS=http://localhost:3000
log "PostgreSQL at $DATABASE_URL"
log "migrations: cargo run -p migrate --bin migrate-cli"
cargo run -q -p migrate --bin migrate-cli >"$WORK/migrate.log" 2>&1 \
  || { log "migrations failed"; exit 1; }

# --- build first, so the first invocation does not wait on the compiler
bins=()
for f in "${FUNCTIONS[@]}"; do bins+=(--bin "$f"); done
log "cargo build ${bins[*]}"
cargo build -q "${bins[@]}"

# --- the emulator. Its own logging stays at its default (RUST_LOG is for the functions only).
INVOKE_PORT=$(free_port)
log "cargo lambda watch on 127.0.0.1:$INVOKE_PORT"
env -u RUST_LOG setsid cargo lambda watch --ignore-changes \
  --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
  --env-var RUST_LOG=trace --env-var AWS_LAMBDA_LOG_FORMAT=JSON \
  </dev/null >"$WORK/watch.log" 2>&1 &
WATCH_PID=$!
ready=
for _ in $(seq 600); do
  if ! kill -0 "$WATCH_PID" 2>/dev/null; then log "cargo lambda watch exited"; exit 1; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$INVOKE_PORT") 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.2
done
[ -n "$ready" ] || { log "cargo lambda watch did not listen within 120 s"; exit 1; }

invoke() { # function → $WORK/<function>.json (the API Gateway response)
  local started=$SECONDS
  # A function whose init fails is restarted by watch while the invoke waits: bound the wait.
  if ! timeout 300 cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
      --output-format json --data-file "events/$1.json" "$1" >"$WORK/$1.json" 2>"$WORK/invoke-$1.log"; then
    log "cargo lambda invoke $1 failed"
    return 1
  fi
  log "invoked $1 ($((SECONDS - started)) s)"
}
for f in "${FUNCTIONS[@]}"; do invoke "$f"; done

# --- the responses, and the functions' log
python3 - "$WORK" <<'PY'
import json, pathlib, re, sys

work = pathlib.Path(sys.argv[1])
failures = []

def response(function):
    event = json.loads((work / f"{function}.json").read_text())
    body = event.get("body") or ""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    return event, parsed

def check(condition, message):
    if not condition:
        failures.append(message)

event, body = response("list-tasks")
check(event.get("statusCode") == 401, f"list-tasks: status {event.get('statusCode')}, want 401")
check(isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"],
      f"list-tasks: body {event.get('body')!r}, want {{\"detail\": ...}}")

event, body = response("jwks")
check(event.get("statusCode") == 200, f"jwks: status {event.get('statusCode')}, want 200")
keys = body.get("keys") if isinstance(body, dict) else None
check(isinstance(keys, list) and keys and all(k.get("kty") == "OKP" and k.get("kid") for k in keys),
      f"jwks: body {event.get('body')!r}, want {{\"keys\": [an Ed25519 JWK, ...]}}")

event, body = response("sign-up-email")
check(event.get("statusCode") == 200, f"sign-up-email: status {event.get('statusCode')}, want 200")
check(isinstance(body, dict) and body.get("token") and body.get("user", {}).get("email") == "ada@example.com",
      f"sign-up-email: body {event.get('body')!r}, want {{\"token\", \"user\"}}")
cookies = event.get("cookies") or []
check(any(c.startswith("better-auth.session_token=") for c in cookies),
      f"sign-up-email: no session cookie in {cookies!r}")

# The functions' log lines, as watch relays them (JSON objects, perhaps after a prefix).
log = (work / "watch.log").read_text(errors="replace")
lines = []
for raw in log.splitlines():
    start = raw.find("{")
    if start < 0:
        continue
    try:
        lines.append(json.loads(raw[start:]))
    except ValueError:
        pass
requests = [l for l in lines if l.get("message") == "request" and l.get("target") == "shared::platform::lambda"]
check(len(requests) == 3, f"log: {len(requests)} request lines, want 3")
check(all(l.get("requestId") for l in requests), "log: a request line without requestId")
check(any(isinstance(l.get("init_ms"), int) for l in lines), "log: no init_ms line")
secrets = {"the fixture's password": "correct horse battery staple"}
if isinstance(body, dict) and body.get("token"):
    secrets["the new session token"] = body["token"]
for what, value in secrets.items():
    check(value not in log, f"log: {what} appears in the functions' log")

for failure in failures:
    print(f"lambda-smoke: FAIL {failure}")
if failures:
    sys.exit(1)
print(f"lambda-smoke: responses as expected; {len(lines)} JSON log lines, request ids on every request line, no secret")
PY
log "ok in $((SECONDS - started_at)) s"
