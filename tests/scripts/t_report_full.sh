#!/usr/bin/env bash
# The disk fills up while 3 ranks write their days of one CSV report, each
# day's whole pages written by a thread of the rank (O_DIRECT where the
# file system takes it) while the rank finishes the next day: on a small
# tmpfs the test mounts, the job ends with exit 74 naming the cause (No
# space left on device) within the timeout on every rank, the earlier
# report there is byte-identical and no temporary file is left.  Mounting
# needs root (or CAP_SYS_ADMIN): without it the test exits 77 (skipped).
source "$(dirname "$0")/common.sh"

FULL=$WORK/full
mkdir -p "$FULL"
if ! mount -t tmpfs -o size=3m tmpfs "$FULL" 2> "$WORK/mount.txt"; then
    echo "SKIP: cannot mount a tmpfs: $(cat "$WORK/mount.txt")"
    exit 77
fi
trap 'umount -l "$FULL" 2> /dev/null; rm -rf "$WORK"' EXIT

# Days of about 1.5 MB of text: large enough for the direct path (whole
# pages past 256 KiB), three of them more than the 3 MiB disk holds.
"$OCPGEN" --output "$WORK/big.h5" --nodes 40 --pods-per-node 30 --days 6 --seed 3 --quiet ||
    fail "ocpgen failed"
"$OCPGEN" --output "$WORK/small.h5" --nodes 2 --pods-per-node 3 --days 1 --seed 4 --quiet ||
    fail "ocpgen failed"
write_config "$WORK/big.yaml" "$WORK/big.h5" "$FULL/report.csv"
write_config "$WORK/small.yaml" "$WORK/small.h5" "$FULL/report.csv"

run_mpi 3 --config "$WORK/small.yaml" --quiet || fail "the earlier, small report failed"
cp "$FULL/report.csv" "$WORK/keep.csv"
rm -f "$FULL/report.summary.json"

set +e
timeout 120 mpirun --allow-run-as-root --oversubscribe -np 3 "$OCPAGG" \
    --config "$WORK/big.yaml" --quiet 2> "$WORK/err.txt"
rc=$?
set -e
[[ $rc -ne 124 ]] || fail "the job hung (killed after 120 s)"
[[ $rc -eq 74 ]] || { cat "$WORK/err.txt" >&2; fail "a full disk: exit $rc, not 74"; }
grep -q "No space left on device" "$WORK/err.txt" ||
    { cat "$WORK/err.txt" >&2; fail "the message does not name the cause"; }
cmp -s "$WORK/keep.csv" "$FULL/report.csv" || fail "the earlier report changed"
if ls "$FULL"/*.tmp.* > /dev/null 2>&1; then
    ls -la "$FULL" >&2
    fail "a temporary file was left"
fi
echo "ok: 3 ranks on a full disk: exit 74, $(head -c 200 "$WORK/err.txt" | head -1)"
