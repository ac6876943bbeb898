// oracle.mjs - the daily summary computed a second way, from the contract.
//
//   node oracle.mjs DUCKDB_DIR INPUT REPORT SETTINGS_JSON [--tolerance R] [--control-ulp]
//
// INPUT is a Parquet dataset in Koku's layout (one folder per table, files
// at any depth); REPORT is ocpagg's Parquet report of it (one file or a
// folder of partitioned files); SETTINGS_JSON holds the run's settings:
//   {"cluster_id", "cluster_alias", "source_uuid", "report_period_id",
//    "enabled_tag_keys": [...], "cost_categories": [{"pattern", "id"}],
//    "node_roles": {node: role} (optional)}
//
// The summary is rebuilt here straight from docs/SEMANTICS.md and the
// README's "Choices where the contract is silent", with SQL in DuckDB for
// every grouping (no code shared with ocpagg).  Label texts are parsed and
// merged in JavaScript, once per distinct text or combination, the uuid
// (SHA-1 from node:crypto) is computed here, and every Σ is exact and
// rounded once, as the contract says (see exactSums).
//
// Rows are joined on their key columns; every row must exist on both
// sides exactly once, strings and NULLs must be equal, and numbers equal
// within a relative R (default 0: the same double, since both sides round
// the exact value once).  Prints the first mismatches, the largest
// relative difference of every numeric column, and exits 1 on any
// difference.  --control-ulp moves one number of the report by one unit
// in the last place before the comparison (a negative control: the run
// must then fail on that number alone).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
let tolerance = 0;
const ti = args.indexOf('--tolerance');
if (ti >= 0) {
  tolerance = Number(args[ti + 1]);
  args.splice(ti, 2);
}
const ci = args.indexOf('--control-ulp');
const controlUlp = ci >= 0;
if (controlUlp) args.splice(ci, 1);
const [duckdbDir, input, report, settingsFile] = args;
if (!settingsFile) {
  console.error('usage: node oracle.mjs DUCKDB_DIR INPUT REPORT SETTINGS_JSON [--tolerance R] [--control-ulp]');
  process.exit(2);
}
const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
const api = await import(pathToFileURL(
  join(duckdbDir, 'node_modules', '@duckdb', 'node-api', 'lib', 'index.js')).href);
const instance = await api.DuckDBInstance.create(':memory:');
const con = await instance.connect();

function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}
async function run(sql) {
  try {
    await con.run(sql);
  } catch (e) {
    fail(`${e.message}\n  in: ${sql}`);
  }
}
async function rows(sql) {
  try {
    const r = await con.runAndReadAll(sql);
    return r.getRowObjects();
  } catch (e) {
    fail(`${e.message}\n  in: ${sql}`);
  }
  return [];
}
const q = (s) => (s === null || s === undefined ? 'NULL' : `'${String(s).replaceAll("'", "''")}'`);

// ---- labels (SEMANTICS.md "Labels") -------------------------------------

const enabled = new Set([...(settings.enabled_tag_keys || []), 'vm_kubevirt_io_name']);

// A label value as an object of key -> string, or null for malformed text.
function parseLabels(text) {
  if (text === null || text === undefined) return {};
  const t = text.trim();
  if (t === '' || t === 'null') return {};
  let v;
  let json = true;
  try {
    v = JSON.parse(t);
  } catch {
    json = false;
  }
  if (json) {
    // Text that is JSON but not an object is malformed (README choices).
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === null) continue; // a null value drops the key
      out[k] = typeof x === 'string' ? x : JSON.stringify(x);
    }
    return out;
  }
  if (t.startsWith('{') || t.startsWith('[')) return null; // broken JSON
  // Koku's operator text: items split on '|', each on its first ':'.
  const out = {};
  for (const item of text.split('|')) {
    const c = item.indexOf(':');
    if (c < 0) continue;
    let k = item.slice(0, c);
    if (k.startsWith('label_')) k = k.slice(6);
    out[k] = item.slice(c + 1);
  }
  return out;
}

function filterEnabled(o) {
  const out = {};
  for (const [k, v] of Object.entries(o)) if (enabled.has(k)) out[k] = v;
  return out;
}

// Compact JSON, keys sorted by their UTF-8 bytes.
function canonical(o) {
  const keys = Object.keys(o).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(o[k])}`).join(',')}}`;
}

// Later sets win a shared key.
function mergeCanonical(...texts) {
  const out = {};
  for (const t of texts) Object.assign(out, JSON.parse(t));
  return canonical(out);
}

// ---- inputs --------------------------------------------------------------

function parquetFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...parquetFiles(p));
    else if (name.endsWith('.parquet')) out.push(p);
  }
  return out;
}

