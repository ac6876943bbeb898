#!/usr/bin/env bash
# aws.sh - the OCP-on-AWS step (issue 14) beside the OCP step of the same
# job, on one generated dataset with a CUR of about 1 % of the OCP rows.
#
# The job runs whole (ocpagg under mpirun) at each RxT configuration; the
# figures are the job's own, from its run summary: seconds.read_aggregate,
# seconds.finish + seconds.write (the OCP finish and report), and
# seconds.aws (the AWS step on rank 0, from the end of the OCP finish to
# the AWS report written) with CUR rows per second of it.  The step's
# split (OCPAGG_AWS_TIMING=1) is kept in the raw runs.  Every run must
# write the same AWS report (sha256).  See usage() below.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

usage() {
    cat <<'USAGE'
Usage: bench/aws.sh [options]

  --nodes N           nodes (default 278: 278 x 100 pods x 30 days = 20.4 M
                      OCP input rows)
  --days N            days (default 30)
  --hours-per-row K   ocpgen --aws-hours-per-row (default 2: the CUR is
                      about 1 % of the OCP rows)
  --configs "RxT ..." configurations (default "1x1 2x1 1x2")
  --repeat N          timed runs of each (default 3)
  --aws-format F      csv or parquet: the AWS report (default parquet)
  --build DIR         the build to time (default build-rel); it must be a
                      Release build (CMAKE_BUILD_TYPE in DIR/CMakeCache.txt)
  --compare DIR       also time this build (an earlier commit's ocpagg, e.g.
                      the one before a change), interleaved with --build so
                      both see the same load; its rows say "before"
  --data DIR          where the dataset is generated and kept
                      (default /work/data/awsbench)
  --out DIR           results folder (default bench/results)
  --tag NAME          part of the page's name (default: none)
  -h, --help          this text

The dataset: ocpgen --format parquet --pods-per-node 100 --seed 1 with
--aws-cur (Koku's raw CUR layout) beside the OCP tables.  Runs are
interleaved (every configuration once, then again) after one untimed
warm-up.  The page is bench/results/aws-<UTC date>-<commit>[-tag].md with
the raw runs (.runs.csv) beside it.
USAGE
}

die() {
    echo "aws.sh: $*" >&2
    exit 1
}

nodes=278 days=30 hpr=2 configs="1x1 2x1 1x2" repeat=3 afmt=parquet
build=$root/build-rel data=/work/data/awsbench out=$root/bench/results tag= compare=
while [[ $# -gt 0 ]]; do
    case $1 in
    --nodes) nodes=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --hours-per-row) hpr=$2; shift 2 ;;
    --configs) configs=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --aws-format) afmt=$2; shift 2 ;;
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --compare) compare=$(cd "$2" && pwd); shift 2 ;;
    --data) data=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
    esac
done
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat needs a positive integer"
[[ $afmt == csv || $afmt == parquet ]] || die "--aws-format is csv or parquet"
for c in $configs; do
    [[ $c =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] || die "bad configuration '$c' (want RxT)"
done
ocpagg=$build/ocpagg
ocpgen=$build/ocpgen
[[ -x $ocpagg && -x $ocpgen ]] || die "no ocpagg/ocpgen in $build (cmake -B $build -DCMAKE_BUILD_TYPE=Release)"

# --- What is being timed --------------------------------------------------
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2> /dev/null || true)
[[ $btype == Release ]] ||
    die "$build is a '${btype:-unknown}' build; time a Release build (cmake -DCMAKE_BUILD_TYPE=Release)"
cflags=$(sed -n 's/^CMAKE_C_FLAGS_RELEASE:[A-Z]*=//p' "$build/CMakeCache.txt")
commit=$(git -C "$root" rev-parse --short=12 HEAD 2> /dev/null || echo unknown)
if [[ -n $(git -C "$root" status --porcelain --untracked-files=no -- src include CMakeLists.txt \
        bench/'*.sh' 2> /dev/null) ]]; then
    commit="$commit+dirty"
fi
# The binaries must be at least as new as their sources (the generator is
# not linked into the job).
newer=$(find "$root/src" "$root/include" -newer "$ocpagg" -name '*.[ch]' -not -path '*/src/gen/*' -not -name gen.h \
    -not -path '*/src/tools/*' 2> /dev/null | head -n 3)
