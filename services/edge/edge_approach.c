/* edge_approach.c -- the reporter's view of the approaching companion, one
 * answer or a Server-Sent Events stream, and the admin's map of the same.
 * A stream gets each approach that dispatch's answer to a batch of pings
 * carries (edge_approach_push, from edge_pings.c) and also asks
 * dispatch every S_POLL_MS, which covers pings taken by another instance
 * and the end of the visit. The streams are the registry's (edge_streams.c):
 * their limits, their sessions. The reporter never learns more of the
 * companion than a first name, a badge and where they are while on the
 * way; a reporter's case is hers (the case owner says so with her
 * session, intake_authenticate_hers). */
#include "edge_approach.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_call.h"
#include "edge_forward.h"
#include "edge_session.h"
#include "pelukan/util.h"

#define S_POLL_MS 2000
#define S_TICK_MS 500

typedef Pelukan__V1__CommandReply s_reply_t;

struct edge_approach {
    edge_t *in;
    edge_streams_t *streams;
    uv_timer_t timer;
    pk_metric_t *m_pushed;
};

/* What the reporter may see: a first name, a badge, where the companion is
 * and how far; never the companion's id or track, nor a position near a
 * place the companion visited before. */
static json_t *s_approach_json(const Pelukan__V1__Approach *a)
{
    json_t *j = json_pack("{s:s, s:{s:s, s:s}}", "state", a->state, "companion", "first_name", a->first_name, "badge",
                          a->badge);
    if (a->position_known) {
        json_object_set_new(j, "position", json_pack("{s:f, s:f}", "lat", a->companion->lat, "lon", a->companion->lon));
        json_object_set_new(j, "position_at_us", json_integer((json_int_t)a->position_at_us));
        json_object_set_new(j, "distance_m", json_integer((json_int_t)llround(a->distance_m)));
        json_object_set_new(j, "eta_minutes", json_integer(a->eta_minutes));
    } else {
        /* Withheld near a place visited earlier (dispatch, N2): the
         * distance in 500 m steps and the ETA only. */
        json_object_set_new(j, "position", json_null());
        if (a->distance_m > 0) {
            json_object_set_new(j, "distance_m", json_integer((json_int_t)llround(a->distance_m)));
            json_object_set_new(j, "eta_minutes", json_integer(a->eta_minutes));
        }
    }
    return j;
}

static void s_get_approach(edge_t *in, const char *case_id, const char *correlation, pk_rpc_uv_done_fn done, void *arg)
{
    Pelukan__V1__CommandRequest req = PELUKAN__V1__COMMAND_REQUEST__INIT;
    Pelukan__V1__GetApproach ga = PELUKAN__V1__GET_APPROACH__INIT;
    req.case_id = (char *)case_id;
    req.correlation_id = (char *)(correlation ? correlation : "");
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_APPROACH;
    req.get_approach = &ga;
    pk_rpc_uv_call(in->dispatch_rpc, &req, INTAKE_OWNER_TIMEOUT_MS, INTAKE_OWNER_RETRIES, done, arg);
}

void edge_approach_push(edge_approach_t *ap, const Pelukan__V1__Approach *a)
{
    for (edge_stream_t *s = edge_streams_first(ap->streams); s; s = s->next) {
        if (s->kind != EDGE_STREAM_APPROACH || s->dead || strcmp(s->case_id, a->case_id) != 0)
            continue;
        edge_stream_event(s, "approach", s_approach_json(a));
        pk_metric_add(ap->m_pushed, 1);
        if (strcmp(a->state, "en_route") != 0)
            edge_stream_end(s, "arrived");
    }
}

static void s_polled(int rc, const s_reply_t *reply, void *arg)
{
    edge_stream_t *s = arg;
    s->busy = false;
    if (rc != 0 || s->dead)
        return; /* closing, gone, or dispatch silent: try at the next tick */
    if (reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK &&
        reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_APPROACH)
        edge_stream_event(s, "approach", s_approach_json(reply->approach));
    else if (reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_GONE)
        edge_stream_end(s, strcmp(reply->error_code, "arrived") == 0 ? "arrived" : "visit_over");
    else if (reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_NOT_FOUND)
        edge_stream_end(s, "no_visit");
}

static void s_tick(uv_timer_t *t)
{
    edge_approach_t *ap = t->data;
    uint64_t now = pk_mono_us();
    for (edge_stream_t *s = edge_streams_first(ap->streams); s; s = s->next) {
        if (s->kind != EDGE_STREAM_APPROACH || s->dead || s->busy || now - s->last_us < (uint64_t)S_POLL_MS * 1000u)
            continue;
        s->busy = true;
        s_get_approach(ap->in, s->case_id, NULL, s_polled, s);
    }
}

static void s_answered(int rc, const s_reply_t *reply, void *arg)
{
    edge_call_t *c = arg;
    if (intake_cmd_failed(c, "dispatch", rc, reply))
        return;
    intake_json(c->req, 200, s_approach_json(reply->approach));
    edge_call_free(c);
}

static void s_stream_first(int rc, const s_reply_t *reply, void *arg)
{
    edge_call_t *c = arg;
    if (intake_cmd_failed(c, "dispatch", rc, reply))
        return;
    edge_stream_t *s = edge_stream_open(c->in->streams, c, EDGE_STREAM_APPROACH);
    if (s)
        edge_stream_event(s, "approach", s_approach_json(reply->approach));
}

/* Asked as a stream (the routes ".../companion/stream") or once. */
static void s_ask_dispatch(edge_call_t *c)
{
    const char *path = pk_http_path(c->req);
    size_t n = strlen(path);
    bool stream = n > 7 && strcmp(path + n - 7, "/stream") == 0;
    s_get_approach(c->in, c->case_id, pk_http_request_id(c->req), stream ? s_stream_first : s_answered, c);
}

/* The admin's map follows the same approach as the reporter sees it (the
 * companion's name, badge and position: nothing of the case's place);
 * dispatch answers 404 for a case without a visit. */
void edge_approach_staff_stream(edge_call_t *c)
{
    snprintf(c->case_id, sizeof c->case_id, "%s", pk_http_param(c->req, 0));
    s_ask_dispatch(c);
}

/* Her own case only (her session's check answers 404 for any other), then
 * dispatch: one question to the owner, one to dispatch. */
void edge_approach_report(pk_http_req_t *req, void *arg)
{
    edge_call_t *c = edge_call_new(arg, req);
    snprintf(c->case_id, sizeof c->case_id, "%s", pk_http_param(req, 0));
    intake_authenticate_hers(c, s_ask_dispatch);
}

edge_approach_t *edge_approach_new(edge_t *in, edge_streams_t *streams)
{
    edge_approach_t *ap = pk_calloc(1, sizeof *ap);
    ap->in = in;
    ap->streams = streams;
    ap->m_pushed = pk_metrics_counter(pk_service_metrics(in->svc), "pelukan_intake_approach_pushed_total", NULL,
                                      "approach updates pushed to reporters' streams");
    uv_timer_init(pk_service_loop(in->svc), &ap->timer);
    ap->timer.data = ap;
    uv_timer_start(&ap->timer, s_tick, S_TICK_MS, S_TICK_MS);
    return ap;
}

void edge_approach_destroy(edge_approach_t **ap_p)
{
    if (!ap_p || !*ap_p)
        return;
    edge_approach_t *ap = *ap_p;
    *ap_p = NULL;
    pk_service_timer_end(&ap->timer);
}