// Creates table `name` from a line-item table folder with the wanted
// columns normalised: ts (TIMESTAMP, UTC), day (DATE), numbers as DOUBLE,
// labels as text (a MAP becomes its JSON object text); a missing optional
// column reads as NULL.  Returns false when the folder is absent.
async function loadTable(name, folder, strings, numbers, labels) {
  const dir = join(input, folder);
  let files;
  try {
    files = parquetFiles(dir);
  } catch {
    return false;
  }
  if (files.length === 0) return false;
  const src = `read_parquet([${files.map(q).join(',')}], hive_partitioning = false, union_by_name = true)`;
  const cols = new Map((await rows(`DESCRIBE SELECT * FROM ${src}`))
    .map((c) => [c.column_name, c.column_type]));
  const t = cols.get('interval_start');
  if (!t) fail(`${folder}: no interval_start`);
  let ts;
  if (t === 'VARCHAR')
    ts = `strptime(replace(left(trim(interval_start), 19), 'T', ' '), '%Y-%m-%d %H:%M:%S')`;
  else if (t.includes('WITH TIME ZONE')) ts = 'make_timestamp(epoch_us(interval_start))';
  else ts = 'CAST(interval_start AS TIMESTAMP)';
  const sel = [`${ts} AS ts`];
  for (const c of strings) sel.push(cols.has(c) ? `CAST("${c}" AS VARCHAR) AS "${c}"` : `CAST(NULL AS VARCHAR) AS "${c}"`);
  for (const c of numbers) sel.push(cols.has(c) ? `CAST("${c}" AS DOUBLE) AS "${c}"` : `CAST(NULL AS DOUBLE) AS "${c}"`);
  for (const c of labels) {
    const ty = cols.get(c);
    if (!ty) sel.push(`CAST(NULL AS VARCHAR) AS "${c}"`);
    else if (ty.startsWith('MAP')) sel.push(`CAST(to_json("${c}") AS VARCHAR) AS "${c}"`);
    else sel.push(`CAST("${c}" AS VARCHAR) AS "${c}"`);
  }
  await run(`CREATE TABLE ${name}_src AS SELECT ${sel.join(', ')} FROM ${src}`);
  await run(`CREATE TABLE ${name} AS SELECT *, CAST(ts AS DATE) AS day FROM ${name}_src`);
  await run(`DROP TABLE ${name}_src`);
  return true;
}

const POD_NUM = ['pod_usage_cpu_core_seconds', 'pod_request_cpu_core_seconds', 'pod_limit_cpu_core_seconds',
  'pod_usage_memory_byte_seconds', 'pod_request_memory_byte_seconds', 'pod_limit_memory_byte_seconds',
  'pod_effective_usage_cpu_core_seconds', 'pod_effective_usage_memory_byte_seconds',
  'node_capacity_cpu_cores', 'node_capacity_cpu_core_seconds', 'node_capacity_memory_bytes',
  'node_capacity_memory_byte_seconds'];
if (!await loadTable('pod', 'openshift_pod_usage_line_items',
  ['namespace', 'node', 'pod', 'resource_id', 'node_role'], POD_NUM, ['pod_labels']))
  fail('no pod usage table');
const haveStorage = await loadTable('sto', 'openshift_storage_usage_line_items',
  ['namespace', 'pod', 'persistentvolumeclaim', 'persistentvolume', 'storageclass', 'csi_volume_handle'],
  ['persistentvolumeclaim_capacity_bytes', 'persistentvolumeclaim_capacity_byte_seconds',
    'volume_request_storage_byte_seconds', 'persistentvolumeclaim_usage_byte_seconds'],
  ['persistentvolume_labels', 'persistentvolumeclaim_labels']);
if (!haveStorage)
  await run(`CREATE TABLE sto AS SELECT NULL::TIMESTAMP ts, NULL::VARCHAR namespace, NULL::VARCHAR pod,
    NULL::VARCHAR persistentvolumeclaim, NULL::VARCHAR persistentvolume, NULL::VARCHAR storageclass,
    NULL::VARCHAR csi_volume_handle, NULL::DOUBLE persistentvolumeclaim_capacity_bytes,
    NULL::DOUBLE persistentvolumeclaim_capacity_byte_seconds, NULL::DOUBLE volume_request_storage_byte_seconds,
    NULL::DOUBLE persistentvolumeclaim_usage_byte_seconds, NULL::VARCHAR persistentvolume_labels,
    NULL::VARCHAR persistentvolumeclaim_labels, NULL::DATE day WHERE false`);
if (!await loadTable('nl', 'openshift_node_labels_line_items', ['node'], [], ['node_labels']))
  await run(`CREATE TABLE nl AS SELECT NULL::TIMESTAMP ts, NULL::VARCHAR node, NULL::VARCHAR node_labels, NULL::DATE day WHERE false`);
