#!/usr/bin/env bash
# Ranks on separate hosts: three test hosts made of network namespaces on
# this machine (tests/scripts/netns/), one rank on each, started by mpirun
# from host 0 through a hostfile whose remote launch is
# tests/scripts/netns/agent.sh instead of ssh.  Open MPI may use TCP only
# (btl tcp,self, the namespaces' 10.77.0.0/24 link), so every message
# between ranks crosses a (virtual) network.
#   1. HDF5 and Parquet input: the report is byte for byte that of a
#      single-host run, and the display map shows the ranks on 3 hosts
#      (Parquet through jobs/ocpagg-mpirun.sh with --net and --agent).
#   2. A data error on rank 2 (host 2): exit 65, rank 2 named, no report.
#   3. SIGTERM to every rank (what Slurm does): exit 75, no report.
#   4. SIGUSR1 to mpirun (forwarded to the remote daemons): exit 75.
#   5. SIGKILL to rank 2 on host 2: the job ends non-zero, no hang.
#   6. Host 2 sees another copy of an input file (a bind mount in its
#      mount namespace): a different HDF5 file (other size), a Parquet
#      file with one footer byte changed (same size): exit 65 before any
#      reading, rank 2 and the file named, "every rank must see the same
#      input files".
#   7. A fault in the exchange on rank 2 (OCPAGG_FAULT=exchange:2:data),
#      in the middle of the TCP shuffle: exit 65, rank 2 named.
# After each run nothing runs in any test host and no file is left.
# Skipped (77) without the privilege to make network namespaces.
source "$(dirname "$0")/common.sh"
source "$SOURCE/tests/scripts/netns/mh.sh"

mh_up 3
echo "test hosts: ${NETNS_HOSTS[*]} (${NETNS_IPS[*]})"
passed=0

check_clean() { # check_clean NAME: no process in the hosts, no file left
    mh_nothing_runs || fail "$1: processes left in the test hosts"
    local left
    left=$(ls -A "$WORK/$1")
    [[ -z $left ]] || fail "$1: files left behind: $left"
}

# --- 1. Same bytes as one host -------------------------------------------
gen=(--nodes 6 --pods-per-node 8 --days 3)
"$OCPGEN" --output "$WORK/d.h5" "${gen[@]}" --quiet || fail "ocpgen hdf5 failed"
"$OCPGEN" --format parquet --output "$WORK/dpq" "${gen[@]}" --quiet || fail "ocpgen parquet failed"
for fmt in hdf5 parquet; do
    in=$WORK/d.h5
    [[ $fmt == parquet ]] && in=$WORK/dpq
    mkdir -p "$WORK/one-$fmt" "$WORK/multi-$fmt"
    write_config "$WORK/$fmt.yaml" "$in" "$WORK/unused.csv" "$fmt"
    run_mpi 3 --config "$WORK/$fmt.yaml" --output "$WORK/one-$fmt/report.csv" --quiet ||
        fail "$fmt: single-host run failed"
    rc=0
    if [[ $fmt == hdf5 ]]; then
        mh_mpirun 3 "$OCPAGG" --config "$WORK/$fmt.yaml" \
            --output "$WORK/multi-$fmt/report.csv" --quiet \
            > "$WORK/multi-$fmt.out" 2> "$WORK/multi-$fmt.err" || rc=$?
    else
        # The cluster launcher itself, told the hosts, the network and the
        # agent the way a site without ssh between nodes would.
        mh_in 0 timeout 120 env OCPAGG_BIN="$OCPAGG" "$SOURCE/jobs/ocpagg-mpirun.sh" \
            -H "$WORK/hosts" -N 1 -t 1 --net "$MH_NET" --agent "$MH_AGENT" \
            --mca plm_rsh_no_tree_spawn 1 --mca routed direct --mca btl tcp,self \
            --mca rmaps_base_display_map 1 -- \
            --config "$WORK/$fmt.yaml" --output "$WORK/multi-$fmt/report.csv" --quiet \
            > "$WORK/multi-$fmt.out" 2> "$WORK/multi-$fmt.err" || rc=$?
    fi
    [[ $rc -eq 0 ]] || { cat "$WORK/multi-$fmt.out" "$WORK/multi-$fmt.err" >&2; fail "$fmt: multi-host run exit $rc"; }
    cmp "$WORK/one-$fmt/report.csv" "$WORK/multi-$fmt/report.csv" ||
        fail "$fmt: the multi-host report differs from the single-host one"
    # Host 0 is named by its hostname, the others by their address.
    [[ $(grep -c 'Data for node: .*Num procs: 1' "$WORK/multi-$fmt.out") -eq 3 ]] ||
        { cat "$WORK/multi-$fmt.out" >&2; fail "$fmt: the ranks are not on 3 hosts"; }
    grep -q '"ranks": 3' "$WORK/multi-$fmt/report.summary.json" || fail "$fmt: not 3 ranks"
    mh_nothing_runs || fail "$fmt: processes left in the test hosts"
    echo "ok: $fmt: 3 ranks on 3 hosts over TCP wrote the single-host report byte for byte"
    passed=$((passed + 1))
