// aws_oracle.mjs - the OCP-on-AWS report computed a second way, from
// ../shared/SEMANTICS-AWS.md, with SQL in DuckDB (no code shared with
// src/aws), and compared row by row with ocpagg's.
//
//   node aws_oracle.mjs DUCKDB_DIR INPUT SUMMARY CUR SETTINGS_JSON START END OURS
//        [--tolerance R]
//
// INPUT: the OCP line-item tables (Koku's Parquet layout; the match sets of
// §1.4 come from the hourly pod and storage rows, as the contract says);
// SUMMARY: ocpagg's OCP daily summary report (Parquet file); CUR: the raw
// CUR Parquet folder; SETTINGS_JSON as for ocpagg-aws; START/END the run
// days; OURS: ocpagg's OCP-on-AWS report (Parquet).
//
// Every row must be on both sides exactly once (matched on all key
// columns), strings and NULLs equal, numbers equal within relative R
// (default 1e-9) or absolute 1e-12.  uuids must be unique.  Exits 1 on any
// difference, printing the first ones.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
let tolerance = 1e-9;
const ti = args.indexOf('--tolerance');
if (ti >= 0) {
  tolerance = Number(args[ti + 1]);
  args.splice(ti, 2);
}
const [duckdbDir, input, summary, curDir, settingsFile, start, end, ours] = args;
if (!ours) {
  console.error('usage: node aws_oracle.mjs DUCKDB_DIR INPUT SUMMARY CUR SETTINGS START END OURS');
  process.exit(2);
}
const S = JSON.parse(readFileSync(settingsFile, 'utf8'));
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
    return r.getRowObjectsJS();
  } catch (e) {
    fail(`${e.message}\n  in: ${sql}`);
  }
  return [];
}
const q = (s) => (s === null || s === undefined ? 'NULL' : `'${String(s).replaceAll("'", "''")}'`);
function parquetFiles(dir) {
  if (dir.endsWith('.parquet')) return [dir];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...parquetFiles(p));
    else if (name.endsWith('.parquet')) out.push(p);
  }
  return out;
}
const src = (dir) => `read_parquet([${parquetFiles(dir).map(q).join(',')}], union_by_name = true)`;

// ---- settings -------------------------------------------------------------
const Eocp = S.enabled_tag_keys || [];
const Eaws = S.aws_enabled_tag_keys || [];
const generic = Eaws.filter((k) => Eocp.includes(k));
const Eout = new Set([...Eaws, ...Eocp, 'vm_kubevirt_io_name']);
const Tkeys = new Set([...Eaws, 'openshift_cluster', 'openshift_node', 'openshift_project']);
const m = Math.round((S.markup_percent || 0) * 1e7) / 1e9;
const dist = S.distribution && S.distribution !== 'cpu' ? 'memory' : 'cpu';
const effCol = dist === 'cpu' ? 'pod_effective_usage_cpu_core_hours' : 'pod_effective_usage_memory_gigabyte_hours';
const capCol = dist === 'cpu' ? 'node_capacity_cpu_core_hours' : 'node_capacity_memory_gigabyte_hours';
const aliases = S.account_aliases || {};
const SPECIALS = `('Worker unallocated','Platform unallocated','Storage unattributed','Network unattributed')`;

function parseTags(t) {
  if (t === null || t === undefined || t.trim() === '' || t.trim() === 'null') return {};
  try {
    const v = JSON.parse(t);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    const o = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) o[k] = typeof x === 'string' ? x : JSON.stringify(x);
    return o;
  } catch {
    return null;
  }
}
function canonical(o) {
  const keys = Object.keys(o).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(o[k])}`).join(',')}}`;
}
const pick = (o, keys) => Object.fromEntries(Object.entries(o).filter(([k]) => keys.has(k)));