if (!await loadTable('nsl', 'openshift_namespace_labels_line_items', ['namespace'], [], ['namespace_labels']))
  await run(`CREATE TABLE nsl AS SELECT NULL::TIMESTAMP ts, NULL::VARCHAR namespace, NULL::VARCHAR namespace_labels, NULL::DATE day WHERE false`);

// The run's days: start_date..end_date, default every day in the data.
if (settings.start_date || settings.end_date) {
  const lo = settings.start_date ? `DATE ${q(settings.start_date)}` : 'DATE \'0001-01-01\'';
  const hi = settings.end_date ? `DATE ${q(settings.end_date)}` : 'DATE \'9999-12-31\'';
  for (const t of ['pod', 'sto', 'nl', 'nsl']) await run(`DELETE FROM ${t} WHERE NOT (day BETWEEN ${lo} AND ${hi})`);
}

// Every distinct label text, parsed once: its filtered canonical set and
// whether its unfiltered set says node_role_kubernetes_io = infra.
const texts = await rows(`
  SELECT DISTINCT t FROM (
    SELECT pod_labels t FROM pod UNION ALL SELECT node_labels FROM nl
    UNION ALL SELECT namespace_labels FROM nsl
    UNION ALL SELECT persistentvolume_labels FROM sto
    UNION ALL SELECT persistentvolumeclaim_labels FROM sto) WHERE t IS NOT NULL`);
await run('CREATE TABLE lab (raw VARCHAR, canon VARCHAR, infra BOOLEAN)');
{
  const app = await con.createAppender('lab');
  let bad = 0;
  for (const { t } of texts) {
    let set = parseLabels(t);
    if (set === null) {
      bad++;
      set = {};
    }
    app.appendVarchar(t);
    app.appendVarchar(canonical(filterEnabled(set)));
    app.appendBoolean(set.node_role_kubernetes_io === 'infra');
    app.endRow();
  }
  app.flushSync();
  app.closeSync();
  console.log(`labels: ${texts.length} distinct texts, ${bad} malformed`);
}

// The node and namespace set of a day: the row with the latest
// interval_start of (day, node); ties to the greatest canonical text.
await run(`CREATE TABLE nld AS SELECT day, node, canon FROM (
  SELECT day, node, canon, row_number() OVER (PARTITION BY day, node ORDER BY ts DESC, canon DESC) rn
  FROM (SELECT nl.day, nl.node, nl.ts, coalesce(lab.canon, '{}') canon FROM nl LEFT JOIN lab ON lab.raw = nl.node_labels))
  WHERE rn = 1`);
await run(`CREATE TABLE nsld AS SELECT day, namespace, canon FROM (
  SELECT day, namespace, canon, row_number() OVER (PARTITION BY day, namespace ORDER BY ts DESC, canon DESC) rn
  FROM (SELECT nsl.day, nsl.namespace, nsl.ts, coalesce(lab.canon, '{}') canon FROM nsl LEFT JOIN lab ON lab.raw = nsl.namespace_labels))
  WHERE rn = 1`);

// Merges node ∪ namespace ∪ third (∪ fourth) per distinct combination.
async function mergeTable(name, selectCombos, width) {
  const combos = await rows(selectCombos);
  const cols = Array.from({ length: width }, (_, i) => `c${i} VARCHAR`).join(', ');
  await run(`CREATE TABLE ${name} (${cols}, merged VARCHAR)`);
  const app = await con.createAppender(name);
  for (const r of combos) {
    const parts = Array.from({ length: width }, (_, i) => r[`c${i}`]);
    for (const p of parts) app.appendVarchar(p);
    app.appendVarchar(mergeCanonical(...parts));
    app.endRow();
  }
  app.flushSync();
  app.closeSync();
}

// ---- exact sums ------------------------------------------------------

