/* intake_events.c -- GET /v1/staff/events: the case timeline as it grows,
 * as Server-Sent Events, to each staff member only what their role may
 * see (admins and supervisors everything, a companion their cases, an
 * agency user the cases referred to it), resumable with Last-Event-ID.
 *
 * A timer numbers new timeline entries (feed_seq, dense, in one statement
 * under an advisory lock, after they committed), then reads what follows
 * the lowest cursor of the open streams and hands each its part. Entries
 * carry codes, states and staff ids; never personal data.
 *
 * A stream lasts as long as the access it was opened with (security review
 * M1, M2, M5): every second the sessions of the open streams are looked up
 * again, and a stream whose session ended (logout, expiry, password change,
 * a disabled account) ends; its role and agency are the account's as they
 * are now. An agency sees only entries of cases it accepted, from the time
 * its referral was made. Streams are capped per session, per account and
 * overall. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_call.h"
#include "intake_case.h"
#include "intake_staff.h"
#include "pelukan/util.h"

#define S_TICK_MS   200
#define S_PING_MS   15000
#define S_READ_MAX  1000
#define S_CHECK_MS  800 /* with the 200 ms tick: within a second */

typedef struct s_client {
    struct s_client *next;
    intake_events_t *owner;
    pk_http_stream_t *stream;
    unsigned role_bit;
    char staff_id[PK_ID_HEX_LEN + 1];
    char agency[32];
    char token_hash[65]; /* the session the stream lives on */
    bool checked;        /* found by the last session check */
    long long cursor;    /* last feed_seq handed to this client (seen or not) */
    bool dead;
} s_client_t;

struct intake_events {
    intake_t *in;
    uv_timer_t timer;
    s_client_t *clients;
    bool busy;
    uint64_t last_ping_us;
    uint64_t last_check_us;
    bool checking;
    unsigned sessions_epoch; /* intake_t's, when the sessions were last checked */
    int nclients;
    pk_metric_t *m_clients;
};

static void s_client_gone(pk_http_stream_t *stream, void *arg)
{
    (void)stream;
    ((s_client_t *)arg)->dead = true;
}

/* Ends and forgets the clients that left or fell too far behind. */
static void s_reap(intake_events_t *ev)
{
    for (s_client_t **p = &ev->clients; *p;) {
        s_client_t *c = *p;
        if (c->dead || !pk_http_stream_alive(c->stream)) {
            *p = c->next;
            pk_http_stream_end(&c->stream);
            free(c);
            ev->nclients--;
        } else {
            p = &c->next;
        }
    }
    pk_metric_set(ev->m_clients, ev->nclients);
}

static void s_send(s_client_t *c, const char *text, size_t len)
{
    if (!c->dead && pk_http_stream_send(c->stream, text, len) != 0)
        c->dead = true; /* gone, or too slow to keep up */
}

static bool s_sees(const s_client_t *c, const PGresult *r, int i)
{
    if (c->role_bit & (INTAKE_ADMIN | INTAKE_SUPERVISOR))
        return true;
    if (c->role_bit == INTAKE_COMPANION)
        return !PQgetisnull(r, i, 8) && strcmp(PQgetvalue(r, i, 8), c->staff_id) == 0;
    if (c->role_bit == INTAKE_AGENCY && c->agency[0]) {
        /* ",a,b,": the agencies that accepted the case, whose referral
         * was made before this entry. */
        char needle[40];
        snprintf(needle, sizeof needle, ",%s,", c->agency);
        return !PQgetisnull(r, i, 9) && strstr(PQgetvalue(r, i, 9), needle) != NULL;
    }
    return false;
}

static void s_read_done(pk_db_txn_t *txn, int status, void *arg)
{
    intake_events_t *ev = arg;
    ev->busy = false;
    if (status != 0)
        return; /* next tick */
    const PGresult *r = pk_db_txn_result(txn, pk_db_txn_count(txn) - 1);
    for (int i = 0; i < PQntuples(r); i++) {
        long long seq = atoll(PQgetvalue(r, i, 0));
        json_t *j =
            json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s, s:s?, s:s}", "seq", (json_int_t)seq, "case_id",
                      PQgetvalue(r, i, 1), "kind", PQgetvalue(r, i, 2), "state", PQgetvalue(r, i, 3), "reason_code",
                      PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4), "actor_kind", PQgetvalue(r, i, 5), "actor_id",
                      PQgetisnull(r, i, 6) ? NULL : PQgetvalue(r, i, 6), "at", PQgetvalue(r, i, 7));
        char *data = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        char *frame = pk_asprintf("id: %lld\nevent: case\ndata: %s\n\n", seq, data);
        free(data);
        size_t len = strlen(frame);
        for (s_client_t *c = ev->clients; c; c = c->next) {
            if (seq <= c->cursor)
                continue;
            if (s_sees(c, r, i))
                s_send(c, frame, len);
            c->cursor = seq;
        }
        free(frame);
    }
    s_reap(ev);
}

