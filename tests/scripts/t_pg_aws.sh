#!/usr/bin/env bash
# The OCP-on-AWS rows in Koku's reporting_ocpawscostlineitem_project_daily_summary_p
# (issue 14, output.format postgres), in the same transaction as the OCP
# rows, against a private PostgreSQL 15 (Koku's DDL from ../shared plus
# tests/data/koku-aws-ddl.sql, the AWS table written from Koku's model):
#   1. at 1 and 3 ranks the AWS table holds exactly the rows of the run's
#      own CSV AWS report (aws.output), column by column (numbers rounded
#      to the columns' scales, JSON as jsonb); the same rows at 1 and 3
#      ranks; partitions made Koku's way; the summary gives the counts;
#   2. a rerun replaces the rows (no duplicates; deleted = copied), and
#      leaves another AWS source's rows of the same period alone;
#   3. a failure on rank 2 in the AWS step (OCPAGG_FAULT=aws:2:data: 65),
#      a failure and a SIGTERM after both COPYs (awspg:0:data: 65,
#      awspg:0:term: 75) leave BOTH tables exactly as they were;
#   4. pre-flight: no AWS table, a missing column, an unknown bill: 78
#      naming it, before any work, nothing changed.
# Skipped (77) when PostgreSQL cannot be installed or started.
source "$(dirname "$0")/common.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
AWSDDL=$SOURCE/tests/data/koku-aws-ddl.sql
[ -f "$AWSDDL" ] || fail "no $AWSDDL"

source "$HERE/pg_server.sh"
PGSRV_ON_EXIT='rm -rf "$WORK"'
pg_server_start
PGDATABASE=koku_tmpl psql -X -q -v ON_ERROR_STOP=1 -f "$AWSDDL" >/dev/null ||
    fail "cannot load $AWSDDL"

AWS_SRC=2f1d1c35-5a0e-4b8e-9a53-0d1d6c7e4a10
OCP=org1234567.reporting_ocpusagelineitem_daily_summary
AWS=org1234567.reporting_ocpawscostlineitem_project_daily_summary_p
md5of() { echo "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY usage_start, uuid), '')) FROM $1 t"; }
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
state() { echo "$(q "$1" "$(md5of $OCP)") $(q "$1" "$(md5of $AWS)")"; }
# js DB FILE PATH...: the JSON values at the paths ('{a,b}'), space-separated
# (read by the server, so the test needs nothing beyond PostgreSQL).
js() {
    local db=$1 f=$2 sel="" p
    shift 2
    for p in "$@"; do sel="$sel${sel:+ || ' ' || }coalesce(j #>> '$p', 'null')"; done
    echo "SELECT $sel FROM (SELECT :'j'::jsonb AS j) x" |
        psql -X -At -v ON_ERROR_STOP=1 -d "$db" -v j="$(cat "$f")"
}

"$OCPGEN" --format parquet --output "$WORK/in" --nodes 4 --pods-per-node 10 --days 3 \
    --seed 11 --quiet --aws-cur "$WORK/in/aws_line_items" --aws-cluster-id sample-cluster \
    --aws-rows-per-file 700 || fail "ocpgen failed"

# pg_config FILE DB [extra aws lines]
pg_config() {
    local file=$1 db=$2 extra=${3:-}
    cat > "$file" <<YAML
cluster_id: sample-cluster
cluster_alias: Sample Cluster
source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
report_period_id: 1
start_date: 2025-11-01
end_date: 2025-11-03
input:
  format: parquet
  path: $WORK/in
enabled_tag_keys: [app, environment, tier]
cost_categories: [{pattern: "openshift-%", id: 1}, {pattern: "kube-%", id: 2}, {pattern: "app-_", id: 3}]
threads: 1
chunk_rows: 4096
progress_seconds: 0
aws:
  source_uuid: $AWS_SRC
  bill_id: 7
  markup_percent: 10
  enabled_tag_keys: app, team
  account_aliases: 123456789012=42
$extra
output:
  format: postgres
  summary: $WORK/$db.summary.json
  postgres:
    conninfo: "host=$PGSRV_DIR port=$PGSRV_PORT user=postgres dbname=$db"
    schema: org1234567
YAML
}

