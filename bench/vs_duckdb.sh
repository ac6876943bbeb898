#!/usr/bin/env bash
# vs_duckdb.sh - ocpagg against DuckDB on the same Parquet files and cores.
#
# Both programs are timed as whole processes (wall clock from launch to
# exit, start-up included): ocpagg under mpirun at each RxT configuration
# (ranks bound to cores), DuckDB as `node bench/duckdb_pods.mjs` (the
# @duckdb/node-api package the tests install, tests/duckdb/setup.sh) with
# as many threads as ocpagg has cores, pinned to the same cores with
# taskset.  DuckDB runs one hand-written query of the pod rows written
# from docs/SEMANTICS.md ("Pod rows"); ocpagg writes the whole report (pod,
# unallocated and storage rows, exact sums, uuids) with its fsync.
#
# Runs are interleaved (every configuration once, then again), after one
# untimed warm-up of each, so page cache and machine load hit all alike.
# Every ocpagg run must write the same report (sha256), and DuckDB must
# find as many pod rows as ocpagg's summary counts.  Medians are shown
# beside best-of-N; the ratio column is DuckDB's time over ocpagg's.
# See usage() below.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench_config.sh
. "$here/bench_config.sh"

usage() {
    cat <<'USAGE'
Usage: bench/vs_duckdb.sh [options]

  --sets "S ..."      datasets to run (default "3.6m-json 3.6m-map"):
                        3.6m   300 nodes x 267 pods x 2 days (3.8 M pod rows)
                        16m    1000 nodes x 100 pods x 7 days (16.8 M)
                        60m    834 nodes x 100 pods x 30 days (60.0 M)
                      each with -json (label text) or -map (MAP<string,
                      string>) labels; -dd adds a copy rewritten by DuckDB
                      (its writer, row groups and encodings), e.g. 3.6m-json-dd
  --configs "RxT ..." ocpagg configurations (default "2x1 1x1"); DuckDB
                      runs with R*T threads on the same cores
  --repeat N          timed runs of each (default 5)
  --build DIR         the build to time (default build); it must be a
                      Release build (CMAKE_BUILD_TYPE in DIR/CMakeCache.txt)
  --data DIR          where datasets are generated and kept
                      (default bench/data)
  --out DIR           results folder (default bench/results)
  --no-duckdb         time ocpagg only
  --pair              also run two 1x1 jobs at once, one per core (cores 0
                      and 1): the machine's own ceiling for 2 ranks against
                      one (see the page)
  --tag NAME          part of the page's name (default: the sets)
  -h, --help          this text

Datasets: ocpgen --format parquet (snappy, one file per table and day),
label cardinality 200, node memory up to 512 GiB (--node-memory-gib 512),
18 namespaces; the config enables 8 tag keys (every key the generator
writes).  The page is bench/results/vs_duckdb-<UTC date>-<commit>-<tag>.md
with the raw runs (.runs.csv) beside it.  Before every timed run a fixed
awk loop runs on each core at once (about 0.3 s each); its time is the
page's "probe" column, the machine's speed at that moment.  Then every
input file is read once, untimed, so that each run finds its input in
the page cache whatever the run before it did.
USAGE
}

die() {
    echo "vs_duckdb.sh: $*" >&2
    exit 1
}

sets="3.6m-json 3.6m-map"
configs="2x1 1x1"
repeat=5
build=$root/build
data=$root/bench/data
out=$root/bench/results
duck=1
pair=0
tag=
while [[ $# -gt 0 ]]; do
    case $1 in
    --sets) sets=$2; shift 2 ;;
    --configs) configs=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --data) data=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-duckdb) duck=0; shift ;;
    --pair) pair=1; shift ;;
    --tag) tag=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
    esac
done
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat needs a positive integer"
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
# Changes to code (not to results pages) mark the commit dirty.
if [[ -n $(git -C "$root" status --porcelain --untracked-files=no -- src include CMakeLists.txt \
        bench/'*.sh' bench/'*.mjs' 2> /dev/null) ]]; then
    commit="$commit+dirty"