await run(`SET TimeZone = 'UTC'`);
// ---- the CUR (§1.1-§1.3) ----------------------------------------------------
const STR = ['lineitem_resourceid', 'bill_payeraccountid', 'lineitem_usageaccountid', 'lineitem_legalentity',
  'lineitem_lineitemdescription', 'bill_billingentity', 'lineitem_productcode', 'lineitem_availabilityzone',
  'lineitem_lineitemtype', 'lineitem_usagetype', 'lineitem_operation', 'product_productfamily',
  'product_operatingsystem', 'product_instancetype', 'product_region', 'pricing_unit', 'resourcetags',
  'costcategory', 'lineitem_currencycode', 'product_productname'];
const NUM = ['lineitem_usageamount', 'lineitem_unblendedcost', 'lineitem_unblendedrate', 'lineitem_blendedcost',
  'savingsplan_savingsplaneffectivecost'];
await run(`CREATE TABLE raw0 AS SELECT CAST(lineitem_usagestartdate AS DATE) AS day,
  ${STR.map((c) => `coalesce(CAST(${c} AS VARCHAR), '') AS ${c}`).join(', ')},
  ${NUM.map((c) => `coalesce(CAST(${c} AS DOUBLE), 0) AS ${c}`).join(', ')}
  FROM ${src(curDir)} WHERE lineitem_usagestartdate IS NOT NULL`);
await run(`DELETE FROM raw0 WHERE day < DATE ${q(start)} OR day > DATE ${q(end)}`);
// Tags as canonical text; malformed reads as {}.
await run(`CREATE TABLE tagmap (raw VARCHAR, canon VARCHAR)`);
{
  const texts = await rows(`SELECT DISTINCT resourcetags AS t FROM raw0 UNION SELECT DISTINCT costcategory FROM raw0`);
  const vals = texts.map(({ t }) => `(${q(t)}, ${q(canonical(parseTags(t) || {}))})`);
  for (let i = 0; i < vals.length; i += 1000)
    await run(`INSERT INTO tagmap VALUES ${vals.slice(i, i + 1000).join(',')}`);
}
await run(`CREATE TABLE raw AS SELECT r.* REPLACE (t1.canon AS resourcetags, t2.canon AS costcategory)
  FROM raw0 r JOIN tagmap t1 ON t1.raw = r.resourcetags JOIN tagmap t2 ON t2.raw = r.costcategory`);
const KEY = STR.slice(0, 18);
await run(`CREATE TABLE daily AS SELECT ${KEY.join(', ')}, day,
  sum(lineitem_unblendedcost) AS U, sum(lineitem_blendedcost) AS B,
  sum(savingsplan_savingsplaneffectivecost) AS S, sum(lineitem_usageamount) AS Q,
  max(lineitem_currencycode) AS cur, max(product_productname) AS pname
  FROM raw GROUP BY ${KEY.join(', ')}, day`);
await run(`CREATE TABLE d AS SELECT row_number() OVER () AS id, day,
  nullif(lineitem_resourceid, '') AS rid,
  CASE WHEN bill_billingentity = 'AWS Marketplace' THEN coalesce(nullif(pname, ''), nullif(lineitem_productcode, ''))
       ELSE nullif(lineitem_productcode, '') END AS product_code,
  lineitem_usageaccountid AS usage_account_id, nullif(lineitem_availabilityzone, '') AS availability_zone,
  nullif(product_productfamily, '') AS product_family, nullif(product_instancetype, '') AS instance_type,
  nullif(product_region, '') AS region, nullif(pricing_unit, '') AS unit,
  resourcetags AS tags, costcategory AS cc, Q AS usage,
  CASE WHEN lineitem_productcode = 'AmazonEC2' AND product_productfamily = 'Data Transfer' THEN
    CASE WHEN contains(lower(lineitem_usagetype), 'in-bytes') THEN 'IN'
         WHEN contains(lower(lineitem_usagetype), 'out-bytes') THEN 'OUT'
         WHEN contains(lower(lineitem_usagetype), 'regional-bytes') AND contains(lower(lineitem_operation), '-in') THEN 'IN'
         WHEN contains(lower(lineitem_usagetype), 'regional-bytes') AND contains(lower(lineitem_operation), '-out') THEN 'OUT'
    END END AS direction,
  nullif(cur, '') AS currency,
  CASE WHEN lineitem_lineitemtype = 'SavingsPlanCoveredUsage' THEN 0.0 ELSE U END AS Cu,
  CASE WHEN lineitem_lineitemtype = 'SavingsPlanCoveredUsage' THEN 0.0 ELSE B END AS Cb,
  S AS Cs,
  CASE WHEN lineitem_lineitemtype IN ('Tax', 'Usage') THEN U ELSE S END AS Ca
  FROM daily`);
