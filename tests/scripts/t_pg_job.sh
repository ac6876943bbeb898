#!/usr/bin/env bash
# The whole job writing into Koku's table (output.format postgres) against
# a private PostgreSQL 15:
#   1. the same table content at 1, 2 and 3 ranks, equal column by column
#      to the CSV report of the same data (numbers rounded to 15 decimals,
#      labels as jsonb, all_labels {} where the CSV has NULL);
#   2. a rerun leaves the identical rows (md5 over the ordered rows) and
#      reports deleted = copied = the report's rows;
#   3. an unknown report period or cost category: 78 before any work,
#      table unchanged; a password in conninfo: 78;
#   4. SIGTERM to the ranks during the COPY: 75, the table unchanged, no
#      session left behind.
# Skipped (77) until the driver offers output.format postgres, and when
# PostgreSQL cannot be installed or started.
source "$(dirname "$0")/common.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

if ! "$OCPAGG" --help 2>&1 | grep -qi postgres; then
    echo "SKIP: $OCPAGG --help does not mention postgres: the driver does not" \
         "write to PostgreSQL yet (output.format postgres is not wired)" >&2
    exit 77
fi

source "$HERE/pg_server.sh"
# pg_server.sh's trap replaces common.sh's; it runs this too.
PGSRV_ON_EXIT='rm -rf "$WORK"'
pg_server_start

SRC=6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
TABLE=org1234567.reporting_ocpusagelineitem_daily_summary
MD5="SELECT md5(string_agg(t::text, '|' ORDER BY usage_start, uuid)) FROM $TABLE t"
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# pg_config FILE DB [extra output.postgres lines] [cost categories]
pg_config() {
    local file=$1 db=$2 pgextra=${3:-}
    local cc=${4:-'[{pattern: "openshift-%", id: 1}, {pattern: "kube-%", id: 2}, {pattern: "app-_", id: 3}]'}
    cat > "$file" <<YAML
cluster_id: sample-cluster
cluster_alias: Sample Cluster
source_uuid: $SRC
report_period_id: 1
start_date: 2025-11-01
end_date: 2025-11-03
input:
  format: hdf5
  path: $WORK/data.h5
enabled_tag_keys: [app, environment, tier]
cost_categories: $cc
threads: 1
chunk_rows: 4096
progress_seconds: 0
output:
  format: postgres
  summary: $WORK/$db.summary.json
  postgres:
    conninfo: "host=$PGSRV_DIR port=$PGSRV_PORT user=postgres dbname=$db"
    schema: org1234567
$pgextra
YAML
}

"$OCPGEN" --output "$WORK/data.h5" --nodes 6 --pods-per-node 12 --days 3 --quiet ||
    fail "ocpgen failed"

# The CSV report of the same data, as the reference.
write_config "$WORK/csv.yaml" "$WORK/data.h5" "$WORK/report.csv"
sed -i 's/^cluster_id: .*/cluster_id: sample-cluster/; s/^cluster_alias: .*/cluster_alias: Sample Cluster/; s/^report_period_id: .*/report_period_id: 1/; /team_a/d' "$WORK/csv.yaml"
printf 'start_date: 2025-11-01\nend_date: 2025-11-03\n' >> "$WORK/csv.yaml"
run_mpi 1 --config "$WORK/csv.yaml" --quiet || fail "CSV reference run failed"
ROWS=$(($(wc -l < "$WORK/report.csv") - 1))
[ "$ROWS" -gt 100 ] || fail "reference report has only $ROWS rows"

declare -A SUMS
for n in 1 2 3; do
    db=ranks$n
    pg_server_newdb $db
    pg_config "$WORK/$db.yaml" $db
    run_mpi $n --config "$WORK/$db.yaml" > "$WORK/$db.out" 2>&1 ||
        { cat "$WORK/$db.out" >&2; fail "$n ranks: the job failed"; }
    got=$(q $db "SELECT count(*) FROM $TABLE")
    [ "$got" = "$ROWS" ] || fail "$n ranks: $got rows in the table, the CSV has $ROWS"
    SUMS[$n]=$(q $db "$MD5")
    grep -q "$ROWS" "$WORK/$db.summary.json" ||
        fail "$n ranks: the summary does not mention the $ROWS copied rows"
    grep -q '15\.' "$WORK/$db.summary.json" ||
        fail "$n ranks: the summary does not name the server version"
done
[ "${SUMS[1]}" = "${SUMS[2]}" ] && [ "${SUMS[1]}" = "${SUMS[3]}" ] ||
    fail "the table differs between 1, 2 and 3 ranks: ${SUMS[*]}"

# Column by column against the CSV report.
cols=$(head -1 "$WORK/report.csv")
q ranks1 "CREATE TABLE csv ($(echo "$cols" | sed 's/,/ text, /g') text)" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d ranks1 -c "\\copy csv FROM '$WORK/report.csv' (FORMAT csv, HEADER)"
for c in $(echo "$cols" | tr , ' '); do
    case $c in
        csi_volume_handle) continue ;;
        uuid|source_uuid) e="c.$c::uuid" ;;
        usage_start|usage_end) e="c.$c::date" ;;
        report_period_id|cost_category_id) e="c.$c::integer" ;;
        all_labels) e="coalesce(c.$c, '{}')::jsonb" ;;
        pod_labels|volume_labels|infrastructure_usage_cost) e="c.$c::jsonb" ;;
        *hours|*gigabyte*|*cores|*months) e="round(c.$c::numeric, 15)" ;;
        *) e="c.$c" ;;
    esac
    bad=$(q ranks1 "SELECT count(*) FROM csv c FULL JOIN $TABLE t ON t.uuid = c.uuid::uuid WHERE c.uuid IS NULL OR t.uuid IS NULL OR $e IS DISTINCT FROM t.$c")
    [ "$bad" = 0 ] || fail "column $c: $bad rows differ from the CSV report"
