#!/usr/bin/env bash
# Chunks handed out at run time (steal_chunks): a rank whose own chunks are
# read takes the unread ones of the other ranks on its machine.  Rank 2 of
# 3 (or rank 1 of 2) is made slow with OCPAGG_FAULT=read:N:slow (30 ms
# after each chunk), so the others must take some of its chunks:
#   - the report is byte-identical to one rank's with steal_chunks false,
#     for Parquet (one window, three windows, 2 ranks x 2 threads) and HDF5;
#   - every chunk is read exactly once: the summary's per-rank chunks add
#     up to the plan's, its per-rank rows to the rows read;
#   - the fast ranks took chunks, more than the slow rank (which may take
#     some before the others start); with steal_chunks false nobody takes
#     any, and the summary's config says steal_chunks false;
#   - an MPI without shared-memory windows: no chunk taken, no error, the
#     same report.
source "$(dirname "$0")/common.sh"
command -v jq > /dev/null 2>&1 || { echo "SKIP: jq not found"; exit 77; }

"$OCPGEN" --format parquet --output "$WORK/in" --nodes 8 --pods-per-node 10 --days 6 \
    --quiet || fail "ocpgen (Parquet) failed"
"$OCPGEN" --output "$WORK/in.h5" --nodes 8 --pods-per-node 10 --days 6 --quiet ||
    fail "ocpgen (HDF5) failed"
write_config "$WORK/pq.yaml" "$WORK/in" "$WORK/unused.csv" parquet
write_config "$WORK/h5.yaml" "$WORK/in.h5" "$WORK/unused.csv"

run_mpi 1 --config "$WORK/pq.yaml" --quiet --set steal_chunks=false \
    --output "$WORK/ref.csv" || fail "the Parquet reference run failed"
run_mpi 1 --config "$WORK/h5.yaml" --quiet --set steal_chunks=false \
    --output "$WORK/ref-h5.csv" || fail "the HDF5 reference run failed"
rows=$(($(wc -l < "$WORK/ref.csv") - 1))
[[ $rows -gt 500 ]] || fail "the reference has only $rows rows"

checks=0
# case NAME CONFIG REFERENCE RANKS THREADS SLOW_RANK STEAL [--set ...]
case_run() {
    local name=$1 cfg=$2 ref=$3 n=$4 t=$5 slow=$6 steal=$7
    shift 7
    local out=$WORK/$name.csv sum=$WORK/$name.summary.json plan read total
    OCPAGG_FAULT=read:$slow:slow OMP_NUM_THREADS=$t run_mpi "$n" --config "$cfg" \
        --threads "$t" --set steal_chunks="$steal" "$@" --output "$out" \
        2> "$WORK/$name.err" || { cat "$WORK/$name.err" >&2; fail "$name: the run failed"; }
    cmp -s "$ref" "$out" || fail "$name: the report differs from one rank's"
    # Every chunk once: the plan's count (rank 0's first line), per-rank
    # chunks and rows.
    plan=$(sed -n 's/^ocpagg: [0-9]* input rows in \([0-9]*\) chunks.*/\1/p' "$WORK/$name.err")
    [[ -n $plan ]] || { cat "$WORK/$name.err" >&2; fail "$name: no plan line"; }
    read=$(jq '[.per_rank[].chunks] | add' "$sum")
    [[ $read -eq $plan ]] || fail "$name: the ranks read $read chunks of $plan"
    read=$(jq '[.per_rank[].rows] | add' "$sum")
    total=$(jq '[.rows_read[]] | add' "$sum")
    [[ $read -eq $total && $total -gt 0 ]] || fail "$name: per-rank rows $read, rows read $total"
    if [[ $steal == true ]]; then
        [[ $(jq "[.per_rank[] | select(.rank != $slow) | .chunks_stolen] | add" "$sum") -gt 0 ]] ||
            fail "$name: no rank took a chunk of the slow rank $slow"
        [[ $(jq "[.per_rank[] | select(.rank != $slow) | .chunks_stolen] | add" "$sum") -gt \
           $(jq ".per_rank[$slow].chunks_stolen" "$sum") ]] ||
            fail "$name: the slow rank took as many chunks as the fast ones"
        [[ $(jq '.config | has("steal_chunks")' "$sum") == false ]] ||
            fail "$name: the summary's config names the default steal_chunks"
    else
        [[ $(jq '[.per_rank[].chunks_stolen] | add' "$sum") -eq 0 ]] ||
            fail "$name: chunks were taken with steal_chunks false"
        [[ $(jq '.config.steal_chunks' "$sum") == false ]] ||
            fail "$name: the summary's config does not say steal_chunks false"
    fi
    echo "$name: $(jq -c '[.per_rank[] | [.chunks, .chunks_stolen]]' "$sum") (chunks, taken)"
    checks=$((checks + 1))
}

case_run pq3 "$WORK/pq.yaml" "$WORK/ref.csv" 3 1 2 true
case_run pq3-windows "$WORK/pq.yaml" "$WORK/ref.csv" 3 1 2 true --set window_rows=1500
case_run pq2x2 "$WORK/pq.yaml" "$WORK/ref.csv" 2 2 1 true
case_run pq3-static "$WORK/pq.yaml" "$WORK/ref.csv" 3 1 2 false
case_run h5-3 "$WORK/h5.yaml" "$WORK/ref-h5.csv" 3 1 2 true --chunk-rows 1024
cmp -s "$WORK/ref.csv" "$WORK/ref-h5.csv" || fail "the HDF5 report differs from the Parquet one"
# An MPI without shared-memory windows (only the pt2pt one-sided
# component): the ranks keep to their own lists, no error, the same report.
OCPAGG_FAULT=read:2:slow OMPI_MCA_osc=pt2pt run_mpi 3 --config "$WORK/pq.yaml" \
    --output "$WORK/nowin.csv" 2> "$WORK/nowin.err" ||
    { cat "$WORK/nowin.err" >&2; fail "nowin: the run failed"; }
cmp -s "$WORK/ref.csv" "$WORK/nowin.csv" || fail "nowin: the report differs from one rank's"
[[ $(jq '[.per_rank[].chunks_stolen] | add' "$WORK/nowin.summary.json") -eq 0 ]] ||
    fail "nowin: chunks were taken without a shared window"
checks=$((checks + 1))
# The windows case ran in windows.
grep -q '^ocpagg: window 2 of' "$WORK/pq3-windows.err" || fail "pq3-windows ran in one window"
echo "$checks passed, 0 failed"
