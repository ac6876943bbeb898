#!/usr/bin/env bash
# t_clang_format.sh - every C source and header of the tree is laid out
# as .clang-format says.  Debian's clang-format 14 formatted the tree;
# other major versions lay some constructs out differently, so with none
# of version 14 (CLANG_FORMAT names another binary) the test is skipped
# (exit 77), never passed.  A file that differs is named with its first
# offending lines; `clang-format -i FILE` fixes it.
set -euo pipefail

SOURCE=${OCPAGG_SOURCE:?OCPAGG_SOURCE is not set}
CF=${CLANG_FORMAT:-clang-format}

if ! command -v "$CF" > /dev/null 2>&1; then
    echo "SKIP: $CF is not installed"
    exit 77
fi
major=$("$CF" --version | sed -n 's/.*version \([0-9][0-9]*\)\..*/\1/p')
if [[ "$major" != 14 ]]; then
    echo "SKIP: $CF is version ${major:-unknown}; the tree is formatted by version 14"
    exit 77
fi

cd "$SOURCE"
# The tracked files in a clone; every C file under the source folders
# in an export without .git.
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
    mapfile -t files < <(git ls-files '*.c' '*.h')
else
    mapfile -t files < <(find src include tests fuzz bench -name '*.[ch]' | sort)
fi
(( ${#files[@]} > 100 )) || { echo "FAIL: only ${#files[@]} C files found under $SOURCE" >&2; exit 1; }

if ! out=$("$CF" --dry-run --Werror "${files[@]}" 2>&1); then
    mapfile -t bad < <(sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error:.*/\1/p' <<< "$out" | sort -u)
    echo "FAIL: ${#bad[@]} of ${#files[@]} files are not formatted as .clang-format says:" >&2
    printf '  %s\n' "${bad[@]}" >&2
    grep -m 5 'error:' <<< "$out" >&2 || true
    (( ${#bad[@]} > 0 )) || echo "$out" >&2
    exit 1
fi
echo "ok: ${#files[@]} files formatted"