/* The sessions that still hold, with their accounts as they are now:
 * the streams of the others end. */
static void s_checked(pk_db_txn_t *txn, int status, void *arg)
{
    intake_events_t *ev = arg;
    ev->checking = false;
    if (status != 0)
        return; /* next time */
    const PGresult *r = pk_db_txn_result(txn, 0);
    for (s_client_t *c = ev->clients; c; c = c->next)
        c->checked = false;
    for (int i = 0; i < PQntuples(r); i++) {
        for (s_client_t *c = ev->clients; c; c = c->next) {
            if (strcmp(c->token_hash, PQgetvalue(r, i, 0)) != 0)
                continue;
            c->checked = true;
            c->role_bit = intake_role_bit(PQgetvalue(r, i, 1));
            snprintf(c->agency, sizeof c->agency, "%s", PQgetvalue(r, i, 2));
        }
    }
    for (s_client_t *c = ev->clients; c; c = c->next)
        if (!c->checked && !c->dead) {
            static const char end[] = "event: end\ndata: {\"reason\":\"session_ended\"}\n\n";
            s_send(c, end, sizeof end - 1);
            c->dead = true;
        }
    s_reap(ev);
}

static void s_check_sessions(intake_events_t *ev)
{
    size_t n = 0;
    for (s_client_t *c = ev->clients; c; c = c->next)
        n++;
    char **hashes = pk_calloc(n ? n : 1, sizeof *hashes);
    n = 0;
    for (s_client_t *c = ev->clients; c; c = c->next)
        hashes[n++] = c->token_hash;
    char *list = pk_pg_text_array(hashes, n);
    free(hashes);
    const char *p[] = {list};
    ev->checking = true;
    pk_db_txn_t *txn = pk_db_txn_new(ev->in->db);
    pk_db_txn_add(txn,
                  "SELECT x.token_hash, s.role, coalesce(s.agency_code, '') FROM staff_session x"
                  " JOIN staff s ON s.id = x.staff_id"
                  " WHERE x.token_hash = ANY($1::text[]) AND x.expires_at > now() AND NOT s.disabled",
                  1, p);
    pk_db_txn_submit(txn, s_checked, ev);
    free(list);
}

static void s_tick(uv_timer_t *t)
{
    intake_events_t *ev = t->data;
    pk_db_t *db = ev->in->db;
    if (!ev->clients || !db || !pk_db_connected(db))
        return;
    uint64_t now = pk_mono_us();
    if (ev->sessions_epoch != ev->in->sessions_epoch)
        ev->last_check_us = 0; /* a session may have ended: check now */
    if (!ev->checking && now - ev->last_check_us >= S_CHECK_MS * 1000u) {
        ev->sessions_epoch = ev->in->sessions_epoch;
        ev->last_check_us = now;
        s_check_sessions(ev);
    }
    if (ev->busy)
        return;
    if (now - ev->last_ping_us >= S_PING_MS * 1000u) {
        ev->last_ping_us = now;
        for (s_client_t *c = ev->clients; c; c = c->next)
            s_send(c, ": ping\n\n", 8);
        s_reap(ev);
    }
    ev->busy = true;
    pk_db_txn_t *txn = pk_db_txn_new(db);
    /* Number what committed since the last tick (while anyone listens;
     * every instance may, the lock makes it one at a time). */
    pk_db_txn_add(txn, "SELECT pg_advisory_xact_lock(hashtext('intake.feed'))", 0, NULL);
    pk_db_txn_add(txn,
                  "WITH m AS (SELECT coalesce(max(feed_seq), 0) AS base FROM case_event),"
                  " n AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM case_event"
                  "   WHERE feed_seq IS NULL ORDER BY id LIMIT 5000)"
                  " UPDATE case_event e SET feed_seq = m.base + n.rn FROM n, m WHERE e.id = n.id",
                  0, NULL);
    {
        long long from = -1;
        for (s_client_t *c = ev->clients; c; c = c->next)
            if (from < 0 || c->cursor < from)
                from = c->cursor;
        char f[24], lim[16];
        snprintf(f, sizeof f, "%lld", from);
        snprintf(lim, sizeof lim, "%d", S_READ_MAX);
        const char *p[] = {f, lim};
        pk_db_txn_add(
            txn,
            "SELECT e.feed_seq, e.case_id, e.kind, e.state, e.reason_code, e.actor_kind, e.actor_id, " PK_SQL_UTC_US(
                "e.at") ", CASE WHEN " INTAKE_SQL_VISIT_LIVE " THEN x.companion_id END,"
                        " ',' || (SELECT string_agg(ca.agency_code, ',') FROM case_agency ca"
                        "   WHERE ca.case_id = e.case_id AND " INTAKE_SQL_REFERRAL_LIVE
                        "   AND ca.created_at <= e.at) || ','"
                        " FROM case_event e JOIN cases x ON x.id = e.case_id"
                        " WHERE e.feed_seq > $1::bigint ORDER BY e.feed_seq LIMIT $2::int",
            2, p);
    }
    pk_db_txn_submit(txn, s_read_done, ev);
}

