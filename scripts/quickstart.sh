#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds ocpagg, generates the built-in
# sample and runs the job on it with 2 ranks; prints where the report is.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
mkdir -p sample out
./build/ocpgen --output sample/ocp.h5 --quiet

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
mpirun --allow-run-as-root --oversubscribe -np 2 ./build/ocpagg --config config/ocpagg.yaml
echo
echo "Report:  $(pwd)/out/report.csv"
echo "Summary: $(pwd)/out/report.summary.json"
