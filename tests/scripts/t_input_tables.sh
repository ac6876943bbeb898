#!/usr/bin/env bash
# Issue 11 item 5: a configured table that is missing or unreadable is an
# error naming every such table (not only the first), unless
# input.optional_tables lets it be absent; EACCES says "Permission
# denied", not "no such table"; no report is written.  3 ranks.
source "$(dirname "$0")/common.sh"

"$OCPGEN" --format parquet --output "$WORK/pq" --days 1 --quiet || fail "ocpgen failed"
"$OCPGEN" --output "$WORK/d.h5" --days 1 --quiet || fail "ocpgen failed"

# expect CODE CONFIG PATTERN...: 3 ranks, the exit code, every pattern in
# the one error line, no report left behind.
expect() {
    local code=$1 cfg=$2 rc=0
    shift 2
    rm -f "$WORK/out.csv" "$WORK/out.summary.json"
    timeout 120 mpirun --allow-run-as-root --oversubscribe -np 3 "$OCPAGG" \
        --config "$cfg" > /dev/null 2> "$WORK/err.txt" || rc=$?
    [ "$rc" -eq "$code" ] || { cat "$WORK/err.txt" >&2; fail "expected exit $code, got $rc ($cfg)"; }
    for p in "$@"; do
        grep -F "ocpagg: " "$WORK/err.txt" | grep -qF -- "$p" || {
            cat "$WORK/err.txt" >&2
            fail "message does not name '$p' ($cfg)"
        }
    done
    [ ! -e "$WORK/out.csv" ] || fail "a report was written ($cfg)"
}

# A misspelt label table (the typo of the issue) and a second missing
# label table: both named, 66, the key and the way out named too.
write_config "$WORK/typo.yaml" "$WORK/pq" "$WORK/out.csv" parquet
sed -i "s|^  path: $WORK/pq|  path: $WORK/pq\n  tables:\n    node_labels: openshift_node_lables_line_items\n    namespace_labels: no_such_ns_labels|" "$WORK/typo.yaml"
expect 66 "$WORK/typo.yaml" "openshift_node_lables_line_items" "no_such_ns_labels" \
    "node_labels" "namespace_labels" "input.optional_tables"

# Listed as optional: the run succeeds with one warning naming both.
sed -i "s|^  format: parquet|  format: parquet\n  optional_tables: [node_labels, namespace_labels]|" "$WORK/typo.yaml"
rm -f "$WORK/out.csv"
mpirun --allow-run-as-root --oversubscribe -np 3 "$OCPAGG" --config "$WORK/typo.yaml" \
    > /dev/null 2> "$WORK/err.txt" || { cat "$WORK/err.txt" >&2; fail "optional tables: the run failed"; }
grep "warning" "$WORK/err.txt" | grep -q "openshift_node_lables_line_items.*no_such_ns_labels" ||
    { cat "$WORK/err.txt" >&2; fail "the warning does not name both optional tables"; }
[ -s "$WORK/out.csv" ] || fail "optional tables: no report"

# pod_usage can never be optional: 78 naming the key.
write_config "$WORK/podopt.yaml" "$WORK/pq" "$WORK/out.csv" parquet
sed -i "s|^  format: parquet|  format: parquet\n  optional_tables: [pod_usage]|" "$WORK/podopt.yaml"
expect 78 "$WORK/podopt.yaml" "input.optional_tables[0]" "pod_usage"

# A table directory without permission: "Permission denied", 66, even
# when the table is optional (it exists; it is just not ours to read).
# root reads through permissions, so as root the job runs in a user
# namespace without a mapping (as the overflow user), if one can be made.
write_config "$WORK/perm.yaml" "$WORK/pq" "$WORK/out.csv" parquet
sed -i "s|^  format: parquet|  format: parquet\n  optional_tables: [node_labels]|" "$WORK/perm.yaml"
as_other=""
if [ "$(id -u)" -eq 0 ]; then
    if unshare -U true 2> /dev/null; then as_other="unshare -U"; else as_other=none; fi
fi
if [ "$as_other" != none ]; then
    chmod 755 "$WORK"
    chmod 000 "$WORK/pq/openshift_node_labels_line_items"
    rc=0
    timeout 120 $as_other mpirun --allow-run-as-root --oversubscribe -np 3 "$OCPAGG" \
        --config "$WORK/perm.yaml" > /dev/null 2> "$WORK/err.txt" || rc=$?
    chmod 755 "$WORK/pq/openshift_node_labels_line_items"
    chmod 700 "$WORK"
    [ "$rc" -eq 66 ] || { cat "$WORK/err.txt" >&2; fail "permission: expected 66, got $rc"; }
    grep "ocpagg: " "$WORK/err.txt" | grep -q "openshift_node_labels_line_items.*Permission denied" ||
        { cat "$WORK/err.txt" >&2; fail "permission: message does not say Permission denied"; }
    ! grep -q "no such table" "$WORK/err.txt" || fail "permission reported as a missing table"
    [ ! -e "$WORK/out.csv" ] || fail "permission: a report was written"
else
    echo "note: no user namespace; the permission case is left to test_pq_dataset"
fi

# HDF5: two missing groups named together; the storage table is optional
# by default (SEMANTICS.md) and required once optional_tables says [].
write_config "$WORK/h5.yaml" "$WORK/d.h5" "$WORK/out.csv" hdf5
sed -i "s|^  path: $WORK/d.h5|  path: $WORK/d.h5\n  tables:\n    storage_usage: no_storage\n    node_labels: no_nodes\n    namespace_labels: no_ns|" "$WORK/h5.yaml"
expect 66 "$WORK/h5.yaml" "no_nodes" "no_ns" "node_labels" "namespace_labels"
sed -i "s|^  format: hdf5|  format: hdf5\n  optional_tables: []|" "$WORK/h5.yaml"
expect 66 "$WORK/h5.yaml" "no_storage" "no_nodes" "no_ns" "3 input tables"

echo "t_input_tables: ok"
