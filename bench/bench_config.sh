# bench_config.sh - the one bench configuration, sourced by ab.sh,
# vs_duckdb.sh and rss_days.sh so that every page measures the same job:
# the cluster of the generated sets, the 8 tag keys the generator writes
# (all enabled), 4 cost categories, 1 thread, no progress lines.

BENCH_KEYS='app, environment, tier, kubernetes_io_hostname, topology_kubernetes_io_zone, node_role_kubernetes_io, kubernetes_io_metadata_name, openshift_io_cluster_monitoring'

# bench_yaml INPUT: the ocpagg config on stdout (callers append their own
# keys: output, steal_chunks, end_date, window_rows).
bench_yaml() {
    cat <<YAML
cluster_id: bench-cluster
cluster_alias: Bench Cluster
source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
report_period_id: 3
input: {format: parquet, path: $1}
enabled_tag_keys: [$BENCH_KEYS]
cost_categories:
  - {pattern: "openshift-%", id: 1}
  - {pattern: "kube-%", id: 2}
  - {pattern: "app-_", id: 3}
  - {pattern: "team_a", id: 4}
threads: 1
progress_seconds: 0
YAML
}

# bench_json: the same settings for DuckDB's query (duckdb_pods.mjs).
bench_json() {
    cat <<JSON
{"cluster_id": "bench-cluster", "cluster_alias": "Bench Cluster",
 "source_uuid": "6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11", "report_period_id": 3,
 "enabled_tag_keys": [$(sed 's/[a-z_][a-z_]*/"&"/g' <<< "$BENCH_KEYS")],
 "cost_categories": [{"pattern": "openshift-%", "id": 1}, {"pattern": "kube-%", "id": 2},
                     {"pattern": "app-_", "id": 3}, {"pattern": "team_a", "id": 4}]}
JSON
}
