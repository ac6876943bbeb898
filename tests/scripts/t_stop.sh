#!/usr/bin/env bash
# Prompt stops: a job ends within about a second of any rank's error or
# signal, not when a full run would have ended, and names the rank:
#   1. a data error in rank 0's first chunk (OCPAGG_FAULT=read:0:data) at
#      2 ranks, and in rank 1's at 3 ranks: exit 65 within 3 s of a job
#      that fails at once in the plan (start-up);
#   2. SIGTERM to rank 1 alone while reading: exit 75 within 3 s, and
#      "rank 1 stopped by signal 15";
#   1b. a real unreadable first chunk (one HDF5 chunk of one column) at 2
#      ranks: exit 65 within the same bound, naming the rank and column;
#   3. SIGSTOP to rank 1 with --stall-seconds 2: the watchdog ends the job
#      with exit 75 within 2 + 3 s, naming rank 1; no rank is left over;
#   3b. rank 1 stopping itself at the end of the plan phase, after the
#      input check (OCPAGG_FAULT=plan:1:stop) at 3 ranks with
#      --stall-seconds 2: the watchdog covers the plan phase too (it once
#      started only after it, and the job hung);
#   4. SIGTERM to mpirun at 3 ranks: the job ends within 3 s, nothing left.
#   5. SIGKILL to rank 2 of 3 while reading: every other rank's process
#      ends within 1 s (they see the dead peer at mpirun's SIGCONT), the
#      job within 3 s with mpirun's code, rank 0 says why;
#   6. rank 1 SIGSTOPped, then SIGTERM to rank 2, no watchdog: rank 2
#      cannot finish the agreement with the stopped rank, leaves after
#      its grace (0.5 s) with 75, and the launcher's SIGCONT lets ranks 0
#      and 1 see that it is gone: the job ends within 3 s with 75 (it
#      once waited for rank 1 for ever).
# The dataset takes several seconds to read, so a job that waited for the
# full run would miss every bound.  Nothing may be left in the report
# folder.
source "$(dirname "$0")/common.sh"

"$OCPGEN" --output "$WORK/big.h5" --nodes 100 --pods-per-node 100 --days 30 --quiet ||
    fail "ocpgen failed"
mkdir -p "$WORK/out"
write_config "$WORK/big.yaml" "$WORK/big.h5" "$WORK/out/report.csv"
sed -i 's/^progress_seconds: .*/progress_seconds: 0.1/; s/^chunk_rows: .*/chunk_rows: 4096/' \
    "$WORK/big.yaml"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
