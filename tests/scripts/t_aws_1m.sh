#!/usr/bin/env bash
# OCP on AWS at ~1 M OCP rows (issue 14): ocpgen (100 nodes x 100 pods x
# 4 days, 981 408 input rows, ~20 k CUR rows), the job with its AWS step on
# 2 ranks, and tests/duckdb/aws_oracle.mjs (SEMANTICS-AWS.md as SQL) row by
# row at relative 1e-9.  About 15 s.  Skips (77) without Node/DuckDB.
source "$(dirname "$0")/common.sh"
source "$SOURCE/tests/duckdb/setup.sh"
d=$WORK
"$OCPGEN" --format parquet --output "$d/in" --nodes 100 --pods-per-node 100 --days 4 --seed 3 \
    --quiet --aws-cur "$d/in/aws_line_items" --aws-rows-per-file 20000 || fail "ocpgen failed"
write_config "$d/c.yaml" "$d/in" "$d/r.parquet" parquet "aws:
  source_uuid: 2f1d1c35-5a0e-4b8e-9a53-0d1d6c7e4a10
  bill_id: 7
  markup_percent: 10
  enabled_tag_keys: app, team
  account_aliases: 123456789012=42
  output: $d/r.aws.parquet"
run_mpi 2 --config "$d/c.yaml" --quiet --format parquet --output "$d/r.parquet" ||
    fail "ocpagg with the AWS step failed"
cat > "$d/s.json" <<JSON
{"cluster_id": "test-cluster", "cluster_alias": "Test Cluster",
 "source_uuid": "2f1d1c35-5a0e-4b8e-9a53-0d1d6c7e4a10", "report_period_id": 3, "bill_id": 7,
 "enabled_tag_keys": ["app", "environment", "tier"], "aws_enabled_tag_keys": ["app", "team"],
 "markup_percent": 10, "distribution": "cpu", "account_aliases": {"123456789012": 42}}
JSON
node "$SOURCE/tests/duckdb/aws_oracle.mjs" "$DUCK" "$d/in" "$d/r.parquet" "$d/in/aws_line_items" \
    "$d/s.json" 2025-11-01 2025-11-04 "$d/r.aws.parquet" || fail "DuckDB oracle disagrees at 1 M rows"
echo "t_aws_1m: passed"