fi
# The binary must be at least as new as every source file.
newer=$(find "$root/src" "$root/include" -newer "$ocpagg" -name '*.[ch]' 2> /dev/null | head -n 3)
[[ -z $newer ]] || die "$ocpagg is older than $(echo $newer) (rebuild first)"
for tool in jq mpirun taskset; do
    command -v $tool > /dev/null || die "$tool is needed"
done
ncores=$(nproc)
[[ $pair -eq 0 || $ncores -ge 2 ]] || die "--pair needs 2 cores"

# --- DuckDB (the package the tests install) -------------------------------
DUCK=$build/duckdb
if [[ $duck -eq 1 ]]; then
    command -v node > /dev/null || die "node is needed for DuckDB (or --no-duckdb)"
    if [[ ! -f $DUCK/node_modules/@duckdb/node-api/package.json ]]; then
        mkdir -p "$DUCK"
        npm install --prefix "$DUCK" --no-audit --no-fund @duckdb/node-api > /dev/null 2>&1 ||
            die "cannot install @duckdb/node-api into $DUCK"
    fi
    duck_version=$(node -e "import('$DUCK/node_modules/@duckdb/node-api/lib/index.js').then(async (m) => {
        const i = await m.DuckDBInstance.create(':memory:'); const c = await i.connect();
        const r = await c.runAndReadAll('select version()'); console.log(r.getRows()[0][0]); })")
fi

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
export OMP_NUM_THREADS=1

mkdir -p "$data" "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/vs_duckdb.XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.3f", a - b }'; }

# --- Datasets ---------------------------------------------------------------

# dataset SET: echoes the path of the set's Parquet folder, generating it
# (and its DuckDB-written copy) the first time.
dataset() {
    local set=$1 size labels dd nodes pods days dir
    size=${set%%-*}
    labels=${set#*-}
    labels=${labels%%-*}
    dd=0
    [[ $set == *-dd ]] && dd=1
    case $size in
    3.6m) nodes=300 pods=267 days=2 ;;
    16m) nodes=1000 pods=100 days=7 ;;
    60m) nodes=834 pods=100 days=30 ;;
    *) die "unknown dataset size '$size' in '$set'" ;;
    esac
    [[ $labels == json || $labels == map ]] || die "labels must be json or map in '$set'"
    dir=$data/${size}-${labels}
    if [[ ! -d $dir ]]; then
        echo "vs_duckdb.sh: generating $dir ($nodes nodes x $pods pods x $days days)" >&2
        "$ocpgen" --format parquet --output "$dir.tmp" --nodes "$nodes" --pods-per-node "$pods" \
            --days "$days" --label-cardinality 200 --node-memory-gib 512 --labels "$labels" \
            --quiet || die "ocpgen failed"
        mv "$dir.tmp" "$dir"
    fi
    if [[ $dd -eq 1 ]]; then
        [[ $duck -eq 1 ]] || die "$set needs DuckDB to write the copy"
        if [[ ! -d $dir-dd ]]; then
            echo "vs_duckdb.sh: rewriting $dir with DuckDB into $dir-dd" >&2
            node "$here/duckdb_rewrite.mjs" "$DUCK" "$dir" "$dir-dd.tmp" || die "rewrite failed"
            mv "$dir-dd.tmp" "$dir-dd"
        fi
        dir=$dir-dd
    fi
    echo "$dir"
}

write_settings() { # write_settings INPUT YAML JSON
    bench_yaml "$1" > "$2"
    bench_json > "$3"
}

# Other processes busy when a run starts (over 20 % of a CPU, by ps).
others_busy() {
    ps -eo pcpu=,comm= 2> /dev/null |
        awk '$1 > 20 && $2 != "ocpagg" && $2 != "mpirun" && $2 != "node" { printf "%s%s", sep, $2; sep = " " }'
}