// The contract's Σ is the exact sum of the input doubles rounded once to
// the nearest double.  DuckDB has no such aggregate, so it is built here:
// every double x ≠ 0 is an integer multiple of 2^(e-53) where e is about
// floor(log2|x|) (an error of ±1 in e still leaves an integer), so
// m = x·2^(53-32b) with b = floor(e/32) is an exact integer below 2^87;
// DuckDB sums those per (group, b) exactly in HUGEINT (2^20 rows below
// 2^107), and JavaScript adds the few buckets of a group as a BigInt and
// rounds once (Number(BigInt) rounds to nearest, ties to even).
//
// exactSums(out, src, exprs): table `out` with gid and one DOUBLE per
// expression: its exactly rounded sum over the rows of src (which has a
// gid column) of the group, 0 when every value is NULL.
async function exactSums(out, src, exprs) {
  const names = Object.keys(exprs);
  const gids = (await rows(`SELECT DISTINCT gid FROM ${src} ORDER BY gid`)).map((r) => r.gid);
  const sums = new Map(gids.map((g) => [g, names.map(() => 0)]));
  for (const [k, name] of names.entries()) {
    const parts = await rows(`SELECT gid, b, CAST(sum(m) AS VARCHAR) s FROM (
        SELECT gid, b, CAST(x * pow(2, 53 - 32 * b) AS HUGEINT) m FROM (
          SELECT gid, x, CAST(floor(CAST(floor(log2(abs(x))) AS INTEGER) / 32) AS INTEGER) b
          FROM (SELECT gid, CAST(${exprs[name]} AS DOUBLE) x FROM ${src}) WHERE x IS NOT NULL AND x <> 0))
      GROUP BY gid, b ORDER BY gid, b`);
    let at = 0;
    while (at < parts.length) {
      const gid = parts[at].gid, b0 = parts[at].b;
      let t = 0n;
      for (; at < parts.length && parts[at].gid === gid; at++)
        t += BigInt(parts[at].s) << BigInt(32 * (parts[at].b - b0));
      sums.get(gid)[k] = Number(t) * 2 ** (32 * b0 - 53);
    }
  }
  await run(`CREATE TABLE ${out} (gid BIGINT, ${names.map((n) => `${n} DOUBLE`).join(', ')})`);
  const app = await con.createAppender(out);
  for (const [gid, v] of sums) {
    app.appendBigInt(BigInt(gid));
    for (const x of v) app.appendDouble(x);
    app.endRow();
  }
  app.flushSync();
  app.closeSync();
}

// The exact sum checks itself first on cases a plain or compensated double
// sum gets wrong: cancellation, ten 0.1s, a tie to even, a sticky bit.
await run(`CREATE TABLE xs_t AS SELECT * FROM (VALUES
  (1, 1e20), (1, 1.5), (1, -1e20), (3, 1.0), (3, pow(2, -53)), (4, 1.0), (4, pow(2, -53)), (4, pow(2, -80)),
  (5, NULL), (6, -2.5e-7), (6, 7.0e15)) v(gid, x)
  UNION ALL SELECT 2, 0.1 FROM range(10)`);
await exactSums('xs_s', 'xs_t', { v: 'x' });
{
  const want = { 1: 1.5, 2: 1, 3: 1, 4: 1 + 2 ** -52, 5: 0, 6: 7.0e15 - 2.5e-7 };
  for (const r of await rows('SELECT gid, v FROM xs_s'))
    if (r.v !== want[Number(r.gid)]) fail(`exact sum self-check: group ${r.gid} gives ${r.v}, not ${want[Number(r.gid)]}`);
}

// ---- pod rows --------------------------------------------------------

const DIV_GIB = 1073741824; // 2^30
const greatest = (a, b) => `CASE WHEN ${a} IS NULL THEN ${b} WHEN ${b} IS NULL THEN ${a} WHEN ${a} > ${b} THEN ${a} ELSE ${b} END`;
const effC = `coalesce(pod_effective_usage_cpu_core_seconds, ${greatest('pod_usage_cpu_core_seconds', 'pod_request_cpu_core_seconds')})`;
const effM = `coalesce(pod_effective_usage_memory_byte_seconds, ${greatest('pod_usage_memory_byte_seconds', 'pod_request_memory_byte_seconds')})`;
const POD_SUMS = {
  u_cpu: 'pod_usage_cpu_core_seconds', r_cpu: 'pod_request_cpu_core_seconds', e_cpu: effC,
  l_cpu: 'pod_limit_cpu_core_seconds', u_mem: 'pod_usage_memory_byte_seconds',
  r_mem: 'pod_request_memory_byte_seconds', e_mem: effM, l_mem: 'pod_limit_memory_byte_seconds',
};

// Pod rows in the run with a node, with their merged labels.
await run(`CREATE TABLE pr0 AS SELECT p.*, coalesce(nld.canon, '{}') c0, coalesce(nsld.canon, '{}') c1,
    coalesce(lab.canon, '{}') c2
  FROM pod p LEFT JOIN nld ON nld.day = p.day AND nld.node = p.node
  LEFT JOIN nsld ON nsld.day = p.day AND nsld.namespace = p.namespace
  LEFT JOIN lab ON lab.raw = p.pod_labels
  WHERE p.node IS NOT NULL AND p.node <> ''`);
await mergeTable('pmerge', 'SELECT DISTINCT c0, c1, c2 FROM pr0', 3);
await run(`CREATE TABLE pr AS SELECT pr0.*, m.merged, dense_rank() OVER (ORDER BY day, namespace, node, m.merged) gid
  FROM pr0 JOIN pmerge m ON m.c0 = pr0.c0 AND m.c1 = pr0.c1 AND m.c2 = pr0.c2`);
