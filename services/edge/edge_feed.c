/* edge_feed.c -- GET /v1/staff/events: the case timeline as it grows, as
 * Server-Sent Events, to each staff member only what their role may see
 * (admins and supervisors everything, a companion her cases while her visit
 * lasts, an agency user the cases it accepted, from the time its referral
 * was made), resumable with Last-Event-ID.
 *
 * While a feed stream is open, the feed asks the case owner for the entries
 * after the lowest cursor (ReadFeed, intake_feed.c: it numbers what
 * committed since, so every instance hands out one order) and hands each
 * stream its part. It asks as soon as the owner answers a command of this
 * edge's that wrote to a case (edge_feed_kick: a report, a desk step, an
 * opening, a resumed stream): one ReadFeed at a time and at most one each
 * S_KICK_GAP_MS (each numbers in a commit of its own, which waits for the
 * disk: a burst of reports shares one), the kicks meanwhile taken as one;
 * and every PELUKAN_INTAKE_FEED_TICK_MS besides, for what the edge does not
 * cause itself (the owner's clock, other services' events applied to a
 * case). Entries carry codes, states and staff ids; never personal data.
 * The streams are the registry's (edge_streams.c): their limits, their
 * sessions. */
#include "edge_feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../intake/intake_case.h"
#include "edge_call.h"
#include "pelukan/util.h"

#define S_KICK_GAP_MS 20
#define S_PING_MS 15000

struct edge_feed {
    edge_t *in;
    edge_streams_t *streams;
    uv_timer_t timer;
    bool busy;   /* a ReadFeed in flight */
    bool kicked; /* ask at the timer's next turn whatever the tick (or, while busy, at the answer) */
    uint64_t last_ping_us;
    uint64_t last_ask_us;
};

static bool s_sees(const edge_stream_t *s, const Pelukan__V1__Feed__Entry *e)
{
    if (s->role_bit & (INTAKE_ADMIN | INTAKE_SUPERVISOR))
        return true;
    if (s->role_bit == INTAKE_COMPANION)
        return e->companion_id[0] && strcmp(e->companion_id, s->account) == 0;
    if (s->role_bit == INTAKE_AGENCY && s->agency[0])
        for (size_t i = 0; i < e->n_agencies; i++)
            if (strcmp(e->agencies[i], s->agency) == 0)
                return true;
    return false;
}

static char *s_frame(const Pelukan__V1__Feed__Entry *e)
{
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s, s:s?, s:s}", "seq", (json_int_t)e->seq, "case_id", e->case_id,
                  "kind", e->kind, "state", e->state, "reason_code", e->reason_code[0] ? e->reason_code : NULL,
                  "actor_kind", e->actor_kind, "actor_id", e->actor_id[0] ? e->actor_id : NULL, "at", e->at);
    char *data = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    char *frame = pk_asprintf("id: %lld\nevent: case\ndata: %s\n\n", (long long)e->seq, data);
    free(data);
    return frame;
}

static void s_read(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_feed_t *feed = arg;
    feed->busy = false;
    if (feed->kicked) /* kicked meanwhile */
        edge_feed_kick(feed);
    if (rc != 0 || reply->status != PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK || !reply->feed)
        return; /* next tick */
    for (size_t i = 0; i < reply->feed->n_entries; i++) {
        const Pelukan__V1__Feed__Entry *e = reply->feed->entries[i];
        char *frame = s_frame(e);
        size_t len = strlen(frame);
        for (edge_stream_t *s = edge_streams_first(feed->streams); s; s = s->next) {
            if (s->kind != EDGE_STREAM_FEED || e->seq <= s->cursor)
                continue;
            if (s_sees(s, e))
                edge_stream_send(s, frame, len);
            s->cursor = e->seq;
        }
        free(frame);
    }
    edge_streams_reap(feed->streams);
}