# The machine's speed right now: the seconds of one fixed piece of work
# (an awk loop over a 64 Ki-entry array, about 0.3 s, none of our code),
# run on every core at once, as the 2-core runs load them; echoes the
# cores' times joined by '/'.  This VM's speed drifts by 10-20 % within
# an hour (another tenant, no steal time shown), so a slow run next to a
# slow probe is the machine, not the change being measured.
probe() {
    local c
    for ((c = 0; c < ncores; c++)); do
        (
            t0=$(now)
            taskset -c "$c" awk 'BEGIN { for (i = 0; i < 4000000; i++) a[i % 65536] += i }'
            elapsed "$t0" > "$work/probe.$c"
        ) &
    done
    wait
    for ((c = 0; c < ncores; c++)); do
        printf '%s%s' "$([[ $c -eq 0 ]] || echo /)" "$(cat "$work/probe.$c")"
    done
    echo
}

# warm_input DIR: reads every input file once (untimed) so that each
# timed run, of either program, starts with its input in the page cache;
# echoes how many MB of it were not cached just before (fincore; "-"
# without it).  On the month set DuckDB's 20 GB of RSS plus its CSV
# evicted part of the 2.5 GB input from this 24 GB VM's cache, and the
# ocpagg run after it read that part from the disk (session 20: a read
# phase of 9.5 s against 7.0-7.3 s in the other runs).
warm_input() {
    local cold=- files
    mapfile -d '' files < <(find -L "$1" -type f -name '*.parquet' -print0)
    if command -v fincore > /dev/null; then
        cold=$(fincore -b -n -o RES,SIZE "${files[@]}" |
            awk '$2 > $1 { c += $2 - $1 } END { printf "%.0f", c / 1e6 }')
    fi
    cat "${files[@]}" > /dev/null
    echo "$cold"
}

# run_ocpagg R T CFG REPORT: echoes "wall peak_rss_max_bytes pod_rows
# rss_per_rank job_seconds phases" (job_seconds: the run summary's seconds.total,
# from MPI_Init's end to the report's commit; the rest of the wall time is
# mpirun, start-up and teardown)
run_ocpagg() {
    local r=$1 t=$2 cfg=$3 report=$4 t0 wall bind=(--bind-to core --map-by core)
    [[ $((r * t)) -le $ncores ]] || bind=(--oversubscribe --bind-to none)
    [[ $t -eq 1 ]] || bind=(--bind-to none)
    t0=$(now)
    OMP_NUM_THREADS=$t mpirun -np "$r" "${bind[@]}" "$ocpagg" --config "$cfg" --threads "$t" \
        --output "$report" --quiet > /dev/null 2> "$work/ocpagg.err" ||
        { cat "$work/ocpagg.err" >&2; die "ocpagg ${r}x${t} failed"; }
    wall=$(elapsed "$t0")
    echo "$wall $(jq -r '[([.per_rank[].peak_rss_bytes] | max), .output_rows.pod,
        ([.per_rank[].peak_rss_bytes] | map(tostring) | join("/")), .seconds.total,
        ([.seconds.read_aggregate, .seconds.exchange, .seconds.finish] | map(. * 1000 | round / 1000 | tostring) | join("/"))]
        | join(" ")' "${report%.csv}.summary.json")"
}

# run_pair CFG: two one-rank jobs at once, bound to cores 0 and 1, each
# writing its own report (pair0.csv, pair1.csv); echoes "wall peak_rss_bytes
# job_seconds" (the longer job's seconds.total)
# with the wall time until both have ended.  Two ranks of one job share
# the machine the same way (caches, memory, the host's other tenants) but
# also exchange groups, split days and wait for each other; two separate
# jobs do none of that, so 2 x (1x1 alone) / pair is what 2 ranks could
# reach against one if ocpagg added nothing.
run_pair() {
    local t0 wall c pids=() rss=0 x job=0
    t0=$(now)
    for c in 0 1; do
        OMP_NUM_THREADS=1 mpirun -np 1 --cpu-set "$c" --bind-to core "$ocpagg" --config "$1" \
            --threads 1 --output "$work/pair$c.csv" --quiet > /dev/null 2> "$work/pair$c.err" &
        pids+=($!)
    done
    for c in 0 1; do
        wait "${pids[$c]}" || { cat "$work/pair$c.err" >&2; die "ocpagg pair job $c failed"; }
    done
    wall=$(elapsed "$t0")
    for c in 0 1; do
        x=$(jq -r '.per_rank[0].peak_rss_bytes' "$work/pair$c.summary.json")
        [[ $x -le $rss ]] || rss=$x
        job=$(jq -r --argjson j "$job" '[.seconds.total, $j] | max' "$work/pair$c.summary.json")
    done
    echo "$wall $rss $job"
}

