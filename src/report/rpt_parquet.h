/*
 * rpt_parquet.h - kept for older includes; the prototype of
 * rpt_write_parquet now lives in include/ocpagg/report.h.
 */
#ifndef OCPAGG_RPT_PARQUET_H
#define OCPAGG_RPT_PARQUET_H
#include "ocpagg/report.h"
#endif
