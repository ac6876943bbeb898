#!/usr/bin/env bash
# The same generated data gives the same report, byte for byte, whether
# ocpgen writes it as HDF5 or as Koku's Parquet layout: labels as text or
# MAP, interval_start as TIMESTAMP or Koku's text, every codec, v1 and v2
# pages, one or several files per day, on 1 and 2 ranks.
source "$(dirname "$0")/common.sh"

gen="--nodes 5 --pods-per-node 9 --days 3 --seed 11 --bad-labels"
# shellcheck disable=SC2086
"$OCPGEN" --output "$WORK/d.h5" $gen --quiet || fail "ocpgen hdf5 failed"
write_config "$WORK/h.yaml" "$WORK/d.h5" "$WORK/ref.csv"
run_mpi 1 --config "$WORK/h.yaml" --quiet || fail "HDF5 run failed"
[ -s "$WORK/ref.csv" ] || fail "no reference report"

passed=0
i=0
for flags in "--labels json --interval-start timestamp" \
             "--labels map --interval-start timestamp --parquet-codec zstd" \
             "--labels json --interval-start text --parquet-codec gzip --parquet-page-version 2 --rows-per-file 333" \
             "--labels map --interval-start text --parquet-codec none --row-group-rows 100"; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    "$OCPGEN" --format parquet --output "$WORK/p$i" $gen $flags --quiet ||
        fail "ocpgen $flags failed"
    write_config "$WORK/p$i.yaml" "$WORK/p$i" "$WORK/r$i.csv" parquet
    for n in 1 2; do
        run_mpi "$n" --config "$WORK/p$i.yaml" --quiet --output "$WORK/r$i-$n.csv" ||
            fail "Parquet run failed ($flags, $n ranks)"
        cmp "$WORK/ref.csv" "$WORK/r$i-$n.csv" ||
            fail "report from Parquet ($flags, $n ranks) differs from HDF5's"
        passed=$((passed + 1))
    done
done

# Without the effective-usage columns, too.
"$OCPGEN" --output "$WORK/e.h5" $gen --no-effective-usage --quiet || fail "ocpgen failed"
"$OCPGEN" --format parquet --output "$WORK/e" $gen --no-effective-usage --labels map --quiet ||
    fail "ocpgen failed"
write_config "$WORK/e1.yaml" "$WORK/e.h5" "$WORK/e1.csv"
write_config "$WORK/e2.yaml" "$WORK/e" "$WORK/e2.csv" parquet
run_mpi 1 --config "$WORK/e1.yaml" --quiet || fail "HDF5 run failed"
run_mpi 1 --config "$WORK/e2.yaml" --quiet || fail "Parquet run failed"
cmp "$WORK/e1.csv" "$WORK/e2.csv" || fail "reports differ without effective usage"
passed=$((passed + 1))
echo "$passed passed, 0 failed"