[[ -z $newer ]] || die "$ocpagg is older than $(echo $newer) (rebuild first)"
newer=$(find "$root/src/gen" "$root/src/tools/ocpgen" "$root/include" -newer "$ocpgen" -name '*.[ch]' \
    2> /dev/null | head -n 3)
[[ -z $newer ]] || die "$ocpgen is older than $(echo $newer) (rebuild first)"
if [[ -n $compare ]]; then
    [[ -x $compare/ocpagg ]] || die "no ocpagg in $compare"
    ctype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$compare/CMakeCache.txt" 2> /dev/null || true)
    [[ $ctype == Release ]] || die "$compare is a '${ctype:-unknown}' build, not Release"
fi
for tool in jq mpirun; do
    command -v $tool > /dev/null || die "$tool is needed"
done
ncores=$(nproc)

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
export OMP_NUM_THREADS=1

mkdir -p "$data" "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/aws_bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- The dataset (kept: generating 20 M rows takes minutes) ----------------
dir=$data/n${nodes}-d${days}-k${hpr}
if [[ ! -d $dir ]]; then
    echo "aws.sh: generating $dir ($nodes nodes x 100 pods x $days days, CUR k=$hpr)" >&2
    rm -rf "$dir.tmp"
    "$ocpgen" --format parquet --output "$dir.tmp" --nodes "$nodes" --pods-per-node 100 \
        --days "$days" --seed 1 --aws-cur "$dir.tmp/aws_line_items" \
        --aws-hours-per-row "$hpr" --quiet || die "ocpgen failed"
    mv "$dir.tmp" "$dir"
fi
cat > "$work/bench.yaml" << YAML
cluster_id: test-cluster
cluster_alias: Bench Cluster
source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
report_period_id: 3
input: {format: parquet, path: $dir}
enabled_tag_keys: [app, environment, tier]
threads: 1
progress_seconds: 0
aws:
  source_uuid: 2f1d1c35-5a0e-4b8e-9a53-0d1d6c7e4a10
  bill_id: 7
  markup_percent: 10
  enabled_tag_keys: app, team, environment
  output: $work/aws.$afmt
YAML

# run BINARY R T: one job; echoes "read_agg finish_write aws cur_rows aws_rows ocp_in ocp_out split"
run() {
    local bin=$1 r=$2 t=$3 bind=(--bind-to core --map-by core) split
    [[ $((r * t)) -le $ncores ]] || bind=(--oversubscribe --bind-to none)
    [[ $t -eq 1 ]] || bind=(--bind-to none)
    OCPAGG_AWS_TIMING=1 OMP_NUM_THREADS=$t mpirun -np "$r" "${bind[@]}" "$bin" \
        --config "$work/bench.yaml" --threads "$t" --output "$work/r.csv" --quiet \
        > /dev/null 2> "$work/err" || { cat "$work/err" >&2; die "ocpagg ${r}x${t} failed"; }
    split=$(sed -n 's/^ocpagg: AWS step: //p' "$work/err" | head -n 1 | tr ',' ';')
    jq -r --arg split "${split:-}" '[.seconds.read_aggregate, (.seconds.finish + .seconds.write),
        .seconds.aws, .aws.read.rows_read // .aws.rows_read, .aws.output_rows,
        ([.rows_read[]] | add), .output_rows.total, $split] | map(tostring) | join(",")' \
        "$work/r.summary.json"
}

date_tag=$(date -u +%Y-%m-%d)
name=aws-$date_tag-${commit%+dirty}${tag:+-$tag}
page=$out/$name.md
csv=$out/$name.runs.csv
echo "build,config,run,read_aggregate_s,finish_write_s,aws_s,cur_rows,aws_rows,ocp_input_rows,ocp_report_rows,aws_split,load_1min" > "$csv"

first=${configs%% *}
declare -A ref
builds="after"
[[ -z $compare ]] || builds="before after"
bin_of() { [[ $1 == after ]] && echo "$ocpagg" || echo "$compare/ocpagg"; }
for bl in $builds; do
    run "$(bin_of $bl)" "${first%x*}" "${first#*x}" > /dev/null
    ref[$bl]=$(sha256sum < "$work/aws.$afmt" | cut -d' ' -f1)
