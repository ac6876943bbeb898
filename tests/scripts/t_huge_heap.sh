#!/usr/bin/env bash
# Where the kernel gives transparent huge pages only on request (THP
# "madvise"), every rank starts itself again before MPI_Init with glibc's
# malloc asking for them (GLIBC_TUNABLES glibc.malloc.hugetlb=1,
# driver/runtime.c), unless huge pages come cold on this machine (free
# page reporting hands free huge pages back to the hypervisor:
# page_reporting_order no larger than a huge page's order) while 4 KiB
# pages fault in fast (1 GB/s or more: OCPAGG_FAULT_RATE, else measured),
# or OCPAGG_HUGE_PAGES says otherwise.  At 3 ranks:
#   - OCPAGG_HUGE_PAGES=1: every rank asks (--verbose), with the user's
#     other tunables kept;
#   - a user's own glibc.malloc.hugetlb (0 here) is left alone;
#   - a restart the kernel refuses (E2BIG) leaves every rank running as
#     it was, saying why;
#   - OCPAGG_HUGE_PAGES=0: no rank asks, and a running rank's mappings
#     carry no MADV_HUGEPAGE (VmFlags "hg"), where with =1 its heap holds
#     huge pages (AnonHugePages of [heap]) and its tables are advised;
#   - unset: each rank decides as this machine's sysfs and its 4 KiB
#     fault speed say, given (fast, slow) or measured;
#   - the reports are byte-identical.
# Skipped (77) where THP is not in "madvise" mode, and in AddressSanitizer
# or ThreadSanitizer builds (their malloc is not glibc's): nothing is
# restarted.
source "$(dirname "$0")/common.sh"

if ldd "$OCPAGG" 2> /dev/null | grep -qE 'lib(asan|tsan)\.so'; then
    echo "SKIP: $OCPAGG is a sanitizer build: its malloc takes no glibc.malloc tunables"
    exit 77
fi

thp=/sys/kernel/mm/transparent_hugepage/enabled
if ! grep -q '\[madvise\]' "$thp" 2> /dev/null; then
    echo "SKIP: transparent huge pages are not in madvise mode ($(cat "$thp" 2> /dev/null || echo 'no THP'))"
    exit 77
fi

"$OCPGEN" --format parquet --output "$WORK/in" --nodes 60 --pods-per-node 80 --days 2 --quiet ||
    fail "ocpgen failed"
write_config "$WORK/c.yaml" "$WORK/in" "$WORK/unused.csv" parquet

# run NAME [ENV...]: the job at 3 ranks with --verbose, NAME.csv / NAME.err
# (GLIBC_TUNABLES, OCPAGG_HUGE_PAGES and OCPAGG_FAULT_RATE passed on when
# set).
run() {
    local name=$1
    shift
    env -u GLIBC_TUNABLES -u OCPAGG_HUGE_PAGES -u OCPAGG_FAULT_RATE "$@" bash -c '
        pass=()
        for v in GLIBC_TUNABLES OCPAGG_HUGE_PAGES OCPAGG_FAULT_RATE; do [[ -v $v ]] && pass+=(-x "$v"); done
        exec mpirun --allow-run-as-root --oversubscribe "${pass[@]}" -np 3 "$0" "$@"' \
        "$OCPAGG" --config "$WORK/c.yaml" --verbose --output "$WORK/$name.csv" 2> "$WORK/$name.err" ||
        { cat "$WORK/$name.err" >&2; fail "$name: the run failed"; }
}

run asked OCPAGG_HUGE_PAGES=1 GLIBC_TUNABLES=glibc.malloc.arena_max=4
for r in 0 1 2; do
    grep -q "^ocpagg: rank $r: malloc: huge pages asked for (GLIBC_TUNABLES glibc.malloc.hugetlb=1)" \
        "$WORK/asked.err" || { cat "$WORK/asked.err" >&2; fail "rank $r did not ask for huge pages"; }
done

run user OCPAGG_HUGE_PAGES=1 GLIBC_TUNABLES=glibc.malloc.hugetlb=0
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
run toolong OCPAGG_HUGE_PAGES=1 GLIBC_TUNABLES="$long"
[[ $(grep -c '^ocpagg: rank .: malloc: 4 KiB pages (starting again failed: Argument list too long)$' \
    "$WORK/toolong.err") -eq 3 ]] || { cat "$WORK/toolong.err" >&2; fail "a failed restart was not reported by every rank"; }
cmp -s "$WORK/asked.csv" "$WORK/toolong.csv" || fail "the report differs after a failed restart"

run never OCPAGG_HUGE_PAGES=0
[[ $(grep -c '^ocpagg: rank .: malloc: 4 KiB pages (OCPAGG_HUGE_PAGES=0)$' "$WORK/never.err") -eq 3 ]] ||
    { cat "$WORK/never.err" >&2; fail "OCPAGG_HUGE_PAGES=0: not every rank kept 4 KiB pages"; }

