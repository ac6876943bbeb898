#!/usr/bin/env bash
# tsan.sh - the job under ThreadSanitizer (not part of the default suite).
#
# Builds ocpagg once with clang -fsanitize=thread (LLVM's OpenMP runtime,
# with the Archer tool so TSan understands OpenMP barriers and locks) in
# its own build folder, then runs the OpenMP read and finish paths with 4
# threads: HDF5 and Parquet input, CSV and Parquet report, at 1 rank and
# at 2 ranks.  Any race report fails the script (exit 1).
#   scripts/tsan.sh [BUILD_DIR]     (default: build-tsan)
# Needs clang and LLVM's libomp (libomp-dev); exits 77 when they are absent.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build-tsan}
command -v clang > /dev/null || { echo "SKIP: clang not found"; exit 77; }
ARCHER=$(ls /usr/lib/llvm-*/lib/libarcher.so 2> /dev/null | sort -V | tail -n 1 || true)
[[ -n $ARCHER ]] || { echo "SKIP: LLVM's libarcher.so not found (libomp-dev)"; exit 77; }

cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_C_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" > "$BUILD.cmake.log" 2>&1 ||
    { cat "$BUILD.cmake.log"; exit 1; }
cmake --build "$BUILD" -j2 --target ocpagg ocpgen

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ocpagg-tsan.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMP_TOOL_LIBRARIES=$ARCHER
export TSAN_OPTIONS="halt_on_error=0 exitcode=1 ignore_noninstrumented_modules=1 suppressions=$SRC/scripts/tsan.supp"
export OMP_NUM_THREADS=4

"$BUILD/ocpgen" --output "$WORK/data.h5" --nodes 8 --pods-per-node 12 --days 6 --quiet
"$BUILD/ocpgen" --format parquet --output "$WORK/pq" --nodes 8 --pods-per-node 12 --days 6 --quiet

config() { # config FILE FORMAT INPUT
    cat > "$1" <<YAML
cluster_id: tsan
source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
report_period_id: 3
input:
  format: $2
  path: $3
enabled_tag_keys: [app, environment, tier]
threads: 4
chunk_rows: 1024
output:
  path: $WORK/out/report.csv
progress_seconds: 0
YAML
}
mkdir -p "$WORK/out"
config "$WORK/h5.yaml" hdf5 "$WORK/data.h5"
config "$WORK/pq.yaml" parquet "$WORK/pq"

failed=0
run() { # run NAME RANKS WANT_EXIT ARGS...
    local name=$1 n=$2 want=$3 rc=0
    shift 3
    mpirun --allow-run-as-root --oversubscribe -np "$n" -x OMP_TOOL_LIBRARIES -x TSAN_OPTIONS \
        -x OMP_NUM_THREADS "$BUILD/ocpagg" "$@" --quiet > "$WORK/$name.log" 2>&1 || rc=$?
    if [[ $rc -ne $want ]] || grep -q 'WARNING: ThreadSanitizer' "$WORK/$name.log"; then
        cat "$WORK/$name.log"
        echo "FAIL: $name (exit $rc)"
        failed=1
    else
        echo "ok: $name: no race reported"
    fi
}
run hdf5-csv-1 1 0 --config "$WORK/h5.yaml"
run parquet-csv-1 1 0 --config "$WORK/pq.yaml"
run parquet-parquet-1 1 0 --config "$WORK/pq.yaml" --format parquet --output "$WORK/out/r.parquet"
run hdf5-csv-2 2 0 --config "$WORK/h5.yaml"
run parquet-parquet-2 2 0 --config "$WORK/pq.yaml" --format parquet --output "$WORK/out/r.parquet"
# The failure paths: threads stop on a shared flag, the master alerts.
export OCPAGG_FAULT=read:1:data
run parquet-fail-read-2 2 65 --config "$WORK/pq.yaml"
export OCPAGG_FAULT=finish:0:data
run parquet-fail-finish-2 2 65 --config "$WORK/pq.yaml"
unset OCPAGG_FAULT
exit $failed
