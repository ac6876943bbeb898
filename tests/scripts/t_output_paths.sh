#!/usr/bin/env bash
# Issue 11 items 1, 3 and 4 as whole jobs at 3 ranks: an output that is a
# device or FIFO, a summary that is the report, and an output that is an
# input (or lies inside the input tree) or the config file are config
# errors (78) naming the
# key, found before any heavy work; nothing is replaced, an earlier report
# and the inputs stay byte-identical, and no summary or temporary appears.
source "$(dirname "$0")/common.sh"

"$OCPGEN" --format parquet --output "$WORK/in" --nodes 2 --pods-per-node 3 --days 2 --quiet
mkdir -p "$WORK/out"
write_config "$WORK/c.yaml" "$WORK/in" "$WORK/out/report.csv" parquet
run_mpi 3 --config "$WORK/c.yaml" --quiet || fail "the good run failed"
good=$(sha1sum "$WORK/out/report.csv")
inputs=$(cd "$WORK/in" && find . -type f -exec sha1sum {} + | sort)

# expect_config_error KEY ARGS...: exit 78, one line naming KEY, nothing changed.
expect_config_error() {
    local key=$1 rc=0
    shift
    run_mpi 3 --config "$WORK/c.yaml" --quiet "$@" > /dev/null 2> "$WORK/err.txt" || rc=$?
    [[ $rc -eq 78 ]] || { cat "$WORK/err.txt" >&2; fail "$*: exit $rc, want 78"; }
    grep -q "$key" "$WORK/err.txt" || { cat "$WORK/err.txt" >&2; fail "$*: the message does not name $key"; }
    [[ "$(sha1sum "$WORK/out/report.csv")" == "$good" ]] || fail "$*: the earlier report changed"
    [[ "$(cd "$WORK/in" && find . -type f -exec sha1sum {} + | sort)" == "$inputs" ]] ||
        fail "$*: an input changed"
    if ls "$WORK/out" "$WORK" | grep -q '\.tmp\.'; then fail "$*: a temporary was left"; fi
}

# 1. Devices and FIFOs are never replaced (as root, /dev/null would be).
expect_config_error output.path -o /dev/null
[[ -c /dev/null ]] || fail "/dev/null is no longer a character device"
[[ ! -e /dev/null.summary.json && ! -e /dev/summary.json ]] || fail "a summary landed in /dev"
mknod "$WORK/out/null-copy" c 1 3 2> /dev/null && {
    expect_config_error output.path -o "$WORK/out/null-copy"
    [[ -c "$WORK/out/null-copy" ]] || fail "the device node was replaced"
    rm -f "$WORK/out/null-copy"
}
mkfifo "$WORK/out/fifo"
expect_config_error output.path -o "$WORK/out/fifo"
[[ -p "$WORK/out/fifo" ]] || fail "the FIFO was replaced"
[[ ! -e "$WORK/out/fifo.summary.json" ]] || fail "a summary was written beside the FIFO"
rm -f "$WORK/out/fifo"

# 3. The summary may not be the report.
expect_config_error output.summary --set output.summary="$WORK/out/report.csv"

# 4. The report may not be an input file, nor lie inside the input tree,
#    also when named through a symlink.
victim=$(find "$WORK/in" -name '*.parquet' | head -n 1)
expect_config_error output.path -o "$victim"
expect_config_error output.path -o "$WORK/in/report.csv"
[[ ! -e "$WORK/in/report.csv" ]] || fail "a report was written into the input tree"
ln -s "$WORK/in" "$WORK/inlink"
expect_config_error output.path -o "$WORK/inlink/report.csv"

# 5. Nor may any output be the config file the run reads.
cfg=$(sha1sum "$WORK/c.yaml")
expect_config_error output.path -o "$WORK/c.yaml"
expect_config_error output.summary --set output.summary="$WORK/c.yaml"
[[ "$(sha1sum "$WORK/c.yaml")" == "$cfg" ]] || fail "the config file changed"

# The OCP-on-AWS report is checked the same way.
"$OCPGEN" --format parquet --output "$WORK/in" --nodes 2 --pods-per-node 3 --days 2 --quiet \
    --aws-only --aws-cur "$WORK/in/aws_line_items"
inputs=$(cd "$WORK/in" && find . -type f -exec sha1sum {} + | sort)
write_config "$WORK/c.yaml" "$WORK/in" "$WORK/out/report.csv" parquet "aws:
  source_uuid: 2f1d1c35-5a0e-4b8e-9a53-0d1d6c7e4a10"
expect_config_error aws.output --set aws.output=/dev/null
[[ -c /dev/null ]] || fail "/dev/null is no longer a character device"
expect_config_error aws.output --set aws.output="$WORK/out/report.csv"
expect_config_error aws.output --set aws.output="$victim"

echo "t_output_paths: ok"