done
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for k in $(seq "$repeat"); do
    for c in $configs; do
        for bl in $builds; do
            load=$(cut -d' ' -f1 /proc/loadavg)
            line=$(run "$(bin_of $bl)" "${c%x*}" "${c#*x}")
            sum=$(sha256sum < "$work/aws.$afmt" | cut -d' ' -f1)
            [[ $sum == "${ref[$bl]}" ]] || die "$bl $c run $k wrote another AWS report"
            echo "$bl,$c,$k,$line,$load" >> "$csv"
            echo "aws.sh: run $k $bl $c: $line (load $load)" >&2
        done
    done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- The page ---------------------------------------------------------------
stats() { # stats BUILD CONFIG FIELD: "min median"
    awk -F, -v b="$1" -v c="$2" -v f="$3" '$1 == b && $2 == c { v[++n] = $f }
        END { if (n == 0) { print "- -"; exit }
              for (i = 2; i <= n; i++) { x = v[i]; j = i - 1; while (j >= 1 && v[j] > x) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
              med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
              printf "%.2f %.2f\n", v[1], med }' "$csv"
}
read -r _ _ _ _ _ _ cur_rows aws_rows in_rows out_rows _ <<< "$(tail -n 1 "$csv" | tr ',' ' ')"
{
    echo "# OCP-on-AWS step beside the OCP step, $date_tag, commit $commit"
    echo
    echo "Made by \`bench/aws.sh --nodes $nodes --days $days --hours-per-row $hpr --configs \"$configs\" --repeat $repeat --aws-format $afmt${compare:+ --compare $compare}\`."
    echo "The job's own phase seconds from its run summary, median (best) of"
    echo "$repeat interleaved runs after one warm-up. OCP: $in_rows input rows,"
    echo "$out_rows report rows. CUR: $cur_rows rows"
    echo "($(awk -v a="$cur_rows" -v b="$in_rows" 'BEGIN { printf "%.2f", 100 * a / b }') % of the OCP input rows) -> $aws_rows OCP-on-AWS rows ($afmt)."
    echo
    echo "| build | ranks x threads | OCP read+aggregate s | OCP finish+write s | AWS step s | AWS / OCP | CUR rows/s (median) |"
    echo "|---|---|---|---|---|---|---|"
    for c in $configs; do
      for bl in $builds; do
        read -r ra_min ra_med <<< "$(stats $bl "$c" 4)"
        read -r fw_min fw_med <<< "$(stats $bl "$c" 5)"
        read -r aw_min aw_med <<< "$(stats $bl "$c" 6)"
        echo "| $bl | $c | $ra_med ($ra_min) | $fw_med ($fw_min) | $aw_med ($aw_min) |" \
            "$(awk -v a="$aw_med" -v b="$ra_med" -v f="$fw_med" 'BEGIN { printf "%.0f %%", 100 * a / (b + f) }') |" \
            "$(awk -v n="$cur_rows" -v t="$aw_med" 'BEGIN { printf "%.0f", n / t }') |"
      done
    done
    echo
    echo "Raw runs, with the step's split (OCPAGG_AWS_TIMING) and the load at each"
    echo "start: [$(basename "$csv")]($(basename "$csv")). Every run wrote the same AWS report (sha256)."
    echo
    echo '```'
    echo "commit: $commit; build (after): $build ($btype, CFLAGS_RELEASE '$cflags')"
    [[ -z $compare ]] || echo "before: $compare"
    echo "AWS report: $(du -h "$work/aws.$afmt" | cut -f1), one sha256 per build"
    [[ -z $compare ]] || echo "same AWS report before and after: $([[ ${ref[before]} == "${ref[after]}" ]] && echo yes || echo "no (other bytes)")"
    lscpu 2> /dev/null | grep -E '^(Model name|CPU\(s\))' | sed 's/  */ /g'
    echo "mpi: $(mpirun --version 2>&1 | head -n 1)"
    echo "load average at the start: $load_start; at the end: $load_end"
    echo "dataset: $dir, $(du -shL "$dir" | cut -f1)"
    echo '```'
} > "$page"
echo "aws.sh: $page" >&2
cat "$page"
