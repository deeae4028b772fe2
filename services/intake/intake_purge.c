/* intake_purge.c -- what registration and sessions leave behind is kept
 * no longer than it serves (security review L7): expired codes, code
 * requests and wrong codes past the longest limit window (a day), and
 * ended sessions of reporters and staff. Nothing else reads them. */
#include <stdlib.h>

#include "intake.h"
#include "intake_call.h"
#include "pelukan/util.h"

/* $1: how long requests and failures are kept, seconds. */
static const char *const S_PURGE_SQL[] = {
    "DELETE FROM otp WHERE expires_at < now()",
    "DELETE FROM otp_request WHERE at < now() - make_interval(secs => $1::int)",
    "DELETE FROM otp_failure WHERE at < now() - make_interval(secs => $1::int)",
    "DELETE FROM session WHERE expires_at < now() OR idle_until < now()",
    "DELETE FROM staff_session WHERE expires_at < now()",
};
#define S_NSQL (sizeof S_PURGE_SQL / sizeof S_PURGE_SQL[0])

struct intake_purge {
    intake_t *in;
    uv_timer_t timer;
    bool busy;
};

static void s_done(pk_db_txn_t *txn, int status, void *arg)
{
    intake_purge_t *p = arg;
    p->busy = false;
    if (status != 0) {
        pk_log_warn(p->in->log, "purge of codes and sessions failed: %s, trying again later", pk_strerror(status));
        return;
    }
    long n = 0;
    for (size_t i = 0; i < S_NSQL; i++)
        n += atol(PQcmdTuples((PGresult *)pk_db_txn_result(txn, (int)i)));
    if (n > 0)
        pk_log_info(p->in->log, "purge: %ld expired codes, requests, wrong codes and sessions deleted", n);
}

static void s_tick(uv_timer_t *t)
{
    intake_purge_t *p = t->data;
    intake_erasure_retention(p->in);
    intake_erasure_due(p->in);
    if (p->busy)
        return;
    p->busy = true;
    char keep[24];
    /* The longest window a limit looks back over is a day. */
    snprintf(keep, sizeof keep, "%d", 86400 + 3600);
    const char *params[] = {keep};
    pk_db_txn_t *txn = pk_db_txn_new(p->in->db);
    for (size_t i = 0; i < S_NSQL; i++)
        pk_db_txn_add(txn, S_PURGE_SQL[i], i == 1 || i == 2 ? 1 : 0, params);
    pk_db_txn_submit(txn, s_done, p);
}

intake_purge_t *intake_purge_new(intake_t *in, int every_s)
{
    intake_purge_t *p = pk_calloc(1, sizeof *p);
    p->in = in;
    uv_timer_init(pk_service_loop(in->svc), &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, s_tick, 1000, (uint64_t)every_s * 1000u);
    return p;
}

static void s_closed(uv_handle_t *h)
{
    free(h->data);
}

void intake_purge_destroy(intake_purge_t **p_p)
{
    if (!p_p || !*p_p)
        return;
    intake_purge_t *p = *p_p;
    *p_p = NULL;
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, s_closed);
}