# The AWS CSV of a run against the table, column by column.
compare_csv() { # DB CSV
    local db=$1 csv=$2 cols c e bad
    cols=$(head -1 "$csv")
    q "$db" "DROP TABLE IF EXISTS public.awscsv" >/dev/null
    q "$db" "CREATE TABLE public.awscsv ($(echo "$cols" | sed 's/,/ text, /g') text)" >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "\\copy public.awscsv FROM '$csv' (FORMAT csv, HEADER)"
    [ "$(q "$db" "SELECT count(*) FROM public.awscsv")" = "$(q "$db" "SELECT count(*) FROM $AWS")" ] ||
        fail "$db: the AWS table and the AWS CSV have different row counts"
    for c in $(echo "$cols" | tr , ' '); do
        case $c in
            uuid|source_uuid) e="c.$c::uuid" ;;
            usage_start|usage_end) e="c.$c::date" ;;
            report_period_id|cost_category_id|cost_entry_bill_id|account_alias_id) e="c.$c::integer" ;;
            pod_labels|tags|aws_cost_category) e="c.$c::jsonb" ;;
            calculated_amortized_cost|markup_cost_amortized) e="round(c.$c::numeric, 9)" ;;
            usage_amount|infrastructure_data_*|*cost*) e="round(c.$c::numeric, 15)" ;;
            *) e="c.$c" ;;
        esac
        bad=$(q "$db" "SELECT count(*) FROM public.awscsv c FULL JOIN $AWS t ON t.uuid = c.uuid::uuid AND t.usage_start = c.usage_start::date WHERE c.uuid IS NULL OR t.uuid IS NULL OR $e IS DISTINCT FROM t.$c")
        [ "$bad" = 0 ] || fail "$db: AWS column $c: $bad rows differ from the CSV report"
    done
    q "$db" "DROP TABLE public.awscsv" >/dev/null
}

declare -A SUMS
for n in 1 3; do
    db=ranks$n
    pg_server_newdb $db
    pg_config "$WORK/$db.yaml" $db "  output: $WORK/$db.aws.csv"
    run_mpi $n --config "$WORK/$db.yaml" > "$WORK/$db.out" 2>&1 ||
        { cat "$WORK/$db.out" >&2; fail "$n ranks: the job failed"; }
    rows=$(($(wc -l < "$WORK/$db.aws.csv") - 1))
    [ "$rows" -gt 50 ] || fail "$n ranks: the AWS report has only $rows rows"
    [ "$(q $db "SELECT count(*) FROM $AWS")" = "$rows" ] ||
        fail "$n ranks: $(q $db "SELECT count(*) FROM $AWS") AWS rows in the table, the CSV has $rows"
    compare_csv $db "$WORK/$db.aws.csv"
    [ "$(q $db "SELECT count(*) FROM $OCP")" -gt 100 ] || fail "$n ranks: no OCP rows"
    [ "$(q $db "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE c.relname = 'reporting_ocpawscostlineitem_project_daily_summary_p_2025_11'")" = 1 ] ||
        fail "$n ranks: the AWS table's 2025-11 partition was not made"
    [ "$(q $db "SELECT count(*) FROM org1234567.reporting_ocpawscostlineitem_project_daily_summary_p_default")" = 0 ] ||
        fail "$n ranks: AWS rows landed in the default partition"
    [ "$(js $db "$WORK/$db.summary.json" '{postgres,aws,copied_rows}' '{postgres,aws,deleted_rows}' '{aws,output_rows}')" = "$rows 0 $rows" ] ||
        fail "$n ranks: the summary's AWS counts are wrong: $(js $db "$WORK/$db.summary.json" '{postgres,aws}')"
    SUMS[$n]=$(state $db)
done
[ "${SUMS[1]}" = "${SUMS[3]}" ] || fail "the tables differ between 1 and 3 ranks: ${SUMS[*]}"
echo "t_pg_aws: 1 and 3 ranks: $rows AWS rows equal to the run's CSV report, in the OCP rows' transaction"