# run_duckdb THREADS INPUT SETTINGS: echoes "wall peak_rss_bytes pod_rows"
run_duckdb() {
    local t=$1 t0 wall cpus=0-$(($1 - 1)) rows rss
    [[ $1 -le $ncores ]] || cpus=0-$((ncores - 1))
    t0=$(now)
    /usr/bin/time -f '%M' -o "$work/duck.time" taskset -c "$cpus" \
        node "$here/duckdb_pods.mjs" "$DUCK" "$2" "$work/duck.csv" "$3" "$t" \
        > "$work/duck.out" 2> "$work/duck.err" || { cat "$work/duck.err" >&2; die "DuckDB failed"; }
    wall=$(elapsed "$t0")
    rows=$(sed -n 's/^duckdb_pods: \([0-9]*\) pod rows.*/\1/p' "$work/duck.out")
    rss=$(($(tail -n 1 "$work/duck.time") * 1024))
    echo "$wall $rss $rows"
}

date_tag=$(date -u +%Y-%m-%d)
[[ -n $tag ]] || tag=$(tr ' ' '_' <<< "$sets")
page=$out/vs_duckdb-$date_tag-${commit%+dirty}-$tag.md
csv=$out/vs_duckdb-$date_tag-${commit%+dirty}-$tag.runs.csv
echo "set,program,config,run,wall_seconds,peak_rss_bytes,pod_rows,load_1min,others_busy,probe_seconds,job_seconds,read_exchange_finish_seconds,uncached_input_mb" > "$csv"
declare -A in_rows out_rows

