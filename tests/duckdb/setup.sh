# setup.sh - sourced by the job tests that use DuckDB (after common.sh).
# Sets DUCK to a folder holding the @duckdb/node-api npm package (its Linux
# binary ships inside it), installing it once into $OCPAGG_BUILD/duckdb.
# Exits 77 (ctest's SKIP_RETURN_CODE: reported as skipped, never passed)
# when Node.js or npm is missing, the package cannot be installed (no
# network), or it installs but cannot load its binary on this machine.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "SKIP: node or npm not found"
    exit 77
fi
DUCK=$BUILD/duckdb
if [ ! -f "$DUCK/node_modules/@duckdb/node-api/package.json" ]; then
    mkdir -p "$DUCK"
    if ! timeout 600 npm install --prefix "$DUCK" --no-audit --no-fund \
            --fetch-retries=1 --fetch-timeout=30000 @duckdb/node-api \
            >"$WORK/npm.log" 2>&1; then
        tail -n 5 "$WORK/npm.log" >&2
        echo "SKIP: cannot install @duckdb/node-api (offline?)"
        exit 77
    fi
fi
if ! node -e "import('$DUCK/node_modules/@duckdb/node-api/lib/index.js').then(async (m) => { await m.DuckDBInstance.create(':memory:'); })" \
        >"$WORK/load.log" 2>&1; then
    tail -n 5 "$WORK/load.log" >&2
    echo "SKIP: DuckDB does not load on this machine"
    exit 77
fi
