/* intake_approach.c -- the reporter's view of the approaching companion,
 * one answer or a Server-Sent Events stream, and the admin's map of the
 * same. A stream gets each approach dispatch's answer to a batch of pings
 * carries (intake_approach_push, from intake_dispatch.c) and also asks
 * dispatch every S_POLL_MS, which covers pings taken by another instance
 * and the end of the visit. Every S_CHECK_MS the sessions the streams live
 * on are looked up again: an ended session's streams end within a second
 * (review M6). The reporter never learns more of the companion than a
 * first name, a badge and where they are while on the way. */
#include "intake_approach.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_dispatch.h"
#include "pelukan/util.h"

#define S_TIMEOUT_MS          1000
#define S_RETRIES             2
#define S_POLL_MS             2000
#define S_TICK_MS             500
#define S_STREAMS_MAX         1000
#define S_STREAMS_PER_SESSION 3   /* one reporter cannot take every stream (review M5) */
#define S_CHECK_MS            500 /* every tick: an ended session's streams end within a second (M6) */

typedef Pelukan__V1__CommandRequest s_req_t;
typedef Pelukan__V1__CommandReply s_reply_t;

typedef struct s_stream {
    struct s_stream *next;
    pk_http_stream_t *stream;
    char case_id[PK_ID_HEX_LEN + 1];
    char token_hash[65]; /* the session the stream lives on */
    uint64_t last_us;    /* monotonic: last approach sent */
    bool polling, dead, checked;
} s_stream_t;

struct intake_approach {
    intake_t *in;
    s_stream_t *streams;
    int nstreams;
    uv_timer_t timer;
    uint64_t last_check_us;
    bool checking;
    unsigned sessions_epoch; /* intake_t's, when the sessions were last checked */
    pk_metric_t *m_streams, *m_pushed;
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

static void s_approach_done(int rc, const s_reply_t *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "dispatch", rc, reply))
        return;
    intake_json(c->req, 200, s_approach_json(reply->approach));
    intake_call_free(c);
}

static void s_get_approach(intake_approach_t *ap, const char *case_id, const char *correlation, pk_rpc_uv_done_fn done,
                           void *arg)
{
    s_req_t req = PELUKAN__V1__COMMAND_REQUEST__INIT;
    Pelukan__V1__GetApproach ga = PELUKAN__V1__GET_APPROACH__INIT;
    req.case_id = (char *)case_id;
    req.correlation_id = (char *)(correlation ? correlation : "");
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_APPROACH;
    req.get_approach = &ga;
    pk_rpc_uv_call(ap->in->dispatch_rpc, &req, S_TIMEOUT_MS, S_RETRIES, done, arg);
}

static void s_stream_send(s_stream_t *s, const char *event, json_t *data)
{
    char *text = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(data);
    char *frame = pk_asprintf("event: %s\ndata: %s\n\n", event, text);
    free(text);
    if (!s->dead && pk_http_stream_send(s->stream, frame, strlen(frame)) != 0)
        s->dead = true;
    free(frame);
    s->last_us = pk_mono_us();
}

/* The visit is over for this stream: says why, then ends it. */
static void s_stream_over(s_stream_t *s, const char *reason)
{
    if (!s->dead)
        s_stream_send(s, "end", json_pack("{s:s}", "reason", reason));
    s->dead = true;
}

void intake_approach_push(intake_approach_t *ap, const Pelukan__V1__Approach *a)
{
    for (s_stream_t *s = ap->streams; s; s = s->next) {
        if (s->dead || strcmp(s->case_id, a->case_id) != 0)
            continue;
        s_stream_send(s, "approach", s_approach_json(a));
        pk_metric_add(ap->m_pushed, 1);
        if (strcmp(a->state, "en_route") != 0)
            s_stream_over(s, "arrived");
    }
}

static void s_stream_gone(pk_http_stream_t *stream, void *arg)
{
    (void)stream;
    ((s_stream_t *)arg)->dead = true;
}