await run(`CREATE TABLE capraw AS SELECT lineitem_resourceid AS rid, day, max(lineitem_unblendedcost) AS cmax,
  max(lineitem_unblendedrate) AS rmax FROM raw WHERE lineitem_resourceid <> '' GROUP BY ALL`);

// ---- OCP: match sets from the line items (§1.4), summary rows -------------
const pod = src(join(input, 'openshift_pod_usage_line_items'));
const sto = src(join(input, 'openshift_storage_usage_line_items'));
const inRun = (col) => `CAST(${col} AS DATE) BETWEEN DATE ${q(start)} AND DATE ${q(end)}`;
await run(`CREATE TABLE pod AS SELECT CAST(namespace AS VARCHAR) namespace, CAST(node AS VARCHAR) node,
  CAST(resource_id AS VARCHAR) resource_id FROM ${pod} WHERE ${inRun('interval_start')}`);
await run(`CREATE TABLE sto AS SELECT CAST(persistentvolume AS VARCHAR) pv, CAST(csi_volume_handle AS VARCHAR) h
  FROM ${sto} WHERE ${inRun('interval_start')}`);
await run(`CREATE TABLE nodeids AS SELECT DISTINCT resource_id AS id FROM pod WHERE resource_id IS NOT NULL AND resource_id <> ''`);
await run(`CREATE TABLE vols AS SELECT DISTINCT pv, h FROM sto WHERE pv IS NOT NULL AND pv <> ''`);
await run(`CREATE TABLE tagnodes AS SELECT DISTINCT node FROM pod WHERE node IS NOT NULL`);
await run(`CREATE TABLE tagns AS SELECT DISTINCT namespace FROM pod WHERE namespace IS NOT NULL`);
await run(`CREATE TABLE o AS SELECT row_number() OVER () AS oid, CAST(usage_start AS DATE) AS usage_start,
  data_source, namespace, node, resource_id, pod_labels, volume_labels,
  ${effCol} AS eff, ${capCol} AS cap, persistentvolumeclaim AS pvc, persistentvolume AS pv, storageclass AS sc,
  csi_volume_handle AS csi, persistentvolumeclaim_capacity_gigabyte AS G, cost_category_id AS ccid,
  cluster_id, cluster_alias FROM read_parquet(${q(summary)})
  WHERE CAST(usage_start AS DATE) BETWEEN DATE ${q(start)} AND DATE ${q(end)}`);

// ---- matching (§3) --------------------------------------------------------
await run(`CREATE TABLE rm AS SELECT id FROM d WHERE rid IS NOT NULL AND (
  EXISTS (SELECT 1 FROM nodeids n WHERE ends_with(d.rid, n.id))
  OR EXISTS (SELECT 1 FROM vols v WHERE ends_with(d.rid, v.pv))
  OR EXISTS (SELECT 1 FROM vols v WHERE v.h IS NOT NULL AND v.h <> '' AND ends_with(d.rid, v.h)))`);
