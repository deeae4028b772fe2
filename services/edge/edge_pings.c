/* edge_pings.c -- a companion's position every few seconds (POST
 * /v1/companion/location). Pings that arrive together travel to dispatch as
 * one RecordPositions command, and its answer carries the approaches they
 * moved, which go at once to the reporters' streams on this instance
 * (edge_approach_push). */
#include "edge_pings.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_approach.h"
#include "edge_call.h"
#include "edge_forward.h"
#include "pelukan/util.h"

#define S_BATCH_MAX 1000

typedef Pelukan__V1__CommandReply s_reply_t;

/* A ping waiting for its batch. */
typedef struct {
    edge_call_t *call;
    double lat, lon, acc;
    uint64_t at_us;
    char companion_id[PK_ID_HEX_LEN + 1];
} s_ping_t;

struct edge_pings {
    edge_t *in;
    s_ping_t *queue; /* pings for the next batch */
    size_t nqueue, capqueue;
    bool batch_in_flight;
    pk_metric_t *m_pings, *m_batches;
};

/* ---- POST /v1/companion/location: batched pings ------------------------------------ */

static void s_flush(edge_pings_t *dp);

typedef struct {
    edge_pings_t *dp;
    size_t n;
    s_ping_t pings[];
} s_batch_t;

static void s_batch_done(int rc, const s_reply_t *reply, void *arg)
{
    s_batch_t *b = arg;
    edge_pings_t *dp = b->dp;
    s_ping_t *batch = b->pings;
    size_t n = b->n;
    const Pelukan__V1__Approaches *ap =
        rc == 0 && reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_APPROACHES ? reply->approaches : NULL;
    for (size_t i = 0; i < n; i++) {
        edge_call_t *c = batch[i].call;
        bool unknown = false;
        for (size_t k = 0; ap && k < ap->n_unknown_companions && !unknown; k++)
            unknown = strcmp(ap->unknown_companions[k], batch[i].companion_id) == 0;
        if (rc != 0 || reply->status != PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK) {
            /* Each ping answers for itself: a copy of the reply per call. */
            if (rc == 0 && reply->status != PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK)
                pk_log_warn(dp->in->log, "dispatch refused a batch of %zu positions: %s", n, reply->error_code);
            intake_error(c->req, 503, "dispatch_unavailable", "Layanan pendampingan sedang tidak tersedia, coba lagi",
                         NULL);
        } else if (unknown) {
            intake_error(c->req, 409, "companion_not_registered", intake_cmd_message("companion_not_registered"), NULL);
        } else {
            pk_http_respond(c->req, 204, "application/json", "", 0);
        }
        edge_call_free(c);
    }
    for (size_t k = 0; ap && k < ap->n_items; k++)
        edge_approach_push(dp->in->approach, ap->items[k]);
    sodium_memzero(b, sizeof *b + sizeof *batch * n);
    free(b);
    dp->batch_in_flight = false;
    s_flush(dp);
}

static void s_flush(edge_pings_t *dp)
{
    if (dp->batch_in_flight || dp->nqueue == 0 || !dp->in->dispatch_rpc)
        return;
    size_t n = dp->nqueue < S_BATCH_MAX ? dp->nqueue : S_BATCH_MAX;
    Pelukan__V1__Position *pos = pk_calloc(n, sizeof *pos);
    Pelukan__V1__Position **ptrs = pk_calloc(n, sizeof *ptrs);
    s_batch_t *b = pk_calloc(1, sizeof *b + n * sizeof(s_ping_t));
    b->dp = dp;
    b->n = n;
    s_ping_t *batch = b->pings;
    for (size_t i = 0; i < n; i++) {
        batch[i] = dp->queue[i];
        pelukan__v1__position__init(&pos[i]);
        pos[i].companion_id = batch[i].companion_id;
        pos[i].lat = batch[i].lat;
        pos[i].lon = batch[i].lon;
        pos[i].accuracy_m = (float)batch[i].acc;
        pos[i].at_us = batch[i].at_us;
        ptrs[i] = &pos[i];
    }
    memmove(dp->queue, dp->queue + n, (dp->nqueue - n) * sizeof *dp->queue);
    dp->nqueue -= n;
    Pelukan__V1__CommandRequest req = PELUKAN__V1__COMMAND_REQUEST__INIT;
    Pelukan__V1__RecordPositions rp = PELUKAN__V1__RECORD_POSITIONS__INIT;
    rp.positions = ptrs;
    rp.n_positions = n;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_RECORD_POSITIONS;
    req.record_positions = &rp;
    req.case_id = "";
    dp->batch_in_flight = true;
    pk_metric_add(dp->m_batches, 1);
    pk_rpc_uv_call(dp->in->dispatch_rpc, &req, INTAKE_OWNER_TIMEOUT_MS, 1, s_batch_done, b);
    sodium_memzero(pos, n * sizeof *pos);
    free(pos);
    free(ptrs);
}

