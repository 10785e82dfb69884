#!/usr/bin/env bash
# Stand up a streaming replica of the CI PostgreSQL (5432) on another port, run the replica tests against it, and
# remove it afterwards, on failure too (trap). Called by .ci/run; runs alone as `.ci/replica.sh` (as root).
#   pg_createcluster makes the replica's configuration, pg_basebackup -R copies the primary and writes
#   standby.signal and primary_conninfo, and a `replication` line in the primary's pg_hba.conf lets it stream.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="$(ls /etc/postgresql | head -n 1)"
PRIMARY_PORT=5432
REPLICA_PORT="${CLAIMDB_CI_REPLICA_PORT:-5433}"
CLUSTER=claimdb_replica
HBA="/etc/postgresql/$VERSION/main/pg_hba.conf"
HBA_LINE="host replication postgres 127.0.0.1/32 trust # claimdb CI replica"
DATA="/var/lib/postgresql/$VERSION/$CLUSTER"

cleanup() {
    status=$?
    echo "ci: removing the replica"
    pg_dropcluster --stop "$VERSION" "$CLUSTER" >/dev/null 2>&1 || true
    rm -rf "$DATA" "/etc/postgresql/$VERSION/$CLUSTER"
    if grep -qF "$HBA_LINE" "$HBA"; then
        grep -vF "$HBA_LINE" "$HBA" > "$HBA.tmp" && cat "$HBA.tmp" > "$HBA" && rm -f "$HBA.tmp"
        pg_ctlcluster --skip-systemctl-redirect "$VERSION" main reload || true
    fi
    exit "$status"
}
trap cleanup EXIT

started=$(date +%s%N)
pg_dropcluster --stop "$VERSION" "$CLUSTER" >/dev/null 2>&1 || true  # a leftover of an interrupted run
rm -rf "$DATA" "/etc/postgresql/$VERSION/$CLUSTER"
grep -qF "$HBA_LINE" "$HBA" || echo "$HBA_LINE" >> "$HBA"
pg_ctlcluster --skip-systemctl-redirect "$VERSION" main reload
pg_createcluster "$VERSION" "$CLUSTER" -p "$REPLICA_PORT" >/dev/null
find "$DATA" -mindepth 1 -delete  # pg_basebackup fills the empty directory pg_createcluster made
# The replica lets in whom the primary does (CI's trust on loopback); the copied line for replication is harmless.
cp "$HBA" "/etc/postgresql/$VERSION/$CLUSTER/pg_hba.conf"
su postgres -c "pg_basebackup -h 127.0.0.1 -p $PRIMARY_PORT -U postgres -D $DATA -R -X stream -c fast"
pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$CLUSTER" start
for _ in $(seq 1 30); do
    [ "$(psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -tAc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ] && break
    sleep 0.2
done
[ "$(psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -tAc 'SELECT pg_is_in_recovery()')" = t ] \
    || { echo "ci: the replica did not start" >&2; exit 1; }
echo "ci: streaming replica on port $REPLICA_PORT in $(( ($(date +%s%N) - started) / 1000000 )) ms"

export CLAIMDB_TEST_POSTGRES_URL="${CLAIMDB_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:$PRIMARY_PORT/claimdb_ci}"
export CLAIMDB_TEST_REPLICA_PORT="$REPLICA_PORT"
export CLAIMDB_REQUIRE_REPLICA=1
"${PYTEST:-.venv/bin/pytest}" -q tests/test_replicas.py "$@"