await exactSums('pod_s', 'pr', POD_SUMS);

// C(day, node) and M(day, node): Σ over the node's distinct interval
// starts of the max capacity, over every node value of the day's pod rows
// (NULL and '' included); the cluster sums run over the same maxima.
await run(`CREATE TABLE capts AS SELECT day, node, ts, max(node_capacity_cpu_core_seconds) AS mc,
    max(node_capacity_memory_byte_seconds) AS mm FROM pod GROUP BY day, node, ts`);
await run(`CREATE TABLE capn AS SELECT *, dense_rank() OVER (ORDER BY day, node) gid FROM capts`);
await exactSums('capn_s', 'capn', { c: 'mc', m: 'mm' });
await run(`CREATE TABLE cap AS SELECT k.day, k.node, s.c, s.m FROM (SELECT DISTINCT gid, day, node FROM capn) k
  JOIN capn_s s ON s.gid = k.gid`);
await run(`CREATE TABLE capd AS SELECT *, dense_rank() OVER (ORDER BY day) gid FROM capts`);
await exactSums('capd_s', 'capd', { c: 'mc', m: 'mm' });
await run(`CREATE TABLE ccap AS SELECT k.day, s.c, s.m FROM (SELECT DISTINCT gid, day FROM capd) k
  JOIN capd_s s ON s.gid = k.gid`);

await run(`CREATE TABLE cc (pattern VARCHAR, id INTEGER)`);
for (const c of settings.cost_categories || [])
  await run(`INSERT INTO cc VALUES (${q(c.pattern)}, ${Number(c.id)})`);
const costOf = (ns) => `(SELECT max(id) FROM cc WHERE ${ns} LIKE cc.pattern)`;

await run(`CREATE TABLE podg AS SELECT k.day, k.namespace, k.node, k.labels, k.resource_id, k.cap_cores, k.cap_gib,
    s.u_cpu / 3600 u_cpu, s.r_cpu / 3600 r_cpu, s.e_cpu / 3600 e_cpu, s.l_cpu / 3600 l_cpu,
    s.u_mem / 3600 / ${DIV_GIB} u_mem, s.r_mem / 3600 / ${DIV_GIB} r_mem,
    s.e_mem / 3600 / ${DIV_GIB} e_mem, s.l_mem / 3600 / ${DIV_GIB} l_mem
  FROM (SELECT gid, any_value(day) AS day, any_value(namespace) AS namespace, any_value(node) AS node,
          any_value(merged) AS labels, max(resource_id) AS resource_id,
          max(node_capacity_cpu_cores) AS cap_cores, max(node_capacity_memory_bytes) / ${DIV_GIB} cap_gib
        FROM pr GROUP BY gid) k JOIN pod_s s ON s.gid = k.gid`);

const CONST = `${Number(settings.report_period_id)} AS report_period_id, ${q(settings.cluster_id)} AS cluster_id,
  ${q(settings.cluster_alias)} AS cluster_alias`;
const INFRA = q('{"cpu": 0.000000000, "memory": 0.000000000, "storage": 0.000000000}');

await run(`CREATE TABLE oracle AS SELECT ${CONST}, 'Pod' AS data_source, g.day AS usage_start, g.day AS usage_end,
    g.namespace, g.node, g.resource_id, g.labels AS pod_labels,
    u_cpu AS pod_usage_cpu_core_hours, r_cpu AS pod_request_cpu_core_hours,
    e_cpu AS pod_effective_usage_cpu_core_hours, l_cpu AS pod_limit_cpu_core_hours,
    u_mem AS pod_usage_memory_gigabyte_hours, r_mem AS pod_request_memory_gigabyte_hours,
    e_mem AS pod_effective_usage_memory_gigabyte_hours, l_mem AS pod_limit_memory_gigabyte_hours,
    cap_cores AS node_capacity_cpu_cores, cap.c / 3600 AS node_capacity_cpu_core_hours,
    cap_gib AS node_capacity_memory_gigabytes, cap.m / 3600 / ${DIV_GIB} AS node_capacity_memory_gigabyte_hours,
    ccap.c / 3600 AS cluster_capacity_cpu_core_hours, ccap.m / 3600 / ${DIV_GIB} AS cluster_capacity_memory_gigabyte_hours,
    NULL::VARCHAR AS persistentvolumeclaim, NULL::VARCHAR AS persistentvolume, NULL::VARCHAR AS storageclass,
    NULL::VARCHAR AS volume_labels, g.labels AS all_labels,
    NULL::DOUBLE AS persistentvolumeclaim_capacity_gigabyte, NULL::DOUBLE AS persistentvolumeclaim_capacity_gigabyte_months,
    NULL::DOUBLE AS volume_request_storage_gigabyte_months, NULL::DOUBLE AS persistentvolumeclaim_usage_gigabyte_months,
    ${q(settings.source_uuid)} AS source_uuid, ${INFRA} AS infrastructure_usage_cost,
    NULL::VARCHAR AS csi_volume_handle, ${costOf('g.namespace')} AS cost_category_id
  FROM podg g JOIN cap ON cap.day = g.day AND cap.node = g.node JOIN ccap ON ccap.day = g.day`);

