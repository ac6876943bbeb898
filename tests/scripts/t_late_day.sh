#!/usr/bin/env bash
# A streamed day whose offset came late (driver/finish_shared.c, encode_streamed):
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

# faulty_run MODE FAULT N OUT CONFIG: a run at N ranks with
# OCPAGG_FAULT=FAULT (not a failure) and --verbose, writing OUT, its
# stderr in OUT.err; MODE pagecache turns the direct writes off.
faulty_run() {
    local mode=$1 fault=$2 n=$3 out=$4 cfg=$5
    (
        if [[ $mode == pagecache ]]; then export OCPAGG_NO_DIRECT_IO=1; fi
        OCPAGG_FAULT=$fault run_mpi "$n" --config "$cfg" --set chunk_rows=131072 --verbose \
            --output "$out" 2> "$out.err"
    ) || { cat "$out.err" >&2; fail "$mode, $fault at $n ranks: the run failed"; }
}

# has_line FILE PATTERN WHAT: FILE (a run's stderr) has a line matching
# the extended PATTERN, else the test fails saying WHAT.
has_line() {
    grep -Eq "$2" "$1" || { cat "$1" >&2; fail "$3"; }
}

for mode in direct pagecache; do
    faulty_run "$mode" note:0:slow 2 "$WORK/$mode.csv" "$WORK/c.yaml"
    has_line "$WORK/$mode.csv.err" '^ocpagg: rank 0: .* [1-9][0-9]* late hand-off' \
        "$mode: rank 0 handed no late day off"
    has_line "$WORK/$mode.csv.err" '^ocpagg: rank 1: .* 0 late hand-off' \
        "$mode: rank 1 should have had its offset at once"
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
for days in 6 5; do
    "$OCPGEN" --format parquet --output "$WORK/d$days" --nodes 60 --pods-per-node 40 \
        --days "$days" --quiet || fail "ocpgen ($days days) failed"
    write_config "$WORK/d$days.yaml" "$WORK/d$days" "$WORK/unused.csv" parquet
    run_mpi 1 --config "$WORK/d$days.yaml" --quiet --output "$WORK/d$days-1.csv" ||
        fail "the one-rank run of $days days failed"
done
for mode in direct pagecache; do
    faulty_run "$mode" note:1:defer 3 "$WORK/d6-3-$mode.csv" "$WORK/d6.yaml"
    has_line "$WORK/d6-3-$mode.csv.err" '^ocpagg: rank 1: 2 day\(s\) .* 2 late hand-off' \
        "$mode: rank 1's 2 days did not both wait"
    cmp -s "$WORK/d6-1.csv" "$WORK/d6-3-$mode.csv" ||
        fail "$mode: the 3-rank report with waiting days differs from one rank's"
done
faulty_run direct note:0:defer 2 "$WORK/d5-2.csv" "$WORK/d5.yaml"
has_line "$WORK/d5-2.csv.err" '^ocpagg: rank 0: [0-9]+ day\(s\) .* [1-9][0-9]* late hand-off' \
    "rank 0 had no waiting day (5 days, 2 ranks)"
cmp -s "$WORK/d5-1.csv" "$WORK/d5-2.csv" ||
    fail "the 2-rank report of 5 days with waiting days differs from one rank's"

# failing_run FAULT WANT PATTERN WHAT: at 3 ranks with OCPAGG_FAULT=FAULT
# (a rank whose days wait beside a failing one) the job ends promptly with
# exit WANT, its stderr matching PATTERN (WHAT names it), and leaves no
# report and no temporary file.
mkdir -p "$WORK/failout"
failing_run() {
    local fault=$1 want=$2 pattern=$3 what=$4 rc=0
    OCPAGG_FAULT=$fault timeout 60 mpirun --allow-run-as-root --oversubscribe -np 3 \
        "$OCPAGG" --config "$WORK/d6.yaml" --quiet --output "$WORK/failout/r.csv" \
        > /dev/null 2> "$WORK/fail.err" || rc=$?
    [[ $rc -ne 124 ]] || { cat "$WORK/fail.err" >&2; fail "$fault: hung"; }
    [[ $rc -eq $want ]] || { cat "$WORK/fail.err" >&2; fail "$fault: exit $rc, want $want"; }
    has_line "$WORK/fail.err" "$pattern" "$fault: $what"
    [[ -z $(ls -A "$WORK/failout") ]] || { ls -la "$WORK/failout" >&2; fail "$fault: left files"; }
}
# Rank 1's days wait, rank 2's first write fails: 74.
failing_run note:1:defer,write:2:write 74 'injected at write' \
    "the injected write failure was not reported"
# Rank 0's days wait, rank 2 gets SIGTERM inside its finish: 75.
failing_run note:0:defer,finish:2:term 75 'rank 2 stopped by signal 15' \
    "the signalled rank was not named"
echo "PASS: late hand-off at rank 0, waiting days at 2 and 3 ranks, reports identical (direct and page cache); a failure (74) or a signal (75) beside a waiting day ends the job, leaving nothing"
