#!/usr/bin/env bash
# An independent reader agrees with ours: DuckDB (the @duckdb/node-api npm
# package, whose Linux binary ships inside it) reads the Parquet tables
# ocpgen writes, in several shapes, to the same row counts, non-NULL counts
# and column sums as our reader (ocpagg-inspect --rows); and it reads our
# Parquet report, single-file and partitioned, to the same rows as the CSV
# report.  Skips (exit 0) when Node.js or npm is missing or the package
# cannot be installed (no network).  The install is cached in
# $OCPAGG_BUILD/duckdb.
source "$(dirname "$0")/common.sh"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "SKIP: node or npm not found"
    exit 0
fi
DUCK=$BUILD/duckdb
CHECK=$SOURCE/tests/duckdb/check.mjs
if [ ! -f "$DUCK/node_modules/@duckdb/node-api/package.json" ]; then
    mkdir -p "$DUCK"
    if ! timeout 600 npm install --prefix "$DUCK" --no-audit --no-fund \
            --fetch-retries=1 --fetch-timeout=30000 @duckdb/node-api \
            >"$WORK/npm.log" 2>&1; then
        tail -n 5 "$WORK/npm.log" >&2
        echo "SKIP: cannot install @duckdb/node-api (offline?)"
        exit 0
    fi
fi
# A package that installed but cannot load its binary is a skip too (an
# unsupported platform), not a failure of ours.
if ! node -e "import('$DUCK/node_modules/@duckdb/node-api/lib/index.js').then(async (m) => { await m.DuckDBInstance.create(':memory:'); })" \
        >"$WORK/load.log" 2>&1; then
    tail -n 5 "$WORK/load.log" >&2
    echo "SKIP: DuckDB does not load on this machine"
    exit 0
fi
[ -x "$BUILD/ocpagg-inspect" ] || fail "ocpagg-inspect is not built"

passed=0
# The generator's tables in four shapes.
i=0
for flags in "--labels json --interval-start timestamp --parquet-codec snappy" \
             "--labels map --interval-start text --parquet-codec zstd --parquet-page-version 2 --rows-per-file 500" \
             "--labels map --interval-start timestamp --parquet-codec gzip --row-group-rows 300" \
             "--labels json --interval-start text --parquet-codec none --parquet-page-version 2"; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    "$OCPGEN" --format parquet --output "$WORK/pq$i" --nodes 3 --pods-per-node 8 \
        --days 2 --bad-labels --seed $((i + 10)) --quiet $flags ||
        fail "ocpgen $flags failed"
    node "$CHECK" tables "$DUCK" "$BUILD/ocpagg-inspect" "$WORK/pq$i" ||
        fail "DuckDB disagrees on the tables of ocpgen $flags"
    passed=$((passed + 1))
done

# The report: CSV and Parquet from the same run settings.
"$OCPGEN" --format parquet --output "$WORK/in" --nodes 4 --pods-per-node 10 \
    --days 3 --seed 5 --quiet || fail "ocpgen failed"
write_config "$WORK/c.yaml" "$WORK/in" "$WORK/r.csv" parquet
run_mpi 1 --config "$WORK/c.yaml" --quiet || fail "CSV report run failed"
if run_mpi 1 --config "$WORK/c.yaml" --quiet --format parquet \
        --output "$WORK/r.parquet" 2>"$WORK/pq.err"; then
    node "$CHECK" report "$DUCK" "$WORK/r.parquet" "$WORK/r.csv" ||
        fail "DuckDB reads a different Parquet report"
    passed=$((passed + 1))
    run_mpi 2 --config "$WORK/c.yaml" --quiet --format parquet \
        --output "$WORK/parts" --set output.partitioned=true ||
        fail "partitioned report run failed"
    node "$CHECK" report "$DUCK" "$WORK/parts" "$WORK/r.csv" ||
        fail "DuckDB reads a different partitioned report"
    passed=$((passed + 1))
elif grep -q "not built" "$WORK/pq.err"; then
    echo "note: this ocpagg does not write Parquet reports yet; report checks skipped"
else
    cat "$WORK/pq.err" >&2
    fail "Parquet report run failed"
fi
echo "$passed passed, 0 failed"
