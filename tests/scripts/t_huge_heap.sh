#!/usr/bin/env bash
# Where the kernel gives transparent huge pages only on request (THP
# "madvise"), every rank starts itself again before MPI_Init with glibc's
# malloc asking for them (GLIBC_TUNABLES glibc.malloc.hugetlb=1,
# driver/runtime.c).  At 3 ranks:
#   - every rank says so (--verbose), with the user's other tunables kept;
#   - a user's own glibc.malloc.hugetlb (0 here) is left alone;
#   - a restart the kernel refuses (E2BIG) leaves every rank running as
#     it was, saying why;
#   - the three reports are byte-identical, and the restarted ranks'
#     heaps do hold huge pages (AnonHugePages of the [heap] mapping,
#     read from /proc while the job runs).
# Skipped (77) where THP is not in "madvise" mode: nothing is restarted.
source "$(dirname "$0")/common.sh"

thp=/sys/kernel/mm/transparent_hugepage/enabled
if ! grep -q '\[madvise\]' "$thp" 2> /dev/null; then
    echo "SKIP: transparent huge pages are not in madvise mode ($(cat "$thp" 2> /dev/null || echo 'no THP'))"
    exit 77
fi

"$OCPGEN" --format parquet --output "$WORK/in" --nodes 60 --pods-per-node 80 --days 2 --quiet ||
    fail "ocpgen failed"
write_config "$WORK/c.yaml" "$WORK/in" "$WORK/unused.csv" parquet

# run NAME [ENV...]: the job at 3 ranks with --verbose, NAME.csv / NAME.err.
run() {
    local name=$1
    shift
    env "$@" mpirun --allow-run-as-root --oversubscribe -x GLIBC_TUNABLES -np 3 "$OCPAGG" \
        --config "$WORK/c.yaml" --verbose --output "$WORK/$name.csv" 2> "$WORK/$name.err" ||
        { cat "$WORK/$name.err" >&2; fail "$name: the run failed"; }
}

run asked GLIBC_TUNABLES=glibc.malloc.arena_max=4
for r in 0 1 2; do
    grep -q "^ocpagg: rank $r: malloc: huge pages asked for (GLIBC_TUNABLES glibc.malloc.hugetlb=1)" \
        "$WORK/asked.err" || { cat "$WORK/asked.err" >&2; fail "rank $r did not ask for huge pages"; }
done

run user GLIBC_TUNABLES=glibc.malloc.hugetlb=0
[[ $(grep -c '^ocpagg: rank .: malloc: huge pages not asked for (GLIBC_TUNABLES glibc.malloc.hugetlb=0)' \
    "$WORK/user.err") -eq 3 ]] || { cat "$WORK/user.err" >&2; fail "the user's hugetlb=0 was not kept"; }

# A restart that fails leaves the process as it was: a user's tunables
# 23 bytes short of the kernel's limit for one environment string
# (MAX_ARG_STRLEN, 128 KiB) start the job, but with the hugetlb tunable
# added the exec is refused (E2BIG), and every rank goes on with glibc's
# default pages.
# "GLIBC_TUNABLES=" (15 bytes), the value and its NUL: 131071 of 131072.
long="glibc.malloc.arena_max=4:x.y.pad="
long="$long$(head -c $((131071 - 16 - ${#long})) /dev/zero | tr '\0' A)"
[[ $((${#long} + 16)) -eq 131071 ]] || fail "the padded tunable is ${#long} bytes"
run toolong GLIBC_TUNABLES="$long"
[[ $(grep -c '^ocpagg: rank .: malloc: 4 KiB pages (starting again failed: Argument list too long)$' \
    "$WORK/toolong.err") -eq 3 ]] || { cat "$WORK/toolong.err" >&2; fail "a failed restart was not reported by every rank"; }
cmp -s "$WORK/asked.csv" "$WORK/toolong.csv" || fail "the report differs after a failed restart"

# The heap of a restarted process: a 1-rank run on a larger day, sampled
# while it reads (the [heap] mapping's AnonHugePages, in kB).
"$OCPGEN" --format parquet --output "$WORK/big" --nodes 300 --pods-per-node 100 --days 1 --quiet ||
    fail "ocpgen failed"
write_config "$WORK/big.yaml" "$WORK/big" "$WORK/big.csv" parquet
env -u GLIBC_TUNABLES "$OCPAGG" --config "$WORK/big.yaml" --quiet &
pid=$!
huge=0
for _ in $(seq 1 400); do
    h=$(awk '/\[heap\]/ { inheap = 1; next } /^[0-9a-f]+-[0-9a-f]+ / { inheap = 0 }
             inheap && /^AnonHugePages:/ { print $2 }' "/proc/$pid/smaps" 2> /dev/null || true)
    [[ -n $h && $h -gt $huge ]] && huge=$h
    [[ $huge -gt 0 ]] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.01
done
wait "$pid" || fail "the 1-rank run failed"
[[ $huge -gt 0 ]] || fail "the heap of the restarted process held no huge pages"

cmp -s "$WORK/asked.csv" "$WORK/user.csv" || fail "the reports differ with and without huge pages"
[[ $(wc -l < "$WORK/asked.csv") -gt 1000 ]] || fail "the report is too short to tell"
echo "PASS: 3 ranks asked for huge pages (heap: ${huge} kB huge), the user's setting kept, a refused restart survived, reports identical"
