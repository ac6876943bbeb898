#!/usr/bin/env bash
# OCP on AWS (issue 14): ocpgen writes a cluster and a matching CUR, ocpagg
# writes the OCP daily summary (Parquet), ocpagg-aws attributes the CUR;
# tests/duckdb/aws_oracle.mjs recomputes the report from SEMANTICS-AWS.md
# in DuckDB and compares row by row (relative 1e-9).  The report must be
# byte-identical for any split of the CUR into shares (as ranks read it),
# any CUR file size, and 1 or 3 OCP ranks; the job's own step gives the
# same bytes at 1, 2 and 3 ranks and 1 or 2 threads.  Bad CUR input gives clear
# errors or counted drops.  Skips (77) without Node/DuckDB.
source "$(dirname "$0")/common.sh"
source "$SOURCE/tests/duckdb/setup.sh"
AWS=$BUILD/ocpagg-aws
ORACLE=$SOURCE/tests/duckdb/aws_oracle.mjs
[ -x "$AWS" ] || fail "ocpagg-aws is not built"

settings() { # FILE [distribution] [markup]
    cat > "$1" <<JSON
{"cluster_id": "test-cluster", "cluster_alias": "Test Cluster",
 "source_uuid": "2f1d1c35-5a0e-4b8e-9a53-0d1d6c7e4a10", "report_period_id": 3, "bill_id": 7,
 "enabled_tag_keys": ["app", "environment", "tier"], "aws_enabled_tag_keys": ["app", "team"],
 "markup_percent": ${3:-10}, "distribution": "${2:-cpu}", "account_aliases": {"123456789012": 42}}
JSON
}

# case NAME NODES PODS DAYS SEED [dist] [markup]
case_run() {
    local name=$1 nodes=$2 pods=$3 days=$4 seed=$5 dist=${6:-cpu} markup=${7:-10}
    local d=$WORK/$name end
    mkdir -p "$d"
    "$OCPGEN" --format parquet --output "$d/in" --nodes "$nodes" --pods-per-node "$pods" \
        --days "$days" --seed "$seed" --quiet --aws-cur "$d/in/aws_line_items" \
        --aws-rows-per-file 5000 || fail "$name: ocpgen failed"
    end=$(date -u -d "2025-11-01 + $((days - 1)) days" +%F)
    write_config "$d/c.yaml" "$d/in" "$d/r.parquet" parquet
    local t0=$SECONDS
    run_mpi 1 --config "$d/c.yaml" --quiet --format parquet --output "$d/r.parquet" ||
        fail "$name: ocpagg failed"
    echo "$name: OCP step $((SECONDS - t0)) s"
    settings "$d/s.json" "$dist" "$markup"
    "$AWS" --ocp "$d/r.parquet" --cur "$d/in/aws_line_items" --settings "$d/s.json" \
        --start 2025-11-01 --end "$end" --csv "$d/a.csv" --parquet "$d/a.parquet" \
        --counters "$d/a.json" || fail "$name: ocpagg-aws failed"
    node "$ORACLE" "$DUCK" "$d/in" "$d/r.parquet" "$d/in/aws_line_items" "$d/s.json" \
        2025-11-01 "$end" "$d/a.parquet" || fail "$name: DuckDB oracle disagrees"
    # Conservation (no cost lost silently): daily Σ Cu = matched + unmatched,
    # and matched = attributed + dropped (up to rounding).
    node -e '
      const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const near = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
      const att = ["storage", "unattributed_storage", "compute", "tag", "network"]
        .reduce((s, k) => s + c[`attributed_${k}_unblended`], 0);
      const drop = ["network_no_node", "compute_no_node", "storage_no_pvc", "tag_no_rows"]
        .reduce((s, k) => s + c[`dropped_${k}_unblended`], 0);
      const ok = near(c.daily_unblended, c.resource_matched_unblended + c.tag_matched_unblended + c.unmatched_unblended)
        && near(c.resource_matched_unblended + c.tag_matched_unblended, att + drop)
        && c.daily_rows === c.resource_matched + c.tag_matched + c.unmatched && c.rows_read > 0;
      if (!ok) { console.error(JSON.stringify(c)); process.exit(1); }' "$d/a.json" ||
        fail "$name: the counters do not add up"
}

