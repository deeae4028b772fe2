/* edge_streams.c -- the edge's live streams, one registry (edge_streams.h). */
#include "edge_streams.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_call.h"
#include "edge_push.h"
#include "pelukan/util.h"

#define S_TICK_MS  200
#define S_CHECK_MS 800 /* with the tick: an ended session's streams end within a second */

struct edge_streams {
    edge_t *in;
    edge_stream_t *streams;
    int count[EDGE_STREAM_KINDS];
    uv_timer_t timer;
    uint64_t last_check_us;
    bool checking;
    unsigned sessions_epoch; /* edge_t's, when the sessions were last checked */
    pk_metric_t *m_open[EDGE_STREAM_KINDS];
};

static const char *const s_gauges[EDGE_STREAM_KINDS][2] = {
    {"pelukan_intake_event_streams", "staff event streams open"},
    {"pelukan_intake_approach_streams", "streams of a companion's approach open"},
};

void edge_stream_send(edge_stream_t *s, const char *frame, size_t len)
{
    if (!s->dead && pk_http_stream_send(s->http, frame, len) != 0)
        s->dead = true; /* gone, or too slow to keep up */
    s->last_us = pk_mono_us();
}

void edge_stream_event(edge_stream_t *s, const char *event, json_t *data)
{
    char *text = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(data);
    char *frame = pk_asprintf("event: %s\ndata: %s\n\n", event, text);
    free(text);
    edge_stream_send(s, frame, strlen(frame));
    free(frame);
}

void edge_stream_end(edge_stream_t *s, const char *reason)
{
    if (!s->dead) {
        edge_stream_event(s, "end", json_pack("{s:s}", "reason", reason));
        pk_log_write(s->log, PK_LOG_INFO, s->request_id, "%s stream%s%s ended: %s",
                     s->kind == EDGE_STREAM_APPROACH ? "approach" : "feed", s->case_id[0] ? " of case " : "",
                     s->case_id, reason);
    }
    s->dead = true;
}

static void s_gone(pk_http_stream_t *http, void *arg)
{
    (void)http;
    ((edge_stream_t *)arg)->dead = true;
}

void edge_streams_reap(edge_streams_t *reg)
{
    for (edge_stream_t **p = &reg->streams; *p;) {
        edge_stream_t *s = *p;
        if ((s->dead || !pk_http_stream_alive(s->http)) && !s->busy) {
            *p = s->next;
            pk_http_stream_end(&s->http);
            reg->count[s->kind]--;
            free(s);
        } else {
            p = &s->next;
        }
    }
    for (int k = 0; k < EDGE_STREAM_KINDS; k++)
        pk_metric_set(reg->m_open[k], reg->count[k]);
}

edge_stream_t *edge_streams_first(edge_streams_t *reg)
{
    return reg->streams;
}

/* ---- the sessions the streams live on ---------------------------------------- */

static void s_checked(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_streams_t *reg = arg;
    reg->checking = false;
    if (rc != 0 || reply->status != PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK || !reply->sessions)
        return; /* next time */
    /* Only the streams the check named are judged by its answer: one opened
     * while it was under way is not in it (it once ended as "session_ended",
     * and the reporter was told the visit was over while her companion was
     * on the way). */
    for (edge_stream_t *s = reg->streams; s; s = s->next) {
        if (!s->asked)
            continue;
        s->asked = false;
        s->checked = false;
        for (size_t i = 0; i < reply->sessions->n_items && !s->checked; i++) {
            const Pelukan__V1__Sessions__Session *x = reply->sessions->items[i];
            if (strcmp(s->token_hash, x->token_hash) != 0)
                continue;
            s->checked = true;
            if (s->role_bit) {
                s->role_bit = intake_role_bit(x->role);
                snprintf(s->agency, sizeof s->agency, "%s", x->agency_code);
            }
        }
        if (!s->checked)
            edge_stream_end(s, "session_ended");
    }
    edge_streams_reap(reg);
}

