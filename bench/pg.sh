#!/usr/bin/env bash
# bench/pg.sh - rows/s of the write phase into Koku's table (with its 12
# indexes, its deferred foreign keys and the monthly partition) against a
# private PostgreSQL 15, beside psql \copy of the same rows.
#
#   bench/pg.sh [--rows N] [--build DIR] [--data DIR]
#
# 1. The bench dataset of bench/run.sh (about N pod rows, a 30-day month,
#    100 pods per node; default 20 M) and its CSV report from the job.
# 2. A private server (tests/scripts/pg_server.sh) with koku-ddl.sql and
#    koku-fixture.sql.
# 3. bench/pg_bench.c through the module (pre-flight, partitions, the one
#    transaction: advisory lock, Koku's DELETE, COPY in day blocks, count
#    check, COMMIT): into the fresh table, then as a rerun (the DELETE
#    then removes the first run's rows).
# 4. psql \copy of the same 37-column rows into a fresh copy of the table
#    (no DELETE, autocommit: the lower bound of any loader).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

rows=20000000 build=build data=bench/data
while [ $# -gt 0 ]; do
    case $1 in
    --rows) rows=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    *) echo "bench/pg.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
build=$(cd "$build" && pwd)
export OCPAGG_SHARED=${OCPAGG_SHARED:-$(cd "$ROOT/.." && pwd)/shared}
source "$ROOT/tests/scripts/pg_server.sh"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
PGSRV_ON_EXIT='rm -rf "$out"'   # pg_server_start's trap runs it too

# The bench program, against the build's core library.
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" -I"$ROOT/tests/unit" \
    -I/usr/include/postgresql -o "$out/pg_bench" "$ROOT/bench/pg_bench.c" \
    "$build/libocpcore.a" -lpq $(pkg-config --libs yaml-0.1 jansson) -lm

pods=100 days=30
nodes=$(( (rows + pods * 24 * days - 1) / (pods * 24 * days) ))
mkdir -p "$data"
input="$data/pods-${nodes}n.h5"
[ -f "$input" ] || "$build/ocpgen" --output "$input" --nodes "$nodes" \
    --pods-per-node "$pods" --days "$days" --no-compress --quiet
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMP_NUM_THREADS=1
cat > "$out/bench.yaml" <<YAML
cluster_id: sample-cluster
cluster_alias: Sample Cluster
source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
report_period_id: 1
start_date: 2025-11-01
end_date: 2025-11-30
input: {format: hdf5, path: $input}
enabled_tag_keys: [app, environment, tier]
cost_categories: [{pattern: "openshift-%", id: 1}, {pattern: "kube-%", id: 2}]
threads: 1
output: {path: $out/report.csv}
progress_seconds: 0
YAML
mpirun --allow-run-as-root --oversubscribe -np 2 --bind-to none \
    "$build/ocpagg" --config "$out/bench.yaml" --quiet
report_rows=$(($(wc -l < "$out/report.csv") - 1))
echo "dataset: $input ($nodes nodes x $pods pods x 24 h x $days days)"
echo "report: $report_rows rows, $(du -m "$out/report.csv" | cut -f1) MB of CSV"
echo "machine: $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

pg_server_start
echo "server: PostgreSQL $(psql -X -At -c 'SHOW server_version') (fsync off, local socket)"
pg_server_newdb bench_module
pg_server_newdb bench_copy

"$out/pg_bench" "$out/report.csv" \
    "host=$PGSRV_DIR port=$PGSRV_PORT user=postgres dbname=bench_module" \
    2025-11-01 2025-11-30 "$out/rows37.csv"

cols=$(psql -X -At -d bench_module -c "SELECT 1" >/dev/null; \
       sed -n '1p' "$out/report.csv" | tr , '\n' | grep -vx csi_volume_handle | paste -sd,)
start=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -d bench_copy \
    -c "\\copy org1234567.reporting_ocpusagelineitem_daily_summary ($cols) FROM '$out/rows37.csv' (FORMAT csv)"
end=$(date +%s.%N)
python3 - "$start" "$end" "$report_rows" <<'PY'
import sys
s = float(sys.argv[2]) - float(sys.argv[1]); n = int(sys.argv[3])
print(f"psql \\copy rows {n}  {s:.3f} s  {n / s:.0f} rows/s (same 37 columns, no DELETE)")
PY
a=$(psql -X -At -d bench_module -c "SELECT md5(string_agg(t::text, '|' ORDER BY usage_start, uuid)) FROM org1234567.reporting_ocpusagelineitem_daily_summary t")
b=$(psql -X -At -d bench_copy -c "SELECT md5(string_agg(t::text, '|' ORDER BY usage_start, uuid)) FROM org1234567.reporting_ocpusagelineitem_daily_summary t")
[ "$a" = "$b" ] && echo "same table content both ways (md5 $a)" ||
    { echo "bench/pg.sh: the two loads differ" >&2; exit 1; }
