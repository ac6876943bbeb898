#!/usr/bin/env bash
# Fault injection (OCPAGG_FAULT=PHASE:RANK:KIND, test-only) at every phase
# boundary and inside the exchange and the finish, at 1, 2, 3 and 4 ranks,
# on the last rank (and on rank 0 where only rank 0 acts).  Each case:
#   - the job ends within a few seconds of a normal run's time;
#   - the exit code is the documented one: data 65, alloc 71, write 74,
#     term (SIGTERM to that rank) 75; kill (SIGKILL) is mpirun's, non-zero;
#   - the error names the rank and the culprit (the injected fault, or the
#     signal);
#   - the report folder is exactly as before: the earlier report and
#     summary untouched, no new report, no temporary file.
source "$(dirname "$0")/common.sh"

"$OCPGEN" --output "$WORK/data.h5" --nodes 8 --pods-per-node 12 --days 6 --quiet ||
    fail "ocpgen failed"
mkdir -p "$WORK/out"
write_config "$WORK/job.yaml" "$WORK/data.h5" "$WORK/out/report.csv"
sed -i 's/^chunk_rows: .*/chunk_rows: 1024/' "$WORK/job.yaml"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
longer() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# The earlier report every failing run must leave alone.
run_mpi 2 --config "$WORK/job.yaml" --quiet || fail "the normal run failed"
[[ -s $WORK/out/report.csv && -s $WORK/out/report.summary.json ]] ||
    fail "the normal run left no report or summary"
# The report folder (and, for the partitioned report, the folder beside
# it where its temporary tree would go): every name and every file's bytes.
SNAP=$WORK/out
EXTRA=()
snapshot() { (cd "$SNAP" && find . | sort && find . -type f -exec md5sum {} + | sort) 2> /dev/null; }
before=$(snapshot)
cp "$WORK/out/report.csv" "$WORK/saved.csv"
cp "$WORK/out/report.summary.json" "$WORK/saved.json"

declare -A base
for n in 1 2 3 4; do
    t0=$(now)
    run_mpi "$n" --config "$WORK/job.yaml" --quiet --output "$WORK/base$n.csv" ||
        fail "the normal run at $n ranks failed"
    base[$n]=$(elapsed "$t0" "$(now)")
    cmp -s "$WORK/base$n.csv" "$WORK/out/report.csv" ||
        fail "the report at $n ranks differs from the one at 2"
    rm -f "$WORK/base$n.csv" "$WORK/base$n.summary.json"
done
echo "normal runs: 1 rank ${base[1]} s, 2 ranks ${base[2]} s, 3 ranks ${base[3]} s, 4 ranks ${base[4]} s"