// ---- unallocated rows ------------------------------------------------

// A node's role: settings, else max non-empty node_role of its pod rows,
// else master (runs openshift-kube-apiserver), else infra (a node label
// set of the run says so, unfiltered), else worker.
await run(`CREATE TABLE roles_set (node VARCHAR, nrole VARCHAR)`);
for (const [n, r] of Object.entries(settings.node_roles || {}))
  await run(`INSERT INTO roles_set VALUES (${q(n)}, ${q(r)})`);
await run(`CREATE TABLE roles AS SELECT n.node, coalesce(
    (SELECT nrole FROM roles_set s WHERE s.node = n.node),
    (SELECT max(node_role) FROM pr WHERE pr.node = n.node AND node_role <> ''),
    CASE WHEN EXISTS (SELECT 1 FROM pr WHERE pr.node = n.node AND pr.namespace = 'openshift-kube-apiserver') THEN 'master' END,
    CASE WHEN EXISTS (SELECT 1 FROM nl JOIN lab ON lab.raw = nl.node_labels WHERE nl.node = n.node AND lab.infra) THEN 'infra' END,
    'worker') AS nrole
  FROM (SELECT DISTINCT node FROM pr) n`);
// Σ pod_*_hours of a (day, node) is the exact sum of all its pod rows'
// seconds (the quantity the group sums stand for), so capacity minus it
// is not blurred by the rounding of each group's value.
await run(`CREATE TABLE prn AS SELECT *, dense_rank() OVER (ORDER BY day, node) gid2 FROM pr`);
await run(`ALTER TABLE prn DROP COLUMN gid`);
await run(`ALTER TABLE prn RENAME COLUMN gid2 TO gid`);
await exactSums('podn_s', 'prn', POD_SUMS);
await run(`CREATE TABLE podn AS SELECT k.day, k.node, s.u_cpu / 3600 u_cpu, s.r_cpu / 3600 r_cpu, s.e_cpu / 3600 e_cpu,
    s.u_mem / 3600 / ${DIV_GIB} u_mem, s.r_mem / 3600 / ${DIV_GIB} r_mem, s.e_mem / 3600 / ${DIV_GIB} e_mem
  FROM (SELECT DISTINCT gid, day, node FROM prn) k JOIN podn_s s ON s.gid = k.gid`);
const UNALLOC = "CASE WHEN r.nrole IN ('master', 'infra') THEN 'Platform unallocated' ELSE 'Worker unallocated' END";
await run(`INSERT INTO oracle SELECT ${CONST}, 'Pod', g.day, g.day, ${UNALLOC}, g.node, max(g.resource_id), NULL,
    max(cap.c / 3600) - any_value(n.u_cpu), max(cap.c / 3600) - any_value(n.r_cpu),
    max(cap.c / 3600) - any_value(n.e_cpu), NULL,
    max(cap.m / 3600 / ${DIV_GIB}) - any_value(n.u_mem), max(cap.m / 3600 / ${DIV_GIB}) - any_value(n.r_mem),
    max(cap.m / 3600 / ${DIV_GIB}) - any_value(n.e_mem), NULL,
    max(cap_cores), max(cap.c / 3600), max(cap_gib), max(cap.m / 3600 / ${DIV_GIB}),
    max(ccap.c / 3600), max(ccap.m / 3600 / ${DIV_GIB}),
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    ${q(settings.source_uuid)}, NULL, NULL, ${costOf(UNALLOC)}
  FROM podg g JOIN roles r ON r.node = g.node JOIN cap ON cap.day = g.day AND cap.node = g.node
  JOIN ccap ON ccap.day = g.day JOIN podn n ON n.day = g.day AND n.node = g.node
  WHERE r.nrole IN ('master', 'infra', 'worker')
  GROUP BY g.day, g.node, r.nrole`);

// ---- storage rows ----------------------------------------------------

// Volume nodes: the distinct (node, resource_id) of pod rows with a node
// and the same day, namespace and pod; a storage row yields one row per
// volume node (one with NULL node and resource_id when it has none), and
// node_count(day, pv) counts the distinct nodes over all of them.
await run(`CREATE TABLE vn AS SELECT DISTINCT day, namespace, pod, node, resource_id FROM pr`);
await run(`CREATE TABLE srn AS SELECT s.*, vn.node, vn.resource_id FROM sto s
  LEFT JOIN vn ON vn.day = s.day AND vn.namespace = s.namespace AND vn.pod = s.pod`);
