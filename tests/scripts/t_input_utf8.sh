#!/usr/bin/env bash
# Issue 11 item 8: text that is not valid UTF-8 (here a namespace) is a
# data error (65) naming the file and column (and row group for Parquet),
# not copied into the report, for Parquet and HDF5 input.  3 ranks.
source "$(dirname "$0")/common.sh"

"$OCPGEN" --format parquet --output "$WORK/pq" --days 3 --parquet-codec none --quiet ||
    fail "ocpgen failed"
"$OCPGEN" --output "$WORK/d.h5" --days 1 --no-compress --quiet || fail "ocpgen failed"

# flip FILE: the 'm' of the first "openshift-monitoring" becomes 0xFF.
flip() {
    local off
    off=$(grep -obUa "openshift-monitoring" "$1" | head -1 | cut -d: -f1)
    [ -n "$off" ] || fail "no namespace text in $1"
    printf '\377' | dd of="$1" bs=1 seek=$((off + 10)) conv=notrunc status=none
}

check() { # check FORMAT INPUT PATTERN...
    local format=$1 input=$2 rc=0
    shift 2
    write_config "$WORK/c.yaml" "$input" "$WORK/out.csv" "$format"
    rm -f "$WORK/out.csv"
    timeout 120 mpirun --allow-run-as-root --oversubscribe -np 3 "$OCPAGG" \
        --config "$WORK/c.yaml" > /dev/null 2> "$WORK/err.txt" || rc=$?
    [ "$rc" -eq 65 ] || { cat "$WORK/err.txt" >&2; fail "$format: expected 65, got $rc"; }
    line=$(grep "ocpagg: .*data error" "$WORK/err.txt" | head -1)
    for p in "$@" "not valid UTF-8"; do
        echo "$line" | grep -qF -- "$p" || { cat "$WORK/err.txt" >&2; fail "$format: message lacks '$p'"; }
    done
    [ ! -e "$WORK/out.csv" ] || fail "$format: a report was written"
}

f=$(find "$WORK/pq/openshift_pod_usage_line_items" -name '*.parquet' | sort | tail -1)
flip "$f"
check parquet "$WORK/pq" "$(basename "$f")" "row group 0" "column namespace"

flip "$WORK/d.h5"
check hdf5 "$WORK/d.h5" "d.h5" "namespace"

echo "t_input_utf8: ok"
