#!/usr/bin/env bash
# Slurm across hosts: three test hosts made of network namespaces
# (tests/scripts/netns/), slurmctld on host 0 and one slurmd on each of
# hosts 1 and 2 (its own NodeName, address, spool and log under the test's
# directory), munged beside them.  jobs/ocpagg.sbatch is submitted with
# `sbatch -N 2 --ntasks-per-node=1` and runs its ranks with
# `srun --mpi=pmix`, one per host, Open MPI on TCP only:
#   1. HDF5 and Parquet input: the report is byte for byte that of a
#      single-host mpirun run, from 2 ranks on 2 nodes.
#   2. A data error on rank 1 (host 2): the job ends 65:0, no report.
#   3. The early-warning signal (scancel --batch --signal=USR1): 75:0.
#   4. SIGKILL to rank 1 on host 2: the step is killed, the job fails.
# After each job no ocpagg or job step runs in any test host.  Skipped
# (77) without root, network namespaces, Slurm with PMIx, or munge.
source "$(dirname "$0")/common.sh"
source "$SOURCE/tests/scripts/netns/mh.sh"

# Debian's slurm-wlm and munge, installed when missing as t_slurm.sh does
# (this test may run first on a fresh machine).
missing=0
for cmd in slurmctld slurmd sbatch srun scontrol sinfo scancel munged munge; do
    command -v "$cmd" > /dev/null || missing=1
done
if [[ $missing -eq 1 ]]; then
    echo "installing slurm-wlm and munge from Debian..."
    if ! { apt-get update -qq &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
               --no-install-recommends slurm-wlm munge; } > "$WORK/apt.log" 2>&1; then
        tail -n 20 "$WORK/apt.log"
        skip "cannot install slurm-wlm and munge from Debian (apt-get failed)"
    fi
fi

S=$WORK/slurm
mkdir -p "$S/munge" "$S/state"
chmod 755 "$WORK" "$S"
chmod 700 "$S/munge"
SOCK=$S/munge.sock
export SLURM_CONF=$S/slurm.conf
MUNGED_PID=