static void s_reap(intake_approach_t *ap)
{
    for (s_stream_t **p = &ap->streams; *p;) {
        s_stream_t *s = *p;
        if ((s->dead || !pk_http_stream_alive(s->stream)) && !s->polling) {
            *p = s->next;
            pk_http_stream_end(&s->stream);
            free(s);
            ap->nstreams--;
        } else {
            p = &s->next;
        }
    }
    pk_metric_set(ap->m_streams, ap->nstreams);
}

static void s_polled(int rc, const s_reply_t *reply, void *arg)
{
    s_stream_t *s = arg;
    s->polling = false;
    if (rc == PK_ECLOSED || s->dead)
        return;
    if (rc != 0)
        return; /* dispatch silent: try at the next tick */
    if (reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK &&
        reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_APPROACH)
        s_stream_send(s, "approach", s_approach_json(reply->approach));
    else if (reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_GONE)
        s_stream_over(s, strcmp(reply->error_code, "arrived") == 0 ? "arrived" : "visit_over");
    else if (reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_NOT_FOUND)
        s_stream_over(s, "no_visit");
}

/* The sessions of the open streams that still hold: the others end. */
static void s_checked(pk_db_txn_t *txn, int status, void *arg)
{
    intake_approach_t *ap = arg;
    ap->checking = false;
    if (status != 0)
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    for (s_stream_t *s = ap->streams; s; s = s->next) {
        s->checked = false;
        for (int i = 0; i < PQntuples(r) && !s->checked; i++)
            s->checked = strcmp(s->token_hash, PQgetvalue(r, i, 0)) == 0;
        if (!s->checked && !s->dead)
            s_stream_over(s, "session_ended");
    }
    s_reap(ap);
}

static void s_check_sessions(intake_approach_t *ap)
{
    size_t n = 0;
    for (s_stream_t *s = ap->streams; s; s = s->next)
        n++;
    char **hashes = pk_calloc(n ? n : 1, sizeof *hashes);
    n = 0;
    for (s_stream_t *s = ap->streams; s; s = s->next)
        hashes[n++] = s->token_hash;
    char *list = pk_pg_text_array(hashes, n);
    const char *p[] = {list};
    ap->checking = true;
    pk_db_txn_t *txn = pk_db_txn_new(ap->in->db);
    pk_db_txn_add(txn,
                  "SELECT token_hash FROM session WHERE token_hash = ANY($1::text[]) AND expires_at > now()"
                  " AND idle_until > now()"
                  " UNION ALL SELECT x.token_hash FROM staff_session x JOIN staff s ON s.id = x.staff_id"
                  " WHERE x.token_hash = ANY($1::text[]) AND x.expires_at > now() AND NOT s.disabled",
                  1, p);
    pk_db_txn_submit(txn, s_checked, ap);
    free(list);
    free(hashes);
}

static void s_tick(uv_timer_t *t)
{
    intake_approach_t *ap = t->data;
    uint64_t now = pk_mono_us();
    if (ap->sessions_epoch != ap->in->sessions_epoch)
        ap->last_check_us = 0; /* a session may have ended: check now */
    if (ap->streams && !ap->checking && now - ap->last_check_us >= S_CHECK_MS * 1000u) {
        ap->sessions_epoch = ap->in->sessions_epoch;
        ap->last_check_us = now;
        s_check_sessions(ap);
    }
    for (s_stream_t *s = ap->streams; s; s = s->next) {
        if (s->dead || s->polling || now - s->last_us < (uint64_t)S_POLL_MS * 1000u)
            continue;
        s->polling = true;
        s_get_approach(ap, s->case_id, NULL, s_polled, s);
    }
    s_reap(ap);
}

