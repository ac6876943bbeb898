#!/usr/bin/env bash
# bench/run.sh - generate a dataset of about N pod rows and time the job.
#
#   bench/run.sh [--rows N] [--ranks R] [--threads T] [--format hdf5|parquet]
#                [--chunk-rows C] [--build DIR] [--data DIR] [--repeat K]
#
# Prints input rows/s for the whole job (wall clock of mpirun, and the
# job's own figure), the phase seconds and the peak RSS of every rank, read
# from the JSON run summary.  Datasets are cached in --data (default
# bench/data) by size and format, so repeated runs skip generation.
set -euo pipefail
cd "$(dirname "$0")/.."

rows=20000000 ranks=2 threads=1 format=hdf5 chunk=131072 build=build data=bench/data repeat=1
while [ $# -gt 0 ]; do
    case $1 in
    --rows) rows=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --format) format=$2; shift 2 ;;
    --chunk-rows) chunk=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 64 ;;
    esac
done

if [ ! -x "$build/ocpagg" ]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build" -j"$(nproc)" >/dev/null
fi

# A month of 30 days, 100 pods per node; nodes chosen to reach ~rows.
pods=100 days=30
nodes=$(( (rows + pods * 24 * days - 1) / (pods * 24 * days) ))
mkdir -p "$data"
if [ "$format" = hdf5 ]; then
    input="$data/pods-${nodes}n.h5"
    [ -f "$input" ] || "$build/ocpgen" --output "$input" --nodes "$nodes" \
        --pods-per-node "$pods" --days "$days" --no-compress --quiet
else
    input="$data/pods-${nodes}n-parquet"
    [ -d "$input" ] || "$build/ocpgen" --format parquet --output "$input" \
        --nodes "$nodes" --pods-per-node "$pods" --days "$days" --quiet
fi

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMP_NUM_THREADS=$threads OMP_PROC_BIND=${OMP_PROC_BIND:-false}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cat > "$out/bench.yaml" <<YAML
cluster_id: bench
source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
input: {format: $format, path: $input}
enabled_tag_keys: [app, environment, tier]
cost_categories: [{pattern: "openshift-%", id: 1}, {pattern: "kube-%", id: 2}]
threads: $threads
chunk_rows: $chunk
output: {path: $out/report.csv}
progress_seconds: 0
YAML

echo "dataset: $input ($nodes nodes x $pods pods x 24 h x $days days)"
echo "machine: $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for i in $(seq "$repeat"); do
    start=$(date +%s.%N)
    mpirun --allow-run-as-root --oversubscribe -np "$ranks" --bind-to none \
        "$build/ocpagg" --config "$out/bench.yaml" --quiet
    end=$(date +%s.%N)
    python3 - "$out/report.summary.json" "$start" "$end" "$ranks" "$threads" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
wall = float(sys.argv[3]) - float(sys.argv[2])
rows = sum(s["rows_read"].values())
pod = s["rows_read"]["openshift_pod_usage_line_items"]
sec = s["seconds"]
print(f"ranks x threads: {sys.argv[4]} x {sys.argv[5]}")
print(f"input rows: {rows} ({pod} pod rows); report rows: {s['output_rows']['total']}")
print(f"wall seconds (mpirun): {wall:.2f}  -> {rows / wall / 1e6:.2f} M input rows/s")
print(f"job seconds: {sec['total']:.2f}  -> {rows / sec['total'] / 1e6:.2f} M input rows/s")
print("phases: " + ", ".join(f"{k} {v:.2f}s" for k, v in sec.items() if k != "total"))
for r in s["per_rank"]:
    print(f"rank {r['rank']}: {r['rows']} rows, read {r['read_seconds']:.2f}s, "
          f"peak RSS {r['peak_rss_bytes'] / 2**20:.1f} MiB")
PY
done