await run(`CREATE TABLE nc AS SELECT day, persistentvolume pv, count(DISTINCT node) n FROM srn
  WHERE node IS NOT NULL GROUP BY day, persistentvolume`);
// Volume labels: node(vn.node) ∪ namespace ∪ pv ∪ pvc.
await run(`CREATE TABLE srl AS SELECT srn.*, coalesce(nld.canon, '{}') c0, coalesce(nsld.canon, '{}') c1,
    coalesce(a.canon, '{}') c2, coalesce(b.canon, '{}') c3, coalesce(nc.n, 1) n, day(last_day(srn.day)) d
  FROM srn LEFT JOIN nld ON nld.day = srn.day AND nld.node = srn.node
  LEFT JOIN nsld ON nsld.day = srn.day AND nsld.namespace = srn.namespace
  LEFT JOIN lab a ON a.raw = srn.persistentvolume_labels
  LEFT JOIN lab b ON b.raw = srn.persistentvolumeclaim_labels
  LEFT JOIN nc ON nc.day = srn.day AND nc.pv IS NOT DISTINCT FROM srn.persistentvolume`);
await mergeTable('smerge', 'SELECT DISTINCT c0, c1, c2, c3 FROM srl', 4);
await run(`CREATE TABLE sg AS SELECT srl.*, m.merged, dense_rank() OVER (ORDER BY day, namespace, node, resource_id,
    persistentvolumeclaim, persistentvolume, storageclass, csi_volume_handle, m.merged) gid
  FROM srl JOIN smerge m ON m.c0 = srl.c0 AND m.c1 = srl.c1 AND m.c2 = srl.c2 AND m.c3 = srl.c3`);
await exactSums('sg_s', 'sg', { cap_bs: 'persistentvolumeclaim_capacity_byte_seconds',
  req_bs: 'volume_request_storage_byte_seconds', use_bs: 'persistentvolumeclaim_usage_byte_seconds' });
await run(`INSERT INTO oracle SELECT ${CONST}, 'Storage', k.day, k.day, k.namespace, k.node, k.resource_id, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    k.pvc, k.pv, k.sc, k.merged, k.merged,
    k.cap_b / ${DIV_GIB},
    s.cap_bs / (86400 * k.d) / ${DIV_GIB},
    s.req_bs / k.n / (86400 * k.d) / ${DIV_GIB},
    s.use_bs / k.n / (86400 * k.d) / ${DIV_GIB},
    ${q(settings.source_uuid)}, ${INFRA}, k.csi, ${costOf('k.namespace')}
  FROM (SELECT gid, any_value(day) AS day, any_value(namespace) AS namespace, any_value(node) AS node,
          any_value(resource_id) AS resource_id, any_value(persistentvolumeclaim) AS pvc, any_value(persistentvolume) AS pv,
          any_value(storageclass) AS sc, any_value(csi_volume_handle) AS csi, any_value(merged) AS merged,
          max(persistentvolumeclaim_capacity_bytes) AS cap_b, max(n) AS n, max(d) d
        FROM sg GROUP BY gid) k JOIN sg_s s ON s.gid = k.gid`);

// ---- the comparison --------------------------------------------------

const COLUMNS = (await rows('DESCRIBE oracle')).map((c) => [c.column_name, c.column_type]);
const reportSrc = statSync(report).isDirectory()
  ? `read_parquet(${q(join(report, '**', '*.parquet'))}, hive_partitioning = false, union_by_name = true)`
  : `read_parquet(${q(report)})`;
const reportCols = new Set((await rows(`DESCRIBE SELECT * FROM ${reportSrc}`)).map((c) => c.column_name));
for (const [c] of COLUMNS) if (!reportCols.has(c)) fail(`the report has no column ${c}`);
const asText = ([c, t]) => (t === 'DATE' ? `CAST("${c}" AS VARCHAR) AS "${c}"`
  : t === 'DOUBLE' ? `CAST("${c}" AS DOUBLE) AS "${c}"`
    : t.includes('INT') ? `CAST("${c}" AS BIGINT) AS "${c}"` : `CAST("${c}" AS VARCHAR) AS "${c}"`);