/* ReadFeed, as the edge's streams (`after` < 0: the head only). */
static void s_ask(edge_t *in, long long after, const char *correlation, pk_rpc_uv_done_fn done, void *arg)
{
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    Pelukan__V1__ReadFeed rf = PELUKAN__V1__READ_FEED__INIT;
    edge_cmd_system(&req, &actor, "streams", correlation);
    rf.after = after;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_READ_FEED;
    req.read_feed = &rf;
    pk_rpc_uv_call(in->owner, &req, 2000, 1, done, arg);
}

static void s_tick(uv_timer_t *t)
{
    edge_feed_t *feed = t->data;
    long long from = -1;
    for (edge_stream_t *s = edge_streams_first(feed->streams); s; s = s->next)
        if (s->kind == EDGE_STREAM_FEED && !s->dead && (from < 0 || s->cursor < from))
            from = s->cursor;
    if (from < 0 || feed->busy)
        return;
    uint64_t now = pk_mono_us();
    if (now - feed->last_ping_us >= S_PING_MS * 1000u) {
        feed->last_ping_us = now;
        for (edge_stream_t *s = edge_streams_first(feed->streams); s; s = s->next)
            if (s->kind == EDGE_STREAM_FEED)
                edge_stream_send(s, ": ping\n\n", 8);
    }
    bool due = feed->kicked || now - feed->last_ask_us >= (uint64_t)feed->in->feed_tick_ms * 1000u - 1000u;
    if (!due) /* a tick longer than the keep-alive's: this turn only pinged */
        return;
    feed->kicked = false;
    feed->busy = true;
    feed->last_ask_us = now;
    s_ask(feed->in, from, NULL, s_read, feed);
}

/* The timer's period: the tick, or the keep-alive's when that is shorter. */
static uint64_t s_period(const edge_feed_t *feed)
{
    return feed->in->feed_tick_ms < S_PING_MS ? (uint64_t)feed->in->feed_tick_ms : S_PING_MS;
}

void edge_feed_kick(edge_feed_t *feed)
{
    if (!feed)
        return;
    feed->kicked = true;
    if (feed->busy)
        return; /* its answer asks again */
    uint64_t next = feed->last_ask_us + S_KICK_GAP_MS * 1000u, now = pk_mono_us();
    uv_timer_start(&feed->timer, s_tick, next > now ? (next - now + 999) / 1000 : 0, s_period(feed));
}

edge_feed_t *edge_feed_new(edge_t *in, edge_streams_t *streams)
{
    edge_feed_t *feed = pk_calloc(1, sizeof *feed);
    feed->in = in;
    feed->streams = streams;
    uv_timer_init(pk_service_loop(in->svc), &feed->timer);
    feed->timer.data = feed;
    uv_timer_start(&feed->timer, s_tick, s_period(feed), s_period(feed));
    return feed;
}

void edge_feed_destroy(edge_feed_t **feed_p)
{
    if (!feed_p || !*feed_p)
        return;
    edge_feed_t *feed = *feed_p;
    *feed_p = NULL;
    pk_service_timer_end(&feed->timer);
}

/* ---- GET /v1/staff/events ------------------------------------------------------ */

static void s_opened(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    const char *last = pk_http_header(c->req, "last-event-id");
    long long head = reply->feed ? reply->feed->head : 0, cursor = last ? atoll(last) : head;
    edge_feed_t *feed = c->in->feed;
    edge_stream_t *s = edge_stream_open(c->in->streams, c, EDGE_STREAM_FEED); /* takes the call */
    if (!s)
        return;
    s->cursor = cursor < 0 || cursor > head ? head : cursor;
    if (s->cursor < head)
        edge_feed_kick(feed); /* resumed: what it missed, now */
}

void edge_feed_open(edge_call_t *c)
{
    const char *last = pk_http_header(c->req, "last-event-id");
    if (last && (!*last || strlen(last) > 18 || strspn(last, "0123456789") != strlen(last))) {
        intake_error(c->req, 400, "bad_last_event_id", "Last-Event-ID harus berupa angka", NULL);
        edge_call_free(c);
        return;
    }
    s_ask(c->in, -1, pk_http_request_id(c->req), s_opened, c);
}
