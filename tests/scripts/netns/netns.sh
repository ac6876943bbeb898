# netns.sh - test hosts on one machine as network namespaces (sourced).
#
# netns_up N creates N "hosts" h0..h(N-1) and one "switch" namespace that
# holds a bridge; each host has a veth pair to the bridge with address
# 10.77.0.(i+1)/24 on its eth0, and its own loopback.  Nothing is created
# in the namespace the test runs in: the veth pairs are made inside the
# switch namespace and one end is moved into the host, so no address,
# route or interface of the machine changes and no packet leaves the
# namespaces.  netns_down kills whatever still runs in them (processes the
# test started there; the namespaces are the test's own) and deletes them.
#
# The names carry the test's pid, so parallel tests never share one:
#   NETNS_HOSTS[i]  namespace of host i     NETNS_IPS[i]  its address
#   NETNS_SW        the switch namespace    NETNS_MAP     "ip namespace"
#                                                         lines, for agent.sh
# Needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN); netns_can says whether it can.

NETNS_PREFIX=ocpmh$$
NETNS_SW=
NETNS_HOSTS=()
NETNS_IPS=()
NETNS_MAP=

# netns_can: 0 when namespaces, veth pairs and a bridge can be made here.
netns_can() {
    command -v ip > /dev/null || return 1
    local p=${NETNS_PREFIX}probe ok=1
    ip netns add "$p" 2> /dev/null || return 1
    ip -n "$p" link add br0 type bridge 2> /dev/null &&
        ip -n "$p" link add va type veth peer name vb 2> /dev/null &&
        ip -n "$p" link set lo up 2> /dev/null && ok=0
    ip netns del "$p" 2> /dev/null || true
    return $ok
}

# netns_up N MAPFILE
netns_up() {
    local n=$1 i ns
    NETNS_MAP=$2
    NETNS_SW=${NETNS_PREFIX}sw
    ip netns add "$NETNS_SW"
    ip -n "$NETNS_SW" link add br0 type bridge stp_state 0 forward_delay 0
    ip -n "$NETNS_SW" link set br0 up
    ip -n "$NETNS_SW" link set lo up
    : > "$NETNS_MAP"
    for ((i = 0; i < n; i++)); do
        ns=${NETNS_PREFIX}h$i
        ip netns add "$ns"
        NETNS_HOSTS+=("$ns")
        NETNS_IPS+=("10.77.0.$((i + 1))")
        ip -n "$NETNS_SW" link add "v$i" type veth peer name eth0 netns "$ns"
        ip -n "$NETNS_SW" link set "v$i" master br0 up
        ip -n "$ns" link set lo up
        ip -n "$ns" addr add "10.77.0.$((i + 1))/24" dev eth0
        ip -n "$ns" link set eth0 up
        echo "10.77.0.$((i + 1)) $ns" >> "$NETNS_MAP"
    done
    # The links are up when every end says so (the bridge runs no spanning
    # tree, so its ports forward at once).
    local t down
    for t in $(seq 50); do
        down=0
        for ((i = 0; i < n; i++)); do
            ip -n "${NETNS_HOSTS[i]}" -o link show eth0 | grep -q 'state UP' || down=1
            ip -n "$NETNS_SW" -o link show "v$i" | grep -q 'state UP' || down=1
        done
        [[ $down -eq 1 ]] || break
        sleep 0.1
    done
}

# netns_pids: the pids of every process inside the test's namespaces.
netns_pids() {
    local ns
    for ns in "${NETNS_HOSTS[@]}" ${NETNS_SW:+"$NETNS_SW"}; do
        ip netns pids "$ns" 2> /dev/null || true
    done
}

# netns_down: kill what still runs inside (TERM, then KILL) and delete.
netns_down() {
    local ns pids t
    pids=$(netns_pids)
    if [[ -n $pids ]]; then
        # shellcheck disable=SC2086 # a list of pids
        kill -TERM $pids 2> /dev/null || true
        for t in $(seq 25); do
            [[ -n $(netns_pids) ]] || break
            sleep 0.2
        done
        pids=$(netns_pids)
        # shellcheck disable=SC2086
        [[ -z $pids ]] || kill -KILL $pids 2> /dev/null || true
        for t in $(seq 25); do
            [[ -n $(netns_pids) ]] || break
            sleep 0.2
        done
    fi
    for ns in "${NETNS_HOSTS[@]}" ${NETNS_SW:+"$NETNS_SW"}; do
        ip netns del "$ns" 2> /dev/null || true
    done
    NETNS_HOSTS=()
    NETNS_SW=
}

# netns_shape DELAY RATE: tc netem on every switch port (both directions of
# every host's link pass through one port each way: egress of v_i towards
# the host, and of eth0 in the host towards the switch).  DELAY like 2ms,
# RATE like 100mbit; "off" removes the shaping.
netns_shape() {
    local delay=$1 rate=$2 i
    for ((i = 0; i < ${#NETNS_HOSTS[@]}; i++)); do
        if [[ $delay == off ]]; then
            ip -n "$NETNS_SW" qdisc del dev "v$i" root 2> /dev/null || true
            ip -n "${NETNS_HOSTS[i]}" qdisc del dev eth0 root 2> /dev/null || true
        else
            ip -n "$NETNS_SW" qdisc replace dev "v$i" root netem delay "$delay" rate "$rate"
            ip -n "${NETNS_HOSTS[i]}" qdisc replace dev eth0 root netem delay "$delay" rate "$rate"
        fi
    done
}
