/* edge_purge.c -- what registration and sessions leave behind is kept
 * no longer than it serves (security review L7): expired codes, code
 * requests and wrong codes past the longest limit window (a day), and
 * ended sessions of reporters and staff. Nothing else reads them. The
 * timer, on the edge's loop, asks the case owner for it (Purge), and to
 * run the erasures that are due and what the retention of closed cases
 * says (EraseCase SWEEP); both are intake_erasure.c's. */
#include <stdlib.h>

#include "edge.h"
#include "edge_call.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

struct edge_purge {
    edge_t *in;
    uv_timer_t timer;
    bool busy;
    bool sweeping; /* an erasure sweep is asked */
};

static void s_sweep(edge_purge_t *p);

/* Whether the owner's answer says `what` failed (logged, unless intake is
 * stopping); the timer tries again. */
static bool s_failed(const edge_purge_t *p, const char *what, int rc, const Pelukan__V1__CommandReply *reply)
{
    if (rc == 0 && reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK)
        return false;
    if (rc != PK_ECLOSED)
        pk_log_warn(p->in->log, "%s failed (%s), trying again later", what, rc ? pk_strerror(rc) : reply->error_code);
    return true;
}

static void s_swept(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_purge_t *p = arg;
    p->sweeping = false;
    if (!s_failed(p, "erasure sweep", rc, reply) && reply->erasure && reply->erasure->more)
        s_sweep(p); /* more are due: at once, not at the next tick */
}

/* Asks the case owner to run what is due, as intake's own timer. */
static void s_sweep(edge_purge_t *p)
{
    if (p->sweeping)
        return;
    p->sweeping = true;
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    Pelukan__V1__EraseCase sweep = PELUKAN__V1__ERASE_CASE__INIT;
    edge_cmd_system(&req, &actor, "erasure", NULL);
    sweep.step = PELUKAN__V1__ERASE_CASE__STEP__STEP_SWEEP;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_ERASE_CASE;
    req.erase_case = &sweep;
    pk_rpc_uv_call(p->in->owner, &req, 30000, 0, s_swept, p);
}

static void s_purged(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_purge_t *p = arg;
    p->busy = false;
    (void)s_failed(p, "purge of codes and sessions", rc, reply);
}

/* Asks the case owner to delete what is past its use, as intake's own
 * timer (Purge, intake_erasure.c). */
static void s_tick(uv_timer_t *t)
{
    edge_purge_t *p = t->data;
    s_sweep(p);
    if (p->busy)
        return;
    p->busy = true;
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    Pelukan__V1__Purge purge = PELUKAN__V1__PURGE__INIT;
    edge_cmd_system(&req, &actor, "purge", NULL);
    purge.keep_s = 86400 + 3600; /* the longest window a limit looks back over is a day */
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_PURGE;
    req.purge = &purge;
    pk_rpc_uv_call(p->in->owner, &req, 30000, 0, s_purged, p);
}

edge_purge_t *edge_purge_new(edge_t *in, int every_s)
{
    edge_purge_t *p = pk_calloc(1, sizeof *p);
    p->in = in;
    uv_timer_init(pk_service_loop(in->svc), &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, s_tick, 1000, (uint64_t)every_s * 1000u);
    return p;
}

void edge_purge_destroy(edge_purge_t **p_p)
{
    if (!p_p || !*p_p)
        return;
    edge_purge_t *p = *p_p;
    *p_p = NULL;
    pk_service_timer_end(&p->timer);
}