await run(`CREATE TABLE tp (tags VARCHAR, k VARCHAR, v VARCHAR)`);
{
  const texts = await rows(`SELECT DISTINCT tags AS t FROM d`);
  const vals = [];
  for (const { t } of texts) for (const [k, v] of Object.entries(parseTags(t) || {})) vals.push(`(${q(t)}, ${q(k)}, ${q(v)})`);
  for (let i = 0; i < vals.length; i += 1000) await run(`INSERT INTO tp VALUES ${vals.slice(i, i + 1000).join(',')}`);
}
const genericList = generic.length ? `(${generic.map(q).join(',')})` : `(NULL)`;
await run(`CREATE TABLE g AS SELECT d.id, tp.k, tp.v FROM d JOIN tp ON tp.tags = d.tags
  WHERE d.id NOT IN (SELECT id FROM rm) AND (
    (tp.k = 'openshift_cluster' AND tp.v IN (${q(S.cluster_id)}, ${q(S.cluster_alias || S.cluster_id)}))
    OR (tp.k = 'openshift_node' AND tp.v IN (SELECT node FROM tagnodes))
    OR (tp.k = 'openshift_project' AND tp.v IN (SELECT namespace FROM tagns))
    OR tp.k IN ${genericList})`);

// Node rows and volume rows: the longest suffix (§5.1).
await run(`CREATE TABLE nr AS SELECT d.id, o.* FROM d JOIN rm USING (id) JOIN o
  ON o.usage_start = d.day AND o.data_source = 'Pod' AND o.resource_id <> '' AND ends_with(d.rid, o.resource_id)
  QUALIFY length(o.resource_id) = max(length(o.resource_id)) OVER (PARTITION BY d.id)`);
await run(`CREATE TABLE vr AS SELECT d.id, o.* FROM d JOIN rm USING (id) JOIN o
  ON o.usage_start = d.day AND o.csi <> '' AND ends_with(d.rid, o.csi)
  QUALIFY length(o.csi) = max(length(o.csi)) OVER (PARTITION BY d.id)`);
// Disk capacity (§4).
await run(`CREATE TABLE disk AS SELECT id, capq AS capv FROM (
  SELECT d.id, round(c.cmax / (c.rmax / (24 * day(last_day(d.day))))) AS capq
  FROM d JOIN rm USING (id) JOIN capraw c ON c.rid = d.rid AND c.day = d.day
  WHERE c.rmax > 0 AND d.id IN (SELECT id FROM vr)) WHERE capq >= 1 AND isfinite(capq)`);

// ---- attribution rows (§5) ------------------------------------------------
const COST = (expr) => ['Cu', 'Cb', 'Cs', 'Ca'].map((x) => `${expr.replaceAll('X', x)} AS x_${x}`).join(', ');
await run(`CREATE TABLE att (id BIGINT, kind VARCHAR, data_source VARCHAR, ns VARCHAR, node VARCHAR, pvc VARCHAR,
  pv VARCHAR, sc VARCHAR, usage DOUBLE, x_Cu DOUBLE, x_Cb DOUBLE, x_Cs DOUBLE, x_Ca DOUBLE, L VARCHAR,
  tags_only BOOLEAN, aws_cc_null BOOLEAN, ccid BIGINT)`);
// K1
await run(`INSERT INTO att SELECT k.id, 'K1', 'Storage',
  CASE WHEN k.pvc = '' THEN 'Storage unattributed' ELSE k.ns END, k.node, k.pvc, k.pv, k.sc,
  CASE WHEN k.pvc = '' THEN NULL ELSE d.usage END,
  ${COST('CASE WHEN k.G IS NULL THEN NULL ELSE (k.G / dk.capv) * d.X END')},
  CASE WHEN k.pvc = '' THEN NULL ELSE k.lab END, false, k.pvc = '', CASE WHEN k.pvc = '' THEN NULL ELSE k.ccid END
  FROM (SELECT id, namespace AS ns, pv, coalesce(pvc, '') AS pvc, max(G) AS G, max(node) AS node, max(sc) AS sc,
        max(volume_labels) AS lab, max(ccid) AS ccid
        FROM vr WHERE pv IS NOT NULL AND namespace <> 'Storage unattributed' GROUP BY id, namespace, pv, coalesce(pvc, '')) k
  JOIN disk dk USING (id) JOIN d USING (id) WHERE d.direction IS NULL`);
