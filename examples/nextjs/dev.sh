#!/usr/bin/env bash
# Everything for trying the example: local-api (the whole API, with its own throwaway PostgreSQL) and `next dev`.
#
#   bash examples/nextjs/dev.sh                # cross-origin: app http://localhost:3000, API http://localhost:8000
#   bash examples/nextjs/dev.sh first-party    # the app proxies /api/auth/* to the API (docs/nextjs.md)
#
# Then open http://localhost:3000. Reset and verification mails are not sent: local-api prints each link in this
# terminal (and writes the mail to its outbox folder). Ctrl-C stops both; the database goes with them.
# Env: APP_PORT (3000), API_PORT (8000), LOCAL_API_BIN (a built local-api; default `cargo run -p local-api`),
# BETTER_AUTH_OPTIONS (default: change of email and account deletion on).
set -euo pipefail
cd "$(dirname "$0")"

setup=${1:-cross-origin}
app_url=http://localhost:${APP_PORT:-3000}
api_url=http://localhost:${API_PORT:-8000}
case $setup in
  cross-origin) auth_url=$api_url ;;
  first-party) auth_url=$app_url ;;
  *) echo "usage: $0 [cross-origin|first-party]" >&2; exit 2 ;;
esac

[ -d node_modules ] || npm ci --no-audit --no-fund

if [ -n "${LOCAL_API_BIN:-}" ]; then api=("$LOCAL_API_BIN"); else api=(cargo run -p local-api --); fi
# BETTER_AUTH_URL: where browsers reach Better Auth (the JWTs' issuer, the mailed links); CORS_ORIGINS: this app;
# BETTER_AUTH_OPTIONS: the settings page's "change email" and "delete account" (off in Better Auth by default).
options=${BETTER_AUTH_OPTIONS:-'{"user":{"deleteUser":{"enabled":true},"changeEmail":{"enabled":true}}}'}
(cd ../.. && PORT=${API_PORT:-8000} BETTER_AUTH_URL=$auth_url CORS_ORIGINS=$app_url BETTER_AUTH_OPTIONS=$options \
  exec "${api[@]}") &
api_pid=$!
NEXT_PUBLIC_API_URL=$api_url NEXT_PUBLIC_BETTER_AUTH_URL=$auth_url NEXT_TELEMETRY_DISABLED=1 \
  node_modules/.bin/next dev -p "${APP_PORT:-3000}" &
next_pid=$!
trap 'kill $api_pid $next_pid 2>/dev/null || true; wait' EXIT INT TERM
echo "dev.sh: $setup; app $app_url, Better Auth at $auth_url, tasks at $api_url"
wait -n # either one stopping stops both
