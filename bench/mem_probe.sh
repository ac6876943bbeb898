#!/usr/bin/env bash
# mem_probe.sh [MiB] - builds bench/mem_probe.c into a temporary folder and
# runs it pinned to the last core: the page-fault speed of fresh memory and
# of memory freed 0-8 s before (see bench/results/README.md, session 18).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mem_probe.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cc -O2 -Wall -Wextra -o "$tmp/mem_probe" "$here/mem_probe.c"
taskset -c "$(( $(nproc) - 1 ))" "$tmp/mem_probe" "${1:-512}"
# What ocpagg decides from (docs/running.md, "Huge pages, where they pay").
order=$(cat /sys/module/page_reporting/parameters/page_reporting_order 2> /dev/null || echo none)
echo "page_reporting_order: $order (ocpagg asks for no huge pages where it is at most the huge page's order, 9 for 2 MiB on 4 KiB pages)"