// K2
await run(`INSERT INTO att SELECT t.id, 'K2', 'Storage', 'Storage unattributed', NULL, t.pvc, t.pv, t.sc, NULL,
  ${COST('(((dk.capv - t.T) / dk.capv) * d.X) / 1')}, NULL, false, true, NULL
  FROM (SELECT id, sum(Gp) AS T, max(mpvc) AS pvc, max(mpv) AS pv, max(msc) AS sc FROM (
          SELECT id, pv, max(G) AS Gp, max(pvc) AS mpvc, max(pv) AS mpv, max(sc) AS msc
          FROM vr WHERE pv IS NOT NULL AND namespace <> 'Storage unattributed' GROUP BY id, pv) GROUP BY id) t
  JOIN disk dk USING (id) JOIN d USING (id) WHERE d.direction IS NULL AND t.T IS NOT NULL AND dk.capv - t.T <> 0`);
// K3
await run(`INSERT INTO att SELECT k.id, 'K3', 'Pod', k.ns, k.node, NULL, NULL, NULL, d.usage / k.ngr,
  ${COST('CASE WHEN k.N IS NULL OR k.N = 0 THEN NULL ELSE (k.P / k.N) * d.X END')},
  k.lab, false, false, k.ccid
  FROM (SELECT id, namespace AS ns, pod_labels AS lab, sum(eff) AS P, max(cap) AS N, max(node) AS node,
        max(ccid) AS ccid, count(*) OVER (PARTITION BY id) AS ngr FROM nr GROUP BY id, namespace, pod_labels) k
  JOIN d USING (id) WHERE d.direction IS NULL AND k.id NOT IN (SELECT id FROM disk)`);
// K4
await run(`CREATE TABLE k4c AS SELECT d.id, o.* FROM d JOIN (SELECT DISTINCT id FROM g) gi USING (id)
  JOIN o ON o.usage_start = d.day
  WHERE o.namespace NOT IN ${SPECIALS} AND (
    json_extract_string(d.tags, '$.openshift_project') = o.namespace
    OR json_extract_string(d.tags, '$.openshift_node') = o.node
    OR json_extract_string(d.tags, '$.openshift_cluster') IN (o.cluster_id, o.cluster_alias)
    OR EXISTS (SELECT 1 FROM g WHERE g.id = d.id AND json_extract_string(
         CASE WHEN o.data_source = 'Pod' THEN o.pod_labels ELSE o.volume_labels END, '$."' || g.k || '"') = g.v))`);
await run(`INSERT INTO att SELECT k.id, 'K4', k.data_source, k.ns, k.node, k.pvc, k.pv, k.sc, d.usage / k.ngr,
  ${COST("d.X / k.ngr")}, k.lab, false, false, k.ccid
  FROM (SELECT id, data_source, namespace AS ns, max(node) AS node, max(nullif(pvc, '')) AS pvc,
        max(nullif(pv, '')) AS pv, max(nullif(sc, '')) AS sc,
        max(CASE WHEN data_source = 'Pod' THEN pod_labels ELSE volume_labels END) AS lab, max(ccid) AS ccid,
        count(*) OVER (PARTITION BY id) AS ngr FROM k4c GROUP BY id, namespace, data_source) k JOIN d USING (id)`);
// K5
await run(`INSERT INTO att SELECT n.id, 'K5', 'Pod', 'Network unattributed', n.node, NULL, NULL, NULL, d.usage,
  ${COST('d.X')}, NULL, true, true, NULL
  FROM (SELECT id, max(node) AS node FROM nr GROUP BY id) n JOIN d USING (id) WHERE d.direction IS NOT NULL`);

