#!/usr/bin/env bash
# sweep.sh - scaling sweep: the same dataset at several ranks x threads.
#
# Runs ocpagg once per configuration and repeat, reads each run's JSON
# summary, checks that every run wrote the same report (byte for byte),
# and writes into the output folder:
#   sweep.csv    one line per configuration (best and median of the repeats)
#   runs.csv     one line per run, with the load and other busy processes
#   sweep.png    rows/s and parallel efficiency per configuration (gnuplot)
#   machine.txt  the machine, OS and library versions the numbers come from
# See usage() below and docs/running.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

usage() {
    cat <<'USAGE'
Usage: bench/sweep.sh [options]

  --input PATH           the dataset: an HDF5 file, or a Parquet directory
                         in Koku's layout (default: generate HDF5 with ocpgen)
  --nodes N              generated dataset: nodes (default 100)
  --pods-per-node P      generated dataset: pods per node (default 280)
  --days D               generated dataset: days (default 30); pod rows =
                         N x P x 24 x D (default 20,160,000)
  --compress             generate with shuffle+deflate (default: without,
                         so that HDF5 decoding does not dominate)
  --configs "RxT ..."    ranks x threads to run (default "1x1 1x2 2x1 4x1")
  --repeat K             runs per configuration (default 3)
  --chunk-rows N         the chunk_rows setting (default 131072)
  --launcher L           mpirun (default; jobs/ocpagg-mpirun.sh) or srun
                         (inside a Slurm allocation, srun --mpi=pmix)
  --out DIR              results folder (default bench/results)
  --work DIR             scratch folder for the dataset and reports
                         (default: a new temporary folder, removed after)
  --ocpagg PATH          the binary (default build/ocpagg)
  --ocpgen PATH          the generator (default: ocpgen beside ocpagg)
  --no-plot              skip the PNG
  -h, --help             this text

Configurations with more ranks x threads than cores run oversubscribed
(unbound); their "efficiency_per_core" divides by the cores really there.
Times are ocpagg's own (seconds.total in the summary: from MPI_Init to
the summary written), so MPI start-up is excluded; wall_seconds in
runs.csv includes it.
USAGE
}

die() {
    echo "sweep.sh: $*" >&2
    exit 1
}

input=
nodes=100
pods=280
days=30
compress=0
configs="1x1 1x2 2x1 4x1"
repeat=3
chunk_rows=131072
launcher=mpirun
out=$root/bench/results
work=
ocpagg=
ocpgen=
plot=1

while [[ $# -gt 0 ]]; do
    case $1 in
    --input) input=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --pods-per-node) pods=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --compress) compress=1; shift ;;
    --configs) configs=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --chunk-rows) chunk_rows=$2; shift 2 ;;
    --launcher) launcher=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --ocpagg) ocpagg=$2; shift 2 ;;
    --ocpgen) ocpgen=$2; shift 2 ;;
    --no-plot) plot=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
    esac
done

