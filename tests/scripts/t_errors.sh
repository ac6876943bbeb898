#!/usr/bin/env bash
# Bad input ends with the documented exit code, a one-line message naming
# the culprit, and no report file left behind.
source "$(dirname "$0")/common.sh"

"$OCPGEN" --output "$WORK/d.h5" --quiet || fail "ocpgen failed"
passed=0

# expect CODE PATTERN CONFIG [ARGS...]: runs on 2 ranks and checks.
expect() {
    local code=$1 pattern=$2
    shift 2
    local rc=0
    rm -f "$WORK/out.csv" "$WORK"/out.csv.tmp.* "$WORK/err.txt"
    timeout 120 mpirun --allow-run-as-root --oversubscribe -np 2 "$OCPAGG" "$@" \
        2> "$WORK/err.txt" > /dev/null || rc=$?
    if [ "$rc" -ne "$code" ]; then
        cat "$WORK/err.txt" >&2
        fail "expected exit $code, got $rc for: $*"
    fi
    grep -q -- "$pattern" "$WORK/err.txt" || {
        cat "$WORK/err.txt" >&2
        fail "message does not name '$pattern' for: $*"
    }
    [ ! -e "$WORK/out.csv" ] || fail "a report was left behind for: $*"
    ! ls "$WORK"/out.csv.tmp.* > /dev/null 2>&1 || fail "a temp file was left behind"
    passed=$((passed + 1))
}

write_config "$WORK/ok.yaml" "$WORK/d.h5" "$WORK/out.csv"

# Missing input file -> 66.
expect 66 "$WORK/none.h5" --config "$WORK/ok.yaml" --input "$WORK/none.h5"

# Missing config file -> 78 naming it.
expect 78 "$WORK/nope.yaml" --config "$WORK/nope.yaml"

# Unknown config key -> 78 naming the key.
write_config "$WORK/bad.yaml" "$WORK/d.h5" "$WORK/out.csv" hdf5 "colour: blue"
expect 78 "colour" --config "$WORK/bad.yaml"

# Wrong type of a config value -> 78 naming the key.
expect 78 "threads" --config "$WORK/ok.yaml" --set threads=many
# threads: 0 takes OpenMP's number, within the key's bound.
OMP_NUM_THREADS=5000 expect 78 "key 'threads': 0 takes OpenMP's 5000 threads (OMP_NUM_THREADS), more than 4096" \
    --config "$WORK/ok.yaml" --set threads=0

# Usage error -> 64, naming the option as typed (a long option by its
# word, not by getopt's code for it).
expect 64 "option '--bogus' is unknown" --config "$WORK/ok.yaml" --bogus
expect 64 "option '--set' needs a value" --config "$WORK/ok.yaml" --set
expect 64 "option '--strict' is unknown or takes no value" --config "$WORK/ok.yaml" --strict=yes
expect 64 "option '-x' is unknown" --config "$WORK/ok.yaml" -qx

# Text that is not UTF-8 from the command line -> 78 naming the key.
expect 78 "key 'cluster_id': is not UTF-8 text" --config "$WORK/ok.yaml" \
    --set "cluster_id=$(printf 'a\377b')"

# Unwritable output -> 73 naming the path.
expect 73 "$WORK/no/such/dir/out.csv" --config "$WORK/ok.yaml" \
    --output "$WORK/no/such/dir/out.csv"

# Truncated HDF5 -> 65 naming the file.
size=$(stat -c %s "$WORK/d.h5")
head -c $((size / 2)) "$WORK/d.h5" > "$WORK/trunc.h5"
expect 65 "trunc.h5" --config "$WORK/ok.yaml" --input "$WORK/trunc.h5"

# Not HDF5 at all -> 65.
echo "hello" > "$WORK/text.h5"
expect 65 "text.h5" --config "$WORK/ok.yaml" --input "$WORK/text.h5"

# Missing required column and wrong column type: copy the pod table and
# alter it with h5py-free tools (h5copy/h5repack are not needed: the
# golden writer's helper makes such files).
"$BUILD/tests/test_h5_badfiles" "$WORK/missing_col.h5" "$WORK/wrong_type.h5" 2>/dev/null ||
    fail "cannot make the bad HDF5 files"
# These files hold the pod table only; the label tables must be declared
# optional, or the run stops at the missing tables (66) first.
expect 65 "pod_usage_cpu_core_seconds" --config "$WORK/ok.yaml" --input "$WORK/missing_col.h5" \
    --set input.optional_tables=storage_usage,node_labels,namespace_labels
expect 65 "namespace" --config "$WORK/ok.yaml" --input "$WORK/wrong_type.h5" \
    --set input.optional_tables=storage_usage,node_labels,namespace_labels

# --strict turns malformed labels into an error naming the column.
"$OCPGEN" --output "$WORK/bad_labels.h5" --bad-labels --quiet
expect 65 "labels" --config "$WORK/ok.yaml" --input "$WORK/bad_labels.h5" --strict

echo "$passed passed, 0 failed"
