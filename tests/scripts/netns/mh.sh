# mh.sh - shared setup of the multi-host tests (sourced after common.sh).
#
# Makes MH_HOSTS test hosts as network namespaces (netns.sh) and runs
# mpirun inside host 0 so that every rank on another host talks to it over
# the namespaces' own network: TCP only (btl tcp,self; no shared memory),
# on the 10.77.0.0/24 interface only, each remote daemon started by
# agent.sh instead of ssh.  Skips (77) where namespaces cannot be made.
# shellcheck source=netns.sh
source "$SOURCE/tests/scripts/netns/netns.sh"

export PATH=$PATH:/usr/sbin:/sbin

skip() {
    echo "SKIP: $*"
    echo "0 passed, 0 failed, 1 skipped"
    exit 77  # ctest's SKIP_RETURN_CODE: reported as skipped, not passed
}

[[ $(id -u) -eq 0 ]] || skip "network namespaces need root"
command -v unshare > /dev/null || skip "unshare (util-linux) is missing"
netns_can || skip "cannot create network namespaces, veth pairs or a bridge here"

MH_CLEANUP_HOOKS=()
mh_cleanup() {
    local rc=$? h
    for h in "${MH_CLEANUP_HOOKS[@]}"; do
        "$h" || true
    done
    netns_down
    rm -rf "$WORK"
    exit "$rc"
}
trap mh_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export OCPAGG_NETNS_MAP=$WORK/netns.map OCPAGG_NETNS_HOSTS=$WORK/netns.hosts
MH_AGENT=$SOURCE/tests/scripts/netns/agent.sh
MH_NET=10.77.0.0/24

# mh_up N: N hosts and a hostfile with one slot per host.
mh_up() {
    netns_up "$1" "$OCPAGG_NETNS_MAP"
    local i
    { echo "127.0.0.1 localhost"
      for i in "${!NETNS_HOSTS[@]}"; do echo "${NETNS_IPS[i]} ${NETNS_HOSTS[i]}"; done
    } > "$OCPAGG_NETNS_HOSTS"
    printf '%s slots=1\n' "${NETNS_IPS[@]}" > "$WORK/hosts"
}

# mh_in HOST CMD...: CMD inside test host HOST (0..N-1), under its name and
# with the test hosts' /etc/hosts.
mh_in() {
    local h=$1
    shift
    "$SOURCE/tests/scripts/netns/enter.sh" "${NETNS_HOSTS[h]}" "$@"
}

# The Open MPI settings of a run across the test hosts.
MH_MCA=(--mca plm_rsh_agent "$MH_AGENT" --mca plm_rsh_no_tree_spawn 1
        --mca routed direct --mca btl tcp,self
        --mca btl_tcp_if_include "$MH_NET" --mca oob_tcp_if_include "$MH_NET")

# mh_mpirun NP ARGS...: mpirun from host 0, one rank per host in turn, at
# most 120 s (124 from timeout means a hang).
mh_mpirun() {
    local np=$1
    shift
    mh_in 0 timeout 120 mpirun --allow-run-as-root --hostfile "$WORK/hosts" --oversubscribe \
        --map-by node --display-map "${MH_MCA[@]}" -np "$np" "$@"
}

# mh_ranks_on HOST: pids of the ocpagg processes inside test host HOST.
mh_ranks_on() {
    local pid
    for pid in $(ip netns pids "${NETNS_HOSTS[$1]}" 2> /dev/null); do
        [[ $(cat "/proc/$pid/comm" 2> /dev/null) == ocpagg ]] && echo "$pid"
    done
    return 0
}

# mh_nothing_runs: no process is left in any test host.
mh_nothing_runs() {
    local t left
    for t in $(seq 50); do
        left=$(netns_pids)
        [[ -n $left ]] || return 0
        sleep 0.2
    done
    ps -o pid,comm,args -p "$(tr '\n' ',' <<< "$left" | sed 's/,$//')" >&2 || true
    return 1
}

# mh_wait_reading FILE PID: until the progress lines say the ranks read.
mh_wait_reading() {
    local i
    for i in $(seq 600); do
        grep -q 'read+aggregate' "$1" 2> /dev/null && return 0
        kill -0 "$2" 2> /dev/null || return 1
        sleep 0.1
    done
    return 1
}