show_logs() {
    local f
    for f in "$S"/*.log "$S"/*.out "$WORK"/job-*.out; do
        [[ -s $f ]] || continue
        echo "----- $f (last 30 lines) -----" >&2
        tail -n 30 "$f" >&2
    done
}
die() {
    echo "FAIL: $*" >&2
    show_logs
    exit 1
}
stop_munged() {
    [[ -n $MUNGED_PID ]] || return 0
    kill -TERM "$MUNGED_PID" 2> /dev/null || true
    wait "$MUNGED_PID" 2> /dev/null || true
}
# The Slurm daemons run inside the test hosts; netns_down (in mh.sh's exit
# trap) stops them with everything else there.  munged runs outside (it
# talks only through its socket file) and is stopped after them.
MH_CLEANUP_HOOKS+=(netns_down stop_munged)

mh_up 3
H=("${NETNS_HOSTS[@]}")
echo "test hosts: ${H[*]} (${NETNS_IPS[*]})"

# munge.
if command -v mungekey > /dev/null; then
    mungekey --create --keyfile="$S/munge/munge.key" > /dev/null 2>&1 || die "mungekey failed"
else
    dd if=/dev/urandom of="$S/munge/munge.key" bs=1024 count=1 2> /dev/null
fi
chmod 400 "$S/munge/munge.key"
munged --foreground --force --socket="$SOCK" --key-file="$S/munge/munge.key" \
    --pid-file="$S/munged.pid" --log-file="$S/munged.log" \
    --seed-file="$S/munged.seed" > "$S/munged.out" 2>&1 &
MUNGED_PID=$!
for i in $(seq 50); do
    [[ -S $SOCK ]] && break
    sleep 0.2
done
munge -S "$SOCK" -n | unmunge -S "$SOCK" > /dev/null 2>&1 || die "munged does not answer"

# Each node: 2 CPUs (config_overrides lets slurmd accept the size).
shape="CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=1000"
# Every test host has its own port space, so Slurm's usual ports are free.
write_conf() {
    cat > "$SLURM_CONF" <<CONF
ClusterName=ocpaggmh
SlurmctldHost=${H[0]}(${NETNS_IPS[0]})
SlurmctldPort=6817
SlurmdPort=6818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCK
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool-%n
TmpFS=$S/tmp-%n
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd-%n.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=$1
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MailProg=/bin/true
NodeName=${H[1]} NodeAddr=${NETNS_IPS[1]} $shape State=UNKNOWN
NodeName=${H[2]} NodeAddr=${NETNS_IPS[2]} $shape State=UNKNOWN
PartitionName=test Nodes=${H[1]},${H[2]} Default=YES MaxTime=INFINITE State=UP
CONF
}
write_conf none
srun --mpi=list 2>&1 | grep -qw pmix || skip "this Slurm has no PMIx plugin (srun --mpi=pmix)"
write_conf pmix

sl() { mh_in 0 "$@"; } # a Slurm client on host 0

mh_in 0 slurmctld -D -i -f "$SLURM_CONF" > "$S/slurmctld.out" 2>&1 &
for i in $(seq 100); do
    sl scontrol ping 2> /dev/null | grep -q 'is UP' && break
    sleep 0.3
done
sl scontrol ping 2> /dev/null | grep -q 'is UP' || die "slurmctld does not answer"
for h in 1 2; do
    # Each node its own TmpFS: Slurm's PMIx plugin makes its per-step
    # directory there, and both nodes' steps have the same name.
    mkdir -p "$S/spool-${H[h]}" "$S/tmp-${H[h]}"
    mh_in "$h" slurmd -D -N "${H[h]}" -f "$SLURM_CONF" > "$S/slurmd-${H[h]}.out" 2>&1 &
done
for i in $(seq 100); do
    [[ $(sl sinfo -h -o %t 2> /dev/null | sort -u) == idle ]] && break
    sleep 0.3
done
[[ $(sl sinfo -h -o %t 2> /dev/null | sort -u) == idle ]] ||
    die "nodes are not idle: $(sl sinfo -h -N -o '%N %t' 2>&1)"
echo "private Slurm: slurmctld on ${H[0]}, slurmd on ${H[1]} and ${H[2]}, MpiDefault=pmix"

# Open MPI on TCP over the test hosts' link only, in every rank.
export OMPI_MCA_btl=tcp,self OMPI_MCA_btl_tcp_if_include=$MH_NET \
    OMPI_MCA_oob_tcp_if_include=$MH_NET

# submit NAME CONFIG [ocpagg args...]: sbatch -N 2, one task per node.
submit() {
    local name=$1 config=$2
    shift 2
    sl sbatch --parsable --job-name="$name" -N 2 --ntasks-per-node=1 --cpus-per-task=1 \
        --time=10 --chdir="$WORK" --output="$WORK/job-%j.out" \
        --export="ALL,OCPAGG_BIN=$OCPAGG,OCPAGG_CONFIG=$config,OCPAGG_LAUNCHER=srun-pmix" \
        "$SOURCE/jobs/ocpagg.sbatch" "$@"
}
job_field() { # job_field JOBID FIELD
    sl scontrol show job "$1" 2> /dev/null | grep -o "[[:space:]]$2=[^[:space:]]*" |
        head -n 1 | cut -d= -f2
}
wait_job() { # wait_job JOBID SECONDS: prints the final state
    local id=$1 limit=$2 t=0 st=
    while [[ $t -lt $((limit * 2)) ]]; do
        st=$(job_field "$id" JobState)
        case $st in
        COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL)
            echo "$st"
            return 0 ;;
        esac
        sleep 0.5
        t=$((t + 1))
    done
    echo "still ${st:-unknown} after ${limit}s"
    return 1
}
# no_steps_left: no ocpagg or slurmstepd runs in the compute hosts.
no_steps_left() {
    local t pid comm left
    for t in $(seq 50); do
        left=
        for pid in $(ip netns pids "${H[1]}") $(ip netns pids "${H[2]}"); do
            comm=$(cat "/proc/$pid/comm" 2> /dev/null) || continue
            [[ $comm == ocpagg || $comm == slurmstepd ]] && left+=" $pid:$comm"
        done
        [[ -n $left ]] || return 0
        sleep 0.2
    done
    echo "left running:$left" >&2
    return 1
}
passed=0

# --- 1. Same bytes as one host -------------------------------------------
gen=(--nodes 6 --pods-per-node 8 --days 3)
"$OCPGEN" --output "$WORK/d.h5" "${gen[@]}" --quiet || die "ocpgen hdf5 failed"
"$OCPGEN" --format parquet --output "$WORK/dpq" "${gen[@]}" --quiet || die "ocpgen parquet failed"
for fmt in hdf5 parquet; do
    in=$WORK/d.h5
    [[ $fmt == parquet ]] && in=$WORK/dpq
    mkdir -p "$WORK/one-$fmt" "$WORK/sl-$fmt"
    write_config "$WORK/$fmt.yaml" "$in" "$WORK/sl-$fmt/report.csv" "$fmt"
    (unset OMPI_MCA_btl_tcp_if_include OMPI_MCA_oob_tcp_if_include
     run_mpi 2 --config "$WORK/$fmt.yaml" --output "$WORK/one-$fmt/report.csv" --quiet) ||
        die "$fmt: single-host run failed"
    jid=$(submit "mh-$fmt" "$WORK/$fmt.yaml") || die "sbatch failed"
    st=$(wait_job "$jid" 120) || die "$fmt: job $jid: $st"
    code=$(job_field "$jid" ExitCode)
    [[ $st == COMPLETED && $code == 0:0 ]] || die "$fmt: job $jid ended $st, exit $code"
    cmp "$WORK/one-$fmt/report.csv" "$WORK/sl-$fmt/report.csv" ||
        die "$fmt: the 2-node report differs from the single-host one"
    grep -q '"ranks": 2' "$WORK/sl-$fmt/report.summary.json" || die "$fmt: not 2 ranks"
    nodes=$(job_field "$jid" NodeList)
    [[ $nodes == *"${H[1]}"* && $nodes == *"${H[2]}"* ]] || [[ $(job_field "$jid" NumNodes) == 2 ]] ||
        die "$fmt: job $jid ran on '$nodes', not on both hosts"
    grep -q 'launcher srun-pmix' "$WORK/job-$jid.out" || die "$fmt: not launched by srun --mpi=pmix"
    no_steps_left || die "$fmt: job steps left"
    echo "ok: $fmt: sbatch -N 2 (srun --mpi=pmix, TCP) wrote the single-host report byte for byte"
    passed=$((passed + 1))
done

# --- 2. A data error on rank 1 ------------------------------------------
CC=${CC:-cc}
helper=$WORK/h5_corrupt_chunks
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
"$CC" -std=c11 -O1 -w -o "$helper" "$SOURCE/tests/scripts/h5_corrupt_chunks.c" \
    $(pkg-config --cflags --libs hdf5-openmpi) || die "cannot build h5_corrupt_chunks"
nodes=20 pods=50 days=10
pod_rows=$((nodes * pods * 24 * days))
"$OCPGEN" --output "$WORK/bad.h5" --nodes $nodes --pods-per-node $pods --days $days --quiet ||
    die "ocpgen failed"
"$helper" "$WORK/bad.h5" /openshift_pod_usage_line_items/pod_usage_cpu_core_seconds \
    $((pod_rows * 3 / 4)) > /dev/null || die "cannot corrupt bad.h5"
mkdir -p "$WORK/dataerr"
write_config "$WORK/bad.yaml" "$WORK/bad.h5" "$WORK/dataerr/report.csv"
jid=$(submit mh-dataerr "$WORK/bad.yaml") || die "sbatch failed"
st=$(wait_job "$jid" 120) || die "dataerr: job $jid: $st"
code=$(job_field "$jid" ExitCode)
[[ $code == 65:0 ]] || die "dataerr: job $jid ended $st, exit $code, want 65:0"
grep -q "rank 1.*data error" "$WORK/job-$jid.out" || die "dataerr: rank 1 not named"
[[ -z $(ls -A "$WORK/dataerr") ]] || die "dataerr: files left: $(ls -A "$WORK/dataerr")"
no_steps_left || die "dataerr: job steps left"
echo "ok: dataerr: rank 1's data error on host 2 ended the 2-node job 65:0, nothing left"
passed=$((passed + 1))

# --- 3, 4. The early warning and a killed rank ---------------------------
"$OCPGEN" --output "$WORK/big.h5" --nodes 40 --pods-per-node 50 --days 30 --quiet ||
    die "ocpgen failed"
start_big() { # start_big NAME: submits; waits until the ranks read
    mkdir -p "$WORK/$1"
    write_config "$WORK/$1.yaml" "$WORK/big.h5" "$WORK/$1/report.csv"
    sed -i 's/^progress_seconds: .*/progress_seconds: 0.1/; s/^chunk_rows: .*/chunk_rows: 1024/' \
        "$WORK/$1.yaml"
    jid=$(submit "mh-$1" "$WORK/$1.yaml") || die "sbatch failed"
    for i in $(seq 600); do
        grep -q 'read+aggregate' "$WORK/job-$jid.out" 2> /dev/null && return 0
        st=$(job_field "$jid" JobState)
        [[ $st == PENDING || $st == RUNNING || $st == CONFIGURING ]] ||
            die "$1: job $jid ended ($st) before it was signalled"
        sleep 0.2
    done
    die "$1: job $jid never read"
}