passed=0
JOB=$WORK/job.yaml
# case N PHASE RANK KIND WANT: one faulty run.  WANT is the exit code, or
# "nonzero" for a killed rank.
case_run() {
    local n=$1 phase=$2 r=$3 kind=$4 want=$5 rc=0 t0 took limit name
    name="$n ranks, $phase:$r:$kind"
    t0=$(now)
    OCPAGG_FAULT=$phase:$r:$kind timeout 60 mpirun --allow-run-as-root --oversubscribe \
        -np "$n" "$OCPAGG" --config "$JOB" --quiet "${EXTRA[@]}" > "$WORK/case.out" \
        2> "$WORK/case.err" || rc=$?
    took=$(elapsed "$t0" "$(now)")
    [[ $rc -ne 124 ]] || { cat "$WORK/case.err" >&2; fail "$name: hung (timeout)"; }
    limit=$(awk -v b="${base[$n]}" 'BEGIN { printf "%.2f", b + 4 }')
    if longer "$took" "$limit"; then
        cat "$WORK/case.err" >&2
        fail "$name: took $took s, a normal run ${base[$n]} s"
    fi
    if [[ $want == nonzero ]]; then
        [[ $rc -ne 0 ]] || fail "$name: exit 0 after a rank was killed"
        if [[ $n -gt 1 ]]; then
            grep -q "rank $r with PID" "$WORK/case.err" || {
                cat "$WORK/case.err" >&2
                fail "$name: mpirun did not name rank $r"
            }
        fi
    else
        [[ $rc -eq $want ]] || { cat "$WORK/case.err" >&2; fail "$name: exit $rc, want $want"; }
        if [[ $kind == term ]]; then
            if [[ $n -gt 1 ]]; then
                pat="ocpagg: rank $r stopped by signal 15"
            else
                pat="ocpagg: stopped by signal 15"
            fi
        elif [[ $n -gt 1 ]]; then
            pat="ocpagg: rank $r: "
        else
            pat="ocpagg: "
        fi
        grep -qF "$pat" "$WORK/case.err" || {
            cat "$WORK/case.err" >&2
            fail "$name: stderr lacks '$pat'"
        }
        if [[ $kind != term ]]; then
            grep -qF "OCPAGG_FAULT" "$WORK/case.err" || {
                cat "$WORK/case.err" >&2
                fail "$name: the injected fault is not named"
            }
            if [[ $n -gt 1 && $r -ne 0 ]]; then
                grep -qF "ocpagg: job stopped because rank $r failed" "$WORK/case.err" || {
                    cat "$WORK/case.err" >&2
                    fail "$name: rank 0 does not name rank $r"
                }
            fi
        fi
    fi
    after=$(snapshot)
    if [[ $want == nonzero && $r -eq 0 && $after != "$before" ]]; then
        # SIGKILL gives rank 0 no chance to remove its temporary report;
        # the next run on this host removes it (its PID is dead), and
        # nothing else may have changed.
        local left
        left=$(cd "$WORK/out" && ls -A | grep -v -x -e report.csv -e report.summary.json)
        [[ $left =~ ^report\.csv\.tmp\.[^/]+\.[0-9]+$ ]] || {
            ls -la "$WORK/out" >&2
            fail "$name: unexpected files after killing rank 0: $left"
        }
        run_mpi 1 --config "$WORK/job.yaml" --quiet || fail "$name: the next run failed"
        [[ ! -e $WORK/out/$left ]] || fail "$name: the next run left the stale $left"
        cp "$WORK/saved.csv" "$WORK/out/report.csv"
        cp "$WORK/saved.json" "$WORK/out/report.summary.json"
        after=$(snapshot)
        echo "   (rank 0 killed: its temporary $left was removed by the next run)"
    fi
    [[ $after == "$before" ]] || {
        ls -la "$WORK/out" >&2
        fail "$name: the report folder changed"
    }
    echo "ok: $name: exit $rc in $took s, report folder untouched"
    passed=$((passed + 1))
}

for n in 1 2 3 4; do
    r=$((n - 1))
    for phase in plan read merge exchange finish write; do
        case_run "$n" "$phase" "$r" data 65
    done
    case_run "$n" read "$r" alloc 71
    case_run "$n" finish "$r" alloc 71
    case_run "$n" write "$r" write 74
    case_run "$n" summary 0 write 74
    # The report cannot be put in place: its summary, already written
    # beside it, must not have replaced the earlier one.
    case_run "$n" commit 0 write 74
    if [[ $n -gt 1 ]]; then
        case_run "$n" recv "$r" alloc 71   # a transport receive fails
        case_run "$n" recv 0 alloc 71      # rank 0 cannot take a block
        case_run "$n" write 0 write 74     # rank 0 cannot write the report
    fi
    for phase in read exchange finish; do
        case_run "$n" "$phase" "$r" term 75
    done
    for phase in read finish; do
        case_run "$n" "$phase" "$r" kill nonzero
    done
done

# The partitioned Parquet report: an earlier tree stays exactly as it was,
# and no temporary tree is left beside it.
SNAP=$WORK/pq
mkdir -p "$SNAP"
EXTRA=(--format parquet --set output.partitioned=true --output "$SNAP/parts")
run_mpi 3 --config "$WORK/job.yaml" --quiet "${EXTRA[@]}" || fail "the partitioned run failed"
[[ -n $(find "$SNAP/parts" -name '*.parquet') ]] || fail "the partitioned run wrote no files"
before=$(snapshot)
case_run 3 finish 2 data 65
case_run 3 write 0 write 74
case_run 3 write 2 alloc 71
case_run 3 finish 2 term 75
case_run 3 finish 2 kill nonzero

