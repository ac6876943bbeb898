#!/usr/bin/env bash
# bench/model_netns.sh - measure the exchange across hosts under a known
# network (tc netem delay and rate, or a tbf rate where the kernel has no
# netem), to check the exchange part of bench/model.py.
#
#   sudo bench/model_netns.sh [--build DIR] [--out CSV] [--nodes N]
#
# Makes 3 test hosts as network namespaces (tests/scripts/netns/), one
# rank per host over TCP, and runs the same HDF5 month (ocpgen --nodes N
# --pods-per-node 50 --days 30) at 2 and 3 ranks under several `tc netem`
# settings (one-way delay and rate on every link; a message crosses two
# shaped queues, so the one-way latency is twice the delay set).  For each
# run it records the phase seconds from the run summary and the bytes the
# hosts sent (the veth counters, sampled every 10 ms): in all, during the
# exchange and from the start of the finish on (the days' report text
# going to rank 0), split at the times rank 0 prints its phase lines.  Needs root; nothing leaves the namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE=$PWD
build=build out=bench/results/model_netns.csv nodes=40
while [[ $# -gt 0 ]]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    -h | --help) sed -n 2,15p "$0"; exit 0 ;;
    *) echo "model_netns.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
OCPAGG=$PWD/$build/ocpagg
OCPGEN=$PWD/$build/ocpgen
[[ -x $OCPAGG && -x $OCPGEN ]] || { echo "model_netns.sh: build first ($build)" >&2; exit 69; }
export PATH=$PATH:/usr/sbin:/sbin
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ocpagg-model.XXXXXX")
# shellcheck source=../tests/scripts/netns/netns.sh
source tests/scripts/netns/netns.sh
cleanup() { local rc=$?; netns_down; rm -rf "$WORK"; exit "$rc"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
netns_can || { echo "model_netns.sh: cannot make network namespaces (root?)" >&2; exit 77; }
export OCPAGG_NETNS_MAP=$WORK/netns.map OCPAGG_NETNS_HOSTS=$WORK/netns.hosts
netns_up 3 "$OCPAGG_NETNS_MAP"
{ echo "127.0.0.1 localhost"
  for i in 0 1 2; do echo "${NETNS_IPS[i]} ${NETNS_HOSTS[i]}"; done; } > "$OCPAGG_NETNS_HOSTS"

"$OCPGEN" --output "$WORK/d.h5" --nodes "$nodes" --pods-per-node 50 --days 30 --quiet
cat > "$WORK/c.yaml" <<YAML
cluster_id: bench
cluster_alias: Bench
source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
report_period_id: 1
input: {format: hdf5, path: $WORK/d.h5}
threads: 1
output: {path: $WORK/r.csv}
progress_seconds: 0
YAML

# A process that stays in the switch namespace: its /proc/PID/net/dev
# shows the switch ports, and what a port receives is what its host sent.
ip netns exec "$NETNS_SW" sleep 100000 &
SW_PID=$!
# sample FILE: every 10 ms "seconds bytes" (bytes sent by all hosts), read
# without forking so that the samples are close together.
sample() {
    local name rx rest sum
    while :; do
        sum=0
        while read -r name rx rest; do
            [[ $name == v[0-9]*: ]] && sum=$((sum + rx))
        done < "/proc/$SW_PID/net/dev"
        echo "$EPOCHREALTIME $sum"
        sleep 0.01
    done > "$1"
}

run() { # run NP: one rank per host; prints the summary's figures
    local np=$1 sampler
    sample "$WORK/tx.log" &
    sampler=$!
    # Rank 0's phase lines, time-stamped, split the bytes by phase.
    tests/scripts/netns/enter.sh "${NETNS_HOSTS[0]}" timeout 600 mpirun --allow-run-as-root \
        --host "$(IFS=,; echo "${NETNS_IPS[*]:0:np}")" --map-by node -np "$np" \
        --mca plm_rsh_agent "$SOURCE/tests/scripts/netns/agent.sh" --mca plm_rsh_no_tree_spawn 1 \
        --mca routed direct --mca btl tcp,self \
        --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
        "$OCPAGG" --config "$WORK/c.yaml" 2>&1 |
        while IFS= read -r line; do echo "$EPOCHREALTIME $line"; done > "$WORK/run.log" ||
        { kill "$sampler"; cat "$WORK/run.log" >&2; return 1; }
    sleep 0.1
    kill "$sampler"
    wait "$sampler" 2> /dev/null || true
    python3 - "$WORK/r.summary.json" "$WORK/tx.log" "$WORK/run.log" "$WORK/r.csv" <<'PY'
import json, os, sys
s = json.load(open(sys.argv[1]))
tx = [tuple(map(float, l.split())) for l in open(sys.argv[2]) if len(l.split()) == 2]
marks = {}
for l in open(sys.argv[3]):
    t, _, msg = l.partition(" ")
    if "exchanging groups" in msg: marks["x0"] = float(t)
    if "ocpagg: finishing" in msg: marks["f0"] = float(t)
def at(t):  # bytes sent by time t (last sample before it)
    b = tx[0][1]
    for ts, v in tx:
        if ts > t: break
        b = v
    return b
xb = at(marks["f0"]) - at(marks["x0"])
fb = tx[-1][1] - at(marks["f0"])
sec = s["seconds"]
rows = sum(s["rows_read"].values())
print(f'{rows},{s["pod_groups"] + s["storage_groups"]},{s["output_rows"]["total"]},'
      f'{os.path.getsize(sys.argv[4])},'
      f'{sec["plan"]:.4f},{sec["read_aggregate"]:.4f},{sec["exchange"]:.4f},'
      f'{sec["finish"] + sec["write"]:.4f},{sec["total"]:.4f},'
      f'{int(tx[-1][1] - tx[0][1])},{int(xb)},{int(fb)}')
PY
}

mkdir -p "$(dirname "$out")"
echo "delay_ms,rate_mbit,one_way_latency_ms,ranks,input_rows,groups,report_rows,report_bytes,plan,read_aggregate,exchange,finish_write,total,bytes_on_wire,exchange_bytes,finish_bytes" > "$out"
# delay (ms, per queue) and rate (Mbit/s); 0 0 = the veth link unshaped.
# Without netem in the kernel only rates are shaped (tbf), at veth latency.
shapes=("0 0" "0 1000" "0 200" "0 50" "0 20")
if netns_has_netem; then
    shapes+=("0.5 1000" "2 200" "10 50")
else
    echo "model_netns.sh: no netem qdisc in this kernel: rates only (tbf), no added delay" >&2
fi
for shape in "${shapes[@]}"; do
    read -r delay rate <<< "$shape"
    if [[ $rate == 0 ]]; then
        netns_shape off off
        latency=0
    else
        netns_shape "$delay" "$rate"
        latency=$(python3 -c "print(2 * $delay)")
    fi
    for np in 2 3; do
        line=$(run "$np")
        echo "$delay,$rate,$latency,$np,$line" | tee -a "$out"
    done
done
netns_shape off off
echo "model_netns.sh: wrote $out" >&2