longer() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
nothing_left() {
    local left
    left=$(ls -A "$WORK/out")
    [[ -z $left ]] || fail "$1: files left behind: $left"
}
JOB_PID=
cleanup() {
    local rc=$?
    if [[ -n $JOB_PID ]]; then
        kill -KILL "$JOB_PID" 2> /dev/null || true
        wait "$JOB_PID" 2> /dev/null || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
MPIRUN=(mpirun --allow-run-as-root --oversubscribe)
passed=0

# Start-up: a job that fails in the plan on rank 1.
t0=$(now)
rc=0
OCPAGG_FAULT=plan:1:data "${MPIRUN[@]}" -np 2 "$OCPAGG" --config "$WORK/big.yaml" \
    2> "$WORK/startup.err" || rc=$?
startup=$(elapsed "$t0" "$(now)")
[[ $rc -eq 65 ]] || { cat "$WORK/startup.err" >&2; fail "startup: exit $rc, want 65"; }
echo "start-up (a job failing in the plan): $startup s"

# 1. A data error early in the read.
for spec in 2:0 3:1; do
    n=${spec%:*} r=${spec#*:}
    t0=$(now)
    rc=0
    OCPAGG_FAULT=read:$r:data timeout 120 "${MPIRUN[@]}" -np "$n" "$OCPAGG" \
        --config "$WORK/big.yaml" 2> "$WORK/read$n.err" || rc=$?
    took=$(elapsed "$t0" "$(now)")
    [[ $rc -eq 65 ]] || { cat "$WORK/read$n.err" >&2; fail "read:$r at $n ranks: exit $rc"; }
    if longer "$took" "$(awk -v s="$startup" 'BEGIN { print s + 3 }')"; then
        cat "$WORK/read$n.err" >&2
        fail "read:$r at $n ranks: the job took $took s (start-up $startup s)"
    fi
    grep -qF "ocpagg: rank $r: data error: " "$WORK/read$n.err" ||
        { cat "$WORK/read$n.err" >&2; fail "read:$r at $n ranks: rank $r not named"; }
    nothing_left "read:$r at $n ranks"
    echo "ok: a data error in rank $r's first chunk at $n ranks ends the job in $took s"
    passed=$((passed + 1))
done

# start NAME N ARGS...: the job in the background, tagged so its ranks
# can be found; waits until rank 0 reports reading.
start() {
    local name=$1 n=$2 i
    shift 2
    OCPAGG_KILL_TAG=$WORK "${MPIRUN[@]}" -np "$n" "$OCPAGG" --config "$WORK/big.yaml" "$@" \
        > "$WORK/$name.err" 2>&1 &
    JOB_PID=$!
    for i in $(seq 600); do
        grep -q 'read+aggregate' "$WORK/$name.err" && return 0
        kill -0 "$JOB_PID" 2> /dev/null || break
        sleep 0.1
    done
    cat "$WORK/$name.err" >&2
    fail "$name: the job never reported reading"
}

# rank_pid R: the process of rank R of this test's job.
rank_pid() {
    local pid
    for pid in $(pgrep -x ocpagg); do
        # A process that ends meanwhile has no environment to read.
        { tr '\0' '\n' < "/proc/$pid/environ"; } 2> /dev/null |
            grep -q "^OCPAGG_KILL_TAG=$WORK\$" || continue
        if { tr '\0' '\n' < "/proc/$pid/environ"; } 2> /dev/null |
            grep -qx "OMPI_COMM_WORLD_RANK=$1"; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

# wait_job NAME LIMIT: waits at most LIMIT s for the job; sets rc, took.
wait_job() {
    local name=$1 limit=$2 t0 i
    t0=$(now)
    while kill -0 "$JOB_PID" 2> /dev/null; do
        if longer "$(elapsed "$t0" "$(now)")" "$limit"; then
            cat "$WORK/$name.err" >&2
            fail "$name: still running $limit s after the event"
        fi
        sleep 0.05
    done
    rc=0
    wait "$JOB_PID" || rc=$?
    JOB_PID=
    took=$(elapsed "$t0" "$(now)")
}

# 1b. A real bad file: the first HDF5 chunk (rows 0-65535) of one pod
# column is unreadable, the rest of the file is fine, so one rank fails at
# its first chunk while the other could read on for seconds.
CC=${CC:-cc}
helper=$WORK/h5_corrupt_chunks
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
"$CC" -std=c11 -O1 -Wall -Wextra -Wpedantic -Wconversion -Wno-sign-conversion \
    -Wstrict-prototypes -Werror -o "$helper" "$SOURCE/tests/scripts/h5_corrupt_chunks.c" \
    $(pkg-config --cflags --libs hdf5-openmpi) || fail "cannot build h5_corrupt_chunks"
cp "$WORK/big.h5" "$WORK/bad.h5"
"$helper" "$WORK/bad.h5" /openshift_pod_usage_line_items/pod_usage_cpu_core_seconds 0 1 \
    > "$WORK/corrupt.log" || fail "cannot corrupt bad.h5"
sed "s#$WORK/big.h5#$WORK/bad.h5#" "$WORK/big.yaml" > "$WORK/bad.yaml"
t0=$(now)
rc=0
timeout 120 "${MPIRUN[@]}" -np 2 "$OCPAGG" --config "$WORK/bad.yaml" 2> "$WORK/bad.err" || rc=$?
took=$(elapsed "$t0" "$(now)")
[[ $rc -eq 65 ]] || { cat "$WORK/bad.err" >&2; fail "bad file: exit $rc, want 65"; }
if longer "$took" "$(awk -v s="$startup" 'BEGIN { print s + 3 }')"; then
    cat "$WORK/bad.err" >&2
    fail "bad file: the job took $took s (start-up $startup s)"
fi
grep -Eq "ocpagg: rank [01]: data error: $WORK/bad.h5: column pod_usage_cpu_core_seconds" \
    "$WORK/bad.err" || { cat "$WORK/bad.err" >&2; fail "bad file: rank and column not named"; }
nothing_left "bad file"
echo "ok: an unreadable first chunk at 2 ranks ends the job in $took s, naming rank and column"
passed=$((passed + 1))

# 2. SIGTERM to rank 1 alone.
start term 2
victim=$(rank_pid 1) || fail "term: cannot find rank 1"
kill -TERM "$victim"
wait_job term 3
[[ $rc -eq 75 ]] || { cat "$WORK/term.err" >&2; fail "term: exit $rc, want 75"; }
grep -qF "ocpagg: rank 1 stopped by signal 15" "$WORK/term.err" ||
    { cat "$WORK/term.err" >&2; fail "term: rank 1 and signal 15 not named"; }
nothing_left term
echo "ok: SIGTERM to rank 1 ends the job in $took s, exit 75, naming rank 1 and signal 15"
passed=$((passed + 1))

# 3. SIGSTOP to rank 1, with the watchdog.
start stall 3 --stall-seconds 2
victim=$(rank_pid 1) || fail "stall: cannot find rank 1"
kill -STOP "$victim"
wait_job stall 5
kill -KILL "$victim" 2> /dev/null || true
[[ $rc -eq 75 ]] || { cat "$WORK/stall.err" >&2; fail "stall: exit $rc, want 75"; }
grep -qF "watchdog: rank 1 made no progress for 2 s" "$WORK/stall.err" ||
    { cat "$WORK/stall.err" >&2; fail "stall: rank 1 not named by the watchdog"; }
sleep 0.5
if rank_pid 0 > /dev/null || rank_pid 1 > /dev/null || rank_pid 2 > /dev/null; then
    fail "stall: ranks left running"
fi
nothing_left stall
echo "ok: a SIGSTOPped rank 1 ends the job after $took s with --stall-seconds 2, exit 75"
passed=$((passed + 1))

# 3b. A rank stopped in the plan phase, with the watchdog.
t0=$(now)
rc=0
OCPAGG_FAULT=plan:1:stop OCPAGG_KILL_TAG=$WORK timeout 60 "${MPIRUN[@]}" -np 3 "$OCPAGG" \
    --config "$WORK/big.yaml" --stall-seconds 2 2> "$WORK/planstop.err" || rc=$?
took=$(elapsed "$t0" "$(now)")
for r in 0 1 2; do
    victim=$(rank_pid "$r") && kill -KILL "$victim" 2> /dev/null
done
[[ $rc -eq 75 ]] || { cat "$WORK/planstop.err" >&2; fail "plan stop: exit $rc, want 75"; }
grep -qF "watchdog: rank 1 made no progress for 2 s" "$WORK/planstop.err" ||
    { cat "$WORK/planstop.err" >&2; fail "plan stop: rank 1 not named by the watchdog"; }
if longer "$took" "$(awk -v s="$startup" 'BEGIN { print s + 2 + 4 }')"; then
    cat "$WORK/planstop.err" >&2
    fail "plan stop: the job took $took s (start-up $startup s)"
fi
nothing_left "plan stop"
echo "ok: rank 1 stopped in the plan phase ends the job after $took s with --stall-seconds 2, exit 75"
passed=$((passed + 1))

# 4. SIGTERM to mpirun at 3 ranks: Open MPI 4 passes SIGTERM to the ranks,
# which stop at once and clean up; mpirun itself exits 1.
start term-mpirun 3
kill -TERM "$JOB_PID"
wait_job term-mpirun 3
[[ $rc -ne 0 ]] || fail "term-mpirun: exit 0"
nothing_left term-mpirun
echo "ok: SIGTERM to mpirun at 3 ranks ends the job in $took s (mpirun's exit $rc), nothing left"
passed=$((passed + 1))

# ranks_gone LIMIT PID...: waits at most LIMIT s until none of these
# processes runs (a zombie has ended); sets gone_after.
ranks_gone() {
    local limit=$1 t0 pid state running
    shift
    t0=$(now)
    while :; do
        running=0
        for pid in "$@"; do
            state=$(sed 's/.*) //' "/proc/$pid/stat" 2> /dev/null | cut -c1)
            [[ -n $state && $state != Z && $state != X ]] && running=1
        done
        gone_after=$(elapsed "$t0" "$(now)")
        [[ $running -eq 1 ]] || return 0
        longer "$gone_after" "$limit" && return 1
        sleep 0.01
    done
}

# 5. SIGKILL to rank 2 of 3 while reading.
start kill 3
victim=$(rank_pid 2) || fail "kill: cannot find rank 2"
others=$(rank_pid 0) && others="$others $(rank_pid 1)" || fail "kill: cannot find ranks 0 and 1"
kill -KILL "$victim"
# shellcheck disable=SC2086 # two pids
ranks_gone 1 $others || { cat "$WORK/kill.err" >&2; fail "kill: ranks still running 1 s after rank 2 died"; }
wait_job kill 3
[[ $rc -ne 0 ]] || fail "kill: exit 0 after rank 2 died"
grep -q "rank 2 with PID" "$WORK/kill.err" || { cat "$WORK/kill.err" >&2; fail "kill: rank 2 not named"; }
grep -qF "ocpagg: rank 0: a rank of this job has ended without a word" "$WORK/kill.err" ||
    { cat "$WORK/kill.err" >&2; fail "kill: rank 0 does not say why it left"; }
nothing_left kill
echo "ok: SIGKILL to rank 2: the other ranks ended $gone_after s later, mpirun $took s after that (exit $rc)"
passed=$((passed + 1))

# 6. A stopped rank 1 and SIGTERM to rank 2, no watchdog.
start stopterm 3
first=$(rank_pid 0) || fail "stopterm: cannot find rank 0"
stopped=$(rank_pid 1) || fail "stopterm: cannot find rank 1"
victim=$(rank_pid 2) || fail "stopterm: cannot find rank 2"
kill -STOP "$stopped"
sleep 0.2
kill -TERM "$victim"
wait_job stopterm 3
kill -KILL "$stopped" 2> /dev/null || true
[[ $rc -eq 75 ]] || { cat "$WORK/stopterm.err" >&2; fail "stopterm: exit $rc, want 75"; }
ranks_gone 1 "$first" "$stopped" "$victim" || fail "stopterm: ranks left running"
nothing_left stopterm
echo "ok: SIGTERM to rank 2 while rank 1 is stopped ends the job in $took s, exit 75"
passed=$((passed + 1))

echo "$passed passed, 0 failed"
