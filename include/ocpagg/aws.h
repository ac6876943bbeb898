/*
 * aws.h - OpenShift on AWS: the AWS Cost and Usage Report (CUR) reduced to
 * daily rows and attributed to the namespaces of the OCP daily summary
 * (Koku's reporting_ocpawscostlineitem_project_daily_summary_p).  The
 * contract is /work/shared/SEMANTICS-AWS.md; docs/aws.md says how the code
 * follows it and which OPEN choices it makes.
 *
 * Flow:
 *   1. every rank reads its share of the CUR's raw rows into a struct
 *      aws_partial (aws_partial_read_file, or aws_partial_add for one row):
 *      the daily rows of the contract's §1.3 (exact sums, maxima by bytes)
 *      and, per (resource id, day), the maxima of cost and rate (§4);
 *   2. the partials merge associatively and commutatively
 *      (aws_partial_serialize / aws_partial_merge_bytes, or
 *      aws_partial_merge in one process), so any split of the files and
 *      rows gives the same merged partial;
 *   3. aws_attribute runs once on the merged partial and the final OCP
 *      summary rows (struct rpt_table) and produces the report rows,
 *      grouped and sorted as §6 says, with accounting counters; or, split
 *      by day over several ranks, each rank prepares with its own days'
 *      rows and every rank's match sets (aws_match_encode,
 *      aws_prepare_shared), attributes its days (aws_attribute_day) and
 *      hands them on as blocks (aws_block_encode / aws_block_decode);
 *   4. aws_write_csv / aws_write_parquet write them atomically (or a day
 *      at a time: aws_csv_append, aws_parquet_append).
 *
 * No MPI, no OpenMP, no globals.  Ownership: struct aws_partial is a heap
 * object (aws_partial_create / aws_partial_free).  struct aws_table is
 * caller storage (aws_table_init / aws_table_release) and owns its rows
 * and their strings.  Settings strings are only read during a call.
 */
#ifndef OCPAGG_AWS_H
#define OCPAGG_AWS_H

#include <stddef.h>
#include <stdint.h>

#include "ocpagg/error.h"
#include "ocpagg/report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The string columns of a raw CUR row that ocpagg reads, in the order of
 * the daily-row key (§1.3; the day sits after the resource id) followed by
 * the two columns that are only maximised. */
enum aws_str_col {
    AWS_RESOURCEID,                     /* lineitem_resourceid */
    AWS_PAYERACCOUNTID,                 /* bill_payeraccountid */
    AWS_USAGEACCOUNTID,                 /* lineitem_usageaccountid */
    AWS_LEGALENTITY,                    /* lineitem_legalentity */
    AWS_LINEITEMDESCRIPTION,            /* lineitem_lineitemdescription */
    AWS_BILLINGENTITY,                  /* bill_billingentity */
    AWS_PRODUCTCODE,                    /* lineitem_productcode */
    AWS_AVAILABILITYZONE,               /* lineitem_availabilityzone */
    AWS_LINEITEMTYPE,                   /* lineitem_lineitemtype */
    AWS_USAGETYPE,                      /* lineitem_usagetype */
    AWS_OPERATION,                      /* lineitem_operation */
    AWS_PRODUCTFAMILY,                  /* product_productfamily */
    AWS_OPERATINGSYSTEM,                /* product_operatingsystem */
    AWS_INSTANCETYPE,                   /* product_instancetype */
    AWS_REGION,                         /* product_region */
    AWS_PRICINGUNIT,                    /* pricing_unit */
    AWS_RESOURCETAGS,                   /* resourcetags (JSON object text) */
    AWS_COSTCATEGORY,                   /* costcategory (JSON object text) */
    AWS_KEY_STRINGS,                    /* the 18 string parts of the daily key */
    AWS_CURRENCYCODE = AWS_KEY_STRINGS, /* lineitem_currencycode (max) */
    AWS_PRODUCTNAME,                    /* product_productname (max) */
    AWS_NSTR
};

/* The numeric columns (a NULL or missing number reads as 0, §1.1). */
enum aws_num_col {
    AWS_USAGEAMOUNT,     /* lineitem_usageamount */
    AWS_UNBLENDEDCOST,   /* lineitem_unblendedcost */
    AWS_UNBLENDEDRATE,   /* lineitem_unblendedrate */
    AWS_BLENDEDCOST,     /* lineitem_blendedcost */
    AWS_SPEFFECTIVECOST, /* savingsplan_savingsplaneffectivecost */
    AWS_NNUM
};

