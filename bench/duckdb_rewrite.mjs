// duckdb_rewrite.mjs - a copy of a Parquet dataset written by DuckDB, for
// bench/vs_duckdb.sh (sets ending in -dd): Parquet that ocpagg did not
// write (DuckDB's row groups of 122 880 rows, its encodings, snappy).
//
//   node bench/duckdb_rewrite.mjs DUCKDB_DIR SRC DST
//
// Every *.parquet under SRC is read and written again to the same path
// under DST; hive folder names are left out of the columns.
import { readdirSync, statSync, mkdirSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
const [duck, src, dst] = process.argv.slice(2);
const api = await import(pathToFileURL(join(duck, 'node_modules/@duckdb/node-api/lib/index.js')).href);
const inst = await api.DuckDBInstance.create(':memory:');
const con = await inst.connect();
const q = (s) => `'${s.replaceAll("'", "''")}'`;
function walk(d) { let o = []; for (const n of readdirSync(d).sort()) { const p = join(d, n); if (statSync(p).isDirectory()) o = o.concat(walk(p)); else if (n.endsWith('.parquet')) o.push(p); } return o; }
for (const f of walk(src)) {
  const out = join(dst, relative(src, f));
  mkdirSync(dirname(out), { recursive: true });
  await con.run(`COPY (SELECT * FROM read_parquet(${q(f)}, hive_partitioning = false)) TO ${q(out)} (FORMAT parquet, COMPRESSION snappy)`);
}
