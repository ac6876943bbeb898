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
# Then days that wait for their offsets (below).
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

# A day whose note has not come when its encoding ends waits in its
# buffer while the rank goes on with its next day (walk_shared).
# OCPAGG_FAULT=note:R:defer makes rank R leave every note until then, so
# that all its days but a first one wait: 6 days at 3 ranks (2 each, every
# one after another rank's), and 5 at 2 (days split too).  Each run:
#   - rank R reports as many late hand-offs as it has days that need a
#     note (2 of 2 at 3 ranks, rank 1; at 2 ranks rank 0: its days and
#     parts after rank 1's);
#   - the report is byte-identical to one rank's.
"$OCPGEN" --format parquet --output "$WORK/six" --nodes 60 --pods-per-node 40 --days 6 \
    --quiet || fail "ocpgen (6 days) failed"
write_config "$WORK/six.yaml" "$WORK/six" "$WORK/unused.csv" parquet
run_mpi 1 --config "$WORK/six.yaml" --quiet --output "$WORK/six1.csv" ||
    fail "the one-rank run of 6 days failed"
for mode in direct pagecache; do
    (
        if [[ $mode == pagecache ]]; then export OCPAGG_NO_DIRECT_IO=1; fi
        OCPAGG_FAULT=note:1:defer run_mpi 3 --config "$WORK/six.yaml" --verbose \
            --output "$WORK/six3-$mode.csv" 2> "$WORK/six3-$mode.err"
    ) || { cat "$WORK/six3-$mode.err" >&2; fail "$mode: the 3-rank deferring run failed"; }
    grep -Eq '^ocpagg: rank 1: 2 day\(s\) .* 2 late hand-off' "$WORK/six3-$mode.err" ||
        { cat "$WORK/six3-$mode.err" >&2; fail "$mode: rank 1's 2 days did not both wait"; }
    cmp -s "$WORK/six1.csv" "$WORK/six3-$mode.csv" ||
        fail "$mode: the 3-rank report with waiting days differs from one rank's"
done
"$OCPGEN" --format parquet --output "$WORK/five" --nodes 60 --pods-per-node 40 --days 5 \
    --quiet || fail "ocpgen (5 days) failed"
write_config "$WORK/five.yaml" "$WORK/five" "$WORK/unused.csv" parquet
run_mpi 1 --config "$WORK/five.yaml" --quiet --output "$WORK/five1.csv" ||
    fail "the one-rank run of 5 days failed"
OCPAGG_FAULT=note:0:defer run_mpi 2 --config "$WORK/five.yaml" --verbose \
    --output "$WORK/five2.csv" 2> "$WORK/five2.err" ||
    { cat "$WORK/five2.err" >&2; fail "the 2-rank deferring run of 5 days failed"; }
grep -Eq '^ocpagg: rank 0: ([0-9]+) day\(s\) .* [1-9][0-9]* late hand-off' "$WORK/five2.err" ||
    { cat "$WORK/five2.err" >&2; fail "rank 0 had no waiting day (5 days, 2 ranks)"; }
cmp -s "$WORK/five1.csv" "$WORK/five2.csv" ||
    fail "the 2-rank report of 5 days with waiting days differs from one rank's"

# A failure on another rank while a day waits: rank 1 defers, rank 2's
# first write fails.  The job ends promptly with exit 74, names rank 2's
# injected failure and leaves no report and no temporary file.
mkdir -p "$WORK/failout"
rc=0
OCPAGG_FAULT=note:1:defer,write:2:write timeout 60 mpirun --allow-run-as-root \
    --oversubscribe -np 3 "$OCPAGG" --config "$WORK/six.yaml" --quiet \
    --output "$WORK/failout/r.csv" > /dev/null 2> "$WORK/fail.err" || rc=$?
[[ $rc -ne 124 ]] || { cat "$WORK/fail.err" >&2; fail "deferring rank + failing rank: hung"; }
[[ $rc -eq 74 ]] || { cat "$WORK/fail.err" >&2; fail "deferring rank + failing rank: exit $rc, want 74"; }
grep -q "injected at write" "$WORK/fail.err" ||
    { cat "$WORK/fail.err" >&2; fail "the injected write failure was not reported"; }
[[ -z $(ls -A "$WORK/failout") ]] || { ls -la "$WORK/failout" >&2; fail "the failed run left files"; }
# The same with a signal: rank 0 defers, rank 2 gets SIGTERM inside its
# finish.  Exit 75, rank 2 named, nothing left.
rc=0
OCPAGG_FAULT=note:0:defer,finish:2:term timeout 60 mpirun --allow-run-as-root \
    --oversubscribe -np 3 "$OCPAGG" --config "$WORK/six.yaml" --quiet \
    --output "$WORK/failout/r.csv" > /dev/null 2> "$WORK/term.err" || rc=$?
[[ $rc -ne 124 ]] || { cat "$WORK/term.err" >&2; fail "deferring rank + signalled rank: hung"; }
[[ $rc -eq 75 ]] || { cat "$WORK/term.err" >&2; fail "deferring rank + signalled rank: exit $rc, want 75"; }
grep -q "rank 2 stopped by signal 15" "$WORK/term.err" ||
    { cat "$WORK/term.err" >&2; fail "the signalled rank was not named"; }
[[ -z $(ls -A "$WORK/failout") ]] || { ls -la "$WORK/failout" >&2; fail "the signalled run left files"; }
echo "PASS: late hand-off at rank 0, waiting days at 2 and 3 ranks, reports identical (direct and page cache); a failure (74) or a signal (75) beside a waiting day ends the job, leaving nothing"
