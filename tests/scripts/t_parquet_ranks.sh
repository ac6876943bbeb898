#!/usr/bin/env bash
# One finish path for every format: the Parquet report, single-file and
# partitioned, equals the CSV report row for row at 1, 2, 3 and 4 ranks
# (read back with build/ocpagg-inspect; compared as parsed CSV fields, so
# the quoting of the two printers does not matter), and the CSV report is
# the same at every rank count.  Exits 77 (skip) without python3.
source "$(dirname "$0")/common.sh"

command -v python3 > /dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
[[ -x $BUILD/ocpagg-inspect ]] || fail "ocpagg-inspect is not built"

"$OCPGEN" --output "$WORK/data.h5" --nodes 8 --pods-per-node 12 --days 6 --quiet ||
    fail "ocpgen failed"
write_config "$WORK/job.yaml" "$WORK/data.h5" "$WORK/unused.csv"

same_rows() { # same_rows A.csv B.csv: the same header and rows, field by field
    python3 - "$1" "$2" <<'PY'
import csv, sys
a = list(csv.reader(open(sys.argv[1], newline='')))
b = list(csv.reader(open(sys.argv[2], newline='')))
if len(a) != len(b):
    sys.exit("%s has %d lines, %s has %d" % (sys.argv[1], len(a), sys.argv[2], len(b)))
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        col = next(j for j in range(min(len(x), len(y))) if x[j] != y[j]) if len(x) == len(y) else -1
        sys.exit("line %d differs (column %s): %r vs %r" % (i + 1, a[0][col] if col >= 0 else "count",
                                                            x[col] if col >= 0 else len(x),
                                                            y[col] if col >= 0 else len(y)))
PY
}

passed=0
for n in 1 2 3 4; do
    d=$WORK/n$n
    mkdir -p "$d"
    run_mpi "$n" --config "$WORK/job.yaml" --quiet --output "$d/r.csv" || fail "$n ranks: CSV run failed"
    run_mpi "$n" --config "$WORK/job.yaml" --quiet --format parquet --output "$d/r.parquet" ||
        fail "$n ranks: Parquet run failed"
    run_mpi "$n" --config "$WORK/job.yaml" --quiet --format parquet \
        --set output.partitioned=true --output "$d/parts" || fail "$n ranks: partitioned run failed"
    "$BUILD/ocpagg-inspect" "$d/r.parquet" --rows > "$d/pq.csv" || fail "$n ranks: inspect failed"
    same_rows "$d/r.csv" "$d/pq.csv" || fail "$n ranks: the Parquet report differs from the CSV"
    # The partitioned tree: one file per day; in path order they are in
    # day order, each with the header once.
    first=1
    : > "$d/parts.csv"
    while IFS= read -r f; do
        if [[ $first -eq 1 ]]; then
            "$BUILD/ocpagg-inspect" "$f" --rows >> "$d/parts.csv"
            first=0
        else
            "$BUILD/ocpagg-inspect" "$f" --rows | tail -n +2 >> "$d/parts.csv"
        fi
    done < <(find "$d/parts" -name '*.parquet' | sort)
    [[ $first -eq 0 ]] || fail "$n ranks: the partitioned report has no files"
    same_rows "$d/r.csv" "$d/parts.csv" || fail "$n ranks: the partitioned report differs from the CSV"
    if [[ $n -gt 1 ]]; then
        cmp -s "$WORK/n1/r.csv" "$d/r.csv" || fail "$n ranks: the CSV differs from 1 rank's"
    fi
    rows=$(($(wc -l < "$d/r.csv") - 1))
    echo "ok: $n rank(s): Parquet and partitioned Parquet equal the CSV ($rows rows)"
    passed=$((passed + 1))
done
echo "$passed passed, 0 failed"
