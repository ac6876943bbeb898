/* output.c - the report's destination: file stream or database. */
#include "driver/output.h"

#include <string.h>

void out_encoding_of(const struct cfg *cfg, struct out_encoding *enc)
{
    memset(enc, 0, sizeof *enc);
    if (cfg->output_format == CFG_OUTPUT_POSTGRES)
        enc->postgres = 1;
    else if (cfg->output_format == CFG_OUTPUT_CSV) {
        enc->format = RPT_FORMAT_CSV;
        enc->shared_write = cfg->output_shared_write;
        enc->report_path = cfg->output_path;
        /* Parquet would make a row group of each part; the AWS step
         * attributes a day on the rank that holds all its rows. */
        enc->split_days = cfg->aws_source_uuid == NULL;
    } else
        enc->format = cfg->output_partitioned ? RPT_FORMAT_PARQUET_PARTITIONED : RPT_FORMAT_PARQUET;
}

int out_encode(const struct out_encoding *enc, const struct rpt_table *t,
               const struct rpt_meta *meta, struct rpt_buf *out, struct ocp_error *err)
{
    if (enc->postgres)
        return pg_encode_block(t, meta, &enc->periods, out, err);
    return rpt_encode_block(enc->format, t, meta, out, err);
}

int out_open(struct out_dest *d, const struct cfg *cfg, const struct out_encoding *enc,
             const struct rpt_meta *meta, const struct pg_options *pgo, struct ocp_error *err)
{
    int rc;

    memset(d, 0, sizeof *d);
    if (!enc->postgres) {
        rc = rpt_stream_open(&d->stream, enc->format, cfg->output_path, meta, err);
        if (rc != OCP_OK)
            d->stream = NULL;
        return rc;
    }
    /* Partitions first, in their own short transaction: creating one
     * locks the parent, which must not happen inside the data
     * transaction. */
    d->pgo = pgo;
    d->periods = &enc->periods;
    rc = pg_prepare_partitions(pgo, &d->partitions, err);
    if (rc == OCP_OK && cfg->aws_source_uuid != NULL)
        rc = pg_aws_prepare_partitions(pgo, &d->aws_partitions, err);
    if (rc == OCP_OK)
        rc = pg_writer_begin(&d->pg, pgo, &enc->periods, err);
    if (rc != OCP_OK)
        d->pg = NULL;
    return rc;
}

int64_t out_aws_period(const struct out_dest *d, int32_t day)
{
    for (int32_t m = 0; d->periods != NULL && m < d->periods->n; m++)
        if (day >= d->periods->month[m].first_day && day <= d->periods->month[m].last_day)
            return d->periods->month[m].id;
    return -1;
}

int out_aws_begin(struct out_dest *d, const char *aws_source_uuid, struct ocp_error *err)
{
    if (d->pg == NULL)
        return ocp_error_set(err, OCP_ERR_SOFTWARE, NULL, -1, NULL,
                             "out_aws_begin: no database transaction");
    return pg_aws_begin(d->pg, d->pgo, d->periods, aws_source_uuid, &d->aws_deleted, err);
}

int out_aws_write(struct out_dest *d, const unsigned char *block, size_t len, struct ocp_error *err)
{
    return pg_writer_write(d->pg, block, len, err);
}

int out_aws_end(struct out_dest *d, int64_t expected_rows, struct ocp_error *err)
{
    return pg_aws_end(d->pg, expected_rows, &d->aws_copied, err);
}

int out_write(struct out_dest *d, const unsigned char *block, size_t len, struct ocp_error *err)
{
    if (d->pg != NULL)
        return pg_writer_write(d->pg, block, len, err);
    return rpt_stream_write(d->stream, block, len, err);
}

int out_end(struct out_dest *d, int64_t expected_rows, struct ocp_error *err)
{
    int rc;
    if (d->pg == NULL)
        return OCP_OK;
    rc = pg_writer_end_copy(d->pg, expected_rows, err);
    pg_writer_counts(d->pg, &d->deleted, &d->copied);
    return rc;
}

int out_commit(struct out_dest *d, int64_t expected_rows, struct ocp_error *err)
{
    int rc;
    if (d->pg != NULL) {
        rc = pg_writer_commit(d->pg, expected_rows, err);
        pg_writer_counts(d->pg, &d->deleted, &d->copied);
        return rc;
    }
    return rpt_stream_commit(d->stream, err);
}

void out_abort(struct out_dest *d, const char *reason)
{
    if (d->pg != NULL)
        pg_writer_abort(d->pg, reason);
    if (d->stream != NULL)
        rpt_stream_abort(d->stream);
}

void out_release(struct out_dest *d)
{
    if (d->pg != NULL)
        pg_writer_destroy(d->pg);
    if (d->stream != NULL)
        rpt_stream_destroy(d->stream);
    d->pg = NULL;
    d->stream = NULL;
}