done
echo "t_pg_job: 1, 2 and 3 ranks give the same $ROWS rows, equal to the CSV report"

# Windows of days (Parquet input): one COPY in one transaction across
# windows; the table equals that of one window.
"$OCPGEN" --format parquet --output "$WORK/pq" --nodes 6 --pods-per-node 12 --days 3 --quiet ||
    fail "ocpgen (Parquet) failed"
for w in 0 1000; do
    db=win$w
    pg_server_newdb $db
    pg_config "$WORK/$db.yaml" $db
    sed -i "s|^  path: .*data.h5|  path: $WORK/pq|; s|^  format: hdf5|  format: parquet|" "$WORK/$db.yaml"
    run_mpi 2 --config "$WORK/$db.yaml" --set window_rows=$w > "$WORK/$db.out" 2>&1 ||
        { cat "$WORK/$db.out" >&2; fail "window_rows $w: the job failed"; }
done
grep -q '^ocpagg: window 3 of 3' "$WORK/win1000.out" ||
    { cat "$WORK/win1000.out" >&2; fail "window_rows 1000 did not cut 3 windows"; }
[ "$(q win0 "SELECT count(*) FROM $TABLE")" -gt 100 ] || fail "the one-window table is empty"
[ "$(q win0 "$MD5")" = "$(q win1000 "$MD5")" ] ||
    fail "the table written in 3 windows differs from one window's"

# Rerun: identical rows.
run_mpi 2 --config "$WORK/ranks2.yaml" > "$WORK/rerun.out" 2>&1 ||
    { cat "$WORK/rerun.out" >&2; fail "rerun failed"; }
[ "$(q ranks2 "$MD5")" = "${SUMS[1]}" ] || fail "the rerun changed the rows"

# Pre-flight refusals: 78 and nothing changed.
for bad in "    report_period_id: 42" "" ; do
    cc=
    [ -z "$bad" ] && cc='[{pattern: "openshift-%", id: 1}, {pattern: "x-%", id: 9}]'
    pg_config "$WORK/bad.yaml" ranks2 "$bad" "$cc"
    rc=0
    run_mpi 2 --config "$WORK/bad.yaml" > "$WORK/bad.out" 2>&1 || rc=$?
    [ "$rc" = 78 ] || { cat "$WORK/bad.out" >&2; fail "pre-flight: exit $rc, expected 78"; }
    [ "$(q ranks2 "$MD5")" = "${SUMS[1]}" ] || fail "a refused run changed the table"
done
pg_config "$WORK/pw.yaml" ranks2
sed -i 's/dbname=ranks2/dbname=ranks2 password=hunter2/' "$WORK/pw.yaml"
rc=0
run_mpi 1 --config "$WORK/pw.yaml" > "$WORK/pw.out" 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "password in conninfo: exit $rc, expected 78"
! grep -q hunter2 "$WORK/pw.out" || fail "the password was printed"

# SIGTERM during the COPY: a month of a bigger cluster, so the COPY runs
# long enough to be caught.
"$OCPGEN" --output "$WORK/data.h5" --nodes 60 --pods-per-node 60 --days 30 --quiet ||
    fail "ocpgen (big) failed"
pg_server_newdb sig
# First a committed run of the first days, so the interrupted run's DELETE
# has rows to remove (and must give back).
pg_config "$WORK/sig.yaml" sig
run_mpi 2 --config "$WORK/sig.yaml" > "$WORK/sig0.out" 2>&1 ||
    { cat "$WORK/sig0.out" >&2; fail "the run before the SIGTERM run failed"; }
sed -i 's/^end_date: .*/end_date: 2025-11-30/' "$WORK/sig.yaml"
before=$(q sig "$MD5")
[ "$(q sig "SELECT count(*) FROM $TABLE")" -gt 1000 ] || fail "too few rows before the SIGTERM run"
run_mpi 2 --config "$WORK/sig.yaml" > "$WORK/sig.out" 2>&1 &
JOB=$!
# The ocpagg ranks below the background job (mpirun's children).
rank_pids() {
    local p
    for p in $(pgrep -P "$1"); do
        [ "$(ps -o comm= -p "$p")" = ocpagg ] && echo "$p"
        rank_pids "$p"
    done
}
caught=0
for i in $(seq 1200); do
    if [ "$(q sig "SELECT count(*) FROM pg_stat_activity WHERE datname = 'sig' AND query LIKE 'COPY%' AND state = 'active'")" != 0 ]; then
        caught=1
        pids=$(rank_pids $JOB || true)
        [ -z "$pids" ] || kill -TERM $pids
        break
    fi
    kill -0 $JOB 2>/dev/null || break
    sleep 0.05
done
rc=0
wait $JOB || rc=$?
if [ $caught = 1 ]; then
    [ "$rc" = 75 ] || { cat "$WORK/sig.out" >&2; fail "SIGTERM mid-COPY: exit $rc, expected 75"; }
    [ "$(q sig "$MD5")" = "$before" ] || fail "SIGTERM mid-COPY changed the table"
    sleep 0.5
    left=$(q sig "SELECT count(*) FROM pg_stat_activity WHERE datname = 'sig' AND application_name = 'ocpagg'")
    [ "$left" = 0 ] || fail "a session of the stopped job is still open"
    echo "t_pg_job: SIGTERM during COPY: exit 75, table unchanged"
else
    echo "t_pg_job: note: the COPY finished before it could be interrupted (rc $rc)"
fi
echo "t_pg_job: ok"
