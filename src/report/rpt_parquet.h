/*
 * rpt_parquet.h - the report as Parquet (src/report/rpt_parquet.c).
 *
 * Kept apart from report.h only until its owner adopts the prototype; the
 * function follows report.h's conventions (temporary name, rename on
 * success, nothing left behind on failure).
 */
#ifndef OCPAGG_RPT_PARQUET_H
#define OCPAGG_RPT_PARQUET_H

#include "ocpagg/report.h"

/* Writes the table as Parquet with the columns and types of Koku's Trino
 * table reporting_ocpusagelineitem_daily_summary: strings (labels as JSON
 * text) as STRING, usage_start / usage_end as DATE, numbers as DOUBLE,
 * report_period_id and cost_category_id as INT32; SNAPPY, dictionary
 * encoded strings.  partitioned == 0: one file at path.  partitioned == 1:
 * path is a folder that receives
 * source=<uuid>/year=YYYY/month=MM/day=DD/ocpagg_summary_YYYY-MM-DD.parquet
 * (the partition values live in the folder names only, as Hive does).
 * On failure every file this call wrote is removed.  A report_period_id
 * or cost_category_id outside the int32 range is OCP_ERR_DATA. */
int rpt_write_parquet(const struct rpt_table *t, const struct rpt_meta *meta,
                      const char *path, int partitioned,
                      struct ocp_error *err);

#endif
