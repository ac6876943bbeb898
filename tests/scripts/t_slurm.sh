#!/usr/bin/env bash
# The Slurm batch script on a real, private, single-node Slurm.
#
# Installs Debian's slurm-wlm and munge when they are missing (skipping
# only when that is impossible), starts munged, slurmctld and slurmd with
# their own key, sockets, ports, state and logs in a temporary directory,
# then:
#   1. submits jobs/ocpagg.sbatch with sbatch at 2 tasks and checks that
#      its report is byte-for-byte the report of a direct mpirun run, and
#      that the job ran 2 ranks through the expected launcher;
#   2. submits it again on a bigger dataset, sends the early-warning signal
#      to the batch shell the way `#SBATCH --signal=B:USR1@...` does
#      (`scancel --batch --signal=USR1`), and checks that the job ends with
#      exit code 75, says it stopped, and leaves no report.
# The daemons are stopped by pid at the end, whatever happens.
source "$(dirname "$0")/common.sh"

export PATH=$PATH:/usr/sbin:/sbin

skip() {
    echo "SKIP: $*"
    echo "0 passed, 0 failed, 1 skipped"
    exit 77  # ctest's SKIP_RETURN_CODE: reported as skipped, not passed
}

# --- Packages -------------------------------------------------------------
missing=0
for cmd in slurmctld slurmd sbatch srun scontrol squeue scancel sinfo munged munge; do
    command -v "$cmd" > /dev/null || missing=1
