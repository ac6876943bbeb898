#!/usr/bin/env bash
# Issue 11 item 11: a stop request while rank 0 waits for a FIFO config's
# writer is an interrupted run (75), not a config error (78).  3 ranks;
# SIGUSR1 to mpirun, which Open MPI forwards to every rank (see
# t_signal.sh for why not SIGTERM to mpirun).
source "$(dirname "$0")/common.sh"

mkfifo "$WORK/config.fifo"
JOB_PID=
cleanup() {
    local rc=$?
    if [[ -n $JOB_PID ]] && kill -0 "$JOB_PID" 2> /dev/null; then
        # Unblock the open so the job can end, then make sure it does.
        timeout 5 sh -c ": > '$WORK/config.fifo'" 2> /dev/null || true
        kill -KILL "$JOB_PID" 2> /dev/null || true
        wait "$JOB_PID" 2> /dev/null || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT

mpirun --allow-run-as-root --oversubscribe -np 3 "$OCPAGG" --config "$WORK/config.fifo" \
    > /dev/null 2> "$WORK/err.txt" &
JOB_PID=$!

# Wait until a rank is blocked opening the FIFO (its wait channel says so),
# so the signal cannot arrive before the open starts.
blocked=
for i in $(seq 300); do
    for pid in $(pgrep -P "$JOB_PID"); do
        if grep -qE "fifo|wait_for_partner" "/proc/$pid/wchan" 2> /dev/null; then
            blocked=$pid
        fi
    done
    [[ -n $blocked ]] && break
    sleep 0.1
done
if [[ -z $blocked ]]; then
    echo "note: could not see the wait channel; waiting 3 s instead"
    sleep 3
fi
kill -USR1 "$JOB_PID"
for i in $(seq 300); do
    kill -0 "$JOB_PID" 2> /dev/null || break
    sleep 0.1
done
kill -0 "$JOB_PID" 2> /dev/null && { cat "$WORK/err.txt" >&2; fail "the job did not stop within 30 s"; }
rc=0
wait "$JOB_PID" || rc=$?
JOB_PID=
[[ $rc -eq 75 ]] || { cat "$WORK/err.txt" >&2; fail "exit code $rc, want 75"; }
grep -q "interrupted while opening the config file" "$WORK/err.txt" ||
    { cat "$WORK/err.txt" >&2; fail "no 'interrupted' message naming the config"; }
! grep -q "config error" "$WORK/err.txt" || fail "reported as a config error"
echo "t_input_fifo_config: ok"
