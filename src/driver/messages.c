/* messages.c - the lines the job prints for the user about how it ended:
 * a rank's own error, the closing figures of a good run, and rank 0's
 * verdict on a failed one.  Their wording is the job's interface (tests
 * and scripts read it), so it stays in one place apart from the phases. */
#include "driver/messages.h"

#include <stdio.h>
#include <string.h>

#include "driver/run.h"

void print_error(int rank, int nranks, const struct ocp_error *err)
{
    char line[2048];
    ocp_error_format(err, line, sizeof line);
    if (nranks > 1)
        fprintf(stderr, "ocpagg: rank %d: %s: %s\n", rank, ocp_status_name(err->code), line);
    else
        fprintf(stderr, "ocpagg: %s: %s\n", ocp_status_name(err->code), line);
}

void print_done(const struct run *r)
{
    const struct run_summary *s = &r->sum;
    int64_t peak = 0;
    int i;
    for (i = 0; i < r->nranks; i++)
        if (r->figures[i].peak_rss > peak)
            peak = r->figures[i].peak_rss;
    fprintf(stderr,
            "ocpagg: done in %.2f s: %lld input rows (%.2f M rows/s), "
            "%lld bad label rows, %lld report rows "
            "(%lld pod, %lld unallocated, %lld storage)\n"
            "ocpagg: phases: plan %.2f s, read+aggregate %.2f s, exchange %.2f s, "
            "finish+write %.2f s; peak RSS per rank %.1f MiB\n"
            "ocpagg: report: %s\nocpagg: summary: %s\n",
            s->t_total, (long long)r->plan.total_rows,
            s->t_total > 0 ? (double)r->plan.total_rows / s->t_total / 1e6 : 0.0,
            (long long)s->stats.bad_label_rows,
            (long long)(s->out_pod_rows + s->out_unallocated_rows + s->out_storage_rows),
            (long long)s->out_pod_rows, (long long)s->out_unallocated_rows,
            (long long)s->out_storage_rows, s->t_plan, s->t_read, s->t_reduce, s->t_finish,
            (double)peak / 1048576.0, r->cfg.output_path, r->cfg.summary_path);
}

/* Rank 0's last word on a failed job: which rank, which signal or error. */
void print_verdict(const struct run *r)
{
    const struct tp_verdict *v = &r->verdict;
    if (r->rank != 0 || v->code == OCP_OK)
        return;
    if (v->code == OCP_ERR_INTERRUPTED && v->signal != 0) {
        if (r->nranks > 1)
            fprintf(stderr,
                    "ocpagg: rank %d stopped by signal %d (%s) before the report "
                    "was written; no report left behind\n",
                    v->rank, v->signal, strsignal(v->signal));
        else
            fprintf(stderr,
                    "ocpagg: stopped by signal %d (%s) before the report was "
                    "written; no report left behind\n",
                    v->signal, strsignal(v->signal));
    } else if (r->nranks > 1 && v->rank != 0) {
        /* Rank 0's own failure was printed where it happened. */
        fprintf(stderr,
                "ocpagg: job stopped because rank %d failed (%s: %s); "
                "no report written\n",
                v->rank, ocp_status_name(v->code), v->text);
    }
}
