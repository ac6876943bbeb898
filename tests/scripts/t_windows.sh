#!/usr/bin/env bash
# Windows of days (window_rows): a large input is read, exchanged,
# finished and written a run of days at a time, so memory holds one
# window's groups.  The report and the summary's counters must not depend
# on the windows:
#   - Parquet, 9 days: 9 one-day windows at 1 rank, 3 windows of 3 days at
#     3 ranks, one-day windows at 2 ranks x 2 threads, the default (one
#     window) at 4 ranks: the same bytes as window_rows 0, and the same
#     input and output counts;
#   - HDF5 (no per-chunk days): always one window, the same bytes;
#   - a data error in the last window (day 7, owned and read by rank 2 of
#     3) after two windows were written into the temporary report: exit
#     65 naming rank 2, the earlier report byte-identical, nothing left.
source "$(dirname "$0")/common.sh"
command -v jq > /dev/null 2>&1 || { echo "SKIP: jq not found"; exit 77; }

"$OCPGEN" --format parquet --output "$WORK/in" --nodes 6 --pods-per-node 10 --days 9 \
    --quiet || fail "ocpgen failed"
write_config "$WORK/job.yaml" "$WORK/in" "$WORK/unused.csv" parquet

run_mpi 1 --config "$WORK/job.yaml" --quiet --set window_rows=0 --output "$WORK/ref.csv" ||
    fail "window_rows 0 failed"
rows=$(($(wc -l < "$WORK/ref.csv") - 1))
[[ $rows -gt 500 ]] || fail "the reference has only $rows rows"
counts() { jq -c '[.rows_read, .output_rows, .bad_label_rows, .rows_excluded_out_of_range,
                   .rows_excluded_no_node, .pod_groups, .storage_groups]' "${1%.csv}.summary.json"; }
ref_counts=$(counts "$WORK/ref.csv")
per_day=$(jq '[.rows_read[]] | add' "$WORK/ref.summary.json")
per_day=$((per_day / 9))

checks=0
# case NAME RANKS THREADS WINDOW_ROWS EXPECTED_WINDOWS
case_run() {
    local name=$1 n=$2 t=$3 w=$4 want=$5 out=$WORK/$1.csv got
    OMP_NUM_THREADS=$t run_mpi "$n" --config "$WORK/job.yaml" --threads "$t" \
        --set window_rows="$w" --set progress_seconds=0 --output "$out" 2> "$WORK/$name.err" ||
        { cat "$WORK/$name.err" >&2; fail "$name failed"; }
    got=$(grep -c '^ocpagg: window [0-9]* of' "$WORK/$name.err" || true)
    [[ $got -eq $want || ($want -eq 1 && $got -eq 0) ]] ||
        { cat "$WORK/$name.err" >&2; fail "$name: $got windows, expected $want"; }
    cmp -s "$WORK/ref.csv" "$out" || fail "$name: the report differs from one window's"
    [[ $(counts "$out") == "$ref_counts" ]] ||
        fail "$name: counters $(counts "$out"), expected $ref_counts"
    checks=$((checks + 1))
}
case_run w1x1 1 1 "$per_day" 9
case_run w3x1 3 1 "$per_day" 3
case_run w2x2 2 2 $((per_day / 2)) 9
case_run w4x1 4 1 12582912 1

# HDF5: chunks have no known day, so one window whatever window_rows says.
"$OCPGEN" --output "$WORK/data.h5" --nodes 5 --pods-per-node 8 --days 4 --quiet ||
    fail "ocpgen (HDF5) failed"
write_config "$WORK/h5.yaml" "$WORK/data.h5" "$WORK/unused.csv"
run_mpi 2 --config "$WORK/h5.yaml" --quiet --set window_rows=0 --output "$WORK/h0.csv" ||
    fail "HDF5 run failed"
run_mpi 2 --config "$WORK/h5.yaml" --set window_rows=100 --set progress_seconds=0 \
    --output "$WORK/h1.csv" 2> "$WORK/h1.err" || fail "HDF5 run with window_rows failed"
! grep -q '^ocpagg: window' "$WORK/h1.err" || fail "HDF5 input was cut into windows"
cmp -s "$WORK/h0.csv" "$WORK/h1.csv" || fail "HDF5: the report differs"
checks=$((checks + 1))

# A data error in the last window, on rank 2: day 2025-11-07 (day 20399
# since 1970, 20399 mod 3 = 2) rewritten with malformed labels, read
# with strict: true.  Windows of 3 days are balanced, so each day's chunks
# go to the rank that owns the day.
cp -r "$WORK/in" "$WORK/mix"
find "$WORK/mix" -name '*_2025-11-07_*.parquet' -delete
uuid=$(basename "$(ls -d "$WORK"/in/openshift_pod_usage_line_items/source=*)")
"$OCPGEN" --format parquet --output "$WORK/bad" --nodes 6 --pods-per-node 10 --days 1 \
    --start 2025-11-07 --bad-labels --source-uuid "${uuid#source=}" --quiet ||
    fail "ocpgen (bad day) failed"
(cd "$WORK/bad" && find . -name '*.parquet') | while IFS= read -r f; do
    cp "$WORK/bad/$f" "$WORK/mix/$f"
done
# steal_chunks false: the bad day stays with rank 2, which reads it.
write_config "$WORK/mix.yaml" "$WORK/mix" "$WORK/unused.csv" parquet "strict: true
steal_chunks: false"
cp "$WORK/ref.csv" "$WORK/earlier.csv"
cp "$WORK/ref.csv" "$WORK/keep.csv"
set +e
run_mpi 3 --config "$WORK/mix.yaml" --set window_rows="$per_day" --set progress_seconds=0 \
    --output "$WORK/earlier.csv" 2> "$WORK/mix.err"
rc=$?
set -e
[[ $rc -eq 65 ]] || { cat "$WORK/mix.err" >&2; fail "bad last window: exit $rc, not 65"; }
grep -q '^ocpagg: window 3 of 3' "$WORK/mix.err" ||
    { cat "$WORK/mix.err" >&2; fail "the failure did not come in the last window"; }
grep -q 'rank 2: data error: .*pod_usage_2025-11-07' "$WORK/mix.err" ||
    { cat "$WORK/mix.err" >&2; fail "the error does not name rank 2 and the bad file"; }
cmp -s "$WORK/keep.csv" "$WORK/earlier.csv" || fail "the earlier report changed"
if ls "$WORK"/earlier.csv.tmp.* "$WORK"/earlier.summary.json > /dev/null 2>&1; then
    fail "a temporary report or a summary was left behind"
fi
checks=$((checks + 1))

echo "PASS: $checks checks; $rows report rows the same for any windows"
