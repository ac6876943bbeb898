#!/usr/bin/env bash
# An independent reader agrees with ours: DuckDB (the @duckdb/node-api npm
# package, whose Linux binary ships inside it) reads the Parquet tables
# ocpgen writes, in several shapes, to the same row counts, non-NULL counts
# and column sums as our reader (ocpagg-inspect --rows); and it reads our
# Parquet report, single-file and partitioned, to the same rows as the CSV
# report.  Skips (exit 77, see tests/duckdb/setup.sh) when Node.js, npm
# or the package is missing.  The install is cached in $OCPAGG_BUILD/duckdb.
source "$(dirname "$0")/common.sh"
source "$SOURCE/tests/duckdb/setup.sh"
CHECK=$SOURCE/tests/duckdb/check.mjs
[ -x "$BUILD/ocpagg-inspect" ] || fail "ocpagg-inspect is not built"

passed=0 skipped=0
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
    skipped=1
else
    cat "$WORK/pq.err" >&2
    fail "Parquet report run failed"
fi
echo "$passed passed, 0 failed, $skipped skipped"
[ "$skipped" -eq 0 ] || exit 77