// ---- labels, markup, grouping (§5.7-§6.1) ---------------------------------
const A = await rows(`SELECT a.*, d.day, d.rid, d.product_code, d.product_family, d.instance_type, d.usage_account_id,
  d.availability_zone, d.region, d.unit, d.direction, d.currency, d.tags, d.cc FROM att a JOIN d USING (id)`);
const kinds = {};
for (const a of A) kinds[a.kind] = (kinds[a.kind] || 0) + 1;
const tagCache = new Map();
function outTags(L, tagsText, only) {
  const key = `${only}\u0000${L}\u0000${tagsText}`;
  if (tagCache.has(key)) return tagCache.get(key);
  let r = null;
  if (only || L !== null) {
    const T = pick(parseTags(tagsText) || {}, Tkeys);
    const M = only ? T : { ...(parseTags(L) || {}), ...T };
    r = canonical(pick(M, Eout));
  }
  tagCache.set(key, r);
  return r;
}
const dayStr = (v) => (typeof v === 'string' ? v.slice(0, 10) : new Date(v).toISOString().slice(0, 10));
const expected = new Map();
for (const a of A) {
  const tags = outTags(a.L, a.tags, a.tags_only);
  const dir = a.kind === 'K5' ? a.direction : null;
  const key = JSON.stringify([dayStr(a.day), a.data_source, a.ns, a.node, a.pvc, a.pv, a.sc, a.rid, a.product_code,
    a.product_family, a.instance_type, a.usage_account_id, a.availability_zone, a.region, a.unit, dir, a.currency,
    tags, a.aws_cc_null ? null : a.cc, a.ccid === null ? null : Number(a.ccid)]);
  let e = expected.get(key);
  if (!e) {
    e = { usage_amount: null, infrastructure_data_in_gigabytes: 0, infrastructure_data_out_gigabytes: 0 };
    for (const c of ['unblended_cost', 'markup_cost', 'blended_cost', 'markup_cost_blended', 'savingsplan_effective_cost',
      'markup_cost_savingsplan', 'calculated_amortized_cost', 'markup_cost_amortized']) e[c] = null;
    e.account_alias_id = a.usage_account_id in aliases ? Number(aliases[a.usage_account_id]) : null;
    expected.set(key, e);
  }
  const add = (c, v) => {
    if (v === null || v === undefined || Number.isNaN(v)) return;
    e[c] = (e[c] === null ? 0 : e[c]) + v;
  };
  add('usage_amount', a.usage);
  if (dir === 'IN' && a.usage !== null) e.infrastructure_data_in_gigabytes += a.usage;
  if (dir === 'OUT' && a.usage !== null) e.infrastructure_data_out_gigabytes += a.usage;
  const pairs = [['unblended_cost', 'markup_cost', a.x_Cu], ['blended_cost', 'markup_cost_blended', a.x_Cb],
    ['savingsplan_effective_cost', 'markup_cost_savingsplan', a.x_Cs],
    ['calculated_amortized_cost', 'markup_cost_amortized', a.x_Ca]];
  for (const [c, mc, x] of pairs) {
    add(c, x);
    add(mc, x === null ? null : x * m);
  }
}

// ---- compare with ours ----------------------------------------------------
const O = await rows(`SELECT * FROM read_parquet(${q(ours)})`);
let bad = 0;
const report = (msg) => {
  if (bad++ < 15) console.error(msg);
};
const seen = new Set();
const uuids = new Set();
const NUMS = ['usage_amount', 'infrastructure_data_in_gigabytes', 'infrastructure_data_out_gigabytes', 'unblended_cost',
  'markup_cost', 'blended_cost', 'markup_cost_blended', 'savingsplan_effective_cost', 'markup_cost_savingsplan',
  'calculated_amortized_cost', 'markup_cost_amortized'];