/* Koku's column name of each string and number column (index by the
 * enums above); the time column is "lineitem_usagestartdate". */
extern const char *const aws_str_column_names[AWS_NSTR];
extern const char *const aws_num_column_names[AWS_NNUM];

/* One raw CUR row as handed to aws_partial_add.  A NULL string is
 * {NULL, 0} and reads as '' (§1.1). */
struct aws_raw_row {
    int start_null;   /* lineitem_usagestartdate is NULL */
    int64_t start_us; /* microseconds since 1970-01-01 UTC */
    const char *str[AWS_NSTR];
    size_t len[AWS_NSTR];
    double num[AWS_NNUM]; /* NaN reads as 0 */
};

/* Counts of the reading step (they add up across partials). */
struct aws_read_counts {
    int64_t rows_read;      /* raw rows seen */
    int64_t rows_null_date; /* dropped: NULL lineitem_usagestartdate */
    int64_t rows_outside;   /* ignored: the day is not a run day */
    int64_t bad_tags;       /* malformed resourcetags/costcategory, read as {} */
};

struct aws_partial;

/* A partial for the run days [day_first, day_last] (days since
 * 1970-01-01).  strict != 0 makes malformed tag text an error
 * (OCP_ERR_DATA) instead of a counted {}.  OCP_ERR_OSERR out of memory. */
int aws_partial_create(struct aws_partial **out, int32_t day_first, int32_t day_last, int strict,
                       struct ocp_error *err);

/* Frees the partial; NULL is allowed. */
void aws_partial_free(struct aws_partial *p);

/* Adds one raw row.  A NULL date is counted and dropped; a day outside the
 * run is counted and ignored; malformed tags are counted and read as {}
 * (strict: OCP_ERR_DATA).  A sum leaving the exact range is OCP_ERR_DATA
 * naming the column. */
int aws_partial_add(struct aws_partial *p, const struct aws_raw_row *r, struct ocp_error *err);

/* Reads every row of one CUR Parquet file into p.  The time column is
 * required (a file without it is OCP_ERR_DATA naming file and column);
 * other missing columns read as '' or 0 as Koku's ingestion fills them.
 * Column names match exactly, then ignoring ASCII case.  Times: INT64
 * timestamps of any unit, INT96, DATE, or text; numbers: DOUBLE, FLOAT,
 * INT32, INT64, DECIMAL; strings: BYTE_ARRAY (a MAP column for the tags is
 * read as JSON text).  An unusable type is OCP_ERR_DATA naming the column;
 * unparsable time text is OCP_ERR_DATA naming the row. */
int aws_partial_read_file(struct aws_partial *p, const char *path, struct ocp_error *err);

/* Reads the share of a CUR dataset (a folder walked as for the OCP
 * tables, or one .parquet file) that belongs to part `part` of `parts`:
 * the files whose index in path order is part modulo parts.  Every rank
 * calling it with its own part reads each file exactly once.  A missing
 * dataset is OCP_ERR_NOINPUT. */
int aws_partial_read_dataset(struct aws_partial *p, const char *dir, int part, int parts,
                             struct ocp_error *err);

/* The partial's reading counters. */
void aws_partial_counts(const struct aws_partial *p, struct aws_read_counts *out);

/* Number of daily rows held. */
size_t aws_partial_daily_rows(const struct aws_partial *p);

/* dst := dst merged with src (associative, commutative).  The run days
 * must agree (OCP_ERR_SOFTWARE otherwise). */
int aws_partial_merge(struct aws_partial *dst, const struct aws_partial *src,
                      struct ocp_error *err);

/* Appends a self-contained byte image of p (little endian) to out. */
int aws_partial_serialize(const struct aws_partial *p, struct rpt_buf *out, struct ocp_error *err);

/* Appends the image of only the daily rows and capacities whose day keep
 * accepts (so ranks can send each the daily rows of its days), with the
 * reading counters when with_counts, else zeros (so the counters travel
 * once).  Merged with aws_partial_merge_bytes. */
