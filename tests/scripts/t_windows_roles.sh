#!/usr/bin/env bash
# A node's role is a property of the whole run (SEMANTICS.md: its largest
# node_role over the run's pod rows), but with windows of days the first
# days are finished before later days are read.  Here one worker node
# carries node_role "worker-gpu" on one late day only (rewritten with
# DuckDB); over the run its role is then "worker-gpu", which gives it no
# unallocated rows on any day.  Run in one-day windows, the job must
# notice that the early windows gave the node "worker", throw that report
# away and redo the run in one window: the same bytes as window_rows 0,
# windows_redone in the summary, the node named on stderr, at 1 and 3
# ranks.  Skips (77) without Node/DuckDB.
source "$(dirname "$0")/common.sh"
source "$SOURCE/tests/duckdb/setup.sh"
command -v jq > /dev/null 2>&1 || { echo "SKIP: jq not found"; exit 77; }

"$OCPGEN" --format parquet --output "$WORK/in" --nodes 6 --pods-per-node 10 --days 6 \
    --quiet || fail "ocpgen failed"
day5=$(find "$WORK/in/openshift_pod_usage_line_items" -name 'pod_usage_2025-11-05_*.parquet')
[[ -f $day5 ]] || fail "no pod file for 2025-11-05"
node=$(node --input-type=module - "$DUCK" "$day5" <<'JS'
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const [duck, f] = process.argv.slice(2);
const api = await import(pathToFileURL(join(duck, 'node_modules/@duckdb/node-api/lib/index.js')).href);
const con = await (await api.DuckDBInstance.create(':memory:')).connect();
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const r = await con.runAndReadAll(`SELECT min(node) FROM read_parquet(${q(f)}) WHERE node_role = 'worker'`);
const name = r.getRows()[0][0];
await con.run(`COPY (SELECT * REPLACE (CASE WHEN node = ${q(name)} THEN 'worker-gpu' ELSE node_role END AS node_role)
               FROM read_parquet(${q(f)}, hive_partitioning = false)) TO ${q(f + '.new')} (FORMAT parquet)`);
console.log(name);
JS
) || fail "DuckDB could not rewrite $day5"
mv "$day5.new" "$day5"
[[ -n $node ]] || fail "no worker node found"
write_config "$WORK/job.yaml" "$WORK/in" "$WORK/unused.csv" parquet

run_mpi 1 --config "$WORK/job.yaml" --quiet --set window_rows=0 --output "$WORK/ref.csv" ||
    fail "window_rows 0 failed"
# The late role reaches the early days: no unallocated row for the node on
# day 1 (else this test could not tell run-wide roles from per-window ones).
if grep -q "Worker unallocated\",\"$node\"" "$WORK/ref.csv"; then
    fail "the reference still has unallocated rows for $node"
fi
per_day=$(( $(jq '[.rows_read[]] | add' "$WORK/ref.summary.json") / 6 ))

checks=0
for n in 1 3; do
    out=$WORK/w$n.csv
    run_mpi "$n" --config "$WORK/job.yaml" --set window_rows=$((per_day / n)) \
        --set progress_seconds=0 --output "$out" 2> "$WORK/w$n.err" ||
        { cat "$WORK/w$n.err" >&2; fail "$n ranks: the windowed run failed"; }
    grep -q "^ocpagg: window 6 of 6" "$WORK/w$n.err" ||
        { cat "$WORK/w$n.err" >&2; fail "$n ranks: not cut into 6 windows"; }
    grep -q "node $node is worker in window 1 but worker-gpu over the whole run; doing the run again in one window" \
        "$WORK/w$n.err" || { cat "$WORK/w$n.err" >&2; fail "$n ranks: no redo message"; }
    cmp -s "$WORK/ref.csv" "$out" || fail "$n ranks: the report differs from one window's"
    [[ $(jq -r '.windows_redone' "${out%.csv}.summary.json") == true ]] ||
        fail "$n ranks: windows_redone is not true"
    [[ $(jq -r '.windows' "${out%.csv}.summary.json") == 1 ]] ||
        fail "$n ranks: the summary does not say one window"
    [[ $(jq -c '.rows_read' "${out%.csv}.summary.json") == $(jq -c '.rows_read' "$WORK/ref.summary.json") ]] ||
        fail "$n ranks: input counts differ after the redo"
    checks=$((checks + 1))
done
echo "PASS: $checks checks; $node's late role reached every day"