let maxRel = 0;
for (const r of O) {
  const key = JSON.stringify([dayStr(r.usage_start), r.data_source, r.namespace, r.node, r.persistentvolumeclaim,
    r.persistentvolume, r.storageclass, r.resource_id, r.product_code, r.product_family, r.instance_type,
    r.usage_account_id, r.availability_zone, r.region, r.unit, r.data_transfer_direction, r.currency_code, r.tags,
    r.aws_cost_category, r.cost_category_id === null ? null : Number(r.cost_category_id)]);
  if (uuids.has(r.uuid)) report(`duplicate uuid ${r.uuid}`);
  uuids.add(r.uuid);
  if (r.pod_labels !== r.tags) report(`pod_labels != tags in ${key}`);
  if (r.source_uuid !== S.source_uuid || r.cluster_id !== S.cluster_id ||
      Number(r.report_period_id) !== Number(S.report_period_id) ||
      (S.bill_id !== undefined && Number(r.cost_entry_bill_id) !== Number(S.bill_id)))
    report(`constant columns differ in ${key}`);
  if (dayStr(r.usage_end) !== dayStr(r.usage_start)) report(`usage_end in ${key}`);
  const e = expected.get(key);
  if (!e) {
    report(`only in ours: ${key}`);
    continue;
  }
  if (seen.has(key)) report(`twice in ours: ${key}`);
  seen.add(key);
  const alias = r.account_alias_id === null ? null : Number(r.account_alias_id);
  if (alias !== e.account_alias_id) report(`account_alias_id ${alias} vs ${e.account_alias_id} in ${key}`);
  for (const c of NUMS) {
    const x = r[c] === null ? null : Number(r[c]);
    const y = e[c];
    if (x === null || y === null) {
      if (x !== y) report(`${c}: ours ${x}, oracle ${y} in ${key}`);
      continue;
    }
    const diff = Math.abs(x - y);
    const rel = diff / Math.max(Math.abs(x), Math.abs(y), 1e-300);
    if (diff > 1e-12 && rel > tolerance) report(`${c}: ours ${x}, oracle ${y} (rel ${rel}) in ${key}`);
    if (diff > 1e-12) maxRel = Math.max(maxRel, rel);
  }
}
for (const k of expected.keys()) if (!seen.has(k)) report(`only in the oracle: ${k}`);
// Ours is sorted (§6.4): check the order of the key columns.
const cmpNull = (a, b) => (a === b ? 0 : a === null ? -1 : b === null ? 1 :
  Buffer.compare(Buffer.from(String(a)), Buffer.from(String(b))));
const ORDER = ['usage_start', 'data_source', 'namespace', 'node', 'resource_id', 'product_code', 'product_family',
  'instance_type', 'usage_account_id', 'availability_zone', 'region', 'unit', 'data_transfer_direction',
  'currency_code', 'tags', 'aws_cost_category', 'cost_category_id', 'persistentvolumeclaim', 'persistentvolume',
  'storageclass'];
for (let i = 1; i < O.length; i++) {
  let c = 0;
  for (const col of ORDER) {
    const a = col === 'usage_start' ? dayStr(O[i - 1][col]) : O[i - 1][col];
    const b = col === 'usage_start' ? dayStr(O[i][col]) : O[i][col];
    c = col === 'cost_category_id' && a !== null && b !== null ? Math.sign(Number(a) - Number(b)) : cmpNull(a, b);
    if (c !== 0) break;
  }
  if (c >= 0) report(`rows ${i - 1} and ${i} out of order`);
}
console.log(`aws oracle: ${O.length} rows ours, ${expected.size} oracle, attribution rows ${JSON.stringify(kinds)}, ` +
  `largest relative difference ${maxRel.toExponential(2)}, ${bad} differences`);
process.exit(bad ? 1 : 0);
