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

# netns_has_netem: 0 when this kernel has the netem qdisc (sch_netem);
# without it only the rate can be shaped (tbf), not the delay.
netns_has_netem() {
    local p=${NETNS_PREFIX}nq ok=1
    ip netns add "$p" 2> /dev/null || return 1
    tc -n "$p" qdisc add dev lo root netem delay 1ms 2> /dev/null && ok=0
    ip netns del "$p" 2> /dev/null || true
    return $ok
}

# netns_shape DELAY_MS RATE_MBIT: shapes every link, both ways (the egress
# of v_i in the switch towards host i, and of eth0 in host i towards the
# switch; a message between two hosts crosses two shaped queues).  With
# netem: that delay and rate on each queue; without it (DELAY_MS must be
# 0): a token bucket (tbf) at that rate.  "off off" removes the shaping.
netns_shape() {
    local delay=$1 rate=$2 i dev qd
    for ((i = 0; i < ${#NETNS_HOSTS[@]}; i++)); do
        for dev in "$NETNS_SW v$i" "${NETNS_HOSTS[i]} eth0"; do
            read -r ns d <<< "$dev"
            tc -n "$ns" qdisc del dev "$d" root 2> /dev/null || true
            [[ $delay != off ]] || continue
            if [[ $delay != 0 ]]; then
                tc -n "$ns" qdisc add dev "$d" root netem delay "${delay}ms" rate "${rate}mbit"
            else
                # A bucket of 4 ms at that rate, at least 64 KiB, and room
                # for 100 ms of queue.
                qd=$((rate * 1000000 / 8 / 250))
                [[ $qd -ge 65536 ]] || qd=65536
                tc -n "$ns" qdisc add dev "$d" root tbf rate "${rate}mbit" burst "$qd" latency 100ms
            fi
        done
    done
}