static void s_stream_first(int rc, const s_reply_t *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "dispatch", rc, reply))
        return;
    intake_approach_t *ap = c->in->approach;
    char token_hash[65];
    intake_token_hash(pk_http_header(c->req, "authorization") + 7, token_hash);
    int mine = 0;
    for (s_stream_t *o = ap->streams; o; o = o->next)
        mine += !o->dead && strcmp(o->token_hash, token_hash) == 0;
    if (ap->nstreams >= S_STREAMS_MAX || mine >= S_STREAMS_PER_SESSION) {
        pk_http_add_header(c->req, "Retry-After", "30");
        intake_error(c->req, mine >= S_STREAMS_PER_SESSION ? 429 : 503, "too_many_streams",
                     "Terlalu banyak pemantauan aktif, coba lagi", NULL);
        intake_call_free(c);
        return;
    }
    s_stream_t *s = pk_calloc(1, sizeof *s);
    snprintf(s->token_hash, sizeof s->token_hash, "%s", token_hash);
    snprintf(s->case_id, sizeof s->case_id, "%s", c->case_id);
    s->stream = pk_http_stream_start(c->req, 200, "text/event-stream", s_stream_gone, s);
    c->req = NULL;
    intake_call_free(c);
    s->next = ap->streams;
    ap->streams = s;
    ap->nstreams++;
    pk_metric_set(ap->m_streams, ap->nstreams);
    s_stream_send(s, "approach", s_approach_json(reply->approach));
}

static void s_owned(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    if (PQntuples(pk_db_txn_result(txn, 0)) != 1) {
        intake_error(c->req, 404, "not_found", "Laporan tidak ditemukan", NULL);
        intake_call_free(c);
        return;
    }
    snprintf(c->case_id, sizeof c->case_id, "%s", PQgetvalue(pk_db_txn_result(txn, 0), 0, 0));
    bool stream = c->stream;
    s_get_approach(c->in->approach, c->case_id, pk_http_request_id(c->req), stream ? s_stream_first : s_approach_done,
                   c);
}

static void s_check_owner(intake_call_t *c)
{
    const char *p[] = {pk_http_param(c->req, 0), c->reporter_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "SELECT id FROM cases WHERE id = $1 AND reporter_id = $2", 2, p);
    pk_db_txn_submit(txn, s_owned, c);
}

/* The admin's map follows the same approach as the reporter sees it (the
 * companion's name, badge and position: nothing of the case's place). */
static void s_check_case(intake_call_t *c)
{
    const char *p[] = {pk_http_param(c->req, 0)};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "SELECT id FROM cases WHERE id = $1", 1, p);
    pk_db_txn_submit(txn, s_owned, c);
}

void intake_approach_staff_stream(intake_call_t *c)
{
    c->stream = true;
    s_check_case(c);
}

void intake_approach_report(pk_http_req_t *req, void *arg)
{
    intake_call_t *c = intake_call_new(arg, req);
    intake_authenticate(c, s_check_owner);
}

void intake_approach_report_stream(pk_http_req_t *req, void *arg)
{
    intake_call_t *c = intake_call_new(arg, req);
    c->stream = true;
    intake_authenticate(c, s_check_owner);
}

intake_approach_t *intake_approach_new(intake_t *in)
{
    intake_approach_t *ap = pk_calloc(1, sizeof *ap);
    ap->in = in;
    pk_metrics_t *m = pk_service_metrics(in->svc);
    ap->m_pushed = pk_metrics_counter(m, "pelukan_intake_approach_pushed_total", NULL,
                                      "approach updates pushed to reporters' streams");
    ap->m_streams = pk_metrics_gauge(m, "pelukan_intake_approach_streams", NULL, "reporters watching an approach");
    uv_timer_init(pk_service_loop(in->svc), &ap->timer);
    ap->timer.data = ap;
    uv_timer_start(&ap->timer, s_tick, S_TICK_MS, S_TICK_MS);
    return ap;
}

static void s_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void intake_approach_destroy(intake_approach_t **ap_p)
{
    if (!ap_p || !*ap_p)
        return;
    intake_approach_t *ap = *ap_p;
    *ap_p = NULL;
    for (s_stream_t *s = ap->streams, *next; s; s = next) {
        next = s->next;
        s_stream_over(s, "server_stopping");
        pk_http_stream_end(&s->stream);
        free(s);
    }
    uv_timer_stop(&ap->timer);
    uv_close((uv_handle_t *)&ap->timer, s_timer_closed);
}