# Rerun without a file: the same rows replace the old ones; another AWS
# source's row of the same report period stays.
q ranks3 "INSERT INTO $AWS (uuid, usage_start, usage_end, product_code, usage_account_id,
          report_period_id, source_uuid, unblended_cost)
          VALUES ('00000000-0000-0000-0000-00000000beef', '2025-11-02', '2025-11-02', 'AmazonS3',
          '1', 1, '6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11', 1.5)" >/dev/null
before=$(state ranks3)
pg_config "$WORK/rerun.yaml" ranks3
run_mpi 3 --config "$WORK/rerun.yaml" > "$WORK/rerun.out" 2>&1 ||
    { cat "$WORK/rerun.out" >&2; fail "rerun failed"; }
[ "$(state ranks3)" = "$before" ] || fail "the rerun changed the rows (or lost the other source's row)"
[ "$(q ranks3 "SELECT count(*) FROM $AWS WHERE source_uuid = '$AWS_SRC'")" = "$rows" ] ||
    fail "the rerun left duplicates"
[ "$(js ranks3 "$WORK/ranks3.summary.json" '{postgres,aws,deleted_rows}' '{postgres,aws,copied_rows}')" = "$rows $rows" ] ||
    fail "rerun: deleted/copied are not the report's rows: $(js ranks3 "$WORK/ranks3.summary.json" '{postgres,aws}')"
echo "t_pg_aws: a rerun replaces the $rows rows, another source's row stays"

# Failures after the DELETEs: both tables exactly as before.
expect_unchanged() { # RC FAULT RANKS
    local want=$1 fault=$2 n=$3 rc=0
    OCPAGG_FAULT=$fault run_mpi $n --config "$WORK/rerun.yaml" > "$WORK/f.out" 2>&1 || rc=$?
    [ "$rc" = "$want" ] || { cat "$WORK/f.out" >&2; fail "$fault: exit $rc, expected $want"; }
    [ "$(state ranks3)" = "$before" ] || fail "$fault: a table changed"
    sleep 0.3
    [ "$(q ranks3 "SELECT count(*) FROM pg_stat_activity WHERE datname = 'ranks3' AND application_name = 'ocpagg'")" = 0 ] ||
        fail "$fault: a session of the failed job is still open"
    echo "t_pg_aws: ${fault:-refused row}: exit $rc, both tables unchanged"
}
expect_unchanged 65 aws:2:data 3
expect_unchanged 65 awspg:0:data 3
expect_unchanged 75 awspg:0:term 3
expect_unchanged 75 awspg:0:term 1
# A row the server refuses during the AWS COPY (a trigger stands in for a
# constraint): 74 naming SQLSTATE and the AWS report row, both unchanged.
q ranks3 "CREATE FUNCTION public.no_s3() RETURNS trigger LANGUAGE plpgsql AS
          \$\$BEGIN IF NEW.product_code = 'AmazonS3' THEN RAISE EXCEPTION 'no S3 here'; END IF;
          RETURN NEW; END\$\$;
          CREATE TRIGGER no_s3 BEFORE INSERT ON $AWS FOR EACH ROW EXECUTE FUNCTION public.no_s3()" >/dev/null
expect_unchanged 74 "" 3
grep -q "P0001" "$WORK/f.out" && grep -q "no S3 here" "$WORK/f.out" && grep -q "row" "$WORK/f.out" ||
    { cat "$WORK/f.out" >&2; fail "the refused AWS row's error does not name SQLSTATE, message and row"; }
echo "t_pg_aws: $(grep -m1 P0001 "$WORK/f.out" | cut -c1-220)"
q ranks3 "DROP TRIGGER no_s3 ON $AWS" >/dev/null

# Two months (report_period_id: auto): each month's AWS rows carry that
# month's report period, as the OCP rows do; aws.bill_id (one month's
# bill) with such a range is refused.
"$OCPGEN" --format parquet --output "$WORK/in2" --nodes 3 --pods-per-node 6 --days 4 \
    --start 2025-11-29 --seed 5 --quiet --aws-cur "$WORK/in2/aws_line_items" \
    --aws-cluster-id sample-cluster || fail "ocpgen (two months) failed"