# The AWS step (issue 14): days attributed on their owner ranks, rank 0
# writing the AWS report as the days arrive.  A failure on rank 2 of 3
# (after reading its CUR share, or mid-way through its days, after blocks
# went out) or on rank 0 while it writes: every rank stops promptly with
# the code, the earlier OCP and AWS reports stay as they were, and no
# temporary is left.
"$OCPGEN" --format parquet --output "$WORK/aws_in" --nodes 8 --pods-per-node 12 --days 6 \
    --quiet --aws-cur "$WORK/aws_in/aws_line_items" --aws-rows-per-file 300 ||
    fail "ocpgen (AWS) failed"
SNAP=$WORK/awsout
mkdir -p "$SNAP"
EXTRA=()
JOB=$WORK/aws.yaml
write_config "$JOB" "$WORK/aws_in" "$SNAP/report.csv" parquet "aws:
  source_uuid: 2f1d1c35-5a0e-4b8e-9a53-0d1d6c7e4a10
  enabled_tag_keys: app, team"
t0=$(now)
run_mpi 3 --config "$JOB" --quiet || fail "the AWS run failed"
base[3]=$(elapsed "$t0" "$(now)")
[[ -s $SNAP/report.aws.csv ]] || fail "the AWS run wrote no AWS report"
before=$(snapshot)
for kind in "data 65" "alloc 71" "term 75" "kill nonzero"; do
    set -- $kind
    case_run 3 aws 2 "$1" "$2"
    case_run 3 awsday 2 "$1" "$2"
done
case_run 3 awsday 0 write 74
case_run 3 awsday 0 term 75
EXTRA=(--set aws.output="$SNAP/report.aws.parquet")
run_mpi 3 --config "$JOB" --quiet "${EXTRA[@]}" || fail "the AWS run (Parquet) failed"
before=$(snapshot)
case_run 3 awsday 2 data 65
case_run 3 awsday 0 write 74
case_run 3 awsday 0 term 75
EXTRA=()
JOB=$WORK/job.yaml

# Split days (Parquet with a day per row group, 4 days on 3 ranks): the
# day beyond an even share is finished in parts by all three ranks, its
# groups sent to every rank in a second round of the shuffle.  The report
# is the one rank's; a failure on a rank other than 0 in that round or in
# the finish, or its signal, stops every rank promptly with the code and
# leaves the folder as it was.
"$OCPGEN" --format parquet --output "$WORK/split_in" --nodes 8 --pods-per-node 12 --days 4 \
    --quiet || fail "ocpgen (split days) failed"
SNAP=$WORK/splitout
mkdir -p "$SNAP"
JOB=$WORK/split.yaml
write_config "$JOB" "$WORK/split_in" "$SNAP/report.csv" parquet
run_mpi 1 --config "$JOB" --quiet --output "$WORK/split1.csv" || fail "split days: 1 rank failed"
t0=$(now)
run_mpi 3 --config "$JOB" --quiet || fail "split days: 3 ranks failed"
base[3]=$(elapsed "$t0" "$(now)")
cmp -s "$WORK/split1.csv" "$SNAP/report.csv" || fail "split days: 3 ranks differ from 1 rank"
# Each rank: one whole day and one part of the split day.
jq -e '[.per_rank[].finish_days] == [2, 2, 2]' "$SNAP/report.summary.json" > /dev/null ||
    fail "split days: finish_days per rank are not 2 2 2"
echo "ok: 4 days on 3 ranks, one day split: the report of 1 rank, 2 units per rank"
passed=$((passed + 1))
before=$(snapshot)
case_run 3 split 2 data 65
case_run 3 split 1 alloc 71
case_run 3 split 2 term 75
case_run 3 split 1 kill nonzero
case_run 3 vnodes 2 data 65
case_run 3 vnodes 1 term 75
case_run 3 finish 2 data 65
case_run 3 write 1 write 74
JOB=$WORK/job.yaml

# A malformed fault is a usage error, never a silent pass.
rc=0
OCPAGG_FAULT=nowhere:1:data run_mpi 2 --config "$WORK/job.yaml" --quiet 2> "$WORK/bad.err" || rc=$?
[[ $rc -eq 64 ]] || fail "a malformed OCPAGG_FAULT gave exit $rc, want 64"
echo "ok: a malformed OCPAGG_FAULT is exit 64"
passed=$((passed + 1))

echo "$passed passed, 0 failed"
