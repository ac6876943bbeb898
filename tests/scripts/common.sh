# common.sh - shared helpers for the whole-job tests (sourced).
# Environment from ctest: OCPAGG_BUILD (build dir), OCPAGG_SOURCE (source
# dir), OCPAGG_TEST_DATA (tests/data).
set -euo pipefail

BUILD=${OCPAGG_BUILD:?OCPAGG_BUILD is not set}
SOURCE=${OCPAGG_SOURCE:?OCPAGG_SOURCE is not set}
OCPAGG=$BUILD/ocpagg
OCPGEN=$BUILD/ocpgen

# MPI runs as root in CI and on 2-core machines with more ranks than cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# Containers often forbid the cross-memory attach Open MPI's shared-memory
# transport prefers; plain copies always work.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ocpagg-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# run_mpi N ARGS...: the job on N ranks.
run_mpi() {
    local n=$1
    shift
    mpirun --allow-run-as-root --oversubscribe -np "$n" "$OCPAGG" "$@"
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# A config for a dataset: write_config FILE INPUT OUTPUT [FORMAT] [extra yaml]
write_config() {
    local file=$1 input=$2 output=$3 format=${4:-hdf5} extra=${5:-}
    cat > "$file" <<YAML
cluster_id: test-cluster
cluster_alias: Test Cluster
source_uuid: 6e4ff1a0-4d2b-4a1e-9c6e-0a3c2e7f1b11
report_period_id: 3
input:
  format: $format
  path: $input
enabled_tag_keys: [app, environment, tier]
cost_categories:
  - {pattern: "openshift-%", id: 1}
  - {pattern: "kube-%", id: 2}
  - {pattern: "app-_", id: 3}
  - {pattern: "team_a", id: 4}
threads: 1
chunk_rows: 4096
output:
  path: $output
progress_seconds: 0
$extra
YAML
}
