// check.mjs - DuckDB, an independent Parquet reader, against ocpagg's own.
//
//   node check.mjs tables DUCKDB_DIR INSPECT ROOT
//     For every table folder under ROOT (each holding *.parquet files at
//     any depth): the row count, the non-NULL count of every column and
//     the sum of every DOUBLE column as DuckDB reads them must equal what
//     our reader prints (ocpagg-inspect FILE --rows, summed here).
//   node check.mjs report DUCKDB_DIR PARQUET CSV
//     The Parquet report (a file, or a folder of partitioned files) must
//     hold the same rows as the CSV report: equal counts, equal sums, and
//     no row of one missing from the other.
//
// Prints one line per check and exits 1 on the first difference.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [mode, duckdbDir, ...rest] = process.argv.slice(2);
const api = await import(pathToFileURL(
  join(duckdbDir, 'node_modules', '@duckdb', 'node-api', 'lib', 'index.js')).href);
const instance = await api.DuckDBInstance.create(':memory:');
const con = await instance.connect();

async function rows(sql) {
  const r = await con.runAndReadAll(sql);
  return r.getRowObjectsJson();
}

function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}

// Equal within a relative 1e-9: the two readers add in different orders.
function close(a, b) {
  const scale = Math.max(1, Math.abs(a), Math.abs(b));
  return Math.abs(a - b) <= 1e-9 * scale;
}

function sqlString(s) {
  return `'${s.replaceAll("'", "''")}'`;
}

function parquetFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...parquetFiles(p));
    else if (name.endsWith('.parquet')) out.push(p);
  }
  return out;
}

// A CSV parser: an empty field (quoted or not) is null, anything else a
// string.
function parseCsv(text) {
  const records = [];
  let field = '', quoted = false, record = [], i = 0, inQuotes = false;
  const endField = () => {
    record.push(field === '' ? null : field);
    field = '';
    quoted = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { inQuotes = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"') { inQuotes = true; quoted = true; i++; continue; }
    if (c === ',') { endField(); i++; continue; }
    if (c === '\n') { endField(); records.push(record); record = []; i++; continue; }
    field += c; i++;
  }
  if (field !== '' || quoted || record.length > 0) { endField(); records.push(record); }
  return records;
}

async function checkTables(inspect, root) {
  const tables = readdirSync(root).filter((t) => statSync(join(root, t)).isDirectory()).sort();
  if (tables.length === 0) fail(`no table folders under ${root}`);
  for (const table of tables) {
    const files = parquetFiles(join(root, table));
    if (files.length === 0) fail(`${table}: no Parquet files`);
    const list = `[${files.map(sqlString).join(',')}]`;
    const src = `read_parquet(${list}, hive_partitioning = false)`;
    const cols = await rows(`DESCRIBE SELECT * FROM ${src}`);
    const names = cols.map((c) => c.column_name);
    const doubles = cols.filter((c) => c.column_type === 'DOUBLE').map((c) => c.column_name);
    // ocpagg-inspect prints NULL and '' alike (an empty field), so text
    // columns count their non-empty values.
    const q = ['count(*) AS n', ...cols.map((c, i) => (c.column_type === 'VARCHAR'
      ? `count(NULLIF("${c.column_name}", '')) AS c${i}`
      : `count("${c.column_name}") AS c${i}`)),
      ...doubles.map((n, i) => `sum("${n}") AS s${i}`)];
    const [duck] = await rows(`SELECT ${q.join(', ')} FROM ${src}`);

    // Our reader, file by file.
    let n = 0;
    const counts = new Array(names.length).fill(0);
    const sums = new Array(doubles.length).fill(0);
    for (const f of files) {
      const csv = execFileSync(inspect, [f, '--rows', '--columns', names.join(',')],
        { maxBuffer: 1 << 30 }).toString();
      const recs = parseCsv(csv);
      const header = recs.shift();
      if (header.join(',') !== names.join(',')) fail(`${f}: columns ${header} vs ${names}`);
      for (const r of recs) {
        n++;
        r.forEach((v, i) => { if (v !== null) counts[i]++; });
        doubles.forEach((d, k) => {
          const v = r[names.indexOf(d)];
          if (v !== null) sums[k] += Number(v);
        });
      }
    }
    if (Number(duck.n) !== n) fail(`${table}: DuckDB reads ${duck.n} rows, we read ${n}`);
    names.forEach((name, i) => {
      if (Number(duck[`c${i}`]) !== counts[i])
        fail(`${table}.${name}: DuckDB counts ${duck[`c${i}`]} non-NULL, we ${counts[i]}`);
    });
    doubles.forEach((name, k) => {
      const d = duck[`s${k}`] === null ? 0 : Number(duck[`s${k}`]);
      if (!close(d, sums[k])) fail(`${table}.${name}: DuckDB sums ${d}, we ${sums[k]}`);
    });
    console.log(`ok ${table}: ${files.length} files, ${n} rows, ${names.length} columns, ` +
      `${doubles.length} sums agree`);
  }
}

async function checkReport(parquet, csv) {
  const isDir = statSync(parquet).isDirectory();
  const p = isDir
    ? `read_parquet(${sqlString(join(parquet, '**', '*.parquet'))}, hive_partitioning = false)`
    : `read_parquet(${sqlString(parquet)})`;
  const cols = await rows(`DESCRIBE SELECT * FROM ${p}`);
  // The CSV is read with the Parquet file's types, so both sides compare
  // as the same typed values (a guessed BIGINT would print "5", not "5.0").
  const types = cols.map((x) => `${sqlString(x.column_name)}: ${sqlString(x.column_type)}`);
  const c = `read_csv(${sqlString(csv)}, header = true, auto_detect = false, ` +
    `delim = ',', quote = '"', escape = '"', columns = {${types.join(', ')}})`;
  const doubles = cols.filter((x) => x.column_type === 'DOUBLE').map((x) => x.column_name);
  const q = ['count(*) AS n', ...doubles.map((n, i) => `sum("${n}") AS s${i}`)].join(', ');
  const [a] = await rows(`SELECT ${q} FROM ${p}`);
  const [b] = await rows(`SELECT ${q} FROM ${c}`);
  if (a.n !== b.n) fail(`report: ${a.n} Parquet rows, ${b.n} CSV rows`);
  doubles.forEach((name, k) => {
    const x = a[`s${k}`] === null ? 0 : Number(a[`s${k}`]);
    const y = b[`s${k}`] === null ? 0 : Number(b[`s${k}`]);
    if (!close(x, y)) fail(`report.${name}: Parquet sums ${x}, CSV ${y}`);
  });
  // Row for row, as typed values (EXCEPT ALL keeps duplicates apart).
  const [d1] = await rows(`SELECT count(*) AS n FROM (SELECT * FROM ${p} EXCEPT ALL SELECT * FROM ${c})`);
  const [d2] = await rows(`SELECT count(*) AS n FROM (SELECT * FROM ${c} EXCEPT ALL SELECT * FROM ${p})`);
  if (Number(d1.n) !== 0 || Number(d2.n) !== 0)
    fail(`report: ${d1.n} Parquet rows not in the CSV, ${d2.n} CSV rows not in the Parquet`);
  console.log(`ok report ${parquet}: ${a.n} rows, ${cols.length} columns, ${doubles.length} sums agree`);
}

if (mode === 'tables') await checkTables(rest[0], rest[1]);
else if (mode === 'report') await checkReport(rest[0], rest[1]);
else fail(`unknown mode ${mode}`);
