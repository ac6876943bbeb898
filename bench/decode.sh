#!/usr/bin/env bash
# bench/decode.sh - Parquet decode throughput per column kind.
#
#   bench/decode.sh [--repeat N] [--labels json|map] [--build DIR]
#                   [--data DIR] [PATH]
#
# Runs ocpagg-pqbench (src/tools/ocpagg-pqbench) over PATH, a Parquet file
# or dataset directory, and prints MB/s of uncompressed page bytes and
# values/s for each column kind (dictionary strings, PLAIN doubles, INT64
# timestamps, MAP labels, ...), their total, and the rows/s of the table
# adapter the job reads through.  One thread, --repeat passes (default 3).
#
# Without PATH it uses the ~20 M-row month bench/run.sh uses, generated
# once into --data (default bench/data) with
#   ocpgen --format parquet --nodes 278 --pods-per-node 100 --days 30
# (--labels map adds MAP<string,string> label columns, in a dataset of its
# own).  Generation takes a few minutes; the decode pass about one.
set -euo pipefail
cd "$(dirname "$0")/.."

repeat=3 labels=json build=build data=bench/data path=
while [ $# -gt 0 ]; do
    case $1 in
    --repeat) repeat=$2; shift 2 ;;
    --labels) labels=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    -*) echo "bench/decode.sh: unknown option $1" >&2; exit 64 ;;
    *) path=$1; shift ;;
    esac
done
case $labels in
json|map) ;;
*) echo "bench/decode.sh: --labels is json or map" >&2; exit 64 ;;
esac

if [ ! -x "$build/ocpagg-pqbench" ] || [ ! -x "$build/ocpgen" ]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build" -j2 --target ocpagg-pqbench ocpgen >/dev/null
fi

if [ -z "$path" ]; then
    nodes=278 pods=100 days=30
    # The same name and flags as bench/run.sh, so the two share the
    # JSON-label dataset.
    path="$data/pods-${nodes}n-parquet"
    [ "$labels" = map ] && path="$path-map"
    if [ ! -d "$path" ]; then
        mkdir -p "$data"
        # About 560 MB for JSON labels; ask for 2 GB to leave room.
        avail=$(df -Pk "$data" | awk 'NR == 2 { print $4 }')
        if [ "$avail" -lt 2097152 ]; then
            echo "bench/decode.sh: only $((avail / 1024)) MB free in $data" >&2
            exit 73
        fi
        echo "generating $path ($nodes nodes x $pods pods x 24 h x $days days)"
        "$build/ocpgen" --format parquet --output "$path" --nodes "$nodes" \
            --pods-per-node "$pods" --days "$days" --labels "$labels" --quiet
    fi
fi

echo "dataset: $path ($(du -sh "$path" | cut -f1) on disk)"
echo "machine: $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"$build/ocpagg-pqbench" --repeat "$repeat" "$path"
