#!/usr/bin/env bash
# One rank fails and the whole job ends promptly, names that rank and the
# cause, and leaves no report:
#   1. the last quarter of one pod column is unreadable (its compressed
#      chunks are replaced with bytes inflate rejects, the metadata stays
#      valid): at 2 ranks those rows are rank 1's, at 3 ranks rank 2's.
#      Exit 65 (bad input data), a message naming the rank, the file and
#      the column, and rank 0 itself reports no error.
#   2. the same file at 1 rank: 65 and the file named, without a rank.
#   3. rank 1 is killed outright (SIGKILL) while reading: the job does not
#      hang; mpirun ends it, non-zero, naming rank 1.
# Every run is bounded by `timeout 120`; 124 from timeout means a hang.
source "$(dirname "$0")/common.sh"

CC=${CC:-cc}
helper=$WORK/h5_corrupt_chunks
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
"$CC" -std=c11 -O1 -Wall -Wextra -Wpedantic -Wconversion -Wno-sign-conversion \
    -Wstrict-prototypes -Werror -o "$helper" "$SOURCE/tests/scripts/h5_corrupt_chunks.c" \
    $(pkg-config --cflags --libs hdf5-openmpi) || fail "cannot build h5_corrupt_chunks"

# 240000 pod rows: HDF5 chunks of 65536 rows start at 0, 65536, 131072 and
# 196608; only the last one (rows 196608-239999) is replaced.
nodes=20 pods=50 days=10
pod_rows=$((nodes * pods * 24 * days))
"$OCPGEN" --output "$WORK/data.h5" --nodes $nodes --pods-per-node $pods --days $days --quiet ||
    fail "ocpgen failed"
cp "$WORK/data.h5" "$WORK/bad.h5"
"$helper" "$WORK/bad.h5" /openshift_pod_usage_line_items/pod_usage_cpu_core_seconds \
    $((pod_rows * 3 / 4)) > "$WORK/corrupt.log" || fail "cannot corrupt bad.h5"
grep -q 'chunk at row 196608' "$WORK/corrupt.log" || fail "unexpected chunks: $(cat "$WORK/corrupt.log")"

passed=0

# The intact copy reads fine, so what fails below is the damage alone.
write_config "$WORK/good.yaml" "$WORK/data.h5" "$WORK/good/report.csv"
mkdir -p "$WORK/good"
timeout 120 mpirun --allow-run-as-root --oversubscribe -np 2 "$OCPAGG" \
    --config "$WORK/good.yaml" --quiet || fail "the intact file does not read"
[[ -s $WORK/good/report.csv ]] || fail "the intact file gave no report"

# bounded_run NAME N: the job on N ranks on bad.h5, at most 120 s; sets rc
# and leaves stderr in $WORK/NAME.err.
bounded_run() {
    local name=$1 n=$2
    mkdir -p "$WORK/$name"
    # steal_chunks false: the damaged rows stay with the rank whose list
    # holds them (another rank would otherwise take them: they are last).
    write_config "$WORK/$name.yaml" "$WORK/bad.h5" "$WORK/$name/report.csv" hdf5 \
        "steal_chunks: false"
    rc=0
    timeout 120 mpirun --allow-run-as-root --oversubscribe -np "$n" "$OCPAGG" \
        --config "$WORK/$name.yaml" > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
    [[ $rc -ne 124 ]] || fail "$name: still running after 120 s (a hang)"
}

expect() { # expect NAME PATTERN: stderr of NAME holds PATTERN (fixed text)
    grep -qF -- "$2" "$WORK/$1.err" || {
        cat "$WORK/$1.err" >&2
        fail "$1: stderr lacks: $2"
    }
}

nothing_left() {
    local left
    left=$(ls -A "$WORK/$1")
    [[ -z $left ]] || fail "$1: files left behind: $left"
}

# 1. The damaged rows belong to the last rank.
for n in 2 3; do
    bad=$((n - 1))
    name=fail-$n
    bounded_run "$name" "$n"
    [[ $rc -eq 65 ]] || { cat "$WORK/$name.err" >&2; fail "$name: exit code $rc, want 65"; }
    expect "$name" "ocpagg: rank $bad: data error: $WORK/bad.h5: column pod_usage_cpu_core_seconds"
    expect "$name" "ocpagg: job stopped because rank $bad failed (data error: $WORK/bad.h5: column pod_usage_cpu_core_seconds"
    expect "$name" "; no report written"
    if grep -q 'ocpagg: rank 0: ' "$WORK/$name.err"; then
        cat "$WORK/$name.err" >&2
        fail "$name: rank 0 reported an error of its own"
    fi
    nothing_left "$name"
    echo "ok: $name: rank $bad's unreadable rows end the job with 65, naming rank $bad and the file"
    passed=$((passed + 1))
done

# 2. One rank: the same error without a rank number.
bounded_run fail-1 1
[[ $rc -eq 65 ]] || { cat "$WORK/fail-1.err" >&2; fail "fail-1: exit code $rc, want 65"; }
expect fail-1 "ocpagg: data error: $WORK/bad.h5: column pod_usage_cpu_core_seconds"
nothing_left fail-1
echo "ok: fail-1: exit 65, the file and column named"
passed=$((passed + 1))

# 3. Rank 1 dies without a word while the ranks read.
"$OCPGEN" --output "$WORK/big.h5" --nodes 100 --pods-per-node 100 --days 30 --quiet ||
    fail "ocpgen failed"
mkdir -p "$WORK/killed"
write_config "$WORK/killed.yaml" "$WORK/big.h5" "$WORK/killed/report.csv"
sed -i 's/^progress_seconds: .*/progress_seconds: 0.1/; s/^chunk_rows: .*/chunk_rows: 1024/' \
    "$WORK/killed.yaml"
# The tag in the ranks' environment tells this test's processes from any
# other ocpagg running on the machine.
OCPAGG_KILL_TAG=$WORK timeout 120 mpirun --allow-run-as-root --oversubscribe -np 2 \
    "$OCPAGG" --config "$WORK/killed.yaml" > "$WORK/killed.out" 2> "$WORK/killed.err" &
job=$!
for i in $(seq 600); do
    grep -q 'read+aggregate' "$WORK/killed.err" && break
    kill -0 "$job" 2> /dev/null || break
    sleep 0.1
done
grep -q 'read+aggregate' "$WORK/killed.err" || { cat "$WORK/killed.err" >&2; fail "killed: never read"; }
# Rank 1 is the ocpagg process whose environment says so.
victim=
for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}
    pid=${pid%/environ}
    [[ $(cat "/proc/$pid/comm" 2> /dev/null) == ocpagg ]] || continue
    tr '\0' '\n' < "$env" 2> /dev/null | grep -q "^OCPAGG_KILL_TAG=$WORK\$" || continue
    if tr '\0' '\n' < "$env" | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then
        victim=$pid
    fi
done
[[ -n $victim ]] || fail "killed: cannot find rank 1's process"
kill -KILL "$victim"
rc=0
wait "$job" || rc=$?
[[ $rc -ne 124 ]] || fail "killed: the job hung after rank 1 died"
[[ $rc -ne 0 ]] || fail "killed: exit code 0 after rank 1 died"
grep -q 'rank 1 with PID' "$WORK/killed.err" || {
    cat "$WORK/killed.err" >&2
    fail "killed: mpirun did not name rank 1"
}
nothing_left killed
echo "ok: killed: SIGKILL to rank 1 ended the job (exit $rc) naming rank 1, no report"
passed=$((passed + 1))

echo "$passed passed, 0 failed"
