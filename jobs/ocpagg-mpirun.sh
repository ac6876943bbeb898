#!/usr/bin/env bash
# ocpagg-mpirun.sh - run ocpagg with Open MPI's mpirun, for machines and
# clusters without Slurm.  See usage() or docs/running.md.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: jobs/ocpagg-mpirun.sh [launcher options] [--] [ocpagg options]

Starts ocpagg on one machine or on the hosts of a hostfile with Open MPI's
mpirun, each rank bound to its own cores with OpenMP threads packed on them.

Launcher options:
  -H, --hostfile FILE      Open MPI hostfile, one "host slots=N" line per
                           host (default: this machine only)
  -N, --ranks-per-node P   MPI ranks on each host (default 1)
  -n, --ranks N            total ranks (default: P x number of hosts)
  -t, --threads T          OpenMP threads per rank (default 1)
      --bind-to WHAT       core (default), socket, numa or none
      --map-by SPEC        Open MPI mapping (default ppr:P:node:PE=T, i.e.
                           P ranks per host with T cores each)
      --oversubscribe      allow more ranks x threads than cores (a laptop,
                           a test); implies --bind-to none.  Also implied
                           when P x T exceeds the slots of a hostfile line
                           (or this machine's cores without a hostfile)
      --net IF|CIDR        the network between the hosts (e.g. ib0 or
                           10.1.0.0/16): Open MPI's TCP transport and its
                           runtime use only that one
      --agent CMD          how mpirun starts its daemon on another host
                           instead of ssh (plm_rsh_agent), e.g. a site's
                           pdsh/qrsh wrapper
      --mca NAME VALUE     any other Open MPI parameter (repeatable)
      --mpirun CMD         the mpirun to use (default: mpirun in PATH)
      --ocpagg PATH        the binary (default: $OCPAGG_BIN, ocpagg in PATH,
                           or build/ocpagg beside this script's folder)
      --report-bindings    let mpirun print where each rank is bound
      --dry-run            print the command and exit
  -h, --help               this text

Everything else (or everything after --) goes to ocpagg, e.g.
  jobs/ocpagg-mpirun.sh -H hosts.txt -N 4 -t 8 -- --config nov.yaml
  jobs/ocpagg-mpirun.sh -N 2 -t 1 --config config/ocpagg.yaml

OMP_PROC_BIND (default close) and OMP_PLACES (default cores) are passed
to every rank.  SIGTERM, SIGINT or SIGUSR1 sent to this script reach the
ranks as SIGUSR1 (Open MPI forwards that one), so ocpagg stops cleanly and
the script exits 75 with no report left behind.

Exit code: ocpagg's (0 ok, 65 bad input, 75 stopped by a signal, ...),
64 for a bad launcher option, 69 when mpirun or ocpagg cannot be found.
USAGE
}

die_usage() {
    echo "ocpagg-mpirun.sh: $*" >&2
    echo "Try 'jobs/ocpagg-mpirun.sh --help'." >&2
    exit 64
}

positive() { # positive NAME VALUE
    [[ $2 =~ ^[1-9][0-9]*$ ]] || die_usage "$1 needs a positive integer, got '$2'"
}

hostfile=
per_node=1
ranks=
threads=1
bind_to=
map_by=
oversubscribe=0
mpirun=mpirun
bin=${OCPAGG_BIN:-}
report_bindings=0
dry_run=0
net=
agent=
mca=()
args=()

while [[ $# -gt 0 ]]; do
    case $1 in
    -H | --hostfile) [[ $# -ge 2 ]] || die_usage "$1 needs a value"; hostfile=$2; shift 2 ;;
    -N | --ranks-per-node) [[ $# -ge 2 ]] || die_usage "$1 needs a value"; per_node=$2; shift 2 ;;
    -n | --ranks) [[ $# -ge 2 ]] || die_usage "$1 needs a value"; ranks=$2; shift 2 ;;
    -t | --threads) [[ $# -ge 2 ]] || die_usage "$1 needs a value"; threads=$2; shift 2 ;;
    --bind-to) [[ $# -ge 2 ]] || die_usage "$1 needs a value"; bind_to=$2; shift 2 ;;
    --map-by) [[ $# -ge 2 ]] || die_usage "$1 needs a value"; map_by=$2; shift 2 ;;
    --mpirun) [[ $# -ge 2 ]] || die_usage "$1 needs a value"; mpirun=$2; shift 2 ;;
    --ocpagg) [[ $# -ge 2 ]] || die_usage "$1 needs a value"; bin=$2; shift 2 ;;
    --net) [[ $# -ge 2 ]] || die_usage "$1 needs a value"; net=$2; shift 2 ;;
    --agent) [[ $# -ge 2 ]] || die_usage "$1 needs a value"; agent=$2; shift 2 ;;
    --mca) [[ $# -ge 3 ]] || die_usage "$1 needs a name and a value"; mca+=(--mca "$2" "$3"); shift 3 ;;
    --oversubscribe) oversubscribe=1; shift ;;
    --report-bindings) report_bindings=1; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; args+=("$@"); break ;;
    *) args+=("$1"); shift ;;
    esac
done

positive --ranks-per-node "$per_node"
positive --threads "$threads"
[[ -z $ranks ]] || positive --ranks "$ranks"
case ${bind_to:-core} in
core | socket | numa | none) ;;
*) die_usage "--bind-to must be core, socket, numa or none, not '$bind_to'" ;;
esac

nhosts=1
if [[ -n $hostfile ]]; then
    [[ -r $hostfile ]] || die_usage "cannot read hostfile '$hostfile'"
    nhosts=$(grep -cvE '^[[:space:]]*(#|$)' "$hostfile" || true)
    [[ $nhosts -ge 1 ]] || die_usage "hostfile '$hostfile' lists no host"
fi
if [[ -z $ranks ]]; then
    ranks=$((per_node * nhosts))
fi

# More ranks x threads on a host than it has cores: binding would stack
# threads on the same cores (or make mpirun refuse), so nothing is bound.
slots=
if [[ -n $hostfile ]]; then
    slots=$(sed -n 's/.*slots=\([0-9][0-9]*\).*/\1/p' "$hostfile" | sort -n | head -n 1)
else
    slots=$(nproc 2> /dev/null || echo "")
fi
if [[ $oversubscribe -eq 0 && -n $slots && $((per_node * threads)) -gt $slots ]]; then
    echo "ocpagg-mpirun.sh: $per_node rank(s) x $threads thread(s) per host exceed" \
        "$slots core(s); oversubscribing without binding" >&2
    oversubscribe=1
fi

command -v "$mpirun" > /dev/null || { echo "ocpagg-mpirun.sh: '$mpirun' not found" >&2; exit 69; }
if [[ -z $bin ]]; then
    bin=$(command -v ocpagg || true)
fi
if [[ -z $bin ]]; then
    bin=$(cd "$(dirname "$0")/.." && pwd)/build/ocpagg
fi
if [[ ! -x $bin ]]; then
    echo "ocpagg-mpirun.sh: cannot find the ocpagg binary (tried '$bin'); use --ocpagg or OCPAGG_BIN" >&2
    exit 69
fi

export OMP_NUM_THREADS=$threads
export OMP_PROC_BIND=${OMP_PROC_BIND:-close}
export OMP_PLACES=${OMP_PLACES:-cores}

# P ranks per host, each given T cores (PE=T) and bound to them, so the
# OpenMP threads of a rank stay on the cores mpirun reserved for it.  When
# oversubscribing there are not enough cores to reserve; nothing is bound.
if [[ $oversubscribe -eq 1 ]]; then
    : "${bind_to:=none}"
    : "${map_by:=ppr:$per_node:node}"
else
    : "${bind_to:=core}"
    if [[ $bind_to == core ]]; then
        : "${map_by:=ppr:$per_node:node:PE=$threads}"
    else
        : "${map_by:=ppr:$per_node:node}"
    fi
fi

cmd=("$mpirun" -np "$ranks" --map-by "$map_by" --bind-to "$bind_to"
     -x OMP_NUM_THREADS -x OMP_PROC_BIND -x OMP_PLACES)
[[ -z $hostfile ]] || cmd+=(--hostfile "$hostfile")
if [[ -n $net ]]; then
    cmd+=(--mca btl_tcp_if_include "$net" --mca oob_tcp_if_include "$net")
fi
[[ -z $agent ]] || cmd+=(--mca plm_rsh_agent "$agent")
cmd+=("${mca[@]}")
[[ $oversubscribe -eq 0 ]] || cmd+=(--oversubscribe)
[[ $report_bindings -eq 0 ]] || cmd+=(--report-bindings)
# Open MPI refuses to run as root unless told; containers often are root.
[[ $(id -u) -ne 0 ]] || cmd+=(--allow-run-as-root)
cmd+=("$bin" --threads "$threads" "${args[@]}")

echo "ocpagg-mpirun.sh: $ranks rank(s) on $nhosts host(s) x $threads thread(s): ${cmd[*]}" >&2
if [[ $dry_run -eq 1 ]]; then
    exit 0
fi

# mpirun runs in the background so that this shell can take signals:
# Open MPI 4's mpirun forwards SIGUSR1 to the ranks but answers SIGTERM and
# SIGINT by killing the job itself and exiting 1, so every stop request is
# passed on as SIGUSR1 and ocpagg ends cleanly with 75.
"${cmd[@]}" &
job=$!
interrupted=0
forward() {
    interrupted=1
    echo "ocpagg-mpirun.sh: received SIG$1; asking the ranks to stop (SIGUSR1)" >&2
    kill -s USR1 "$job" 2> /dev/null || true
}
trap 'forward TERM' TERM
trap 'forward INT' INT
trap 'forward USR1' USR1

while :; do
    rc=0
    wait "$job" || rc=$?
    # A trapped signal makes `wait` return early (status > 128) while the
    # job goes on; wait again for its real status.
    if [[ $interrupted -eq 1 && $rc -gt 128 ]]; then
        interrupted=0
        continue
    fi
    break
done
exit "$rc"