case_run small 3 10 2 7
# Byte-identical for any CUR shares and file sizes, and 3 OCP ranks.
d=$WORK/small
for parts in 2 3 5; do
    "$AWS" --ocp "$d/r.parquet" --cur "$d/in/aws_line_items" --settings "$d/s.json" \
        --start 2025-11-01 --end 2025-11-02 --csv "$d/p$parts.csv" --parts $parts --quiet ||
        fail "--parts $parts failed"
    cmp -s "$d/a.csv" "$d/p$parts.csv" || fail "--parts $parts changes the report"
done
"$OCPGEN" --format parquet --output "$d/cur2" --nodes 3 --pods-per-node 10 --days 2 --seed 7 \
    --quiet --aws-only --aws-cur "$d/cur2" --aws-rows-per-file 37 || fail "ocpgen --aws-only failed"
[ "$(find "$d/cur2" -name 'cur_*.parquet' | wc -l)" -gt 10 ] || fail "expected many CUR files"
"$AWS" --ocp "$d/r.parquet" --cur "$d/cur2" --settings "$d/s.json" --start 2025-11-01 \
    --end 2025-11-02 --csv "$d/f.csv" --parts 4 --quiet || fail "small files failed"
cmp -s "$d/a.csv" "$d/f.csv" || fail "CUR file size changes the report"
run_mpi 3 --config "$d/c.yaml" --quiet --format parquet --output "$d/r3.parquet" ||
    fail "ocpagg on 3 ranks failed"
"$AWS" --ocp "$d/r3.parquet" --cur "$d/in/aws_line_items" --settings "$d/s.json" \
    --start 2025-11-01 --end 2025-11-02 --csv "$d/r3.csv" --quiet || fail "r3 failed"
cmp -s "$d/a.csv" "$d/r3.csv" || fail "3 OCP ranks change the report"
# Memory distribution and another markup against the oracle.
case_run mem 4 8 2 11 memory 12.5

