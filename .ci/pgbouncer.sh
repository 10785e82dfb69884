#!/usr/bin/env bash
# PgBouncer (Debian's) in transaction pooling in front of the CI PostgreSQL, the claimdb tests that go through it,
# and PgBouncer stopped and its files removed afterwards, on failure too (trap). Called by .ci/run (as root).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v pgbouncer >/dev/null || {
    echo "ci: installing pgbouncer with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer
}
PORT="${CLAIMDB_CI_PGBOUNCER_PORT:-6432}"
DIR="$(mktemp -d /tmp/claimdb-pgbouncer.XXXXXX)"
cleanup() {
    status=$?
    if [ -f "$DIR/pgbouncer.pid" ]; then
        kill "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null || true
        sleep 0.5
    fi
    rm -rf "$DIR"
    exit "$status"
}
trap cleanup EXIT

cat > "$DIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=5432
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
auth_type = trust
auth_file = $DIR/users.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
ignore_startup_parameters = extra_float_digits,options
admin_users = postgres
INI
echo '"postgres" ""' > "$DIR/users.txt"
chown -R postgres "$DIR"
su postgres -c "pgbouncer -d $DIR/pgbouncer.ini"
for _ in $(seq 1 50); do
    psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.1
done
echo "ci: PgBouncer $(pgbouncer --version | head -n 1 | awk '{print $2}') on port $PORT, transaction pooling"

export CLAIMDB_TEST_POSTGRES_URL="${CLAIMDB_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/claimdb_ci}"
export CLAIMDB_TEST_PGBOUNCER_PORT="$PORT"
export CLAIMDB_REQUIRE_PGBOUNCER=1
"${PYTEST:-.venv/bin/pytest}" -q tests/test_pgbouncer.py "$@"
