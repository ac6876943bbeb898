#!/usr/bin/env bash
# --start/--end keep exactly those days; Parquet row groups outside them are
# pruned by their statistics, and the days kept match the full run's rows
# (the days cross a month end, so both months' lengths are in play).
source "$(dirname "$0")/common.sh"

"$OCPGEN" --format parquet --output "$WORK/pq" --nodes 3 --pods-per-node 6 \
    --days 5 --start 2025-02-26 --quiet || fail "ocpgen failed"
write_config "$WORK/c.yaml" "$WORK/pq" "$WORK/all.csv" parquet
run_mpi 2 --config "$WORK/c.yaml" --quiet || fail "full run failed"
run_mpi 2 --config "$WORK/c.yaml" --quiet --start 2025-02-27 --end 2025-03-01 \
    --output "$WORK/part.csv" || fail "ranged run failed"

passed=0
days=$(cut -d, -f6 "$WORK/part.csv" | tail -n +2 | sort -u | tr '\n' ' ')
[ "$days" = "2025-02-27 2025-02-28 2025-03-01 " ] || fail "days kept: $days"
passed=$((passed + 1))
# The kept days' rows are exactly the full run's rows of those days.
grep -E ',(2025-02-27|2025-02-28|2025-03-01),' "$WORK/all.csv" > "$WORK/expect.rows"
tail -n +2 "$WORK/part.csv" > "$WORK/got.rows"
cmp "$WORK/expect.rows" "$WORK/got.rows" || fail "ranged rows differ from the full run's"
passed=$((passed + 1))
grep -q '"pruned_row_groups": [1-9]' "$WORK/part.summary.json" || fail "no row group was pruned"
passed=$((passed + 1))
echo "$passed passed, 0 failed"
