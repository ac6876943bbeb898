#!/usr/bin/env bash
# Issue 11 items 1, 3 and 4 as whole jobs at 3 ranks: an output that is a
# device or FIFO, a summary that is the report, and an output that is an
# input (or lies inside the input tree) or the config file are config
# errors (78) naming the
# key, found before any heavy work; nothing is replaced, an earlier report
# and the inputs stay byte-identical, and no summary or temporary appears.
# So are a partitioned report folder that holds anything a report does not
# write, and someone's file under a name derived from output.path (the
# summary, the AWS report); and a second run on the host writing the
# report of a run still going is 73.
source "$(dirname "$0")/common.sh"

"$OCPGEN" --format parquet --output "$WORK/in" --nodes 2 --pods-per-node 3 --days 2 --quiet
mkdir -p "$WORK/out"
write_config "$WORK/c.yaml" "$WORK/in" "$WORK/out/report.csv" parquet
run_mpi 3 --config "$WORK/c.yaml" --quiet || fail "the good run failed"
good=$(sha1sum "$WORK/out/report.csv")
inputs=$(cd "$WORK/in" && find . -type f -exec sha1sum {} + | sort)

# expect_config_error KEY ARGS...: exit 78, one line naming KEY, nothing changed.
expect_config_error() {
    local key=$1 rc=0
    shift
    run_mpi 3 --config "$WORK/c.yaml" --quiet "$@" > /dev/null 2> "$WORK/err.txt" || rc=$?
    [[ $rc -eq 78 ]] || { cat "$WORK/err.txt" >&2; fail "$*: exit $rc, want 78"; }
    grep -q "$key" "$WORK/err.txt" || { cat "$WORK/err.txt" >&2; fail "$*: the message does not name $key"; }
    [[ "$(sha1sum "$WORK/out/report.csv")" == "$good" ]] || fail "$*: the earlier report changed"
    [[ "$(cd "$WORK/in" && find . -type f -exec sha1sum {} + | sort)" == "$inputs" ]] ||
        fail "$*: an input changed"
    if ls "$WORK/out" "$WORK" | grep -q '\.tmp\.'; then fail "$*: a temporary was left"; fi
}

# 1. Devices and FIFOs are never replaced (as root, /dev/null would be).
expect_config_error output.path -o /dev/null
[[ -c /dev/null ]] || fail "/dev/null is no longer a character device"
[[ ! -e /dev/null.summary.json && ! -e /dev/summary.json ]] || fail "a summary landed in /dev"
mknod "$WORK/out/null-copy" c 1 3 2> /dev/null && {
    expect_config_error output.path -o "$WORK/out/null-copy"
    [[ -c "$WORK/out/null-copy" ]] || fail "the device node was replaced"
    rm -f "$WORK/out/null-copy"
}
mkfifo "$WORK/out/fifo"
expect_config_error output.path -o "$WORK/out/fifo"
[[ -p "$WORK/out/fifo" ]] || fail "the FIFO was replaced"
[[ ! -e "$WORK/out/fifo.summary.json" ]] || fail "a summary was written beside the FIFO"
rm -f "$WORK/out/fifo"

# 3. The summary may not be the report.
expect_config_error output.summary --set output.summary="$WORK/out/report.csv"

# 4. The report may not be an input file, nor lie inside the input tree,
#    also when named through a symlink.
victim=$(find "$WORK/in" -name '*.parquet' | head -n 1)
expect_config_error output.path -o "$victim"
expect_config_error output.path -o "$WORK/in/report.csv"
[[ ! -e "$WORK/in/report.csv" ]] || fail "a report was written into the input tree"
ln -s "$WORK/in" "$WORK/inlink"
expect_config_error output.path -o "$WORK/inlink/report.csv"

# 5. Nor may any output be the config file the run reads.
cfg=$(sha1sum "$WORK/c.yaml")
expect_config_error output.path -o "$WORK/c.yaml"
expect_config_error output.summary --set output.summary="$WORK/c.yaml"
[[ "$(sha1sum "$WORK/c.yaml")" == "$cfg" ]] || fail "the config file changed"

# 6. A partitioned report replaces its folder as a whole: an existing
# folder must hold nothing but an earlier report's tree.  A folder of
# someone's files (at the top, or deep inside a report's tree) is 78 and
# stays as it was; an earlier report is replaced.
mkdir -p "$WORK/home/docs"
echo precious > "$WORK/home/docs/thesis.txt"
home=$(cd "$WORK/home" && find . | sort && find . -type f -exec sha1sum {} + | sort)
PART=(--set output.format=parquet --set output.partitioned=true)
expect_config_error "the folder $WORK/home holds $WORK/home/docs" "${PART[@]}" -o "$WORK/home" \
    --set output.summary="$WORK/out/home.json"
[[ "$(cd "$WORK/home" && find . | sort && find . -type f -exec sha1sum {} + | sort)" == "$home" ]] ||
    fail "the folder of someone's files changed"
