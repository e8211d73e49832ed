#!/usr/bin/env bash
# Runs every api-tests test with the functions reaching PostgreSQL through PgBouncer in
# transaction mode, as they reach Neon through its pooler:
#
#   scripts/test-via-pgbouncer.sh [extra cargo test arguments]
#
# The test harness (tests/src/postgres.rs) sees TEST_VIA_PGBOUNCER=1 and starts a PgBouncer
# (pool_mode = transaction, server connections reset after every transaction, no
# prepared-statement support) in front of its throwaway cluster; apps connect through it,
# migrations and the tests' own admin connections go direct. Needs pgbouncer
# (apt-get install pgbouncer); the harness fails with that advice when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_VIA_PGBOUNCER=1 exec cargo test -p api-tests "$@"