done
if [[ $missing -eq 1 ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        skip "slurm-wlm/munge are not installed and installing them needs root"
    fi
    echo "installing slurm-wlm and munge from Debian..."
    if ! { apt-get update -qq &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
               --no-install-recommends slurm-wlm munge; } > "$WORK/apt.log" 2>&1; then
        tail -n 20 "$WORK/apt.log"
        skip "cannot install slurm-wlm and munge from Debian (apt-get failed)"
    fi
fi
if [[ $(id -u) -ne 0 ]]; then
    skip "slurmd must run as root to start job steps; run this test as root"
fi

# --- A private Slurm ------------------------------------------------------
S=$WORK/slurm
mkdir -p "$S/munge" "$S/state" "$S/spool"
# munged wants its socket directory reachable by everyone and its key
# readable by its owner only.
chmod 755 "$WORK" "$S"
chmod 700 "$S/munge"
SOCK=$S/munge.sock
CONF=$S/slurm.conf
export SLURM_CONF=$CONF
MUNGED_PID=
CTLD_PID=
SLURMD_PID=
JOBS=()

show_logs() {
    local f
    for f in "$S"/munged.log "$S"/munged.out "$S"/slurmctld.log "$S"/slurmctld.out \
             "$S"/slurmd.log "$S"/slurmd.out "$WORK"/job-*.out; do
        [[ -s $f ]] || continue
        echo "----- $f (last 40 lines) -----" >&2
        tail -n 40 "$f" >&2
    done
}

die() {
    echo "FAIL: $*" >&2
    show_logs
    exit 1
}

stop_pid() {
    local pid=$1 i
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2> /dev/null || return 0
    for i in $(seq 50); do
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.2
    done
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
}

cleanup() {
    local rc=$? j
    for j in "${JOBS[@]}"; do
        scancel "$j" 2> /dev/null || true
    done
    stop_pid "$SLURMD_PID"
    stop_pid "$CTLD_PID"
    stop_pid "$MUNGED_PID"
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT

# Two free TCP ports on the loopback, so that this Slurm never meets another.
port_free() {
    ! (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null
}
port=$((20000 + RANDOM % 20000))
while ! port_free "$port" || ! port_free $((port + 1)); do
    port=$((port + 2))
done
CTLD_PORT=$port
SLURMD_PORT=$((port + 1))

# The munge key and daemon.
if command -v mungekey > /dev/null; then
    mungekey --create --keyfile="$S/munge/munge.key" > /dev/null 2>&1 ||
        die "mungekey failed"
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
munge -S "$SOCK" -n | unmunge -S "$SOCK" > /dev/null 2>&1 ||
    die "munged does not answer on $SOCK"

# The node as slurmd sees it, renamed localhost; at least 2 CPUs so that a
# 2-task job fits (config_overrides lets slurmd accept the configured size).
node=$(slurmd -C 2> /dev/null | head -n 1)
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<< "$node")
[[ -n $cpus ]] || die "cannot read 'slurmd -C': $node"
if [[ $cpus -ge 2 ]]; then
    shape=${node#NodeName=* }
else
    shape="CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1"
fi
shape=$(sed 's/RealMemory=[0-9]*/RealMemory=1000/' <<< "$shape")

write_slurm_conf() {
    cat > "$CONF" <<CONF
ClusterName=ocpaggtest
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCK
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
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
NodeName=localhost NodeAddr=127.0.0.1 $shape State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
}

# PMIx when this Slurm has the plugin; srun lists plugins from the config
# alone, before any daemon runs.
write_slurm_conf none
mpi=none
if srun --mpi=list 2>&1 | grep -qw pmix; then
    mpi=pmix
fi
write_slurm_conf "$mpi"
echo "private Slurm: ports $CTLD_PORT/$SLURMD_PORT, MpiDefault=$mpi, node: $shape"

slurmctld -D -i -f "$CONF" > "$S/slurmctld.out" 2>&1 &
CTLD_PID=$!
for i in $(seq 100); do
    scontrol ping 2> /dev/null | grep -q 'is UP' && break
    kill -0 "$CTLD_PID" 2> /dev/null || die "slurmctld exited"
    sleep 0.3
done
scontrol ping 2> /dev/null | grep -q 'is UP' || die "slurmctld does not answer"
slurmd -D -N localhost -f "$CONF" > "$S/slurmd.out" 2>&1 &
SLURMD_PID=$!
state=
for i in $(seq 100); do
    state=$(sinfo -h -n localhost -o %t 2> /dev/null || true)
    [[ $state == idle ]] && break
    kill -0 "$SLURMD_PID" 2> /dev/null || die "slurmd exited"
    sleep 0.3
done
[[ $state == idle ]] || die "node localhost is '$state', not idle"

# submit NAME CONFIG [ocpagg args...]: sbatch at 2 tasks; prints the job id.
submit() {
    local name=$1 config=$2
    shift 2
    sbatch --parsable --job-name="$name" --ntasks=2 --cpus-per-task=1 \
        --time=10 --chdir="$WORK" --output="$WORK/job-%j.out" \
        --export="ALL,OCPAGG_BIN=$OCPAGG,OCPAGG_CONFIG=$config" \
        "$SOURCE/jobs/ocpagg.sbatch" "$@"
}

job_field() { # job_field JOBID FIELD
    scontrol show job "$1" 2> /dev/null | grep -o "[[:space:]]$2=[^[:space:]]*" |
        head -n 1 | cut -d= -f2
}

# wait_job JOBID SECONDS: until the job has ended; prints its state.
wait_job() {
    local id=$1 limit=$2 t=0 st=
    while [[ $t -lt $((limit * 2)) ]]; do
        st=$(job_field "$id" JobState)
        case $st in
        COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
            echo "$st"
            return 0 ;;
        esac
        sleep 0.5
        t=$((t + 1))
    done
    echo "still ${st:-unknown} after ${limit}s (reason: $(job_field "$id" Reason))"
    return 1
}

passed=0

# --- 1. The batch job's report equals a direct mpirun run ----------------
"$OCPGEN" --output "$WORK/small.h5" --nodes 6 --pods-per-node 8 --days 3 --quiet ||
    die "ocpgen failed"
mkdir -p "$WORK/slurm-out" "$WORK/direct-out"
write_config "$WORK/small.yaml" "$WORK/small.h5" "$WORK/slurm-out/report.csv"
run_mpi 2 --config "$WORK/small.yaml" --output "$WORK/direct-out/report.csv" --quiet ||
    die "direct mpirun run failed"
jid=$(submit ocpagg-small "$WORK/small.yaml") || die "sbatch failed"
JOBS+=("$jid")
st=$(wait_job "$jid" 300) || die "job $jid did not finish: $st"
code=$(job_field "$jid" ExitCode)
[[ $st == COMPLETED && $code == 0:0 ]] ||
    die "job $jid ended $st with exit code $code"
[[ -f $WORK/slurm-out/report.csv ]] || die "the batch job wrote no report"
cmp "$WORK/slurm-out/report.csv" "$WORK/direct-out/report.csv" ||
    die "the batch job's report differs from the direct mpirun run's"
grep -q '"ranks": 2' "$WORK/slurm-out/report.summary.json" ||
    die "the batch job did not run 2 ranks"
want=mpirun
[[ $mpi == pmix ]] && want=srun-pmix
grep -q "launcher $want" "$WORK/job-$jid.out" ||
    die "the batch job did not use launcher $want"
echo "ok: sbatch at 2 tasks (launcher $want) wrote the same report as mpirun -np 2"
passed=$((passed + 1))

# --- 2. The early-warning signal stops the job cleanly with 75 ----------
# Big enough that reading takes a few seconds, so the signal lands while
# the ranks read; the progress line says when that is.
"$OCPGEN" --output "$WORK/big.h5" --nodes 100 --pods-per-node 100 --days 30 --quiet ||
    die "ocpgen failed"
mkdir -p "$WORK/stop-out"
write_config "$WORK/big.yaml" "$WORK/big.h5" "$WORK/stop-out/report.csv"
sed -i 's/^progress_seconds: .*/progress_seconds: 0.1/; s/^chunk_rows: .*/chunk_rows: 1024/' \
    "$WORK/big.yaml"
jid=$(submit ocpagg-stop "$WORK/big.yaml") || die "sbatch failed"
JOBS+=("$jid")
out=$WORK/job-$jid.out
for i in $(seq 600); do
    grep -q 'read+aggregate' "$out" 2> /dev/null && break
    st=$(job_field "$jid" JobState)
    [[ $st == PENDING || $st == RUNNING || $st == CONFIGURING ]] ||
        die "job $jid ended ($st) before it was signalled"
    sleep 0.2
done
grep -q 'read+aggregate' "$out" || die "job $jid never reported reading"
scancel --batch --signal=USR1 "$jid" || die "scancel --signal=USR1 failed"
st=$(wait_job "$jid" 120) || die "job $jid did not stop: $st"
code=$(job_field "$jid" ExitCode)
if [[ -f $WORK/stop-out/report.csv ]]; then
    die "job $jid finished its report before the signal took effect; make the dataset bigger"
fi
[[ $code == 75:0 ]] || die "job $jid ended $st with exit code $code, not 75:0"
grep -q 'received SIGUSR1' "$out" || die "the batch script did not see SIGUSR1"
grep -q 'stopped by signal 10' "$out" || die "ocpagg did not say it stopped"
leftover=$(ls -A "$WORK/stop-out")
[[ -z $leftover ]] || die "files left behind after the stop: $leftover"
echo "ok: SIGUSR1 to the batch shell stopped the job: exit 75, no report"
passed=$((passed + 1))

echo "$passed passed, 0 failed"
