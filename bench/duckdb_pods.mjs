// duckdb_pods.mjs - the pod rows of the daily summary in DuckDB, for
// bench/vs_duckdb.sh: one hand-written query from docs/SEMANTICS.md ("Pod
// rows"), run by the @duckdb/node-api package the tests install.
//
//   node bench/duckdb_pods.mjs DUCKDB_DIR INPUT OUTPUT.csv SETTINGS_JSON THREADS
//
// INPUT is a Parquet dataset in Koku's layout; the pod rows (group key day,
// namespace, node, merged labels; sums of the usage columns, capacity per
// (day, node) and per day, max resource_id and capacity, a cost category,
// a SHA-1 row id) are written to OUTPUT.csv, sorted like ocpagg's report.
// Labels (JSON text, Koku's operator text or MAP) are parsed, filtered to
// the enabled keys and made canonical in SQL once per distinct text, and
// merged once per distinct (node, namespace, pod) combination; sums are
// plain DOUBLE sums (DuckDB has no exact one), so the numbers may differ
// from ocpagg's in the last bits.  What it leaves out: storage and
// unallocated rows.  Prints the row count and DuckDB's own seconds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [duckdbDir, input, output, settingsFile, threads] = process.argv.slice(2);
if (!threads) {
  console.error('usage: node duckdb_pods.mjs DUCKDB_DIR INPUT OUTPUT.csv SETTINGS_JSON THREADS');
  process.exit(64);
}
const t0 = performance.now();
const s = JSON.parse(readFileSync(settingsFile, 'utf8'));
const api = await import(pathToFileURL(
  join(duckdbDir, 'node_modules', '@duckdb', 'node-api', 'lib', 'index.js')).href);
const instance = await api.DuckDBInstance.create(':memory:');
const con = await instance.connect();
const q = (x) => (x === null || x === undefined ? 'NULL' : `'${String(x).replaceAll("'", "''")}'`);
const keys = [...(s.enabled_tag_keys || []), 'vm_kubevirt_io_name'];
const glob = (t) => q(join(input, t, '**', '*.parquet'));
const cc = (s.cost_categories || []).map((c) => `(${q(c.pattern)}, ${Number(c.id)})`).join(', ') ||
  "(NULL, NULL)";

// A label column as text: MAP columns through to_json (JSON object text),
// text columns as they are.
async function labelText(table, column) {
  const r = await con.runAndReadAll(`DESCRIBE SELECT "${column}" FROM read_parquet(${glob(table)}, union_by_name = true)`);
  const type = String(r.getRowObjects()[0]?.column_type ?? 'VARCHAR');
  return type.startsWith('MAP') ? `CAST(to_json("${column}") AS VARCHAR)` : `CAST("${column}" AS VARCHAR)`;
}
const podLabels = await labelText('openshift_pod_usage_line_items', 'pod_labels');
const nodeLabels = await labelText('openshift_node_labels_line_items', 'node_labels');
const nsLabels = await labelText('openshift_namespace_labels_line_items', 'namespace_labels');