static void s_check_sessions(edge_streams_t *reg)
{
    size_t n = 0;
    for (edge_stream_t *s = reg->streams; s; s = s->next)
        n++;
    char **hashes = pk_calloc(n ? n : 1, sizeof *hashes);
    n = 0;
    for (edge_stream_t *s = reg->streams; s; s = s->next) {
        hashes[n++] = s->token_hash;
        s->asked = true;
    }
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    Pelukan__V1__CheckSessions cs = PELUKAN__V1__CHECK_SESSIONS__INIT;
    edge_cmd_system(&req, &actor, "streams", NULL);
    cs.token_hashes = hashes;
    cs.n_token_hashes = n;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_CHECK_SESSIONS;
    req.check_sessions = &cs;
    reg->checking = true;
    pk_rpc_uv_call(reg->in->owner, &req, 2000, 1, s_checked, reg);
    free(hashes);
}

static void s_tick(uv_timer_t *t)
{
    edge_streams_t *reg = t->data;
    uint64_t now = pk_mono_us();
    if (reg->sessions_epoch != reg->in->sessions_epoch)
        reg->last_check_us = 0; /* a session may have ended: check now */
    if (reg->streams && !reg->checking && now - reg->last_check_us >= S_CHECK_MS * 1000u) {
        reg->sessions_epoch = reg->in->sessions_epoch;
        reg->last_check_us = now;
        s_check_sessions(reg);
    }
    edge_streams_reap(reg);
}

/* ---- opening ------------------------------------------------------------------ */

edge_stream_t *edge_stream_open(edge_streams_t *reg, edge_call_t *c, edge_stream_kind_t kind)
{
    const edge_t *in = reg->in;
    const char *account = c->reporter_id[0] ? c->reporter_id : c->staff_id;
    char token_hash[65];
    intake_token_hash(pk_http_header(c->req, "authorization") + 7, token_hash);
    int by_session = 0, by_account = 0, all = 0;
    for (const edge_stream_t *o = reg->streams; o; o = o->next) {
        by_session += !o->dead && strcmp(o->token_hash, token_hash) == 0;
        by_account += !o->dead && strcmp(o->account, account) == 0;
        all += !o->dead;
    }
    if (by_session >= in->streams_per_session || by_account >= in->streams_per_account || all >= in->streams_max) {
        pk_metric_add(in->m_rejected, 1);
        pk_http_add_header(c->req, "Retry-After", "30");
        intake_error(c->req, 429, "too_many_streams", "Terlalu banyak tampilan langsung yang terbuka; tutup yang lain",
                     NULL);
        edge_call_free(c);
        return NULL;
    }
    edge_stream_t *s = pk_calloc(1, sizeof *s);
    s->kind = kind;
    s->log = in->log;
    snprintf(s->request_id, sizeof s->request_id, "%s", pk_http_request_id(c->req));
    snprintf(s->token_hash, sizeof s->token_hash, "%s", token_hash);
    snprintf(s->account, sizeof s->account, "%s", account);
    s->role_bit = c->reporter_id[0] ? 0 : c->role_bit;
    snprintf(s->agency, sizeof s->agency, "%s", c->staff_agency);
    snprintf(s->case_id, sizeof s->case_id, "%s", c->case_id);
    s->http = pk_http_stream_start(c->req, 200, "text/event-stream", s_gone, s);
    c->req = NULL; /* the stream has it */
    edge_call_free(c);
    /* Clients reconnect after 3 s if the connection drops. */
    edge_stream_send(s, "retry: 3000\n\n", 13);
    s->next = reg->streams;
    reg->streams = s;
    reg->count[kind]++;
    pk_metric_set(reg->m_open[kind], reg->count[kind]);
    return s;
}

edge_streams_t *edge_streams_new(edge_t *in)
{
    edge_streams_t *reg = pk_calloc(1, sizeof *reg);
    reg->in = in;
    for (int k = 0; k < EDGE_STREAM_KINDS; k++)
        reg->m_open[k] = pk_metrics_gauge(pk_service_metrics(in->svc), s_gauges[k][0], NULL, s_gauges[k][1]);
    uv_timer_init(pk_service_loop(in->svc), &reg->timer);
    reg->timer.data = reg;
    uv_timer_start(&reg->timer, s_tick, S_TICK_MS, S_TICK_MS);
    return reg;
}

void edge_streams_destroy(edge_streams_t **reg_p)
{
    if (!reg_p || !*reg_p)
        return;
    edge_streams_t *reg = *reg_p;
    *reg_p = NULL;
    for (edge_stream_t *s = reg->streams; s; s = s->next) {
        edge_stream_end(s, "server_stopping");
        s->busy = false; /* the producers are gone */
    }
    edge_streams_reap(reg);
    pk_service_timer_end(&reg->timer);
}
