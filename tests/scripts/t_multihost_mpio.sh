#!/usr/bin/env bash
# HDF5 input through MPI-IO (input.hdf5_driver): the report is byte for
# byte the one of the default POSIX driver
#   1. at 1 rank (singleton MPI) and at 3 ranks x 2 threads, for mpio and
#      mpio-collective, on compressed (deflate) HDF5 from ocpgen;
#   2. at 3 ranks on 3 test hosts over TCP (network namespaces, see
#      t_multihost.sh) when they can be made, mpio-collective;
#   3. a value other than posix, mpio or mpio-collective is a config error
#      (78) naming the key, and the summary JSON records the driver.
source "$(dirname "$0")/common.sh"

"$OCPGEN" --output "$WORK/d.h5" --nodes 20 --pods-per-node 20 --days 5 --quiet ||
    fail "ocpgen failed"
write_config "$WORK/c.yaml" "$WORK/d.h5" "$WORK/unused.csv"
sed -i 's/^chunk_rows: .*/chunk_rows: 8192/' "$WORK/c.yaml"
passed=0

mkdir -p "$WORK/posix"
run_mpi 3 --config "$WORK/c.yaml" --output "$WORK/posix/r.csv" --threads 2 --quiet ||
    fail "posix run failed"
for drv in mpio mpio-collective; do
    for shape in "1 1" "3 2"; do
        read -r n t <<< "$shape"
        out=$WORK/$drv-$n/r.csv
        mkdir -p "$(dirname "$out")"
        if [[ $n -eq 1 ]]; then
            "$OCPAGG" --config "$WORK/c.yaml" --set "input.hdf5_driver=$drv" \
                --output "$out" --threads "$t" --quiet || fail "$drv at 1 rank failed"
        else
            run_mpi "$n" --config "$WORK/c.yaml" --set "input.hdf5_driver=$drv" \
                --output "$out" --threads "$t" --quiet || fail "$drv at $n ranks failed"
        fi
        cmp "$WORK/posix/r.csv" "$out" || fail "$drv at $n x $t: the report differs from posix"
        grep -q "\"hdf5_driver\": \"$drv\"" "${out%.csv}.summary.json" ||
            fail "$drv: the summary does not record the driver"
        echo "ok: $drv at $n rank(s) x $t thread(s): the same report as the POSIX driver"
        passed=$((passed + 1))
    done
done

rc=0
"$OCPAGG" --config "$WORK/c.yaml" --set input.hdf5_driver=lustre --quiet 2> "$WORK/bad.err" || rc=$?
[[ $rc -eq 78 ]] || fail "a bad hdf5_driver gave exit $rc, not 78"
grep -q 'hdf5_driver' "$WORK/bad.err" || { cat "$WORK/bad.err" >&2; fail "the key is not named"; }
echo "ok: a bad input.hdf5_driver is a config error (78) naming the key"
passed=$((passed + 1))

# Across test hosts, when namespaces can be made here.
source "$SOURCE/tests/scripts/netns/netns.sh"
if [[ $(id -u) -eq 0 ]] && command -v unshare > /dev/null && netns_can; then
    source "$SOURCE/tests/scripts/netns/mh.sh"
    mh_up 3
    mkdir -p "$WORK/mh"
    mh_mpirun 3 "$OCPAGG" --config "$WORK/c.yaml" --set input.hdf5_driver=mpio-collective \
        --output "$WORK/mh/r.csv" --threads 2 --quiet > "$WORK/mh.out" 2> "$WORK/mh.err" ||
        { cat "$WORK/mh.err" >&2; fail "mpio-collective across 3 hosts failed"; }
    cmp "$WORK/posix/r.csv" "$WORK/mh/r.csv" || fail "across hosts: the report differs"
    echo "ok: mpio-collective at 3 ranks on 3 test hosts: the same report"
    passed=$((passed + 1))
else
    echo "note: no network namespaces here; the run across hosts is left out"
fi
echo "$passed passed, 0 failed"