int aws_partial_serialize_days(const struct aws_partial *p, int (*keep)(int32_t day, void *ctx),
                               void *ctx, int with_counts, struct rpt_buf *out,
                               struct ocp_error *err);

/* Merges a byte image from aws_partial_serialize into p.  Every length
 * and count is checked against the buffer: a corrupt image is
 * OCP_ERR_SOFTWARE, never a crash. */
int aws_partial_merge_bytes(struct aws_partial *p, const unsigned char *data, size_t len,
                            struct ocp_error *err);

/* An AWS account alias: usage_account_id -> account_alias_id. */
struct aws_alias {
    const char *account_id;
    int64_t alias_id;
};

/* The settings of the attribution (§1.5). */
struct aws_settings {
    const char *cluster_id;
    const char *cluster_alias;
    const char *source_uuid; /* the AWS source; seeds the row uuids */
    int64_t report_period_id;
    int64_t bill_id;             /* cost_entry_bill_id */
    int has_bill_id;             /* 0: written as NULL */
    const char *const *aws_keys; /* E_aws */
    size_t n_aws_keys;
    const char *const *ocp_keys; /* E_ocp */
    size_t n_ocp_keys;
    double markup_percent;   /* m = markup_percent / 100, 9 places */
    int distribution_memory; /* 0: cpu, 1: memory */
    const struct aws_alias *aliases;
    size_t n_aliases;
};

/* The markup factor m of §1.5: markup_percent / 100 rounded half away
 * from zero to 9 decimal places, as the nearest double. */
double aws_markup_factor(double markup_percent);

/* The 8 cost columns of a report row, in report order. */
enum aws_cost {
    AWS_COST_UNBLENDED,
    AWS_COST_MARKUP,
    AWS_COST_BLENDED,
    AWS_COST_MARKUP_BLENDED,
    AWS_COST_SAVINGSPLAN,
    AWS_COST_MARKUP_SAVINGSPLAN,
    AWS_COST_AMORTIZED,
    AWS_COST_MARKUP_AMORTIZED,
    AWS_NCOST
};

/* One row of the OCP-on-AWS report.  NULL strings are NULL pointers;
 * NULL numbers are NaN. */
struct aws_row {
    char uuid[37];
    int32_t day;            /* usage_start = usage_end */
    enum rpt_source source; /* data_source */
    const char *namespace_, *node, *pvc, *pv, *storageclass, *resource_id;
    const char *product_code, *product_family, *instance_type;
    const char *usage_account_id, *availability_zone, *region, *unit;
    const char *direction, *currency_code, *tags, *aws_cost_category;
    int has_cost_category;
    int64_t cost_category_id;
    int has_alias;
    int64_t account_alias_id;
    double usage_amount, data_in, data_out;
    double cost[AWS_NCOST];
};

/* The attribution kinds of §5. */
enum aws_kind {
    AWS_K_STORAGE,      /* K1 */
    AWS_K_UNATTRIBUTED, /* K2 */
    AWS_K_COMPUTE,      /* K3 */
    AWS_K_TAG,          /* K4 */
    AWS_K_NETWORK,      /* K5 */
    AWS_NKIND
};

/* Why a matched daily row gave no report row (§5.8). */
enum aws_drop {
    AWS_DROP_NETWORK_NO_NODE, /* network, no pod row of its node that day */
    AWS_DROP_COMPUTE_NO_NODE, /* compute (incl. disks without capacity) */
    AWS_DROP_STORAGE_NO_PVC,  /* disk with a capacity but no PV rows */
    AWS_DROP_TAG_NO_ROWS,     /* tag-matched, no OCP row meets §5.5 */
    AWS_NDROP
};

/* The accounting of the attribution: counts of daily rows and their Σ Cu
 * (unblended as §2 defines it), so no cost disappears without a number. */
struct aws_counters {
    struct aws_read_counts read;
    int64_t daily_rows;     /* daily rows of the run days */
    double daily_unblended; /* their Σ Cu */
    int64_t resource_matched;
    double resource_matched_unblended;
    int64_t tag_matched;
    double tag_matched_unblended;
    int64_t unmatched; /* neither: not in the report (TRAP-7) */
    double unmatched_unblended;
    int64_t kind_rows[AWS_NKIND];     /* daily rows attributed per kind */
    int64_t kind_out[AWS_NKIND];      /* attribution rows made per kind */
    double kind_unblended[AWS_NKIND]; /* Σ attributed unblended per kind */
    int64_t dropped[AWS_NDROP];       /* matched-but-dropped per reason */
    double dropped_unblended[AWS_NDROP];
    int64_t capacity_rate_zero; /* disks whose max rate is 0 (DEV-5) */
    int64_t output_rows;
};