[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat needs a positive integer"
[[ $launcher == mpirun || $launcher == srun ]] || die "--launcher must be mpirun or srun"
for c in $configs; do
    [[ $c =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] || die "bad configuration '$c' (want RxT, e.g. 2x1)"
done
ocpagg=${ocpagg:-$root/build/ocpagg}
ocpgen=${ocpgen:-$(dirname "$ocpagg")/ocpgen}
[[ -x $ocpagg ]] || die "no ocpagg at $ocpagg (use --ocpagg)"

# Debian packages the sweep needs: jq reads the summaries, gnuplot draws.
need_pkg() { # need_pkg COMMAND PACKAGE
    command -v "$1" > /dev/null && return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get > /dev/null; then
        echo "sweep.sh: installing $2..." >&2
        { apt-get update -qq &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2"; } \
            > /dev/null 2>&1 || true
    fi
    command -v "$1" > /dev/null
}
need_pkg jq jq || die "jq is needed to read the run summaries (apt-get install jq)"
if [[ $plot -eq 1 ]] && ! need_pkg gnuplot gnuplot-nox; then
    echo "sweep.sh: gnuplot missing (apt-get install gnuplot-nox); no plot" >&2
    plot=0
fi

# elapsed T0: seconds since T0 (a `date +%s.%N` value).
elapsed() {
    awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN { printf "%.3f\n", a - b }'
}

own_work=0
if [[ -z $work ]]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/ocpagg-sweep.XXXXXX")
    own_work=1
fi
mkdir -p "$work" "$out"
cleanup() {
    if [[ $own_work -eq 1 ]]; then
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# --- The dataset ----------------------------------------------------------
if [[ -z $input ]]; then
    [[ -x $ocpgen ]] || die "no ocpgen at $ocpgen (use --ocpgen or --input)"
    rows=$((nodes * pods * 24 * days))
    # About 150 bytes a pod row uncompressed, plus the reports (the largest
    # is a few hundred MB); refuse early rather than fill the disk.
    need_kb=$(((rows * 150 + 1024 * 1024 * 1024) / 1024))
    avail_kb=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
    [[ $avail_kb -gt $need_kb ]] ||
        die "$work has $((avail_kb / 1024)) MiB free, the sweep needs about $((need_kb / 1024)) MiB"
    input=$work/sweep.h5
    gen=(--output "$input" --nodes "$nodes" --pods-per-node "$pods" --days "$days" --quiet)
    [[ $compress -eq 1 ]] || gen+=(--no-compress)
    echo "sweep.sh: generating $rows pod rows into $input" >&2
    t0=$(date +%s.%N)
    "$ocpgen" "${gen[@]}" || die "ocpgen failed"
    echo "sweep.sh: generated in $(elapsed "$t0") s," \
        "$(du -h "$input" | cut -f1)" >&2
fi
[[ -r $input ]] || die "cannot read $input"
input_format=hdf5
[[ -d $input ]] && input_format=parquet

cat > "$work/sweep.yaml" <<YAML
cluster_id: sweep-cluster
cluster_alias: Sweep Cluster
source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
report_period_id: 1
input: {format: $input_format, path: $input}
enabled_tag_keys: [app, environment, tier]
cost_categories:
  - {pattern: "openshift-%", id: 1}
  - {pattern: "kube-%", id: 2}
chunk_rows: $chunk_rows
output: {path: $work/report.csv}
progress_seconds: 0
YAML

# --- The machine ----------------------------------------------------------
# Cores to share: this machine's, or inside Slurm the allocation's.
ncores=$(nproc)
if [[ $launcher == srun && -n ${SLURM_NTASKS:-} ]]; then
    ncores=$((SLURM_NTASKS * ${SLURM_CPUS_PER_TASK:-1}))
fi
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpus (nproc): $(nproc); cores used by the sweep: $ncores"
    lscpu 2> /dev/null | grep -E '^(Model name|Socket\(s\)|Core\(s\) per socket|Thread\(s\) per core|L3 cache|CPU max MHz)' |
        sed 's/  */ /g'
    echo "memory: $(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "mpi: $(mpirun --version 2>&1 | head -n 1)"
    echo "hdf5: $(pkg-config --modversion hdf5-openmpi 2> /dev/null || echo unknown)"
    echo "compiler: $(cc --version 2> /dev/null | head -n 1)"
    echo "ocpagg: $("$ocpagg" --version 2> /dev/null | head -n 1)"
    echo "load average before the sweep: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "dataset: $input ($(du -h "$input" | cut -f1)), chunk_rows $chunk_rows"
} > "$out/machine.txt"

# --- The runs -------------------------------------------------------------
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}

# run_one R T REPORT: one run; echoes its wall seconds.
run_one() {
    local r=$1 t=$2 report=$3 cmd t0
    if [[ $launcher == mpirun ]]; then
        cmd=(env OCPAGG_BIN="$ocpagg" "$root/jobs/ocpagg-mpirun.sh" -N "$r" -t "$t")
        [[ $((r * t)) -le $ncores ]] || cmd+=(--oversubscribe)
        cmd+=(--)
    else
        cmd=(srun --mpi=pmix --ntasks="$r" --cpus-per-task="$t")
        [[ $((r * t)) -le $ncores ]] || cmd+=(--overcommit)
        cmd+=("$ocpagg" --threads "$t")
    fi
    t0=$(date +%s.%N)
    OMP_NUM_THREADS=$t "${cmd[@]}" --config "$work/sweep.yaml" --output "$report" \
        --quiet 2> "$work/run.err" > /dev/null ||
        { cat "$work/run.err" >&2; die "run ${r}x${t} failed"; }
    elapsed "$t0"
}

# Other processes busy on the machine when a run starts (more than 20 % of
# a CPU, by ps), so that a disturbed run can be told from a slow one.
others_busy() {
    ps -eo pcpu=,comm= 2> /dev/null |
        awk '$1 > 20 && $2 != "ocpagg" && $2 != "mpirun" { printf "%s%s", sep, $2; sep = " " }'
}

echo "config,ranks,threads,run,wall_seconds,seconds_total,plan,read_aggregate,exchange,finish,write,input_rows,input_rows_per_second,peak_rss_bytes_max,load_1min,others_busy" \
    > "$out/runs.csv"
ref_sum=
for c in $configs; do
    r=${c%x*}
    t=${c#*x}
    for k in $(seq "$repeat"); do
        report=$work/report-$c-$k.csv
        others=$(others_busy)
        wall=$(run_one "$r" "$t" "$report")
        summary=${report%.csv}.summary.json
        [[ -r $summary ]] || die "run $c/$k left no summary"
        sum=$(sha256sum < "$report" | cut -d' ' -f1)
        if [[ -z $ref_sum ]]; then
            ref_sum=$sum
            cp "$report" "$work/reference.csv"
        elif [[ $sum != "$ref_sum" ]]; then
            die "run $c/$k wrote a different report than the first run (kept in $work)"
        fi
        rm -f "$report"
        line=$(jq -r --arg c "$c" --arg k "$k" --arg wall "$wall" \
            --arg load "$(cut -d' ' -f1 /proc/loadavg)" '
            def ms: . * 1000 | round / 1000;
            [$c, .ranks, .threads_per_rank, ($k | tonumber), ($wall | tonumber),
             (.seconds.total | ms), (.seconds.plan | ms), (.seconds.read_aggregate | ms),
             (.seconds.exchange | ms), (.seconds.finish | ms), (.seconds.write | ms),
             ([.rows_read[]] | add), (.input_rows_per_second | round),
             ([.per_rank[].peak_rss_bytes] | max), ($load | tonumber)]
            | @csv' "$summary" | tr -d '"')
        echo "$line,$others" >> "$out/runs.csv"
        echo "sweep.sh: $c run $k: $(cut -d, -f6 <<< "$line") s" >&2
    done
done

# --- Per configuration: best and median, speedup, efficiency -------------
# Speedup and efficiency are relative to the first configuration (1x1 by
# default) and use the best run of each, the one least disturbed by
# anything else running on the machine.
awk -F, -v ncores="$ncores" '
NR == 1 { next }
{
    c = $1
    if (!(c in n)) { order[++nc] = c; n[c] = 0 }
    i = ++n[c]
    tot[c, i] = $6
    if (i == 1 || $6 < best[c]) {
        best[c] = $6; line[c] = $0
    }
}
END {
    print "config,ranks,threads,workers,cores_used,oversubscribed,runs," \
          "input_rows,seconds_best,seconds_median,plan,read_aggregate,exchange," \
          "finish,write,input_rows_per_second,speedup,efficiency," \
          "efficiency_per_core,peak_rss_mib"
    for (j = 1; j <= nc; j++) {
        c = order[j]; m = n[c]
        # median by insertion sort of the few totals
        for (a = 1; a <= m; a++) v[a] = tot[c, a]
        for (a = 2; a <= m; a++) {
            x = v[a]; b = a - 1
            while (b >= 1 && v[b] > x) { v[b + 1] = v[b]; b-- }
            v[b + 1] = x
        }
        med = (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
        split(line[c], f, ",")
        workers = f[2] * f[3]
        cores = workers < ncores ? workers : ncores
        rate = f[12] / best[c]
        if (j == 1) { base = rate; basew = workers }
        speedup = rate / base
        printf "%s,%d,%d,%d,%d,%s,%d,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.0f,%.3f,%.3f,%.3f,%.1f\n",
            c, f[2], f[3], workers, cores, (workers > ncores ? "yes" : "no"), m,
            f[12], best[c], med, f[7], f[8], f[9], f[10], f[11], rate, speedup,
            speedup * basew / workers, speedup * basew / cores, f[14] / 1048576
    }
}' "$out/runs.csv" > "$out/sweep.csv"

echo "sweep.sh: results in $out/sweep.csv" >&2
column -s, -t < "$out/sweep.csv" >&2 || cat "$out/sweep.csv" >&2

if [[ $plot -eq 1 ]]; then
    gnuplot -e "csv='$out/sweep.csv'; png='$out/sweep.png'; cores=$ncores" \
        "$here/plot.gp" || die "gnuplot failed"
    echo "sweep.sh: plot in $out/sweep.png" >&2
fi
