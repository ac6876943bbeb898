/* batch.c - table schemas and dictionary serials. */
#include "ocpagg/batch.h"

#include <stdatomic.h>

static const struct ocp_colspec pod_cols[POD_NCOLS] = {
    [POD_INTERVAL_START] = {"interval_start", OCP_KIND_TIME, 1},
    [POD_NAMESPACE] = {"namespace", OCP_KIND_STRING, 1},
    [POD_NODE] = {"node", OCP_KIND_STRING, 1},
    [POD_POD] = {"pod", OCP_KIND_STRING, 1},
    [POD_RESOURCE_ID] = {"resource_id", OCP_KIND_STRING, 0},
    [POD_NODE_ROLE] = {"node_role", OCP_KIND_STRING, 0},
    [POD_USAGE_CPU] = {"pod_usage_cpu_core_seconds", OCP_KIND_NUMBER, 1},
    [POD_REQUEST_CPU] = {"pod_request_cpu_core_seconds", OCP_KIND_NUMBER, 1},
    [POD_LIMIT_CPU] = {"pod_limit_cpu_core_seconds", OCP_KIND_NUMBER, 1},
    [POD_USAGE_MEM] = {"pod_usage_memory_byte_seconds", OCP_KIND_NUMBER, 1},
    [POD_REQUEST_MEM] = {"pod_request_memory_byte_seconds", OCP_KIND_NUMBER, 1},
    [POD_LIMIT_MEM] = {"pod_limit_memory_byte_seconds", OCP_KIND_NUMBER, 1},
    [POD_EFF_CPU] = {"pod_effective_usage_cpu_core_seconds", OCP_KIND_NUMBER, 0},
    [POD_EFF_MEM] = {"pod_effective_usage_memory_byte_seconds", OCP_KIND_NUMBER, 0},
    [POD_CAP_CPU_CORES] = {"node_capacity_cpu_cores", OCP_KIND_NUMBER, 1},
    [POD_CAP_CPU_SEC] = {"node_capacity_cpu_core_seconds", OCP_KIND_NUMBER, 1},
    [POD_CAP_MEM_BYTES] = {"node_capacity_memory_bytes", OCP_KIND_NUMBER, 1},
    [POD_CAP_MEM_SEC] = {"node_capacity_memory_byte_seconds", OCP_KIND_NUMBER, 1},
    [POD_LABELS] = {"pod_labels", OCP_KIND_LABELS, 0},
};

static const struct ocp_colspec storage_cols[STO_NCOLS] = {
    [STO_INTERVAL_START] = {"interval_start", OCP_KIND_TIME, 1},
    [STO_NAMESPACE] = {"namespace", OCP_KIND_STRING, 1},
    [STO_POD] = {"pod", OCP_KIND_STRING, 1},
    [STO_PVC] = {"persistentvolumeclaim", OCP_KIND_STRING, 1},
    [STO_PV] = {"persistentvolume", OCP_KIND_STRING, 1},
    [STO_STORAGECLASS] = {"storageclass", OCP_KIND_STRING, 1},
    [STO_CSI_HANDLE] = {"csi_volume_handle", OCP_KIND_STRING, 0},
    [STO_CAP_BYTES] = {"persistentvolumeclaim_capacity_bytes", OCP_KIND_NUMBER, 1},
    [STO_CAP_BYTE_SEC] = {"persistentvolumeclaim_capacity_byte_seconds", OCP_KIND_NUMBER, 1},
    [STO_REQUEST_BYTE_SEC] = {"volume_request_storage_byte_seconds", OCP_KIND_NUMBER, 1},
    [STO_USAGE_BYTE_SEC] = {"persistentvolumeclaim_usage_byte_seconds", OCP_KIND_NUMBER, 1},
    [STO_PV_LABELS] = {"persistentvolume_labels", OCP_KIND_LABELS, 1},
    [STO_PVC_LABELS] = {"persistentvolumeclaim_labels", OCP_KIND_LABELS, 1},
};

static const struct ocp_colspec node_label_cols[NL_NCOLS] = {
    [NL_INTERVAL_START] = {"interval_start", OCP_KIND_TIME, 1},
    [NL_NODE] = {"node", OCP_KIND_STRING, 1},
    [NL_LABELS] = {"node_labels", OCP_KIND_LABELS, 1},
};

static const struct ocp_colspec ns_label_cols[NSL_NCOLS] = {
    [NSL_INTERVAL_START] = {"interval_start", OCP_KIND_TIME, 1},
    [NSL_NAMESPACE] = {"namespace", OCP_KIND_STRING, 1},
    [NSL_LABELS] = {"namespace_labels", OCP_KIND_LABELS, 1},
};

static const struct ocp_tablespec tables[OCP_TABLE_COUNT] = {
    [OCP_TABLE_POD] = {"openshift_pod_usage_line_items", "pod_usage", POD_NCOLS, pod_cols},
    [OCP_TABLE_STORAGE] = {"openshift_storage_usage_line_items", "storage_usage", STO_NCOLS,
                           storage_cols},
    [OCP_TABLE_NODE_LABELS] = {"openshift_node_labels_line_items", "node_labels", NL_NCOLS,
                               node_label_cols},
    [OCP_TABLE_NAMESPACE_LABELS] = {"openshift_namespace_labels_line_items", "namespace_labels",
                                    NSL_NCOLS, ns_label_cols},
};

const struct ocp_tablespec *ocp_table_spec(enum ocp_table table)
{
    if ((int)table < 0 || table >= OCP_TABLE_COUNT)
        return 0;
    return &tables[table];
}

static atomic_uint_fast64_t next_serial = 1;

uint64_t ocp_strdict_next_serial(void)
{
    return (uint64_t)atomic_fetch_add(&next_serial, 1);
}
