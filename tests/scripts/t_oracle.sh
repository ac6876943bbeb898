#!/usr/bin/env bash
# The report against an independent oracle: tests/duckdb/oracle.mjs
# rebuilds the daily summary (pod, unallocated and storage rows) from
# docs/SEMANTICS.md with SQL in DuckDB over the same generated Parquet and
# compares every row and column (numbers, strings and NULLs exactly: the
# oracle rounds each exact sum once, as the contract says, so both sides
# must give the same double; row sets exactly), on four shapes:
#   small  4 nodes x 10 pods x 3 days (2,880 pod rows), JSON labels with
#          malformed ones, timestamps;
#   edges  6 nodes x 8 pods x 3 days across a month end, MAP labels, text
#          times, no effective-usage columns, many small files;
#   window 7 nodes x 6 pods x 4 days, a run of the middle two days only
#          (start_date/end_date) across a month end, node roles from the
#          settings;
#   large  2,000 nodes of 1-2 TiB x 10 pods x 2 days (960,000 pod rows,
#          300 app label values, 60 namespaces): a day of cluster memory
#          capacity is about 3e20 byte-seconds, past 2^64; it runs at 1, 2
#          and 3 ranks (and two chunk sizes) to the same bytes before the
#          oracle checks it.
# Usage is generated at full precision (--fine-usage) so that any rounding
# of sums beyond the contract's shows.  Skips (exit 77) without DuckDB.
# Two negative controls on the small shape: other settings, and one
# number of the report moved by one ulp, must each make the oracle fail.
# OCPAGG_ORACLE_TOLERANCE sets a relative tolerance (for diagnosis only).
source "$(dirname "$0")/common.sh"
source "$SOURCE/tests/duckdb/setup.sh"
ORACLE=$SOURCE/tests/duckdb/oracle.mjs

# The settings of write_config (common.sh), for the oracle.
cat > "$WORK/settings.json" <<'JSON'
{"cluster_id": "test-cluster", "cluster_alias": "Test Cluster",
 "source_uuid": "6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11", "report_period_id": 3,
 "enabled_tag_keys": ["app", "environment", "tier"],
 "cost_categories": [{"pattern": "openshift-%", "id": 1}, {"pattern": "kube-%", "id": 2},
                     {"pattern": "app-_", "id": 3}, {"pattern": "team_a", "id": 4}]}
JSON

# The window shape's settings: a day range and node roles.
WINDOW_YAML='start_date: 2025-11-30
end_date: 2025-12-01
node_roles:
  ocp-0000d-worker-3: infra
  ocp-0000d-worker-6: master'
sed 's/"report_period_id": 3,/"report_period_id": 3, "start_date": "2025-11-30", "end_date": "2025-12-01",\
 "node_roles": {"ocp-0000d-worker-3": "infra", "ocp-0000d-worker-6": "master"},/' \
    "$WORK/settings.json" > "$WORK/window.json"

passed=0
extra_yaml='' settings=$WORK/settings.json
# check NAME RUNS... -- OCPGEN FLAGS: generates, runs the job once per RUN,
# N or N/CHUNK_ROWS (N ranks; the chunk size the config's 4096 unless
# given), the reports must be identical, then compares with the oracle.
check() {
    local name=$1 first="" n spec
    shift
    local ranks=()
    while [ "$1" != "--" ]; do ranks+=("$1"); shift; done
    shift
    # shellcheck disable=SC2068
    "$OCPGEN" --format parquet --output "$WORK/$name" --fine-usage --quiet $@ ||
        fail "$name: ocpgen $* failed"
    write_config "$WORK/$name.yaml" "$WORK/$name" "$WORK/$name.csv" parquet "$extra_yaml"
    for spec in "${ranks[@]}"; do
        local rc=0 chunk=()
        n=${spec%%/*}
        [ "$spec" = "$n" ] || chunk=(--set "chunk_rows=${spec#*/}")
        run_mpi "$n" --config "$WORK/$name.yaml" --quiet --format parquet "${chunk[@]}" \
            --output "$WORK/$name.$n.parquet" 2>"$WORK/$name.$n.err" || rc=$?
        if [ "$rc" -ne 0 ]; then
            cat "$WORK/$name.$n.err" >&2
            fail "$name: ocpagg on $n rank(s) exited $rc"
        fi
        if [ -z "$first" ]; then
            first=$n
        else
            cmp -s "$WORK/$name.$first.parquet" "$WORK/$name.$n.parquet" ||
                fail "$name: the report on $n ranks differs from the one on $first"
        fi
    done
    echo "== $name (ranks ${ranks[*]}; $(find "$WORK/$name" -name '*.parquet' | wc -l) input files)"
    node "$ORACLE" "$DUCK" "$WORK/$name" "$WORK/$name.$first.parquet" "$settings" \
        --tolerance "${OCPAGG_ORACLE_TOLERANCE:-0}" ||
        fail "$name: the report disagrees with the oracle"
    passed=$((passed + 1))
    if [ "$name" = small ]; then
        # A negative control: settings that differ from the run's (another
        # cluster alias, another id for team_a) must make the oracle fail.
        sed 's/"Test Cluster"/"Other Cluster"/; s/"team_a", "id": 4/"team_a", "id": 5/' \
            "$settings" > "$WORK/wrong.json"
        if node "$ORACLE" "$DUCK" "$WORK/$name" "$WORK/$name.$first.parquet" "$WORK/wrong.json" \
                >"$WORK/wrong.out" 2>&1; then
            fail "the oracle accepts a report made with other settings"
        fi
        grep -q 'MISMATCH.*cluster_alias oracle "Other Cluster" report "Test Cluster"' "$WORK/wrong.out" &&
            grep -q 'MISMATCH.*cost_category_id oracle 5 report 4' "$WORK/wrong.out" ||
            { cat "$WORK/wrong.out" >&2; fail "the oracle's negative control failed for another reason"; }
        echo "ok: the oracle rejects a report made with other settings"
        passed=$((passed + 1))
        # A last-bit error must not pass: one number one ulp off.
        if node "$ORACLE" "$DUCK" "$WORK/$name" "$WORK/$name.$first.parquet" "$settings" \
                --control-ulp >"$WORK/ulp.out" 2>&1; then
            fail "the oracle accepts a report with a number one ulp off"
        fi
        grep -q '^[a-z_]*: 1 difference(s)$' "$WORK/ulp.out" &&
            grep -q '1 difference(s) between the oracle and the report' "$WORK/ulp.out" ||
            { cat "$WORK/ulp.out" >&2; fail "the oracle's one-ulp control failed for another reason"; }
        echo "ok: the oracle rejects a report with one number one ulp off"
        passed=$((passed + 1))
    fi
    rm -rf "${WORK:?}/$name"
}

check small 1 2 -- --nodes 4 --pods-per-node 10 --days 3 --seed 5 --bad-labels
check edges 2 -- --nodes 6 --pods-per-node 8 --days 3 --start 2025-02-27 --seed 9 \
    --labels map --interval-start text --no-effective-usage --rows-per-file 700
extra_yaml=$WINDOW_YAML settings=$WORK/window.json
check window 1 3 -- --nodes 7 --pods-per-node 6 --days 4 --start 2025-11-29 --seed 13
extra_yaml='' settings=$WORK/settings.json
check large 1/65536 2/65536 3/20000 -- --nodes 2000 --pods-per-node 10 --days 2 --seed 3 \
    --node-memory-gib 2048 --label-cardinality 300 --namespaces 60
echo "$passed passed, 0 failed"
