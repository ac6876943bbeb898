#!/usr/bin/env bash
# The hand-computed golden report through the real MPI job, at 1-4 ranks.
source "$(dirname "$0")/common.sh"

"$BUILD/tests/test_golden" --write-h5 "$WORK/golden.h5" || fail "cannot write golden.h5"
cat > "$WORK/golden.yaml" <<YAML
cluster_id: golden
cluster_alias: Golden Cluster
source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
report_period_id: 7
input: {format: hdf5, path: $WORK/golden.h5}
enabled_tag_keys: [app, tier]
cost_categories:
  - {pattern: "openshift-%", id: 1}
  - {pattern: "kube-%", id: 2}
  - {pattern: "w_b", id: 3}
  - {pattern: "%", id: 0}
chunk_rows: 1024
output: {path: $WORK/out.csv}
progress_seconds: 0
YAML
passed=0
for n in 1 2 3 4; do
    rm -f "$WORK/out.csv"
    run_mpi "$n" --config "$WORK/golden.yaml" --quiet || fail "job failed at $n ranks"
    cmp "$WORK/out.csv" "$OCPAGG_TEST_DATA/golden/expected.csv" || fail "report differs at $n ranks"
    passed=$((passed + 1))
done
# The summary beside the report tells what was read.
grep -q '"bad_label_rows": 1' "$WORK/out.summary.json" || fail "summary lacks the bad label count"
echo "$passed passed, 0 failed"
