#!/usr/bin/env bash
# The report does not depend on the order of the Parquet files: the same
# files under names that sort the other way round (and split into row
# ranges by a small chunk size) give the same bytes, at 1 and 3 ranks.
source "$(dirname "$0")/common.sh"

"$OCPGEN" --format parquet --output "$WORK/a" --nodes 5 --pods-per-node 8 \
    --days 2 --rows-per-file 300 --bad-labels --seed 11 --quiet || fail "ocpgen failed"
nfiles=$(find "$WORK/a" -name '*.parquet' | wc -l)
[ "$nfiles" -ge 10 ] || fail "expected many files, got $nfiles"

# Copy every table, renaming file i of n to a name that sorts as n - i.
mkdir -p "$WORK/b"
(cd "$WORK/a" && find . -type d) | while read -r d; do mkdir -p "$WORK/b/$d"; done
(cd "$WORK/a" && find . -name '*.parquet' | sort) > "$WORK/list"
n=$(wc -l < "$WORK/list")
i=0
while read -r f; do
    i=$((i + 1))
    cp "$WORK/a/$f" "$WORK/b/$(dirname "$f")/$(printf 'part-%05d' $((n - i))).parquet"
done < "$WORK/list"

write_config "$WORK/c.yaml" "$WORK/a" "$WORK/a.csv" parquet
run_mpi 1 --config "$WORK/c.yaml" --quiet || fail "run on the original order failed"
passed=0
for ranks in 1 3; do
    for chunk in 1024 100000; do
        out="$WORK/b-$ranks-$chunk.csv"
        run_mpi "$ranks" --config "$WORK/c.yaml" --quiet --input "$WORK/b" \
            --chunk-rows "$chunk" --output "$out" || fail "run failed ($ranks ranks, chunk $chunk)"
        cmp "$WORK/a.csv" "$out" || fail "report differs with files renamed ($ranks ranks, chunk $chunk)"
        passed=$((passed + 1))
    done
done
echo "$passed passed, 0 failed"