const sel = COLUMNS.map(asText).join(', ');
const ours = await rows(`SELECT ${sel} FROM oracle`);
const theirs = await rows(`SELECT ${sel}, CAST(uuid AS VARCHAR) AS uuid FROM ${reportSrc}`);
if (controlUlp) {
  // The first non-zero number of the report, one ulp away from itself.
  const bits = new BigInt64Array(1), val = new Float64Array(bits.buffer);
  let hit = null;
  for (const row of theirs) {
    const col = COLUMNS.find(([c, t]) => t === 'DOUBLE' && row[c] !== null && row[c] !== 0);
    if (col) {
      hit = [row, col[0]];
      break;
    }
  }
  if (!hit) fail('--control-ulp: the report has no non-zero number');
  const [r, c] = hit;
  val[0] = r[c];
  bits[0] += 1n;
  console.log(`control: ${c} ${r[c]} -> ${val[0]} (one ulp)`);
  r[c] = val[0];
}

const nsBytes = Buffer.from(String(settings.source_uuid).replaceAll('-', ''), 'hex');
function uuidOf(r) {
  const fields = [r.data_source, r.usage_start, r.namespace, r.node, r.all_labels, r.resource_id,
    r.persistentvolumeclaim, r.persistentvolume, r.storageclass, r.csi_volume_handle,
    r.infrastructure_usage_cost === null ? null : ''];
  const parts = [];
  for (const f of fields) {
    parts.push(Buffer.from([0x1f]));
    parts.push(f === null ? Buffer.from([0]) : Buffer.from(f, 'utf8'));
  }
  const h = createHash('sha1').update(nsBytes).update(Buffer.concat(parts)).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const keyOf = (r) => JSON.stringify([r.data_source, r.usage_start, r.namespace, r.node,
  r.data_source === 'Storage' ? r.resource_id : null, r.pod_labels, r.volume_labels,
  r.persistentvolumeclaim, r.persistentvolume, r.storageclass, r.csi_volume_handle]);
function index(list, side) {
  const m = new Map();
  for (const r of list) {
    const k = keyOf(r);
    if (m.has(k)) fail(`${side}: two rows with the key ${k}`);
    m.set(k, r);
  }
  return m;
}
const mine = index(ours, 'oracle');
const report_ = index(theirs, 'report');

// Differences by column (or "rows" / "uuid"): a count and the first few.
const problems = new Map();
let nproblems = 0;
function note(col, text) {
  if (!problems.has(col)) problems.set(col, { n: 0, first: [] });
  const p = problems.get(col);
  p.n++;
  nproblems++;
  if (p.first.length < 3) p.first.push(text);
}
const maxRel = new Map(COLUMNS.filter(([, t]) => t === 'DOUBLE').map(([c]) => [c, 0]));
for (const k of mine.keys()) if (!report_.has(k)) note('rows', `row missing from the report: ${k}`);
for (const k of report_.keys()) if (!mine.has(k)) note('rows', `row in the report the oracle does not make: ${k}`);
let compared = 0;
for (const [k, a] of mine) {
  const b = report_.get(k);
  if (!b) continue;
  compared++;
  for (const [c, t] of COLUMNS) {
    const x = a[c], y = b[c];
    if (x === null || y === null) {
      if (x !== y) note(c, `${k}: ${c} oracle ${x} report ${y}`);
    } else if (t === 'DOUBLE') {
      const d = Math.abs(x - y), scale = Math.max(Math.abs(x), Math.abs(y));
      const rel = d === 0 ? 0 : d / scale;
      if (rel > maxRel.get(c)) maxRel.set(c, rel);
      if (!(rel <= tolerance)) note(c, `${k}: ${c} oracle ${x} report ${y} (relative ${rel.toExponential(2)})`);
    } else if (String(x) !== String(y)) {
      const show = (v) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
      note(c, `${k}: ${c} oracle ${show(x)} report ${show(y)}`);
    }
  }
  const u = uuidOf(a);
  if (u !== b.uuid) note('uuid', `${k}: uuid oracle ${u} report ${b.uuid}`);
}
const kinds = (list) => {
  const n = { pod: 0, unallocated: 0, storage: 0 };
  for (const r of list) {
    if (r.data_source === 'Storage') n.storage++;
    else if (r.pod_labels === null) n.unallocated++;
    else n.pod++;
  }
  return `${n.pod} pod, ${n.unallocated} unallocated, ${n.storage} storage`;
};
console.log(`oracle: ${ours.length} rows (${kinds(ours)}); report: ${theirs.length} rows (${kinds(theirs)}); ${compared} compared`);
console.log('largest relative difference per column:');
for (const [c, v] of maxRel) console.log(`  ${c.padEnd(46)} ${v === 0 ? '0' : v.toExponential(2)}`);
if (nproblems > 0) {
  for (const [col, p] of problems) {
    console.error(`${col}: ${p.n} difference(s)`);
    for (const t of p.first) console.error(`  MISMATCH ${t}`);
  }
  fail(`${nproblems} difference(s) between the oracle and the report (tolerance ${tolerance})`);
}
console.log(`ok: every row and column agrees (relative tolerance ${tolerance}, strings and NULLs exact)`);
