#!/usr/bin/env bash
# A CSV report from several ranks is written by every rank (each its own
# days, at offsets handed down the day order) when all can open rank 0's
# temporary file, else by rank 0 alone.  Either way it must be the same
# bytes as one rank's report, and the summary says how many ranks wrote:
#   - 2, 3, 4 ranks (1 and 2 threads): report_writers = ranks;
#   - output.shared_write: false: report_writers = 1;
#   - rank 2 cannot open the file (OCPAGG_FAULT=share:2:...): the job falls
#     back to rank 0 writing, exit 0, report_writers = 1;
#   - a day with no rows on some rank and more ranks than days (2 days on
#     4 ranks) still gives the same bytes;
#   - a write failure on rank 2 while every rank writes: exit 74 naming
#     rank 2, the earlier report byte-identical, no temporary file left.
# The values themselves are checked against DuckDB in t_oracle/t_duckdb.
source "$(dirname "$0")/common.sh"
command -v jq > /dev/null 2>&1 || { echo "SKIP: jq not found"; exit 77; }

"$OCPGEN" --output "$WORK/data.h5" --nodes 9 --pods-per-node 14 --days 7 --quiet ||
    fail "ocpgen failed"
"$OCPGEN" --output "$WORK/two.h5" --nodes 5 --pods-per-node 9 --days 2 --seed 7 --quiet ||
    fail "ocpgen failed"
write_config "$WORK/job.yaml" "$WORK/data.h5" "$WORK/unused.csv"
write_config "$WORK/two.yaml" "$WORK/two.h5" "$WORK/unused.csv"

writers() { jq -r '.report_writers' "${1%.csv}.summary.json"; }

run_mpi 1 --config "$WORK/job.yaml" --quiet --output "$WORK/ref.csv" || fail "1 rank failed"
[[ $(writers "$WORK/ref.csv") == 1 ]] || fail "1 rank: report_writers is not 1"
rows=$(($(wc -l < "$WORK/ref.csv") - 1))
[[ $rows -gt 1000 ]] || fail "the reference report has only $rows rows"

checks=0
for n in 2 3 4; do
    for t in 1 2; do
        out=$WORK/r${n}x$t.csv
        OMP_NUM_THREADS=$t run_mpi "$n" --config "$WORK/job.yaml" --quiet --threads "$t" \
            --output "$out" || fail "${n}x$t failed"
        cmp -s "$WORK/ref.csv" "$out" || fail "${n}x$t: the report differs from 1 rank's"
        [[ $(writers "$out") == "$n" ]] || fail "${n}x$t: report_writers is $(writers "$out"), not $n"
        checks=$((checks + 1))
    done
done

out=$WORK/off.csv
run_mpi 3 --config "$WORK/job.yaml" --quiet --set output.shared_write=false --output "$out" ||
    fail "shared_write=false failed"
cmp -s "$WORK/ref.csv" "$out" || fail "shared_write=false: the report differs"
[[ $(writers "$out") == 1 ]] || fail "shared_write=false: report_writers is not 1"
checks=$((checks + 1))

out=$WORK/fallback.csv
OCPAGG_FAULT=share:2:data run_mpi 3 --config "$WORK/job.yaml" --quiet --output "$out" ||
    fail "a rank that cannot open the shared file failed the job"
cmp -s "$WORK/ref.csv" "$out" || fail "fallback: the report differs"
[[ $(writers "$out") == 1 ]] || fail "fallback: report_writers is not 1"
checks=$((checks + 1))

run_mpi 1 --config "$WORK/two.yaml" --quiet --output "$WORK/two1.csv" || fail "two days, 1 rank"
run_mpi 4 --config "$WORK/two.yaml" --quiet --output "$WORK/two4.csv" || fail "two days, 4 ranks"
cmp -s "$WORK/two1.csv" "$WORK/two4.csv" || fail "two days on 4 ranks: the report differs"
# Per rank, the summary says how many days (or parts of days) it finished
# and for how long: two days on four ranks are both split (no rank would
# get a whole day), so every rank finished a part of each.
days4=$(jq -r '[.per_rank[].finish_days] | map(tostring) | join(" ")' "$WORK/two4.summary.json")
[[ $days4 == "2 2 2 2" ]] || fail "two days on 4 ranks: finish_days per rank are '$days4'"
jq -e '[.per_rank[] | select(.finish_days > 0) | .finish_busy_seconds > 0] | all' \
    "$WORK/two4.summary.json" > /dev/null || fail "a rank with days shows no finish time"
jq -e '.per_rank[0].finish_days == 2' "$WORK/two1.summary.json" > /dev/null ||
    fail "one rank: finish_days is not 2"
checks=$((checks + 1))

# Days large enough that whole pages go to the disk with O_DIRECT (where
# the file system takes it; report_direct_bytes says how much), against
# the page-cache path alone (OCPAGG_NO_DIRECT_IO) and one rank.
"$OCPGEN" --output "$WORK/big.h5" --nodes 40 --pods-per-node 30 --days 3 --seed 3 --quiet ||
    fail "ocpgen failed"
write_config "$WORK/big.yaml" "$WORK/big.h5" "$WORK/unused.csv"
OCPAGG_NO_DIRECT_IO=1 run_mpi 1 --config "$WORK/big.yaml" --quiet --output "$WORK/big1.csv" ||
    fail "big, 1 rank, no direct I/O failed"
[[ $(jq -r '.report_direct_bytes' "$WORK/big1.summary.json") == 0 ]] ||
    fail "OCPAGG_NO_DIRECT_IO still wrote directly"
for n in 1 3; do
    run_mpi "$n" --config "$WORK/big.yaml" --quiet --output "$WORK/big$n.d.csv" ||
        fail "big, $n ranks failed"
    cmp -s "$WORK/big1.csv" "$WORK/big$n.d.csv" || fail "big, $n ranks: the report differs"
    direct=$(jq -r '.report_direct_bytes' "$WORK/big$n.d.summary.json")
    size=$(stat -c %s "$WORK/big1.csv")
    echo "big report, $n rank(s): $direct of $size bytes written with O_DIRECT"
    [[ $direct -le $size ]] || fail "more direct bytes ($direct) than the report has ($size)"
    checks=$((checks + 1))
done

# A write failure on rank 2 while the ranks write: 74, the earlier report
# untouched, no temporary file.
cp "$WORK/ref.csv" "$WORK/keep.csv"
cp "$WORK/ref.csv" "$WORK/earlier.csv"
rm -f "$WORK/earlier.summary.json"
set +e
OCPAGG_FAULT=write:2:write run_mpi 3 --config "$WORK/job.yaml" --quiet \
    --output "$WORK/earlier.csv" 2> "$WORK/err.txt"
rc=$?
set -e
[[ $rc -eq 74 ]] || { cat "$WORK/err.txt" >&2; fail "write failure on rank 2: exit $rc, not 74"; }
grep -q "rank 2" "$WORK/err.txt" || { cat "$WORK/err.txt" >&2; fail "the error does not name rank 2"; }
cmp -s "$WORK/keep.csv" "$WORK/earlier.csv" || fail "the earlier report changed"
if ls "$WORK"/earlier.csv.tmp.* > /dev/null 2>&1; then
    fail "a temporary report was left behind"
fi
checks=$((checks + 1))

echo "PASS: $checks checks; $rows report rows the same bytes written by 1-4 ranks"