done

# --- 2. A data error on rank 2 ------------------------------------------
CC=${CC:-cc}
helper=$WORK/h5_corrupt_chunks
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
"$CC" -std=c11 -O1 -w -o "$helper" "$SOURCE/tests/scripts/h5_corrupt_chunks.c" \
    $(pkg-config --cflags --libs hdf5-openmpi) || fail "cannot build h5_corrupt_chunks"
nodes=20 pods=50 days=10
pod_rows=$((nodes * pods * 24 * days))
"$OCPGEN" --output "$WORK/bad.h5" --nodes $nodes --pods-per-node $pods --days $days --quiet ||
    fail "ocpgen failed"
"$helper" "$WORK/bad.h5" /openshift_pod_usage_line_items/pod_usage_cpu_core_seconds \
    $((pod_rows * 3 / 4)) > "$WORK/corrupt.log" || fail "cannot corrupt bad.h5"
mkdir -p "$WORK/dataerr"
write_config "$WORK/bad.yaml" "$WORK/bad.h5" "$WORK/dataerr/report.csv"
rc=0
mh_mpirun 3 "$OCPAGG" --config "$WORK/bad.yaml" \
    > "$WORK/dataerr.out" 2> "$WORK/dataerr.err" || rc=$?
[[ $rc -eq 65 ]] || { cat "$WORK/dataerr.err" >&2; fail "dataerr: exit $rc, want 65"; }
grep -q "rank 2.*data error.*pod_usage_cpu_core_seconds" "$WORK/dataerr.err" ||
    { cat "$WORK/dataerr.err" >&2; fail "dataerr: rank 2's data error not named"; }
check_clean dataerr
echo "ok: dataerr: unreadable rows of rank 2 on host 2: exit 65, rank 2 named, nothing left"
passed=$((passed + 1))

# --- 3-5. Stops and a killed rank ----------------------------------------
"$OCPGEN" --output "$WORK/big.h5" --nodes 40 --pods-per-node 50 --days 30 --quiet ||
    fail "ocpgen failed"
write_config "$WORK/big.yaml" "$WORK/big.h5" "$WORK/unused.csv"
sed -i 's/^progress_seconds: .*/progress_seconds: 0.1/; s/^chunk_rows: .*/chunk_rows: 1024/' \
    "$WORK/big.yaml"
JOB=
kill_job() { [[ -z $JOB ]] || { kill -KILL "$JOB" 2> /dev/null; wait "$JOB" 2> /dev/null; } ; JOB=; }
MH_CLEANUP_HOOKS+=(kill_job)

start() { # start NAME: the big job in the background, until it reads
    mkdir -p "$WORK/$1"
    mh_mpirun 3 "$OCPAGG" --config "$WORK/big.yaml" \
        --output "$WORK/$1/report.csv" > "$WORK/$1.out" 2> "$WORK/$1.err" &
    JOB=$!
    mh_wait_reading "$WORK/$1.err" "$JOB" || { cat "$WORK/$1.err" >&2; fail "$1: never read"; }
}
end() { # end NAME: waits for the job; sets rc
    rc=0
    wait "$JOB" || rc=$?
    JOB=
    [[ $rc -ne 124 ]] || fail "$1: the job hung (timeout)"
    if [[ -e $WORK/$1/report.csv && $rc -eq 0 ]]; then
        fail "$1: the job finished before the signal; make the dataset bigger"
    fi
}

start term-ranks
pids=$(for h in 0 1 2; do mh_ranks_on "$h"; done)
[[ $(wc -w <<< "$pids") -eq 3 ]] || fail "term-ranks: want 3 ranks, found '$pids'"
# shellcheck disable=SC2086 # one pid per word
kill -TERM $pids
end term-ranks
[[ $rc -eq 75 ]] || { cat "$WORK/term-ranks.err" >&2; fail "term-ranks: exit $rc, want 75"; }
grep -q 'stopped by signal 15' "$WORK/term-ranks.err" || fail "term-ranks: no stop message"
check_clean term-ranks
echo "ok: term-ranks: SIGTERM to the ranks on 3 hosts: exit 75, nothing left"
passed=$((passed + 1))

