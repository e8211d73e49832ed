#!/usr/bin/env bash
# Measures a function's init (cold-start) work locally: the `init_ms` that shared::lambda::run logs
# after building State, the time from exec to that line, the first invocation's latency, and what
# init sends to PostgreSQL.
#
#   scripts/lambda-init-time.sh [RUNS] [FUNCTION...]      # default: 10 get-task sign-in-email
#
# Builds the host (x86_64) release binaries with the workspace's release profile, starts a
# throwaway PostgreSQL (`local-api postgres`, with connection and statement logging) and the
# Lambda runtime API emulator of `cargo lambda watch --only-lambda-apis`, then RUNS times per
# function: starts the binary as Lambda would (AWS_LAMBDA_RUNTIME_API, JSON logs; the sign-in rate
# limit raised so every run does the same work), invokes it once with events/<function>.json
# (`cargo lambda invoke`), stops it. Twice: with the secret in the
# environment, and — when moto_server is installed (scripts/install-aws-tools.sh) — from a local
# Secrets Manager (SECRET_ARN, AWS_ENDPOINT_URL; plain HTTP, no TLS). Prints min / median / max
# and PostgreSQL's log of one cold start. Local TCP, no TLS, trust auth: the figures are the CPU
# and protocol cost of init, not the network's (docs/performance.md says what Neon adds).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
shift || true
FUNCTIONS=("$@")
[ ${#FUNCTIONS[@]} -gt 0 ] || FUNCTIONS=(get-task sign-in-email)

source scripts/lib.sh
WORK=$(mktemp -d /tmp/lambda-init.XXXXXX)
PIDS=()
WATCH_PID=
FN_PID=
cleanup() {
  local rc=$?
  if [ -n "$FN_PID" ]; then kill "$FN_PID" 2>/dev/null || true; fi
  if [ -n "$WATCH_PID" ]; then kill -TERM -- "-$WATCH_PID" 2>/dev/null || true; fi
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_postgres
  if [ $rc -ne 0 ]; then echo "--- logs"; tail -n 30 "$WORK"/*.log 2>/dev/null || true; fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bins=()
for f in "${FUNCTIONS[@]}"; do bins+=(--bin "$f"); done
echo "# cargo build --release ${bins[*]}"
cargo build -q --release "${bins[@]}"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

cargo build -q -p local-api
start_postgres "$WORK" -c log_connections=on -c log_disconnections=on -c log_statement=all \
  -c log_line_prefix=%m:%p: --log "$WORK/postgres.log"
BETTER_AUTH_SECRET=$(random_secret init)
export BETTER_AUTH_URL=http://localhost:8000 CORS_ORIGINS=http://localhost:3000
cargo run -q -p migrate --bin migrate-cli >"$WORK/migrate.log" 2>&1

sources=(environment)
if command -v moto_server >/dev/null 2>&1; then
  MOTO_PORT=$(free_port)
  moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
  PIDS+=($!)
  wait_port "$MOTO_PORT"
  SECRET_ARN=$(python3 - "$MOTO_PORT" "$DATABASE_URL" "$BETTER_AUTH_SECRET" <<'PY'
import json, sys, boto3
client = boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
secret = json.dumps({"DATABASE_URL": sys.argv[2], "BETTER_AUTH_SECRET": sys.argv[3]})
print(client.create_secret(Name="init-time", SecretString=secret)["ARN"])
PY
)
  sources+=(secrets-manager)
fi

INVOKE_PORT=$(free_port)
setsid cargo lambda watch --only-lambda-apis --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
  </dev/null >"$WORK/watch.log" 2>&1 &
WATCH_PID=$!
wait_port "$INVOKE_PORT"

for function in "${FUNCTIONS[@]}"; do
  binary="$target_dir/release/$function"
  for source in "${sources[@]}"; do
    if [ "$source" = environment ]; then
      secret_env=(DATABASE_URL="$DATABASE_URL" BETTER_AUTH_SECRET="$BETTER_AUTH_SECRET")
    else
      secret_env=(SECRET_ARN="$SECRET_ARN" AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT" AWS_REGION=us-east-1
                  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_SESSION_TOKEN=test)
    fi
    : >"$WORK/samples.txt"
    for run in $(seq "$RUNS"); do
      pg_mark=$(wc -l <"$WORK/postgres.log")
      t0=$(date +%s.%N)
      env -u DATABASE_URL -u BETTER_AUTH_SECRET "${secret_env[@]}" \
        AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 AWS_LAMBDA_FUNCTION_NAME=_ \
        AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$INVOKE_PORT/.rt" AWS_LAMBDA_LOG_FORMAT=JSON RUST_LOG=info \
        AUTH_RATE_LIMIT_MAX=1000000 \
        "$binary" >"$WORK/run.log" 2>&1 &
      FN_PID=$!
      timeout 120 cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
        --data-file "events/$function.json" _ >/dev/null 2>"$WORK/invoke.log"
      kill "$FN_PID"
      wait "$FN_PID" 2>/dev/null || true
      FN_PID=
      python3 - "$t0" "$WORK/run.log" >>"$WORK/samples.txt" <<'PY'
import datetime, json, sys
t0 = float(sys.argv[1])
init_ms = exec_ms = first_ms = None
for line in open(sys.argv[2]):
    try:
        record = json.loads(line)
    except ValueError:
        continue
    if "init_ms" in record:
        init_ms = record["init_ms"]
        at = datetime.datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00")).timestamp()
        exec_ms = (at - t0) * 1000
    if record.get("message") in ("request", "request failed") and first_ms is None:
        first_ms = record["elapsed_ms"]
if None in (init_ms, exec_ms, first_ms):
    sys.exit("no init_ms or request line in the function's log:\n" + open(sys.argv[2]).read())
print(init_ms, f"{exec_ms:.1f}", f"{first_ms:.2f}")
PY
      if [ "$run" = 1 ]; then tail -n +"$((pg_mark + 1))" "$WORK/postgres.log" >"$WORK/pg-first.txt"; fi
    done
    python3 - "$function" "$source" "$WORK/samples.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[3]) if line.strip()]
def stats(i):
    values = sorted(float(r[i]) for r in rows)
    return f"{values[0]:g} / {statistics.median(values):g} / {values[-1]:g}"
print(f"{sys.argv[1]}, secret from {sys.argv[2]}: {len(rows)} cold starts, min / median / max")
print(f"  init_ms (State::init: config + secret, connect, JWT keys): {stats(0)}")
print(f"  exec -> 'initialised' line, ms:                          {stats(1)}")
print(f"  first invocation, elapsed_ms:                             {stats(2)}")
PY
    if [ "$source" = environment ]; then
      echo "  PostgreSQL's log of the first of these cold starts:"
      sed -E 's/^[^:]+:[^:]+:[^:]+:[0-9]+:/    /' "$WORK/pg-first.txt" | grep -v '^\s*$' | cut -c1-160
    fi
  done
done
