#!/usr/bin/env bash
# Issue 11 item 6: page CRCs are verified by the job.  A file whose pages
# carry CRCs with one flipped byte in a page is a data error (65) naming
# file, row group and column, with no report; input.verify_crc: false
# skips the check (and the flipped byte then reaches the report, which
# is what the check is for).  Intact CRCs change nothing.  3 ranks; the
# corrupt file is the last day's, which rank 0 does not read first.
source "$(dirname "$0")/common.sh"

"$OCPGEN" --format parquet --output "$WORK/crc" --days 3 --parquet-codec none \
    --page-crc yes --quiet || fail "ocpgen failed"
"$OCPGEN" --format parquet --output "$WORK/plain" --days 3 --parquet-codec none \
    --quiet || fail "ocpgen failed"

run() { # run DATASET OUT [ARGS...]
    local data=$1 out=$2
    shift 2
    write_config "$WORK/c.yaml" "$WORK/$data" "$WORK/$out" parquet
    rc=0
    timeout 120 mpirun --allow-run-as-root --oversubscribe -np 3 "$OCPAGG" \
        --config "$WORK/c.yaml" "$@" > /dev/null 2> "$WORK/err.txt" || rc=$?
}

run plain plain.csv
[ "$rc" -eq 0 ] || { cat "$WORK/err.txt" >&2; fail "the run without CRCs failed"; }
run crc crc.csv
[ "$rc" -eq 0 ] || { cat "$WORK/err.txt" >&2; fail "the run with intact CRCs failed"; }
cmp -s "$WORK/plain.csv" "$WORK/crc.csv" || fail "intact CRCs changed the report"

# One byte of a namespace in the dictionary page of the last pod file.
f=$(find "$WORK/crc/openshift_pod_usage_line_items" -name '*.parquet' | sort | tail -1)
off=$(grep -obUa "openshift-monitoring" "$f" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "no namespace text found in $f"
printf 'M' | dd of="$f" bs=1 seek=$((off + 10)) conv=notrunc status=none

run crc bad.csv
[ "$rc" -eq 65 ] || { cat "$WORK/err.txt" >&2; fail "flipped byte: expected 65, got $rc"; }
line=$(grep "ocpagg: .*data error" "$WORK/err.txt" | head -1)
for p in "$(basename "$f")" "row group 0" "column namespace" "CRC"; do
    echo "$line" | grep -qF -- "$p" || { cat "$WORK/err.txt" >&2; fail "the message does not name '$p'"; }
done
[ ! -e "$WORK/bad.csv" ] || fail "a report was written despite the CRC mismatch"

# The switch off: the run reads the damaged byte.
run crc nocheck.csv --set input.verify_crc=false
[ "$rc" -eq 0 ] || { cat "$WORK/err.txt" >&2; fail "verify_crc=false: the run failed ($rc)"; }
grep -q "openshift-Monitoring" "$WORK/nocheck.csv" ||
    fail "verify_crc=false: the damaged value did not reach the report"

echo "t_input_crc: ok"