/* The report: rows sorted in §6.4 order. */
struct aws_table {
    struct aws_row *rows;
    size_t count, cap;
    struct ocp_arena strings;
    struct ocp_arena *more; /* arenas taken over by aws_table_append_move */
    size_t nmore;
    /* Constant columns copied from the settings. */
    char *cluster_id, *cluster_alias, *source_uuid;
    int64_t report_period_id, bill_id;
    int has_bill_id;
};

void aws_table_init(struct aws_table *t);
void aws_table_release(struct aws_table *t);

/* The attribution of §3-§6: the merged partial p against the OCP summary
 * rows ocp of the same run (any order; rows outside the partial's run days
 * are ignored).  The match sets of §1.4 (NodeIds, Volumes, TagNodes,
 * TagNamespaces) are taken from the summary's pod and storage rows (see
 * docs/aws.md).  Fills out (initialised, empty) and c.  A source_uuid
 * that is not a UUID is OCP_ERR_CONFIG; OCP_ERR_OSERR out of memory;
 * malformed OCP label text is OCP_ERR_DATA. */
int aws_attribute(const struct aws_partial *p, const struct rpt_table *ocp,
                  const struct aws_settings *s, struct aws_table *out, struct aws_counters *c,
                  struct ocp_error *err);

/* Appends to t the rows of an OCP daily summary report in Parquet (a file
 * or a folder of files; the columns of SEMANTICS-AWS §1.4 by name: the
 * report ocpagg writes with output.format parquet), for running the AWS
 * step after an OCP run.  Missing optional columns read as NULL; a row
 * with a NULL usage_start or a data_source other than Pod/Storage is
 * OCP_ERR_DATA. */
int aws_ocp_read_parquet(const char *path, struct rpt_table *t, struct ocp_error *err);

/* Appends the columns of t's rows that the attribution reads (§1.4) to
 * out as bytes, so ranks can send their days' summary rows to the rank
 * that attributes.  OCP_OK or OCP_ERR_OSERR. */
int aws_ocp_encode(const struct rpt_table *t, struct rpt_buf *out);

/* Appends the rows of a buffer from aws_ocp_encode to t.  A truncated or
 * corrupt buffer is OCP_ERR_SOFTWARE, never a crash. */
int aws_ocp_decode(const unsigned char *data, size_t len, struct rpt_table *t,
                   struct ocp_error *err);

/* The attribution split by day, for attributing days on several threads
 * (the driver does; the core has no threads).  aws_prepare builds the
 * read-only part (match sets, OCP indexes, daily rows by day); then
 * aws_attribute_day may run for different days at once on one prepared
 * context, each call filling its own table (that day's rows, sorted) and
 * counters (without the read counts).  Appending the day tables in day
 * order (aws_table_append_move) and adding the counters in day order
 * (aws_counters_add) gives exactly what aws_attribute gives, which does
 * just that.  Errors as aws_attribute. */
struct aws_prepared;
int aws_prepare(const struct aws_partial *p, const struct rpt_table *ocp,
                const struct aws_settings *s, struct aws_prepared **out, struct ocp_error *err);

/* For attributing days on several ranks: each rank holds the summary rows
 * of its own days only, but matching (§3) reads the run-wide sets of §1.4
 * (NodeIds, PV names and CSI handles, TagNodes, TagNamespaces).
 * aws_match_encode appends those sets of t's rows of days
 * [day_first, day_last] to out (distinct members; small: ids, names);
 * aws_prepare_shared is aws_prepare with the members of match (one or
 * more such images, concatenated) added to the sets of ocp's own rows.
 * So every rank that prepares with every rank's image matches as one
 * rank holding all rows would.  OCP_ERR_OSERR out of memory; a corrupt
 * image is OCP_ERR_SOFTWARE. */
int aws_match_encode(const struct rpt_table *t, int32_t day_first, int32_t day_last,
                     struct rpt_buf *out);
