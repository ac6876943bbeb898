#!/usr/bin/env bash
# The PostgreSQL output module against a real PostgreSQL 15 with Koku's
# table: a private server on a unix socket in a temporary directory
# (stopped and removed on exit, failure included), koku-ddl.sql and
# koku-fixture.sql in a template database, a role that must log in with
# scram-sha-256, then tests/unit/test_pg.c (fresh load compared column by
# column with the CSV report, rerun, failures, pre-flight, partitions,
# service file + passfile, two concurrent runs).
# Exit 77 (skipped) when PostgreSQL cannot be installed or started.
set -euo pipefail

BUILD=${OCPAGG_BUILD:?OCPAGG_BUILD is not set}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/pg_server.sh"

[ -x "$BUILD/tests/test_pg" ] || { echo "FAIL: $BUILD/tests/test_pg not built" >&2; exit 1; }

pg_server_start
echo "t_pg: PostgreSQL $(psql -X -At -c 'SHOW server_version') on socket $PGSRV_DIR port $PGSRV_PORT"
pg_server_scram ocp_writer 'scr4m-test-pw'

# The C test runs as the invoking user; the socket directory is readable.
OCPAGG_PGHOST=$PGSRV_DIR OCPAGG_PGPORT=$PGSRV_PORT \
OCPAGG_PG_SCRAM='ocp_writer:scr4m-test-pw' \
    "$BUILD/tests/test_pg"