// lbl(t): label text (JSON object, operator text, or a MAP's JSON) as a
// filtered MAP(VARCHAR, VARCHAR); malformed or empty text is the empty map.
const sql = `
SET threads = ${Number(threads)};
SET preserve_insertion_order = false;
CREATE MACRO lbl_raw(t) AS CASE
  WHEN t IS NULL OR trim(t) IN ('', 'null') THEN NULL
  WHEN left(trim(t), 1) = '{' THEN
    CASE WHEN json_valid(t) AND json_type(t::JSON) = 'OBJECT'
         THEN map_entries(CAST(t::JSON AS MAP(VARCHAR, VARCHAR))) END
  ELSE list_transform(list_filter(string_split(t, '|'), x -> strpos(x, ':') > 0),
         x -> {'key': CASE WHEN starts_with(x, 'label_') THEN x[7:strpos(x, ':') - 1]
                           ELSE x[1:strpos(x, ':') - 1] END,
               'value': x[strpos(x, ':') + 1:]})
  END;
CREATE MACRO lbl(t) AS map_from_entries(coalesce(list_filter(lbl_raw(t),
  e -> e.value IS NOT NULL AND list_contains([${keys.map(q).join(', ')}], e.key)), []));
CREATE MACRO canon(m) AS '{' || array_to_string(list_transform(list_sort(map_entries(m)),
  e -> to_json(e.key) || ':' || to_json(e.value)), ',') || '}';
CREATE TEMP TABLE cc(pattern VARCHAR, id INTEGER);
INSERT INTO cc VALUES ${cc};
COPY (
WITH pod AS (
  SELECT CAST(CAST(interval_start AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) ts, *
  FROM read_parquet(${glob('openshift_pod_usage_line_items')}, union_by_name = true)
), podd AS (SELECT CAST(ts AS DATE) AS day, * FROM pod),
nl AS (
  SELECT CAST(CAST(CAST(interval_start AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) AS DATE) AS day,
         CAST(interval_start AS TIMESTAMPTZ) AS ts, node, ${nodeLabels} raw
  FROM read_parquet(${glob('openshift_node_labels_line_items')}, union_by_name = true)
), nsl AS (
  SELECT CAST(CAST(CAST(interval_start AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) AS DATE) AS day,
         CAST(interval_start AS TIMESTAMPTZ) AS ts, namespace, ${nsLabels} raw
  FROM read_parquet(${glob('openshift_namespace_labels_line_items')}, union_by_name = true)
), nld AS (
  SELECT day, node, arg_max(m, (ts, c)) m FROM (SELECT day, node, ts, lbl(raw) m, canon(lbl(raw)) c FROM nl)
  GROUP BY day, node
), nsld AS (
  SELECT day, namespace, arg_max(m, (ts, c)) m FROM (SELECT day, namespace, ts, lbl(raw) m, canon(lbl(raw)) c FROM nsl)
  GROUP BY day, namespace
), cap AS (
  SELECT day, node, sum(mc) c, sum(mm) m FROM (
    SELECT day, node, ts, max(node_capacity_cpu_core_seconds) mc, max(node_capacity_memory_byte_seconds) mm
    FROM podd GROUP BY day, node, ts) GROUP BY day, node
), ccap AS (SELECT day, sum(c) c, sum(m) m FROM cap GROUP BY day),
g1 AS (   -- first by the raw pod label text: few groups per (day, namespace, node)
  SELECT day, namespace, node, ${podLabels} raw, max(resource_id) rid,
    sum(pod_usage_cpu_core_seconds) u_cpu, sum(pod_request_cpu_core_seconds) r_cpu,
    sum(coalesce(pod_effective_usage_cpu_core_seconds, greatest(pod_usage_cpu_core_seconds, pod_request_cpu_core_seconds))) e_cpu,
    sum(pod_limit_cpu_core_seconds) l_cpu, sum(pod_usage_memory_byte_seconds) u_mem,
    sum(pod_request_memory_byte_seconds) r_mem,
    sum(coalesce(pod_effective_usage_memory_byte_seconds, greatest(pod_usage_memory_byte_seconds, pod_request_memory_byte_seconds))) e_mem,
    sum(pod_limit_memory_byte_seconds) l_mem,
    max(node_capacity_cpu_cores) cap_cores, max(node_capacity_memory_bytes) cap_mem
  FROM podd WHERE node IS NOT NULL AND node <> '' GROUP BY ALL
), pl AS (SELECT raw, lbl(raw) m FROM (SELECT DISTINCT raw FROM g1)),
g2 AS (
  SELECT g1.*, coalesce(nld.m, MAP {}) nm, coalesce(nsld.m, MAP {}) sm, coalesce(pl.m, MAP {}) pm
  FROM g1 LEFT JOIN nld USING (day, node) LEFT JOIN nsld USING (day, namespace) LEFT JOIN pl USING (raw)
), merged AS (
  SELECT nm, sm, pm, canon(map_concat(nm, sm, pm)) labels FROM (SELECT DISTINCT nm, sm, pm FROM g2)
), pods AS (
  SELECT day, namespace, node, labels, max(rid) rid,
    sum(u_cpu) u_cpu, sum(r_cpu) r_cpu, sum(e_cpu) e_cpu, sum(l_cpu) l_cpu,
    sum(u_mem) u_mem, sum(r_mem) r_mem, sum(e_mem) e_mem, sum(l_mem) l_mem,
    max(cap_cores) cap_cores, max(cap_mem) cap_mem
  FROM g2 JOIN merged USING (nm, sm, pm) GROUP BY ALL
), ns AS (
  SELECT namespace, (SELECT max(id) FROM cc WHERE namespace LIKE cc.pattern) cost_category_id
  FROM (SELECT DISTINCT namespace FROM pods)
)
SELECT sha1(concat_ws(chr(31), 'Pod', day, namespace, node, labels, rid)) AS uuid,
  ${Number(s.report_period_id)} AS report_period_id, ${q(s.cluster_id)} AS cluster_id,
  ${q(s.cluster_alias)} AS cluster_alias, 'Pod' AS data_source, day AS usage_start, day AS usage_end,
  namespace, node, rid AS resource_id, labels AS pod_labels,
  coalesce(u_cpu, 0) / 3600 AS pod_usage_cpu_core_hours, coalesce(r_cpu, 0) / 3600 AS pod_request_cpu_core_hours,
  coalesce(e_cpu, 0) / 3600 AS pod_effective_usage_cpu_core_hours, coalesce(l_cpu, 0) / 3600 AS pod_limit_cpu_core_hours,
  coalesce(u_mem, 0) / 3600 / 1073741824 AS pod_usage_memory_gigabyte_hours,
  coalesce(r_mem, 0) / 3600 / 1073741824 AS pod_request_memory_gigabyte_hours,
  coalesce(e_mem, 0) / 3600 / 1073741824 AS pod_effective_usage_memory_gigabyte_hours,
  coalesce(l_mem, 0) / 3600 / 1073741824 AS pod_limit_memory_gigabyte_hours,
  cap_cores AS node_capacity_cpu_cores, cap.c / 3600 AS node_capacity_cpu_core_hours,
  cap_mem / 1073741824 AS node_capacity_memory_gigabytes,
  cap.m / 3600 / 1073741824 AS node_capacity_memory_gigabyte_hours,
  ccap.c / 3600 AS cluster_capacity_cpu_core_hours, ccap.m / 3600 / 1073741824 AS cluster_capacity_memory_gigabyte_hours,
  labels AS all_labels, ${q(s.source_uuid)} AS source_uuid,
  '{"cpu": 0.000000000, "memory": 0.000000000, "storage": 0.000000000}' AS infrastructure_usage_cost,
  cost_category_id
FROM pods JOIN cap USING (day, node) JOIN ccap USING (day) JOIN ns USING (namespace)
ORDER BY day, namespace, node, labels, resource_id
) TO ${q(output)} (HEADER, DELIMITER ',');
`;
let rows = 0;
try {
  const r = await con.runAndReadAll(sql);
  rows = Number(r.getRows()[0]?.[0] ?? 0);
} catch (e) {
  console.error(`duckdb_pods: ${e.message}`);
  process.exit(1);
}
console.log(`duckdb_pods: ${rows} pod rows in ${((performance.now() - t0) / 1000).toFixed(3)} s`);