start_big usr1
sl scancel --batch --signal=USR1 "$jid" || die "scancel failed"
st=$(wait_job "$jid" 120) || die "usr1: job $jid: $st"
code=$(job_field "$jid" ExitCode)
[[ ! -e $WORK/usr1/report.csv ]] || die "usr1: finished before the signal; make the dataset bigger"
[[ $code == 75:0 ]] || die "usr1: job $jid ended $st, exit $code, want 75:0"
grep -q 'stopped by signal 10' "$WORK/job-$jid.out" || die "usr1: ocpagg did not say it stopped"
[[ -z $(ls -A "$WORK/usr1") ]] || die "usr1: files left: $(ls -A "$WORK/usr1")"
no_steps_left || die "usr1: job steps left"
echo "ok: usr1: the early-warning signal stopped both nodes' ranks: 75:0, nothing left"
passed=$((passed + 1))

start_big killed
victim=$(mh_ranks_on 2)
[[ $(wc -w <<< "$victim") -eq 1 ]] || die "killed: want one rank on ${H[2]}, found '$victim'"
kill -KILL "$victim"
st=$(wait_job "$jid" 120) || die "killed: job $jid: $st"
code=$(job_field "$jid" ExitCode)
[[ $st != COMPLETED && $code != 0:0 ]] || die "killed: job $jid ended $st, exit $code"
[[ ! -e $WORK/killed/report.csv ]] || die "killed: a report was written"
no_steps_left || die "killed: job steps left"
echo "ok: killed: SIGKILL to rank 1 on ${H[2]} ended the job ($st, $code), nothing left"
passed=$((passed + 1))

echo "$passed passed, 0 failed"
