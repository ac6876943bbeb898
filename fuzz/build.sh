#!/bin/sh
# fuzz/build.sh - builds the libFuzzer target for the Parquet reader with
# clang, AddressSanitizer and UndefinedBehaviorSanitizer.
#
# usage: fuzz/build.sh [OUTDIR]     (default: fuzz/out)
#
# Builds OUTDIR/pq_fuzz, the target, and OUTDIR/mkseeds, which wrote the
# table-shaped seeds of fuzz/seeds/ (run it again after changing it).
#
# The reader's sources (src/parquet, and src/core for the arena, errors
# and dictionaries) are compiled here with coverage instrumentation rather
# than taken from a CMake build, which uses gcc and no coverage.  Needs
# Debian's clang and its compiler-rt (apt-get install clang
# libclang-rt-14-dev, or the version matching clang).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:-$here/out}
cc=${CC:-clang}
mkdir -p "$out/obj"

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE $san
  -I$root/include -I$root/src -I$root/tests/unit"
# The writer puts the version in created_by; passed apart from $cflags
# because it holds quotes.
ver='-DOCPAGG_VERSION="fuzz"'
libs=$(pkg-config --libs snappy libzstd zlib liblz4 libbrotlidec libbrotlienc jansson)

objs=
for src in "$root"/src/core/*.c "$root"/src/parquet/*.c; do
    obj="$out/obj/$(basename "$(dirname "$src")")_$(basename "$src" .c).o"
    # shellcheck disable=SC2086
    $cc $cflags "$ver" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
    objs="$objs $obj"
done
# shellcheck disable=SC2086
$cc $cflags -fsanitize=fuzzer "$here/pq_fuzz.c" $objs $libs -lm \
    -o "$out/pq_fuzz"
# The seed writer links the same objects; the sanitizer runtime provides
# the coverage hooks that libFuzzer would otherwise.
# shellcheck disable=SC2086
$cc $cflags "$here/mkseeds.c" $objs $libs -lm -o "$out/mkseeds"
echo "built $out/pq_fuzz and $out/mkseeds"
