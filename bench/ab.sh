#!/usr/bin/env bash
# ab.sh - two builds of ocpagg on the same datasets: instructions (callgrind,
# independent of the machine's load) and time (interleaved runs, best and
# median), and whether both wrote the same report, byte for byte.
#
#   bench/ab.sh BUILD_A BUILD_B [--repeat K] [--data DIR] [--sets "S ..."]
#
# Sets (generated once into DIR, default bench/data, with ocpgen from
# BUILD_B, 8 enabled tag keys, label cardinality 200, nodes up to 512 GiB):
#   dense60   60 nodes x 267 pods x 2 days (770 k pod rows; callgrind)
#   mid150    150 nodes x 267 pods x 1 day (960 k; PLAIN pod names; callgrind)
#   3.6m-json 300 nodes x 267 pods x 2 days, JSON labels (timed)
#   3.6m-map  the same with MAP labels (timed)
# Timed runs are one process (1 rank x 1 thread, no mpirun), wall and CPU
# (user + system) seconds; CPU time is steadier on a shared machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench_config.sh
. "$here/bench_config.sh"
[[ $# -ge 2 ]] || { sed -n 2,16p "$0"; exit 64; }
A=$(cd "$1" && pwd) B=$(cd "$2" && pwd)
shift 2
repeat=5 data=$root/bench/data sets="dense60 mid150 3.6m-json 3.6m-map"
while [[ $# -gt 0 ]]; do
    case $1 in
    --repeat) repeat=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --sets) sets=$2; shift 2 ;;
    *) echo "ab.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
for b in "$A" "$B"; do
    [[ -x $b/ocpagg ]] || { echo "ab.sh: no $b/ocpagg" >&2; exit 69; }
done
mkdir -p "$data"
work=$(mktemp -d "${TMPDIR:-/tmp}/ab.XXXXXX")
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1

dataset() {
    local dir=$data/$1 args
    case $1 in
    dense60) args="--nodes 60 --pods-per-node 267 --days 2" ;;
    mid150) args="--nodes 150 --pods-per-node 267 --days 1" ;;
    3.6m-json) args="--nodes 300 --pods-per-node 267 --days 2" ;;
    3.6m-map) args="--nodes 300 --pods-per-node 267 --days 2 --labels map" ;;
    *) echo "ab.sh: unknown set $1" >&2; exit 64 ;;
    esac
    if [[ ! -d $dir ]]; then
        # shellcheck disable=SC2086
        "$B/ocpgen" --format parquet --output "$dir.tmp" $args --label-cardinality 200 \
            --node-memory-gib 512 --quiet
        mv "$dir.tmp" "$dir"
    fi
    echo "$dir"
}

config() { # config INPUT OUTPUT
    bench_yaml "$1"
    echo "output: {path: $2}"
}

stats() { sort -n | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "best %.3f median %.3f", v[1], m }'; }

echo "A: $A, B: $B"
for set in $sets; do
    input=$(dataset "$set")
    for x in A B; do
        b=${!x}
        config "$input" "$work/$x.csv" > "$work/$x.yaml"
    done
    case $set in
    dense60 | mid150)
        if command -v valgrind > /dev/null; then
            for x in A B; do
                b=${!x}
                ir=$(valgrind --tool=callgrind --callgrind-out-file="$work/cg.$x" "$b/ocpagg" \
                    --config "$work/$x.yaml" --quiet 2>&1 | sed -n 's/.*refs: *//p' | tr -d ,)
                echo "$set $x instructions $ir"
            done
        fi
        ;;
    *)
        : > "$work/A.t"
        : > "$work/B.t"
        for k in $(seq "$repeat"); do
            for x in A B; do
                b=${!x}
                /usr/bin/time -f '%e %U %S' -o "$work/time" "$b/ocpagg" --config "$work/$x.yaml" --quiet
                cat "$work/time" >> "$work/$x.t"
            done
        done
        for x in A B; do
            echo "$set $x wall $(cut -d' ' -f1 "$work/$x.t" | stats)," \
                "cpu $(awk '{ print $2 + $3 }' "$work/$x.t" | stats) ($repeat runs)"
        done
        ;;
    esac
    if cmp -s "$work/A.csv" "$work/B.csv"; then
        echo "$set: the same report, byte for byte"
    else
        echo "$set: THE REPORTS DIFFER" >&2
        exit 1
    fi
done
