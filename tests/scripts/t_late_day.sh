#!/usr/bin/env bash
# A streamed day whose offset came late (driver/finish.c, encode_streamed):
# at 2 ranks rank 0's first day follows rank 1's and needs its offset note.
# OCPAGG_FAULT=note:0:slow makes rank 0 take the note once 16 MiB of its
# day's text piled up, not before, as when the note comes late, so the text so far
# is moved once to the alignment of its offset and written from where it
# lies while the encoding goes on after it (with direct writes; through
# the page cache slice by slice without).  Two days of some 25 MB of CSV each:
#   - rank 0 reports a late hand-off (--verbose), rank 1 none;
#   - the report is byte-identical to one rank's, with direct writes and
#     with the page cache only (OCPAGG_NO_DIRECT_IO).
source "$(dirname "$0")/common.sh"

"$OCPGEN" --format parquet --output "$WORK/in" --nodes 400 --pods-per-node 150 --days 2 \
    --quiet || fail "ocpgen failed"
write_config "$WORK/c.yaml" "$WORK/in" "$WORK/unused.csv" parquet
run_mpi 1 --config "$WORK/c.yaml" --set chunk_rows=131072 --quiet --output "$WORK/ref.csv" ||
    fail "the one-rank reference run failed"
bytes=$(wc -c < "$WORK/ref.csv")
[[ $bytes -gt $((40 << 20)) ]] || fail "the reference has only $bytes bytes (days too small)"

for mode in direct pagecache; do
    (
        if [[ $mode == pagecache ]]; then export OCPAGG_NO_DIRECT_IO=1; fi
        OCPAGG_FAULT=note:0:slow run_mpi 2 --config "$WORK/c.yaml" --set chunk_rows=131072 --verbose \
            --output "$WORK/$mode.csv" 2> "$WORK/$mode.err"
    ) || { cat "$WORK/$mode.err" >&2; fail "$mode: the 2-rank run failed"; }
    grep -Eq '^ocpagg: rank 0: .* [1-9][0-9]* late hand-off' "$WORK/$mode.err" ||
        { cat "$WORK/$mode.err" >&2; fail "$mode: rank 0 handed no late day off"; }
    grep -Eq '^ocpagg: rank 1: .* 0 late hand-off' "$WORK/$mode.err" ||
        { cat "$WORK/$mode.err" >&2; fail "$mode: rank 1 should have had its offset at once"; }
    cmp -s "$WORK/ref.csv" "$WORK/$mode.csv" ||
        fail "$mode: the report differs from one rank's"
done
echo "PASS: late hand-off at rank 0, reports identical (direct and page cache)"