[[ ! -e $WORK/out/home.json ]] || fail "a summary was written for the refused folder"
run_mpi 3 --config "$WORK/c.yaml" --quiet "${PART[@]}" -o "$WORK/tree" \
    --set output.summary="$WORK/out/tree.json" || fail "the partitioned run failed"
run_mpi 3 --config "$WORK/c.yaml" --quiet "${PART[@]}" -o "$WORK/tree" \
    --set output.summary="$WORK/out/tree.json" || fail "the partitioned rerun failed"
day=$(find "$WORK/tree" -mindepth 4 -maxdepth 4 -type d | head -1)
[[ -n $day ]] || fail "the partitioned report has no day folder"
echo notes > "$day/notes.txt"
expect_config_error "holds $day/notes.txt" "${PART[@]}" -o "$WORK/tree" \
    --set output.summary="$WORK/out/tree.json"
[[ $(cat "$day/notes.txt") == notes ]] || fail "the stray file in the report tree changed"
rm "$day/notes.txt"

# 7. A summary or AWS report under a name derived from output.path is
# replaced only when ocpagg wrote it: someone's file there is 78, as it
# was; an earlier summary is replaced (every rerun above).
echo '{"mine": 1}' > "$WORK/out/other.summary.json"
expect_config_error output.summary -o "$WORK/out/other.csv"
[[ $(cat "$WORK/out/other.summary.json") == '{"mine": 1}' ]] || fail "someone's summary changed"
[[ ! -e $WORK/out/other.csv ]] || fail "a report was written beside someone's summary"

# 8. One run at a time per output on a host: a second run writing the
# report of a run that is still going is 73 at once and leaves it alone
# (run A stops itself after its checks, OCPAGG_FAULT=plan:0:stop); once
# A goes on, it finishes and its report and summary are its own.
OCPAGG_FAULT=plan:0:stop mpirun --allow-run-as-root -np 1 "$OCPAGG" --config "$WORK/c.yaml" \
    --quiet -o "$WORK/out/shared.csv" > /dev/null 2> "$WORK/a.err" &
a_job=$!
a_pid=
for _ in $(seq 300); do
    a_pid=$(pgrep -x -P "$a_job" ocpagg || true)
    [[ -n $a_pid && $(sed 's/.*) //' "/proc/$a_pid/stat" 2> /dev/null | cut -c1) == T ]] && break
    sleep 0.05
done
[[ -n $a_pid ]] || { kill "$a_job"; fail "run A never stopped after its checks"; }
rc=0
run_mpi 3 --config "$WORK/c.yaml" --quiet -o "$WORK/out/shared.csv" > /dev/null 2> "$WORK/b.err" || rc=$?
[[ $rc -eq 73 ]] || { cat "$WORK/b.err" >&2; kill -KILL "$a_pid"; fail "run B: exit $rc, want 73"; }
grep -q "key 'output.path': another ocpagg run on this host is writing $WORK/out/shared.csv" \
    "$WORK/b.err" || { cat "$WORK/b.err" >&2; kill -KILL "$a_pid"; fail "run B: the message"; }
# A different report in the same folder is not held up.
run_mpi 3 --config "$WORK/c.yaml" --quiet -o "$WORK/out/other2.csv" ||
    { kill -KILL "$a_pid"; fail "a run writing another report in the folder failed"; }
kill -CONT "$a_pid"
wait "$a_job" || { cat "$WORK/a.err" >&2; fail "run A failed after it went on"; }
cmp -s "$WORK/out/shared.csv" "$WORK/out/report.csv" || fail "run A's report differs"
grep -q '"status": "ok"' "$WORK/out/shared.summary.json" || fail "run A's summary"

# The OCP-on-AWS report is checked the same way.
"$OCPGEN" --format parquet --output "$WORK/in" --nodes 2 --pods-per-node 3 --days 2 --quiet \
    --aws-only --aws-cur "$WORK/in/aws_line_items"
inputs=$(cd "$WORK/in" && find . -type f -exec sha1sum {} + | sort)
write_config "$WORK/c.yaml" "$WORK/in" "$WORK/out/report.csv" parquet "aws:
  source_uuid: 2f1d1c35-5a0e-4b8e-9a53-0d1d6c7e4a10"
expect_config_error aws.output --set aws.output=/dev/null
[[ -c /dev/null ]] || fail "/dev/null is no longer a character device"
expect_config_error aws.output --set aws.output="$WORK/out/report.csv"
expect_config_error aws.output --set aws.output="$victim"
run_mpi 3 --config "$WORK/c.yaml" --quiet || fail "the OCP-on-AWS run failed"
[[ -s $WORK/out/report.aws.csv ]] || fail "no OCP-on-AWS report at the derived name"
good=$(sha1sum "$WORK/out/report.csv")
run_mpi 3 --config "$WORK/c.yaml" --quiet || fail "the OCP-on-AWS rerun failed"
echo "someone's table" > "$WORK/out/report.aws.csv"
expect_config_error aws.output
[[ $(cat "$WORK/out/report.aws.csv") == "someone's table" ]] || fail "someone's AWS-named file changed"

echo "t_output_paths: ok"