pg_server_newdb months
q months "INSERT INTO org1234567.reporting_ocpusagereportperiod (id, cluster_id, cluster_alias,
          report_period_start, report_period_end, provider_id) VALUES (2, 'sample-cluster',
          'Sample Cluster', '2025-12-01 00:00:00+00', '2026-01-01 00:00:00+00',
          '6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11')" >/dev/null
pg_config "$WORK/months.yaml" months
sed -i "s|path: $WORK/in\$|path: $WORK/in2|; s/^start_date: .*/start_date: 2025-11-29/;
        s/^end_date: .*/end_date: 2025-12-02/; s/^    schema: org1234567/    schema: org1234567\n    report_period_id: auto/" \
    "$WORK/months.yaml"
rc=0
run_mpi 2 --config "$WORK/months.yaml" > "$WORK/months.out" 2>&1 || rc=$?
[ "$rc" = 78 ] && grep -q "aws.bill_id.*2 months" "$WORK/months.out" ||
    { cat "$WORK/months.out" >&2; fail "aws.bill_id with two months: exit $rc, expected 78"; }
sed -i '/^  bill_id: 7/d' "$WORK/months.yaml"
run_mpi 2 --config "$WORK/months.yaml" > "$WORK/months.out" 2>&1 ||
    { cat "$WORK/months.out" >&2; fail "two months: the job failed"; }
for m in "2025-11-29 2025-11-30 1" "2025-12-01 2025-12-02 2"; do
    set -- $m
    n=$(q months "SELECT count(*) FROM $AWS WHERE usage_start BETWEEN '$1' AND '$2'")
    bad=$(q months "SELECT count(*) FROM $AWS WHERE usage_start BETWEEN '$1' AND '$2'
                    AND (report_period_id <> $3 OR cost_entry_bill_id IS NOT NULL)")
    ocp=$(q months "SELECT count(DISTINCT report_period_id) || ':' || max(report_period_id) FROM $OCP
                    WHERE usage_start BETWEEN '$1' AND '$2'")
    [ "$n" -gt 0 ] && [ "$bad" = 0 ] && [ "$ocp" = "1:$3" ] ||
        fail "two months: $1..$2 has $n AWS rows, $bad with another period or a bill (OCP periods $ocp)"
done
echo "t_pg_aws: two months: each month's AWS rows carry its report period; aws.bill_id refused (78)"

# Pre-flight refusals: 78 naming what is wrong, nothing changed.
refuse() { # DB SQL PATTERN [sed expression for the config]
    local db=$1 sql=$2 pat=$3 ed=${4:-} rc=0 st
    pg_server_newdb $db
    q $db "$sql" >/dev/null
    st=$(q $db "$(md5of $OCP)")
    pg_config "$WORK/$db.yaml" $db
    [ -z "$ed" ] || sed -i "$ed" "$WORK/$db.yaml"
    run_mpi 2 --config "$WORK/$db.yaml" > "$WORK/$db.out" 2>&1 || rc=$?
    [ "$rc" = 78 ] || { cat "$WORK/$db.out" >&2; fail "$db: exit $rc, expected 78"; }
    grep -q -- "$pat" "$WORK/$db.out" || { cat "$WORK/$db.out" >&2; fail "$db: the error does not name $pat"; }
    [ "$(q $db "$(md5of $OCP)")" = "$st" ] || fail "$db: the OCP table changed"
    grep -q "attributing\|read+aggregate done" "$WORK/$db.out" && fail "$db: refused only after the heavy work"
    echo "t_pg_aws: $db: 78, $(grep -m1 -o -- "$pat.*" "$WORK/$db.out" | cut -c1-100)"
}
refuse noawstable "DROP TABLE $AWS" "project_daily_summary_p\" does not exist"
refuse nocolumn "ALTER TABLE $AWS DROP COLUMN aws_cost_category" "aws_cost_category"
refuse nobill "SELECT 1" "aws.bill_id: id 9" 's/^  bill_id: 7/  bill_id: 9/'
echo "t_pg_aws: ok"