int aws_prepare_shared(const struct aws_partial *p, const struct rpt_table *ocp,
                       const unsigned char *match, size_t match_len, const struct aws_settings *s,
                       struct aws_prepared **out, struct ocp_error *err);

/* The distinct days of the daily rows, ascending (owned by a). */
size_t aws_prepared_days(const struct aws_prepared *a, const int32_t **days);
int aws_attribute_day(const struct aws_prepared *a, size_t day_index, struct aws_table *out,
                      struct aws_counters *c, struct ocp_error *err);
void aws_prepared_free(struct aws_prepared *a);
/* dst += src (counts; the sums in call order). */
void aws_counters_add(struct aws_counters *dst, const struct aws_counters *src);
/* Moves src's rows (and the storage of their strings) to the end of dst;
 * src is left empty.  The constant columns come from the first table.
 * OCP_OK or OCP_ERR_OSERR (src unchanged). */
int aws_table_append_move(struct aws_table *dst, struct aws_table *src);

/* A day's report rows and counters as bytes (aws_block.c), for the rank
 * that writes: aws_block_encode appends c and t's rows to out, as the CSV
 * text of aws_csv_append when csv (no header), else as rows (OCP_OK or
 * OCP_ERR_OSERR).  aws_block_decode sets *c and, for a CSV block, points
 * *csv at its text (inside data; *csv_len bytes), else appends the rows
 * to t (strings in t's storage; the constant columns are not in the
 * block) and sets *csv to NULL.  Numbers travel as their bits.  A corrupt
 * block is OCP_ERR_SOFTWARE (t may then hold some of its rows). */
int aws_block_encode(const struct aws_table *t, const struct aws_counters *c, int csv,
                     struct rpt_buf *out);
int aws_block_decode(const unsigned char *data, size_t len, struct aws_table *t,
                     struct aws_counters *c, const char **csv, size_t *csv_len,
                     struct ocp_error *err);

/* The report's column names in output order (NULL-terminated). */
extern const char *const aws_column_names[];

/* Appends rows [from, to) of the table as CSV lines (after a header line
 * when header is non-zero) to out, in the form PostgreSQL's COPY ... (FORMAT
 * csv) reads: NULL is an empty unquoted field, every string is quoted
 * (so '' stays ''), numbers round-trip, NaN is NULL.  Without a header it
 * is the COPY data of the columns aws_column_names, in that order, which
 * the database output (pg.h, pg_aws_*) streams into Koku's table.
 * OCP_ERR_OSERR (out->len restored) when out of memory. */
int aws_encode_csv(const struct aws_table *t, size_t from, size_t to, int header,
                   struct rpt_buf *out, struct ocp_error *err);

/* Writes the table as CSV with a header (PostgreSQL COPY ... CSV HEADER:
 * NULL is an empty unquoted field, strings are quoted, numbers round-trip)
 * to path atomically (rpt_atomic_*). */
int aws_write_csv(const struct aws_table *t, const char *path, struct ocp_error *err);

/* Writes the table as one Parquet file at path (strings STRING, the days
 * DATE, numbers DOUBLE, ids INT64; SNAPPY), atomically. */
int aws_write_parquet(const struct aws_table *t, const char *path, struct ocp_error *err);

/* The same report written a table at a time (the job writes day by day
 * as the days arrive): aws_csv_append appends the header (when header)
 * and t's rows as the CSV text aws_write_csv writes (OCP_OK or
 * OCP_ERR_OSERR); aws_parquet_create starts the Parquet file (finished by
 * pq_writer_close or pq_writer_abort) and aws_parquet_append adds t's
 * rows.  Appending the day tables in day order gives the bytes of the
 * whole table written at once (CSV) or the same rows (Parquet). */
struct pq_writer;
int aws_csv_append(const struct aws_table *t, int header, struct rpt_buf *out);
int aws_parquet_create(const char *path, struct pq_writer **w, struct ocp_error *err);
int aws_parquet_append(struct pq_writer *w, const struct aws_table *t, struct ocp_error *err);

/* Appends the counters as one JSON object text (for the run summary). */
int aws_counters_json(const struct aws_counters *c, struct rpt_buf *out);

#ifdef __cplusplus
}
#endif
#endif