intake_events_t *intake_events_new(intake_t *in)
{
    intake_events_t *ev = pk_calloc(1, sizeof *ev);
    ev->in = in;
    ev->m_clients =
        pk_metrics_gauge(pk_service_metrics(in->svc), "pelukan_intake_event_streams", NULL, "staff event streams open");
    uv_timer_init(pk_service_loop(in->svc), &ev->timer);
    ev->timer.data = ev;
    uv_timer_start(&ev->timer, s_tick, S_TICK_MS, S_TICK_MS);
    return ev;
}

static void s_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void intake_events_destroy(intake_events_t **ev_p)
{
    if (!ev_p || !*ev_p)
        return;
    intake_events_t *ev = *ev_p;
    *ev_p = NULL;
    for (s_client_t *c = ev->clients; c; c = c->next)
        c->dead = true; /* the service stops: every stream ends */
    s_reap(ev);
    uv_timer_stop(&ev->timer);
    uv_close((uv_handle_t *)&ev->timer, s_timer_closed);
}

/* ---- GET /v1/staff/events ------------------------------------------------------ */

static void s_opened(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    intake_events_t *ev = c->in->events;
    if (!ev) {
        intake_error(c->req, 503, "unavailable", "Layanan sedang berhenti", NULL);
        intake_call_free(c);
        return;
    }
    char token_hash[65];
    (void)intake_staff_token_hash(c->req, token_hash);
    int by_session = 0, by_account = 0;
    for (s_client_t *o = ev->clients; o; o = o->next) {
        by_session += !o->dead && strcmp(o->token_hash, token_hash) == 0;
        by_account += !o->dead && strcmp(o->staff_id, c->staff_id) == 0;
    }
    const intake_t *in = c->in;
    if (by_session >= in->streams_per_session || by_account >= in->streams_per_account ||
        ev->nclients >= in->streams_max) {
        pk_metric_add(in->m_rejected, 1);
        pk_http_add_header(c->req, "Retry-After", "30");
        intake_error(c->req, 429, "too_many_streams", "Terlalu banyak tampilan langsung yang terbuka; tutup yang lain",
                     NULL);
        intake_call_free(c);
        return;
    }
    s_client_t *cl = pk_calloc(1, sizeof *cl);
    cl->owner = ev;
    snprintf(cl->token_hash, sizeof cl->token_hash, "%s", token_hash);
    cl->role_bit = c->role_bit;
    snprintf(cl->staff_id, sizeof cl->staff_id, "%s", c->staff_id);
    snprintf(cl->agency, sizeof cl->agency, "%s", c->staff_agency);
    const char *last = pk_http_header(c->req, "last-event-id");
    long long head = atoll(PQgetvalue(pk_db_txn_result(txn, 0), 0, 0));
    cl->cursor = last ? atoll(last) : head;
    if (cl->cursor < 0 || cl->cursor > head)
        cl->cursor = head;
    cl->stream = pk_http_stream_start(c->req, 200, "text/event-stream", s_client_gone, cl);
    c->req = NULL; /* the stream has it */
    /* Clients reconnect after 3 s if the connection drops. */
    s_send(cl, "retry: 3000\n\n", 13);
    cl->next = ev->clients;
    ev->clients = cl;
    ev->nclients++;
    pk_metric_set(ev->m_clients, ev->nclients);
    intake_call_free(c);
}

void intake_staff_events(intake_call_t *c)
{
    const char *last = pk_http_header(c->req, "last-event-id");
    if (last && (!*last || strlen(last) > 18 || strspn(last, "0123456789") != strlen(last))) {
        intake_error(c->req, 400, "bad_last_event_id", "Last-Event-ID harus berupa angka", NULL);
        intake_call_free(c);
        return;
    }
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "SELECT coalesce(max(feed_seq), 0) FROM case_event", 0, NULL);
    pk_db_txn_submit(txn, s_opened, c);
}
