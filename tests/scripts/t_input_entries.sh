#!/usr/bin/env bash
# Issue 11 item 7: an entry of a table directory that cannot be opened (a
# dangling link, a link loop, a FIFO or a link to a device named
# *.parquet, a hive folder behind a dangling link) is an error naming it,
# not skipped; a link to a regular Parquet file is read like the file.
# 3 ranks; no report left behind.
source "$(dirname "$0")/common.sh"

"$OCPGEN" --format parquet --output "$WORK/pq" --days 2 --quiet || fail "ocpgen failed"
write_config "$WORK/c.yaml" "$WORK/pq" "$WORK/out.csv" parquet

run() {
    rm -f "$WORK/out.csv"
    rc=0
    timeout 120 mpirun --allow-run-as-root --oversubscribe -np 3 "$OCPAGG" \
        --config "$WORK/c.yaml" > /dev/null 2> "$WORK/err.txt" || rc=$?
}

run
[ "$rc" -eq 0 ] || { cat "$WORK/err.txt" >&2; fail "the clean run failed"; }
cp "$WORK/out.csv" "$WORK/ref.csv"

month=$(dirname "$(find "$WORK/pq/openshift_node_labels_line_items" -name '*.parquet' | head -1)")
pods=$(dirname "$(find "$WORK/pq/openshift_pod_usage_line_items" -name '*.parquet' | head -1)")

# expect_bad NAME: the run fails 66 and the one error line names NAME.
expect_bad() {
    local name=$1 what=$2
    run
    [ "$rc" -eq 66 ] || { cat "$WORK/err.txt" >&2; fail "$what: expected 66, got $rc"; }
    grep "ocpagg: " "$WORK/err.txt" | grep -qF -- "$name" ||
        { cat "$WORK/err.txt" >&2; fail "$what: the message does not name $name"; }
    [ ! -e "$WORK/out.csv" ] || fail "$what: a report was written"
}

ln -s "$WORK/gone/x.parquet" "$month/dangling.parquet"
expect_bad dangling.parquet "dangling link"
rm "$month/dangling.parquet"

ln -s "$month/loop_b.parquet" "$month/loop_a.parquet"
ln -s "$month/loop_a.parquet" "$month/loop_b.parquet"
expect_bad "/loop_" "link loop"
grep -q "Too many levels of symbolic links" "$WORK/err.txt" || fail "link loop: errno not given"
rm "$month/loop_a.parquet" "$month/loop_b.parquet"

mkfifo "$pods/fifo.parquet"
expect_bad fifo.parquet "FIFO"
grep -q "a FIFO" "$WORK/err.txt" || fail "FIFO: not said"
rm "$pods/fifo.parquet"

ln -s /dev/zero "$pods/zero.parquet"
expect_bad zero.parquet "link to /dev/zero"
grep -q "a character device" "$WORK/err.txt" || fail "/dev/zero: not said"
rm "$pods/zero.parquet"

# A partition folder on a mount that vanished: a dangling link without
# the .parquet suffix.
ln -s "$WORK/unmounted/day=9" "$month/day=9"
expect_bad "day=9" "vanished partition folder"
rm "$month/day=9"

# A link to a regular Parquet file is that file: moving the file away and
# linking it back gives the same report.
f=$(find "$WORK/pq/openshift_pod_usage_line_items" -name '*.parquet' | sort | head -1)
mkdir -p "$WORK/elsewhere"
mv "$f" "$WORK/elsewhere/real.parquet"
ln -s "$WORK/elsewhere/real.parquet" "$f"
run
[ "$rc" -eq 0 ] || { cat "$WORK/err.txt" >&2; fail "a link to a regular file failed"; }
cmp -s "$WORK/out.csv" "$WORK/ref.csv" || fail "a link to a regular file changed the report"

echo "t_input_entries: ok"