# Bad input.
b=$WORK/bad
mkdir -p "$b/cur"
cat > "$b/mk.mjs" <<JS
import { pathToFileURL } from 'node:url';
const api = await import(pathToFileURL('$DUCK/node_modules/@duckdb/node-api/lib/index.js').href);
const con = await (await api.DuckDBInstance.create(':memory:')).connect();
await con.run("COPY (SELECT 'i-1' AS lineitem_resourceid, 1.0 AS lineitem_unblendedcost) TO '$b/nodate.parquet' (FORMAT parquet)");
await con.run(\`COPY (SELECT * FROM (VALUES (TIMESTAMP '2025-11-01 01:00:00', 'vol-x', '{"app": ', 0.5, 0.0),
    (NULL, 'vol-x', '{}', 7.0, 1.0), (TIMESTAMP '2025-11-01 02:00:00', 'vol-x', '[1]', 0.25, 0.0))
    t(lineitem_usagestartdate, lineitem_resourceid, resourcetags, lineitem_unblendedcost, lineitem_unblendedrate))
    TO '$b/cur/bad.parquet' (FORMAT parquet)\`);
JS
node "$b/mk.mjs" || fail "cannot write the bad CUR files"
set +e
"$AWS" --ocp "$d/r.parquet" --cur "$b/nodate.parquet" --settings "$d/s.json" --start 2025-11-01 \
    --end 2025-11-02 --csv "$b/x.csv" --quiet 2>"$b/err1"
rc=$?
set -e
[ $rc -eq 65 ] || fail "a CUR without lineitem_usagestartdate: exit $rc, expected 65"
grep -q "lineitem_usagestartdate" "$b/err1" || fail "the error does not name the column: $(cat "$b/err1")"
[ ! -e "$b/x.csv" ] || fail "a failed run left a report"
"$AWS" --ocp "$d/r.parquet" --cur "$b/cur" --settings "$d/s.json" --start 2025-11-01 \
    --end 2025-11-02 --csv "$b/y.csv" --counters "$b/y.json" --quiet || fail "bad tags must be counted, not fatal"
node -e '
  const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (c.rows_read !== 3 || c.rows_dropped_null_date !== 1 || c.bad_tags !== 2 || c.daily_rows !== 1 ||
      c.unmatched !== 1 || Math.abs(c.unmatched_unblended - 0.75) > 1e-12) {
    console.error(JSON.stringify(c)); process.exit(1); }' "$b/y.json" || fail "bad-input counters"
set +e
"$AWS" --ocp "$d/r.parquet" --cur "$b/cur" --settings "$d/s.json" --start 2025-11-01 \
    --end 2025-11-02 --csv "$b/z.csv" --strict --quiet 2>"$b/err2"
rc=$?
set -e
[ $rc -eq 65 ] || fail "--strict with malformed tags: exit $rc, expected 65"
grep -q "resourcetags" "$b/err2" || fail "the strict error does not name the column: $(cat "$b/err2")"
echo "t_aws: passed"

# The job itself: the AWS step after the OCP finish, any ranks and threads.
d=$WORK/small
aws_yaml="aws:
  source_uuid: 2f1d1c35-5a0e-4b8e-9a53-0d1d6c7e4a10
  bill_id: 7
  markup_percent: 10
  enabled_tag_keys: app, team
  account_aliases: 123456789012=42"
write_config "$d/j.yaml" "$d/in" "$d/j.parquet" parquet "$aws_yaml"
for spec in "1 1" "3 1" "2 2"; do
    set -- $spec
    run_mpi "$1" --config "$d/j.yaml" --quiet --format parquet --output "$d/j$1$2.parquet" \
        --set threads="$2" --set aws.output="$d/j$1$2.aws.csv" ||
        fail "ocpagg with the AWS step on $1 rank(s) x $2 thread(s) failed"
    cmp -s "$d/a.csv" "$d/j$1$2.aws.csv" ||
        fail "the job's AWS report ($1 ranks x $2 threads) differs from ocpagg-aws"
done
node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const a = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
  if (!s.aws || s.aws.output_rows !== a.output_rows || !(s.seconds.aws >= 0)) process.exit(1);' \
    "$d/j31.summary.json" "$d/a.json" || fail "the run summary lacks the AWS counters"
# A failure on rank 2 of 3 while reading the CUR: exit 65, no report at all.
set +e
OCPAGG_FAULT=aws:2:data run_mpi 3 --config "$d/j.yaml" --quiet --format parquet \
    --output "$d/f.parquet" --set aws.output="$d/f.aws.csv" 2>"$d/f.err"
rc=$?
set -e
[ $rc -eq 65 ] || fail "fault in the AWS step on rank 2: exit $rc, expected 65"
[ ! -e "$d/f.parquet" ] && [ ! -e "$d/f.aws.csv" ] && [ ! -e "$d/f.summary.json" ] ||
    fail "a failed AWS step left a report behind"

# Days attributed on their owner ranks (issue 14): 5 days, the CUR in
# 37-row files so every rank reads a share of days it does not own.  The
# job's AWS report (CSV and Parquet) and its counters are the same bytes
# at 1, 2 and 3 ranks and 1 or 2 threads.
d=$WORK/days
mkdir -p "$d"
"$OCPGEN" --format parquet --output "$d/in" --nodes 4 --pods-per-node 10 --days 5 --seed 11 \
    --quiet --aws-cur "$d/in/aws_line_items" --aws-rows-per-file 37 ||
    fail "days: ocpgen failed"
write_config "$d/j.yaml" "$d/in" "$d/j.parquet" parquet "$aws_yaml"
for spec in "1 1" "2 1" "3 1" "1 2" "2 2" "3 2"; do
    set -- $spec
    for fmt in csv parquet; do
        [ "$fmt" = csv ] || [ "$2" = 1 ] || continue
        run_mpi "$1" --config "$d/j.yaml" --quiet --format parquet \
            --output "$d/j$1$2$fmt.parquet" --set threads="$2" \
            --set aws.output="$d/j$1$2.aws.$fmt" ||
            fail "days: ocpagg with the AWS step on $1 rank(s) x $2 thread(s) failed"
        node -e '
          const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
          require("fs").writeFileSync(process.argv[2], JSON.stringify(s.aws));' \
            "$d/j$1$2$fmt.summary.json" "$d/c$1$2$fmt.json"
        cmp -s "$d/j11.aws.$fmt" "$d/j$1$2.aws.$fmt" ||
            fail "days: the AWS report ($fmt, $1 ranks x $2 threads) differs from 1 x 1"
        cmp -s "$d/c11$fmt.json" "$d/c$1$2$fmt.json" ||
            fail "days: the AWS counters ($1 ranks x $2 threads) differ from 1 x 1"
    done
done
[ "$(wc -l < "$d/j11.aws.csv")" -gt 100 ] || fail "days: too few AWS rows to test"
echo "t_aws: the job's AWS step passed"
