#!/usr/bin/env bash
# rss_days.sh - peak RSS per rank against the length of the input (issue
# 12: "peak RSS <= 1 GB per rank, flat in input size").  One dataset of
# many days (generated once: 834 nodes x 100 pods, the bench month's
# shape, 60 days by default, about 2 M input rows a day) is summarised
# from its first day to each of several last days (`end_date`), so the
# runs differ only in how many days, and so windows, they cover.  The
# windows' size follows `window_rows` (default: the job's own, about
# 12 Mi rows per rank; windows are cut of about equal rows, so their
# size varies with the length); --window-rows fixes it, e.g. 10500000
# for windows of 10 days at 2 ranks (the peak then compares windows of
# one size, whatever their count).  Each
# length runs --repeat times, interleaved; the page gives the median peak
# of each rank and of the larger one, the windows, and the job's seconds.
# Chunk stealing is off (`steal_chunks: false`): what a rank reads is then
# the same from run to run, and so are its tables.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench_config.sh
. "$here/bench_config.sh"
build=$root/build
data=$root/bench/data
out=$root/bench/results
days=60
lengths="10 30 45 60"
ranks=2
repeat=3
window_rows=
tag=rss-days

usage() {
    cat <<'EOF'
Usage: bench/rss_days.sh [options]

  --build DIR      the build to run (default build; Release)
  --data DIR       where the dataset is generated and kept (default bench/data)
  --out DIR        results folder (default bench/results)
  --days N         days in the dataset (default 60; generated once as
                   DIR/<N>d-json: 834 nodes x 100 pods from 2025-11-01)
  --lengths "L .." days summarised, from the first (default "10 30 45 60")
  --ranks R        ranks, one thread each (default 2)
  --repeat N       runs of each length (default 3)
  --window-rows N  the config's window_rows (default: not set, the job's own)
  --tag NAME       part of the page's name (default rss-days)
  -h, --help       this text

The page is bench/results/rss_days-<UTC date>-<commit>-<tag>.md, the raw
runs beside it (.runs.csv).
EOF
}

die() {
    echo "rss_days.sh: $*" >&2
    exit 1
}

while [[ $# -gt 0 ]]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --lengths) lengths=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --window-rows) window_rows=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
    esac
done
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat needs a positive integer"
[[ $ranks =~ ^[1-9][0-9]*$ ]] || die "--ranks needs a positive integer"
[[ $days =~ ^[1-9][0-9]*$ ]] || die "--days needs a positive integer"
[[ -z $window_rows || $window_rows =~ ^[1-9][0-9]*$ ]] || die "--window-rows needs a positive integer"
for tool in jq mpirun python3; do
    command -v "$tool" > /dev/null || die "$tool is needed"
done
[[ -x $build/ocpagg && -x $build/ocpgen ]] || die "no ocpagg/ocpgen in $build (build first)"
grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$build/CMakeCache.txt" ||
    die "$build is not a Release build"
for l in $lengths; do
    [[ $l =~ ^[0-9]+$ && $l -ge 1 && $l -le $days ]] || die "length $l is not within 1..$days"
done
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}

dir=$data/${days}d-json
mkdir -p "$data" "$out"
if [[ ! -d $dir ]]; then
    echo "rss_days.sh: generating $dir (834 nodes x 100 pods x $days days)" >&2
    "$build/ocpgen" --format parquet --output "$dir.tmp" --nodes 834 --pods-per-node 100 \
        --days "$days" --label-cardinality 200 --node-memory-gib 512 --labels json \
        --quiet || die "ocpgen failed"
    mv "$dir.tmp" "$dir"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/rss_days.XXXXXX")
trap 'rm -rf "$work"' EXIT
commit=$(git -C "$root" rev-parse --short=12 HEAD 2> /dev/null || echo unknown)
stamp=$(date -u +%Y-%m-%d)
page=$out/rss_days-$stamp-$commit-$tag.md
csv=${page%.md}.runs.csv

for l in $lengths; do
    { bench_yaml "$dir"
      echo "steal_chunks: false"
      echo "end_date: $(date -u -d "2025-11-01 + $((l - 1)) days" +%Y-%m-%d)"; } > "$work/d$l.yaml"
    [[ -z $window_rows ]] || echo "window_rows: $window_rows" >> "$work/d$l.yaml"
done

echo "days,run,input_rows,windows,seconds_total,peak_rss_mib_per_rank" > "$csv"
for ((i = 1; i <= repeat; i++)); do
    for l in $lengths; do
        mpirun -np "$ranks" --bind-to core --map-by core "$build/ocpagg" --config "$work/d$l.yaml" \
            --output "$work/r.csv" --quiet > /dev/null 2> "$work/err" ||
            { cat "$work/err" >&2; die "ocpagg failed on $l days"; }
        jq -r --arg d "$l" --arg i "$i" '[$d, $i, .rows_read.openshift_pod_usage_line_items, .windows,
            .seconds.total, ([.per_rank[].peak_rss_bytes / 1048576 | floor | tostring] | join("/"))]
            | map(tostring) | join(",")' "$work/r.summary.json" >> "$csv"
        rm -f "$work/r.csv"
        echo "rss_days.sh: $l days, run $i: $(tail -1 "$csv")" >&2
    done
done

python3 - "$csv" "$page" "$commit" "$ranks" "$days" "$window_rows" <<'PY'
import csv, statistics, sys
src, page, commit, ranks, days, window_rows = sys.argv[1:]
runs = {}
for r in csv.DictReader(open(src)):
    runs.setdefault(int(r["days"]), []).append(r)
with open(page, "w") as f:
    f.write(f"# Peak RSS against input length ({commit})\n\n")
    f.write(f"`bench/rss_days.sh`: the first N days of a {days}-day set (834 nodes x 100 pods "
            f"a day), {ranks} ranks x 1 thread, chunk stealing off; medians of "
            f"{len(next(iter(runs.values())))} runs; window_rows "
            f"{window_rows or 'not set (the default)'}.\n\n")
    f.write("| days | input rows | windows | rows per window | job seconds | peak RSS per rank (MiB) | larger rank | runs (larger rank) |\n")
    f.write("|---|---|---|---|---|---|---|---|\n")
    first = None
    for d in sorted(runs):
        rs = runs[d]
        per = [[int(x) for x in r["peak_rss_mib_per_rank"].split("/")] for r in rs]
        med = [statistics.median(c) for c in zip(*per)]
        big = statistics.median(max(p) for p in per)
        first = first or big
        f.write(f"| {d} | {rs[0]['input_rows']} | {rs[0]['windows']} | "
                f"{int(rs[0]['input_rows']) / max(1, int(rs[0]['windows'])) / 1e6:.1f} M | "
                f"{statistics.median(float(r['seconds_total']) for r in rs):.2f} | "
                f"{' / '.join(f'{m:.0f}' for m in med)} | {big:.0f} ({(big / first - 1) * 100:+.0f} %) | "
                f"{', '.join(str(max(p)) for p in per)} |\n")
print(page)
PY
