#!/bin/sh
# fuzz/run.sh - builds the Parquet reader's fuzz target and runs it.
#
# usage: fuzz/run.sh [SECONDS]      (default 600)
#
# One libFuzzer job (the machine is shared).  New interesting inputs go to
# fuzz/corpus/, crashes, leaks, timeouts and out-of-memory inputs to
# fuzz/crashes/ (both ignored by git), the log to fuzz/out/run.log.  Seeds:
# fuzz/seeds/ (small ocpgen files) and every file of parquet-testing's
# data/ and bad_data/ when $OCPAGG_SHARED (default ../shared next to the
# repository) has them.  Replay one input with: fuzz/out/pq_fuzz FILE.
# Inputs that crashed belong in tests/data/fuzz/, where the unit test
# test_pq_fuzz_regress replays them.  More libFuzzer flags can be passed
# in PQ_FUZZ_FLAGS, e.g. PQ_FUZZ_FLAGS=-use_value_profile=1.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
secs=${1:-600}
shared=${OCPAGG_SHARED:-$root/../shared}

"$here/build.sh" "$here/out"
mkdir -p "$here/corpus" "$here/crashes"

seeds="$here/seeds"
for d in "$shared/parquet-testing/data" "$shared/parquet-testing/bad_data"; do
    [ -d "$d" ] && seeds="$seeds $d"
done

# -max_len is above the largest seed (811,756 bytes), so no seed loses its
# footer to truncation.  Allocations above -rss_limit_mb are reported as
# out-of-memory: a small file must not make the reader allocate gigabytes.
# shellcheck disable=SC2086
"$here/out/pq_fuzz" \
    -max_total_time="$secs" \
    -max_len=1048576 \
    -rss_limit_mb=2048 \
    -timeout=30 \
    -print_final_stats=1 \
    -artifact_prefix="$here/crashes/" \
    ${PQ_FUZZ_FLAGS:-} \
    "$here/corpus" $seeds 2>&1 | tee "$here/out/run.log"