start usr1-mpirun
mpirun_pid=
for pid in $(ip netns pids "${NETNS_HOSTS[0]}"); do
    [[ $(cat "/proc/$pid/comm" 2> /dev/null) == mpirun ]] && mpirun_pid=$pid
done
[[ -n $mpirun_pid ]] || fail "usr1-mpirun: cannot find mpirun in host 0"
kill -USR1 "$mpirun_pid"
end usr1-mpirun
[[ $rc -eq 75 ]] || { cat "$WORK/usr1-mpirun.err" >&2; fail "usr1-mpirun: exit $rc, want 75"; }
grep -q 'stopped by signal 10' "$WORK/usr1-mpirun.err" || fail "usr1-mpirun: no stop message"
check_clean usr1-mpirun
echo "ok: usr1-mpirun: SIGUSR1 to mpirun reached the remote ranks: exit 75, nothing left"
passed=$((passed + 1))

start killed
victim=$(mh_ranks_on 2)
[[ $(wc -w <<< "$victim") -eq 1 ]] || fail "killed: want one rank on host 2, found '$victim'"
kill -KILL "$victim"
end killed
[[ $rc -ne 0 ]] || fail "killed: exit 0 after rank 2 died"
grep -q 'rank 2' "$WORK/killed.err" || { cat "$WORK/killed.err" >&2; fail "killed: rank 2 not named"; }
check_clean killed
echo "ok: killed: SIGKILL to rank 2 on host 2 ended the job (exit $rc), nothing left"
passed=$((passed + 1))

# --- 6. A host that sees other input ------------------------------------
export OCPAGG_NETNS_BINDS=$WORK/binds
"$OCPGEN" --output "$WORK/other.h5" "${gen[@]}" --days 4 --quiet || fail "ocpgen failed"
cp -r "$WORK/dpq" "$WORK/dpq-other"
victim=$(find "$WORK/dpq-other" -name '*.parquet' | sort | tail -n 1)
[[ -n $victim ]] || fail "no Parquet file to alter"
# The byte before the 4-byte footer length and "PAR1": inside the footer.
size=$(stat -c %s "$victim")
python3 -c "import sys; f=open(sys.argv[1],'r+b'); f.seek(int(sys.argv[2])-9); b=f.read(1); f.seek(-1,1); f.write(bytes([b[0]^1]))" \
    "$victim" "$size"
for fmt in hdf5 parquet; do
    if [[ $fmt == hdf5 ]]; then
        echo "${NETNS_HOSTS[2]} $WORK/other.h5 $WORK/d.h5" > "$OCPAGG_NETNS_BINDS"
        file=$WORK/d.h5 want="this rank sees"
    else
        file=$WORK/dpq/${victim#"$WORK/dpq-other/"}
        echo "${NETNS_HOSTS[2]} $victim $file" > "$OCPAGG_NETNS_BINDS"
        want="header or footer differs"
    fi
    name=differs-$fmt
    mkdir -p "$WORK/$name"
    rc=0
    mh_mpirun 3 "$OCPAGG" --config "$WORK/$fmt.yaml" --output "$WORK/$name/report.csv" \
        > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
    [[ $rc -eq 65 ]] || { cat "$WORK/$name.err" >&2; fail "$name: exit $rc, want 65"; }
    grep -q "rank 2.*$file.*$want.*every rank must see the same input files" "$WORK/$name.err" ||
        { cat "$WORK/$name.err" >&2; fail "$name: no clear message naming rank 2 and $file"; }
    ! grep -q 'read+aggregate done' "$WORK/$name.err" || fail "$name: the ranks read before the check"
    check_clean "$name"
    echo "ok: $name: host 2 sees another $(basename "$file"): exit 65 at the start, rank 2 and the file named"
    passed=$((passed + 1))
done
: > "$OCPAGG_NETNS_BINDS"

# --- 7. A fault in the exchange on rank 2 --------------------------------
mkdir -p "$WORK/xfault"
rc=0
mh_mpirun 3 -x OCPAGG_FAULT=exchange:2:data "$OCPAGG" --config "$WORK/hdf5.yaml" \
    --output "$WORK/xfault/report.csv" > "$WORK/xfault.out" 2> "$WORK/xfault.err" || rc=$?
[[ $rc -eq 65 ]] || { cat "$WORK/xfault.err" >&2; fail "xfault: exit $rc, want 65"; }
grep -q "rank 2" "$WORK/xfault.err" || { cat "$WORK/xfault.err" >&2; fail "xfault: rank 2 not named"; }
check_clean xfault
echo "ok: xfault: a failure of rank 2 inside the TCP exchange: exit 65, rank 2 named, nothing left"
passed=$((passed + 1))

echo "$passed passed, 0 failed"