void edge_pings_take(edge_call_t *c)
{
    static const char *const keys[] = {"lat", "lon", "accuracy_m", NULL};
    json_t *errors = intake_strict_body(c, keys);
    if (!errors)
        return;
    json_t *lat = json_object_get(c->body, "lat"), *lon = json_object_get(c->body, "lon"),
           *acc = json_object_get(c->body, "accuracy_m");
    double la = json_number_value(lat), lo = json_number_value(lon), ac = acc ? json_number_value(acc) : 0;
    if (!json_is_number(lat) || !isfinite(la) || la < -90 || la > 90)
        json_object_set_new(errors, "lat", json_string("lintang -90 sampai 90"));
    if (!json_is_number(lon) || !isfinite(lo) || lo < -180 || lo > 180)
        json_object_set_new(errors, "lon", json_string("bujur -180 sampai 180"));
    if (json_is_number(lat) && json_is_number(lon) && la == 0 && lo == 0)
        json_object_set_new(errors, "lat", json_string("posisi 0,0: GPS belum mendapat sinyal"));
    if (acc && (!json_is_number(acc) || !isfinite(ac) || ac < 0 || ac > 100000))
        json_object_set_new(errors, "accuracy_m", json_string("meter, 0 sampai 100000"));
    if (intake_invalid(c, errors, "Posisi tidak valid"))
        return;
    edge_pings_t *dp = c->in->pings;
    if (dp->nqueue == dp->capqueue) {
        dp->capqueue = dp->capqueue ? dp->capqueue * 2 : 256;
        dp->queue = pk_realloc(dp->queue, dp->capqueue * sizeof *dp->queue);
    }
    s_ping_t *p = &dp->queue[dp->nqueue++];
    memset(p, 0, sizeof *p);
    p->call = c;
    p->lat = la;
    p->lon = lo;
    p->acc = ac;
    p->at_us = pk_now_us();
    snprintf(p->companion_id, sizeof p->companion_id, "%s", c->staff_id);
    pk_metric_add(dp->m_pings, 1);
    s_flush(dp);
}

/* ---- life -------------------------------------------------------------------------------- */

edge_pings_t *edge_pings_new(edge_t *in)
{
    edge_pings_t *dp = pk_calloc(1, sizeof *dp);
    dp->in = in;
    pk_metrics_t *m = pk_service_metrics(in->svc);
    dp->m_pings = pk_metrics_counter(m, "pelukan_intake_positions_total", NULL, "companion pings taken");
    dp->m_batches = pk_metrics_counter(m, "pelukan_intake_position_batches_total", NULL,
                                       "RecordPositions commands sent to dispatch");
    return dp;
}

void edge_pings_destroy(edge_pings_t **dp_p)
{
    if (!dp_p || !*dp_p)
        return;
    edge_pings_t *dp = *dp_p;
    *dp_p = NULL;
    /* Pings waiting end with 503 (calls in flight ended when intake closed
     * its client to dispatch, before this). */
    for (size_t i = 0; i < dp->nqueue; i++) {
        intake_error(dp->queue[i].call->req, 503, "dispatch_unavailable", "Layanan sedang berhenti, coba lagi", NULL);
        edge_call_free(dp->queue[i].call);
    }
    free(dp->queue);
    free(dp);
}
