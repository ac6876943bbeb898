# pg_server.sh - a private PostgreSQL 15 for the database tests (sourced
# by t_pg.sh, t_pg_job.sh and bench/pg.sh).
#
# pg_server_start installs postgresql-15 when it is missing (and we may),
# starts a server on a unix socket in a fresh temporary directory (no TCP
# listener, so nothing clashes with another run or the package's own
# cluster on 5432), loads Koku's DDL and the fixture into a template
# database koku_tmpl, and registers a trap that stops the server and
# removes the directory on exit, failure included.  When PostgreSQL cannot
# be installed or started it exits 77 (ctest: skipped).
#
# Afterwards: PGSRV_DIR (socket directory), PGSRV_PORT, and the PG*
# variables point psql at the server as the superuser postgres.  A caller
# with its own clean-up puts it in PGSRV_ON_EXIT (run by the same trap).

PGSRV_BIN=${PGSRV_BIN:-/usr/lib/postgresql/15/bin}
PGSRV_SHARED=${OCPAGG_SHARED:-}

pg_server_skip() {
    echo "SKIP: $*" >&2
    exit 77
}

# Runs a command as the server's owner (initdb refuses root).
pg_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_server_stop() {
    if [ -n "${PGSRV_DIR:-}" ] && [ -d "$PGSRV_DIR" ]; then
        if [ -f "$PGSRV_DIR/data/postmaster.pid" ]; then
            pg_as_owner "$PGSRV_BIN/pg_ctl" -D "$PGSRV_DIR/data" -m immediate \
                -w -t 30 stop >/dev/null 2>&1 || true
        fi
        rm -rf "$PGSRV_DIR"
    fi
}

pg_server_start() {
    if [ ! -x "$PGSRV_BIN/initdb" ] || ! command -v psql >/dev/null 2>&1; then
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "pg_server: installing postgresql-15" >&2
            apt-get update -qq >/dev/null 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                --no-install-recommends postgresql-15 postgresql-client-15 \
                >/dev/null 2>&1 || pg_server_skip "postgresql-15 cannot be installed"
        fi
        [ -x "$PGSRV_BIN/initdb" ] || pg_server_skip "no PostgreSQL 15 at $PGSRV_BIN"
    fi
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        pg_server_skip "running as root but there is no postgres user"
    fi
    [ -f "$PGSRV_SHARED/postgres/koku-ddl.sql" ] ||
        pg_server_skip "no koku-ddl.sql under OCPAGG_SHARED=$PGSRV_SHARED/postgres"

    PGSRV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ocpagg-pg.XXXXXX")
    chmod 755 "$PGSRV_DIR"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGSRV_DIR"; fi
    trap 'pg_server_stop; eval "${PGSRV_ON_EXIT:-}"' EXIT
    # The port only names the socket file inside our own directory; a
    # random one keeps the shared-memory keys of parallel runs apart.
    PGSRV_PORT=$((20000 + RANDOM % 30000))
    pg_as_owner "$PGSRV_BIN/initdb" -D "$PGSRV_DIR/data" -U postgres -A trust \
        -E UTF8 --locale=C.UTF-8 --no-sync >"$PGSRV_DIR/initdb.log" 2>&1 ||
        pg_server_skip "initdb failed: $(tail -3 "$PGSRV_DIR/initdb.log")"
    pg_as_owner "$PGSRV_BIN/pg_ctl" -D "$PGSRV_DIR/data" -l "$PGSRV_DIR/log" \
        -w -t 30 -o "-k $PGSRV_DIR -p $PGSRV_PORT -c listen_addresses='' -c fsync=off -c max_connections=40" \
        start >/dev/null 2>&1 ||
        pg_server_skip "the server did not start: $(tail -3 "$PGSRV_DIR/log")"
    export PGHOST=$PGSRV_DIR PGPORT=$PGSRV_PORT PGUSER=postgres PGDATABASE=postgres
    unset PGSERVICE PGSERVICEFILE PGPASSFILE PGPASSWORD
    psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE koku_tmpl" >/dev/null
    PGDATABASE=koku_tmpl psql -X -q -v ON_ERROR_STOP=1 \
        -f "$PGSRV_SHARED/postgres/koku-ddl.sql" \
        -f "$PGSRV_SHARED/postgres/koku-fixture.sql" >/dev/null
}

# pg_server_newdb NAME: a fresh database from the template.
pg_server_newdb() {
    psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$1\" TEMPLATE koku_tmpl" >/dev/null
}

# pg_server_scram ROLE PASSWORD: a login role that must authenticate with
# scram-sha-256 over the socket (pg_hba line first, then reload).
pg_server_scram() {
    local role=$1 pw=$2
    psql -X -q -v ON_ERROR_STOP=1 \
        -c "SET password_encryption = 'scram-sha-256'" \
        -c "CREATE ROLE $role LOGIN PASSWORD '$pw'" >/dev/null
    local hba=$PGSRV_DIR/data/pg_hba.conf
    pg_as_owner sh -c "{ echo 'local all $role scram-sha-256'; cat '$hba'; } > '$hba.new' && mv '$hba.new' '$hba'"
    pg_as_owner "$PGSRV_BIN/pg_ctl" -D "$PGSRV_DIR/data" reload >/dev/null
}
