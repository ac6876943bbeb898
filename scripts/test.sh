#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors and runs every
# test (unit tests without MPI, then whole-job tests under mpirun).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCPAGG_WERROR=ON >/dev/null
cmake --build build-test -j"$(nproc)"
cd build-test
ctest --output-on-failure -j1 "$@"
