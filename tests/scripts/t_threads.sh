#!/usr/bin/env bash
# Issue 11 item 11: when the OpenMP threads cannot be created (here: 1 GiB
# thread stacks under a 4 GB address-space limit), the job says so and
# exits 71, instead of libgomp's "Thread creation failed" and exit 1.
# 3 ranks; every rank meets the limit, and the job stops with no report.
source "$(dirname "$0")/common.sh"

"$OCPGEN" --format parquet --output "$WORK/in" --nodes 2 --pods-per-node 3 --days 1 --quiet
cat > "$WORK/c.yaml" <<YAML
cluster_id: t
source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
input: {format: parquet, path: $WORK/in}
threads: 64
output: {path: $WORK/out/report.csv}
YAML
mkdir -p "$WORK/out"
rc=0
(ulimit -v 4000000 && OMP_STACKSIZE=1G mpirun --allow-run-as-root --oversubscribe -np 3 \
    -x OMP_STACKSIZE "$OCPAGG" --config "$WORK/c.yaml" --quiet) > /dev/null 2> "$WORK/err.txt" || rc=$?
# AddressSanitizer reserves terabytes of address space for its shadow
# memory at start-up, so an ASan build cannot run under the limit at all.
if grep -q "ReserveShadowMemoryRange failed" "$WORK/err.txt"; then
    echo "SKIP: a sanitizer build cannot start under an address-space limit"
    exit 77
fi
if grep -q "error while loading\|cannot allocate\|ORTE" "$WORK/err.txt" && [[ $rc -ne 71 ]]; then
    cat "$WORK/err.txt" >&2
    echo "SKIP: mpirun itself does not start under the address-space limit"
    exit 77
fi
[[ $rc -eq 71 ]] || { cat "$WORK/err.txt" >&2; fail "exit code $rc, want 71"; }
grep -q "cannot start 64 threads" "$WORK/err.txt" || { cat "$WORK/err.txt" >&2; fail "no message naming the threads"; }
! grep -q "libgomp" "$WORK/err.txt" || fail "libgomp's own failure reached the user"
[[ -z $(ls -A "$WORK/out") ]] || fail "something was left in the output folder: $(ls -A "$WORK/out")"
echo "t_threads: ok"