for set in $sets; do
    input=$(dataset "$set")
    write_settings "$input" "$work/bench.yaml" "$work/settings.json"
    rows=$(find "$input/openshift_pod_usage_line_items" -name '*.parquet' | wc -l)
    echo "vs_duckdb.sh: $set: $input ($(du -shL "$input" | cut -f1), $rows pod files)" >&2
    # One untimed run of each, so every timed run finds the files cached.
    ref=
    for c in $configs; do
        run_ocpagg "${c%x*}" "${c#*x}" "$work/bench.yaml" "$work/warm.csv" > /dev/null
        ref=$(sha256sum < "$work/warm.csv" | cut -d' ' -f1)
        break
    done
    [[ $duck -eq 0 ]] || run_duckdb "$(( ${configs%%x*} ))" "$input" "$work/settings.json" > /dev/null
    for k in $(seq "$repeat"); do
        for c in $configs; do
            r=${c%x*} t=${c#*x}
            speed=$(probe)
            others=$(others_busy) load=$(cut -d' ' -f1 /proc/loadavg)
            # Each run writes a new file (see the page): the last run's
            # report is removed before the clock starts.
            rm -f "$work/r.csv" "$work/r.summary.json"
            cold=$(warm_input "$input")
            read -r wall rss pods rss_all job phases <<< "$(run_ocpagg "$r" "$t" "$work/bench.yaml" "$work/r.csv")"
            sum=$(sha256sum < "$work/r.csv" | cut -d' ' -f1)
            [[ $sum == "$ref" ]] || die "$set: ocpagg $c run $k wrote another report"
            echo "$set,ocpagg,$c,$k,$wall,$rss,$pods,$load,$others ranks:$rss_all,$speed,$job,$phases,$cold" >> "$csv"
            in_rows[$set]=$(jq -r '[.rows_read[]] | add' "$work/r.summary.json")
            out_rows[$set]=$(jq -r '.output_rows.total' "$work/r.summary.json")
            echo "vs_duckdb.sh: $set run $k ocpagg $c: $wall s" >&2
            if [[ $duck -eq 1 ]]; then
                speed=$(probe)
                others=$(others_busy) load=$(cut -d' ' -f1 /proc/loadavg)
                rm -f "$work/duck.csv"
                cold=$(warm_input "$input")
                read -r dwall drss drows <<< "$(run_duckdb $((r * t)) "$input" "$work/settings.json")"
                [[ $drows == "$pods" ]] ||
                    die "$set: DuckDB found $drows pod rows, ocpagg $pods"
                echo "$set,duckdb,$((r * t))t,$k,$dwall,$drss,$drows,$load,$others,$speed,-,-,$cold" >> "$csv"
                echo "vs_duckdb.sh: $set run $k duckdb $((r * t)) threads: $dwall s" >&2
            fi
        done
        if [[ $pair -eq 1 ]]; then
            speed=$(probe)
            others=$(others_busy) load=$(cut -d' ' -f1 /proc/loadavg)
            rm -f "$work"/pair[01].csv "$work"/pair[01].summary.json
            cold=$(warm_input "$input")
            read -r wall rss job <<< "$(run_pair "$work/bench.yaml")"
            for c in 0 1; do
                sum=$(sha256sum < "$work/pair$c.csv" | cut -d' ' -f1)
                [[ $sum == "$ref" ]] || die "$set: ocpagg pair job $c run $k wrote another report"
            done
            echo "$set,ocpagg,pair,$k,$wall,$rss,$pods,$load,$others,$speed,$job,-,$cold" >> "$csv"
            echo "vs_duckdb.sh: $set run $k two 1x1 jobs at once: $wall s" >&2
        fi
    done
done

# --- The page ---------------------------------------------------------------
# stats SET PROGRAM CONFIG: "min median n rss_max probe_median job_median
# outside_median" (job: the summary's seconds.total; outside: wall - job,
# mpirun, start-up and teardown; "-" for DuckDB)
stats() {
    awk -F, -v s="$1" -v p="$2" -v c="$3" '
        function median(v, n,   i, j, x) {
            for (i = 2; i <= n; i++) { x = v[i]; j = i - 1; while (j >= 1 && v[j] > x) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
            return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
        $1 == s && $2 == p && $3 == c { v[++n] = $5; if ($6 > m) m = $6
            if ($11 != "" && $11 != "-") { jb[++nj] = $11; os[nj] = $5 - $11 }
            # the probe of the slowest core before the run
            k = split($10, q, "/"); w = 0; for (i = 1; i <= k; i++) if (q[i] + 0 > w) w = q[i] + 0; pr[n] = w }
        END { if (n == 0) { print "- - 0 0 - - -"; exit }
              med = median(v, n); best = v[1]
              printf "%.2f %.2f %d %.0f %.2f", best, med, n, m, median(pr, n)
              if (nj > 0) printf " %.3f %.3f\n", median(jb, nj), median(os, nj); else print " - -" }' "$csv"
}
{
    echo "# ocpagg vs DuckDB, $date_tag, commit $commit"
    echo
    echo "Made by \`bench/vs_duckdb.sh --sets \"$sets\" --configs \"$configs\" --repeat $repeat$([[ $pair -eq 0 ]] || echo ' --pair')$([[ $duck -eq 1 ]] || echo ' --no-duckdb')\`."
    echo "Wall seconds of whole processes (start-up included), best and median of"
    echo "$repeat interleaved runs after one warm-up; the ratio is DuckDB's time over"
    echo "ocpagg's at the same number of cores (median over median, best over best)."
    echo "Each timed run writes a new file, for both programs: the previous run's"
    echo "output is removed before the clock starts (on this VM's ext4, mounted with"
    echo "discard, replacing a 0.6-2 GB file costs another 0.15-0.5 s in the rename)."
    echo "After the probe and before the clock starts, every input file is read"
    echo "once, untimed, so each run finds its input in the page cache (a DuckDB run"
    echo "on a large set can evict part of it); the raw runs' last column says how"
    echo "many MB were out of the cache before that read."
    echo
    echo "| set | input rows | report rows | ocpagg | best s | median s | peak RSS/rank MiB | probe s | DuckDB threads | best s | median s | peak RSS MiB | probe s | ratio median | ratio best |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for set in $sets; do
        input=$(dataset "$set")
        for c in $configs; do
            read -r omin omed on orss oprobe _ _ <<< "$(stats "$set" ocpagg "$c")"
            t=$(( ${c%x*} * ${c#*x} ))
            if [[ $duck -eq 1 ]]; then
                read -r dmin dmed dn drss dprobe _ _ <<< "$(stats "$set" duckdb "${t}t")"
                rmed=$(awk -v a="$dmed" -v b="$omed" 'BEGIN { printf "%.2f", a / b }')
                rbest=$(awk -v a="$dmin" -v b="$omin" 'BEGIN { printf "%.2f", a / b }')
                drss=$((drss / 1048576))
            else
                dmin=- dmed=- drss=- rmed=- rbest=- dprobe=-
            fi
            echo "| $set | ${in_rows[$set]} | ${out_rows[$set]} | $c | $omin | $omed | $((orss / 1048576)) | $oprobe | $t | $dmin | $dmed | $drss | $dprobe | $rmed | $rbest |"
        done
        if [[ $pair -eq 1 ]]; then
            read -r omin omed on orss oprobe _ _ <<< "$(stats "$set" ocpagg pair)"
            echo "| $set | ${in_rows[$set]} | ${out_rows[$set]} | two 1x1 jobs at once | $omin | $omed | $((orss / 1048576)) | $oprobe | - | - | - | - | - | - | - |"
        fi
    done
    echo
    echo "Where ocpagg's time goes (medians over the runs, seconds from the run"
    echo "summary: \`seconds.read_aggregate\`, \`exchange\`, \`finish\` with the write"
    echo "in it, and \`total\`; wall - total is mpirun, MPI start-up and teardown):"
    echo
    echo "| set | ocpagg | read | exchange | finish | job total | outside the job |"
    echo "|---|---|---|---|---|---|---|"
    for set in $sets; do
        for c in $configs; do
            awk -F, -v s="$set" -v c="$c" '
                function median(v, n,   i, j, x) {
                    for (i = 2; i <= n; i++) { x = v[i]; j = i - 1; while (j >= 1 && v[j] > x) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
                    return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
                $1 == s && $2 == "ocpagg" && $3 == c && $12 != "" && $12 != "-" {
                    split($12, q, "/"); n++; rd[n] = q[1]; ex[n] = q[2]; fi[n] = q[3]; jb[n] = $11; os[n] = $5 - $11 }
                END { if (n > 0) printf "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", s, c,
                          median(rd, n), median(ex, n), median(fi, n), median(jb, n), median(os, n) }' "$csv"
        done
    done
    echo
    if [[ $pair -eq 1 ]]; then
        echo "## Two ranks against one, and the machine's ceiling"
        echo
        echo "\"two 1x1 jobs at once\": two separate one-rank jobs of the same set, bound"
        echo "to cores 0 and 1, started together; the wall time until both ended.  They"
        echo "share the machine as two ranks of one job do (caches, memory, the host's"
        echo "other tenants) but exchange nothing, split no day and never wait for each"
        echo "other.  slowdown: the pair's job seconds (the run summary's seconds.total,"
        echo "the longer of the two) over a 1x1 run's alone.  outside: wall - job"
        echo "seconds of the 2x1 runs (mpirun, MPI start-up and teardown), which two"
        echo "ranks do not share out.  ceiling = (1x1 wall) / (2x1 outside + pair job"
        echo "seconds / 2): what 2 ranks could reach against one on this machine if"
        echo "ocpagg added no work of its own (medians throughout)."
        echo
        echo "| set | 1x1 wall s | 1x1 job s | pair job s | slowdown | 2x1 outside s | ceiling | 2x1 wall s | 1x1 / 2x1 |"
        echo "|---|---|---|---|---|---|---|---|---|"
        for set in $sets; do
            read -r _ one _ _ _ onej _ <<< "$(stats "$set" ocpagg 1x1)"
            read -r _ two _ _ _ _ twoo <<< "$(stats "$set" ocpagg 2x1)"
            read -r _ _ _ _ _ bothj _ <<< "$(stats "$set" ocpagg pair)"
            awk -v s="$set" -v w1="$one" -v j1="$onej" -v jp="$bothj" -v o2="$twoo" -v w2="$two" 'BEGIN {
                ok1 = j1 + 0 > 0 && jp + 0 > 0; ok2 = ok1 && o2 != "-" && w1 + 0 > 0
                sl = ok1 ? sprintf("%+.1f %%", 100 * (jp / j1 - 1)) : "-"
                ce = ok2 ? sprintf("%.2fx", w1 / (o2 + jp / 2)) : "-"
                ra = (w1 + 0 > 0 && w2 + 0 > 0) ? sprintf("%.2fx", w1 / w2) : "-"
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s, w1, j1, jp, sl, o2, ce, w2, ra }'
        done
        echo
    fi
    echo "probe s: the machine's speed just before each run, the median over the"
    echo "runs of the slowest core's time for one fixed awk loop run on every core"
    echo "at once (about 0.3 s on a quiet machine; larger is slower).  This VM's"
    echo "speed drifts within an hour, so compare runs next to like probes."
    echo
    echo "Raw runs (with the load average and other busy processes at each"
    echo "start, every rank's peak RSS and each core's probe): [$(basename "$csv")]($(basename "$csv"))."
    echo
    echo "## What runs"
    echo
    echo "- ocpagg: \`mpirun -np R --bind-to core --map-by core build/ocpagg --threads T\`,"
    echo "  the whole report (pod, unallocated and storage rows) as CSV, written to a"
    echo "  temporary file, fsync'd and renamed; its run summary gives peak RSS per rank."
    echo "- DuckDB ${duck_version:-(not run: --no-duckdb)}: \`taskset -c 0..N-1 node bench/duckdb_pods.mjs\` with"
    echo "  \`SET threads = N\`: the pod rows only (bench/duckdb_pods.mjs says what it"
    echo "  computes and leaves out), as CSV; peak RSS of the node process."
    echo "- Every ocpagg run wrote the same report (sha256); DuckDB's pod row count"
    echo "  equals ocpagg's."
    echo
    echo "## Machine"
    echo
    echo '```'
    echo "commit: $commit; build: $build ($btype, CFLAGS_RELEASE '$cflags')"
    lscpu 2> /dev/null | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|L2 cache|L3 cache)' | sed 's/  */ /g'
    echo "memory: $(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "mpi: $(mpirun --version 2>&1 | head -n 1)"
    # Whether ocpagg asked for huge pages (docs/running.md): THP mode and
    # the free page reporting order it decides by.
    echo "transparent huge pages: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2> /dev/null || echo none);" \
        "page_reporting_order: $(cat /sys/module/page_reporting/parameters/page_reporting_order 2> /dev/null || echo none);" \
        "OCPAGG_HUGE_PAGES: ${OCPAGG_HUGE_PAGES:-unset}"
    echo "node: $(node --version 2> /dev/null || echo none)"
    echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    for set in $sets; do
        input=$(dataset "$set")
        echo "$set: $input, $(du -shL "$input" | cut -f1)"
    done
    echo '```'
} > "$page"
echo "vs_duckdb.sh: $page" >&2
cat "$page"
