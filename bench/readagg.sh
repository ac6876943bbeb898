#!/usr/bin/env bash
# bench/readagg.sh - read+aggregate before and after: two builds of ocpagg
# on the same Parquet dataset, alternating runs so both see the same load.
#
#   bench/readagg.sh BUILD_A BUILD_B [--rows N] [--repeat K] [--data DIR]
#
# Prints, per build, the best read+aggregate seconds of K runs at 1 rank x
# 1 thread (the job's own phase figure from the run summary) and the input
# rows per second it gives; and, when valgrind is present, the instructions
# spent in agg_partial_add on a small dataset (a count that does not depend
# on what else the machine is doing).
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1 b=$2; shift 2
rows=6000000 repeat=3 data=bench/data
while [ $# -gt 0 ]; do
    case $1 in
    --rows) rows=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    *) echo "bench/readagg.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
declare -A best
for i in $(seq "$repeat"); do
    for build in "$a" "$b"; do
        t=$(bench/run.sh --build "$build" --format parquet --rows "$rows" --data "$data" \
                --ranks 1 --threads 1 | sed -n 's/.*read_aggregate \([0-9.]*\)s.*/\1/p')
        if [ -z "${best[$build]:-}" ] || awk "BEGIN{exit !($t < ${best[$build]})}"; then
            best[$build]=$t
        fi
    done
done
input_rows=$(bench/run.sh --build "$a" --format parquet --rows "$rows" --data "$data" \
                 --ranks 1 --threads 1 | sed -n 's/^input rows: \([0-9]*\).*/\1/p')
for build in "$a" "$b"; do
    awk -v b="$build" -v t="${best[$build]}" -v n="$input_rows" \
        'BEGIN{printf "%s: read+aggregate %.2f s best of runs, %.2f M input rows/s\n", b, t, n/t/1e6}'
done
if command -v valgrind >/dev/null 2>&1; then
    small=$data/small-6n-parquet
    [ -d "$small" ] || "$a/ocpgen" --format parquet --output "$small" --nodes 6 \
        --pods-per-node 100 --days 30 --quiet
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    cat > "$out/c.yaml" <<YAML
cluster_id: bench
source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
input: {format: parquet, path: $small}
enabled_tag_keys: [app, environment, tier]
threads: 1
output: {path: $out/report.csv}
progress_seconds: 0
YAML
    for build in "$a" "$b"; do
        n=$(OMP_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
                --toggle-collect=agg_partial_add "$build/ocpagg" --config "$out/c.yaml" \
                --quiet 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
        echo "$build: agg_partial_add $n instructions on the 6-node dataset (432 k pod rows)"
    done
fi