# Unset: what this machine's sysfs says (mem.h, ocp_mem_huge_pages_cold)
# and, where huge pages come cold, how fast 4 KiB pages fault in.
order=$(cat /sys/module/page_reporting/parameters/page_reporting_order 2> /dev/null || echo -1)
[[ $order =~ ^[0-9]+$ && $order -le 63 ]] || order=-1
pmd=$(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size 2> /dev/null || echo 0)
page=$(getconf PAGESIZE)
huge=-1
for k in $(seq 0 39); do [[ $((page << k)) -eq $pmd ]] && huge=$k; done
cold=0
[[ $order -ge 0 && $huge -gt 0 && $order -le $huge ]] && cold=1
asked="huge pages asked for (GLIBC_TUNABLES glibc.malloc.hugetlb=1"
# expect_all NAME TEXT: every rank's malloc line of NAME.err is TEXT.
expect_all() {
    local n=0 r
    for r in 0 1 2; do
        grep -qxF "ocpagg: rank $r: malloc: $2" "$WORK/$1.err" && n=$((n + 1))
    done
    [[ $n -eq 3 ]] || { cat "$WORK/$1.err" >&2; fail "$1: expected every rank to say '$2' ($n did)"; }
}
# Fast 4 KiB faults (2.5 GB/s): no huge pages where they come cold.
run fast OCPAGG_FAULT_RATE=2500000000
if [[ $cold -eq 1 ]]; then
    expect_all fast "4 KiB pages (free huge pages go back to the hypervisor: page_reporting_order $order; 4 KiB faults at 2.50 GB/s; OCPAGG_HUGE_PAGES=1 asks anyway)"
else
    expect_all fast "$asked; 4 KiB faults at 2.50 GB/s)"
fi
# Slow ones (0.39 GB/s, each fault a trap to the host): huge pages always.
run slow OCPAGG_FAULT_RATE=390000000
expect_all slow "$asked; 4 KiB faults at 0.39 GB/s)"
# Measured: each rank's line names the speed it found, and the answer
# follows from it (below 1 GB/s: huge pages).
run auto
if [[ $cold -eq 1 ]]; then
    n=0
    while read -r line; do
        if [[ $line =~ malloc:\ huge\ pages\ asked\ for\ \(GLIBC_TUNABLES\ glibc\.malloc\.hugetlb=1\;\ 4\ KiB\ faults\ at\ ([0-9]+\.[0-9][0-9])\ GB/s\)$ ]]; then
            awk -v r="${BASH_REMATCH[1]}" 'BEGIN { exit !(r < 1.005) }' ||
                fail "unset: huge pages asked for at ${BASH_REMATCH[1]} GB/s: $line"
        elif [[ $line =~ malloc:\ 4\ KiB\ pages\ \(free\ huge\ pages\ go\ back\ to\ the\ hypervisor:\ page_reporting_order\ $order\;\ 4\ KiB\ faults\ at\ ([0-9]+\.[0-9][0-9])\ GB/s\;\ OCPAGG_HUGE_PAGES=1\ asks\ anyway\)$ ]]; then
            awk -v r="${BASH_REMATCH[1]}" 'BEGIN { exit !(r >= 0.995) }' ||
                fail "unset: 4 KiB pages kept at ${BASH_REMATCH[1]} GB/s: $line"
        else
            fail "unset: unexpected line: $line"
        fi
        n=$((n + 1))
    done < <(grep '^ocpagg: rank [0-2]: malloc: ' "$WORK/auto.err")
    [[ $n -eq 3 ]] || { cat "$WORK/auto.err" >&2; fail "unset: $n malloc lines, not 3"; }
    expect=$(grep -m1 -o 'malloc: .*' "$WORK/auto.err")
else
    expect="$asked)"
    expect_all auto "$expect"
fi

# A 1-rank run on a larger day, sampled while it reads: the [heap]
# mapping's AnonHugePages (kB) and how many mappings say "hg".
"$OCPGEN" --format parquet --output "$WORK/big" --nodes 300 --pods-per-node 100 --days 1 --quiet ||
    fail "ocpgen failed"
write_config "$WORK/big.yaml" "$WORK/big" "$WORK/big.csv" parquet
# sample SETTING: sets heap_huge and advised to their largest values seen.
sample() {
    local h a pid
    env -u GLIBC_TUNABLES OCPAGG_HUGE_PAGES="$1" "$OCPAGG" --config "$WORK/big.yaml" --quiet &
    pid=$!
    heap_huge=0
    advised=0
    for _ in $(seq 1 400); do
        h=$(awk '/\[heap\]/ { inheap = 1; next } /^[0-9a-f]+-[0-9a-f]+ / { inheap = 0 }
                 inheap && /^AnonHugePages:/ { print $2 }' "/proc/$pid/smaps" 2> /dev/null || true)
        a=$(grep -c '^VmFlags:.* hg' "/proc/$pid/smaps" 2> /dev/null || true)
        [[ -n $h && $h -gt $heap_huge ]] && heap_huge=$h
        [[ -n $a && $a -gt $advised ]] && advised=$a
        [[ $1 == 1 && $heap_huge -gt 0 && $advised -gt 0 ]] && break
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.01
    done
    wait "$pid" || fail "the 1-rank run (OCPAGG_HUGE_PAGES=$1) failed"
}
sample 1
[[ $heap_huge -gt 0 ]] || fail "the heap of the restarted process held no huge pages"
[[ $advised -gt 0 ]] || fail "OCPAGG_HUGE_PAGES=1: no mapping was advised huge"
huge_kb=$heap_huge
cp "$WORK/big.csv" "$WORK/big1.csv"
sample 0
[[ $heap_huge -eq 0 && $advised -eq 0 ]] ||
    fail "OCPAGG_HUGE_PAGES=0: heap ${heap_huge} kB huge, $advised mapping(s) advised huge"
cmp -s "$WORK/big.csv" "$WORK/big1.csv" || fail "the 1-rank reports differ with and without huge pages"

for r in user never fast slow auto; do
    cmp -s "$WORK/asked.csv" "$WORK/$r.csv" || fail "the reports differ ($r against asked)"
done
[[ $(wc -l < "$WORK/asked.csv") -gt 1000 ]] || fail "the report is too short to tell"
echo "PASS: 3 ranks asked for huge pages when told (heap: ${huge_kb} kB huge), the user's setting kept, a refused restart survived, none asked with OCPAGG_HUGE_PAGES=0, unset: '$expect', reports identical"
