/* intake_dispatch.c -- the gateway to the dispatch service: the admin's
 * suggestion and assignment, the companion's pings, and the reporter's
 * view of the approaching companion (one answer, or a Server-Sent Events
 * stream). The companion's duty, visits and their steps: intake_visits.c.
 *
 * Commands go out on one DEALER on the event loop (pk_rpc_uv). Pings that
 * arrive together travel as one RecordPositions command, and its answer
 * carries the approaches they moved, which are pushed at once to the
 * reporters' streams on this instance; streams also ask dispatch every
 * S_POLL_MS, which covers pings taken by another instance and the end of
 * the visit. The case's place goes to dispatch only with the assignment,
 * as a recorded opening; the reporter never learns more of the companion
 * than a first name, a badge and where they are while on the way. */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_call.h"
#include "intake_case.h"
#include "intake_dispatch.h"
#include "pelukan/util.h"

#define S_TIMEOUT_MS          1000
#define S_RETRIES             2
#define S_BATCH_MAX           1000
#define S_POLL_MS             2000
#define S_TICK_MS             500
#define S_STREAMS_MAX         1000
#define S_STREAMS_PER_SESSION 3   /* one reporter cannot take every stream (review M5) */
#define S_CHECK_MS            500 /* every tick: an ended session's streams end within a second (M6) */

typedef Pelukan__V1__CommandRequest s_req_t;
typedef Pelukan__V1__CommandReply s_reply_t;

/* A ping waiting for its batch. */
typedef struct {
    intake_call_t *call;
    double lat, lon, acc;
    uint64_t at_us;
    char companion_id[PK_ID_HEX_LEN + 1];
} s_ping_t;

typedef struct s_stream {
    struct s_stream *next;
    intake_dispatch_t *owner;
    pk_http_stream_t *stream;
    char case_id[PK_ID_HEX_LEN + 1];
    char token_hash[65]; /* the reporter's session the stream lives on */
    uint64_t last_us;    /* monotonic: last approach sent */
    bool polling, dead, checked;
} s_stream_t;

struct intake_dispatch {
    intake_t *in;
    pk_rpc_uv_t *rpc;
    s_ping_t *queue; /* pings for the next batch */
    size_t nqueue, capqueue;
    bool batch_in_flight;
    s_stream_t *streams;
    int nstreams;
    uv_timer_t timer;
    uint64_t last_check_us;
    bool checking;
    pk_metric_t *m_pings, *m_batches, *m_streams, *m_pushed;
};

/* The pending hand-over of the place settled: the answer goes out. */
static void s_pending_settled(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    json_t *visit = c->body ? c->body : json_object();
    c->body = NULL;
    if (status != 0) {
        /* The visit exists; the opening stays pending and the sweep records
         * it. The admin sees the assignment that happened. */
        pk_log_warn(c->in->log, "opening %s of an assignment not settled: %s, left to the sweep", c->pending_opening,
                    pk_strerror(status));
    } else {
        pk_relay_kick(pk_service_relay(c->in->svc));
    }
    intake_json(c->req, 200, visit);
    intake_call_free(c);
}

static void s_pending_dropped(pk_db_txn_t *txn, int status, void *arg)
{
    (void)txn;
    if (status != 0) /* the sweep will count it as opened: the safe side */
        pk_log_warn(((intake_t *)arg)->log, "a refused assignment's pending opening stays: %s", pk_strerror(status));
}

/* Dispatch answered the assignment. Taken: the pending hand-over becomes
 * an opening. Refused: the place was not kept, so there is no opening.
 * No answer: it stays pending (the sweep counts it as opened). */
static void s_assign_answered(int rc, const s_reply_t *reply, void *arg)
{
    intake_call_t *c = arg;
    bool taken = rc == 0 && reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK;
    bool refused = rc == 0 && !taken;
    if (c->pending_opening[0] && refused) {
        const char *p[] = {c->pending_opening};
        pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
        pk_db_txn_add(txn, "DELETE FROM opening_pending WHERE id = $1::bigint", 1, p);
        pk_db_txn_submit(txn, s_pending_dropped, c->in);
    }
    if (!taken || !c->pending_opening[0]) {
        intake_visit_answer(rc, reply, c);
        return;
    }
    /* The answer waits in c->body for the opening's commit (the request's
     * body is done with). */
    json_decref(c->body);
    c->body = reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_VISIT ? intake_visit_json(reply->visit)
                                                                             : json_object();
    static const char *const fields[] = {"location"};
    const char *p[] = {c->pending_opening};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "DELETE FROM opening_pending WHERE id = $1::bigint", 1, p);
    intake_opening_add(txn, c->case_id, "companion_dispatch", fields, 1, c->staff_id, c->staff_role,
                       pk_http_request_id(c->req));
    pk_db_txn_submit(txn, s_pending_settled, c);
}

/* ---- the case's place, opened for dispatch ------------------------------------ */

/* After the case row was read: opens its place, and records the opening
 * before the command that carries it goes out. */
typedef struct {
    bool has_point;
    double lat, lon;
    char kecamatan[16];
    char companion_id[PK_ID_HEX_LEN + 1];
    char prefer_sex[4], prefer_language[12];
    bool assign;
} s_place_t;

static void s_send_assign(intake_call_t *c);
static void s_send_suggest(intake_call_t *c);

static void s_place_recorded(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status)) {
        return;
    }
    pk_relay_kick(pk_service_relay(c->in->svc));
    if (((s_place_t *)c->work)->assign)
        s_send_assign(c);
    else
        s_send_suggest(c);
}

static void s_pending_noted(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (status != 0) {
        free(c->work);
        c->work = NULL;
    }
    if (!intake_db_ok(c, txn, status))
        return;
    snprintf(c->pending_opening, sizeof c->pending_opening, "%s", PQgetvalue(pk_db_txn_result(txn, 0), 0, 0));
    s_send_assign(c);
}

/* Whether the case read can be given a companion: found, and verified.
 * Answers the request when not. */
static bool s_case_assignable(intake_call_t *c, const PGresult *r)
{
    if (PQntuples(r) != 1) {
        intake_error(c->req, 404, "not_found", "Kasus tidak ditemukan", NULL);
        return false;
    }
    const char *state = PQgetvalue(r, 0, 1);
    if (strcmp(state, "verified") != 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "Kasus berstatus %s; pendamping hanya untuk kasus terverifikasi", state);
        intake_error(c->req, 409, "invalid_transition", msg, json_pack("{s:s, s:s}", "state", state, "to", "assigned"));
        return false;
    }
    return true;
}

/* The victim's point, opened from the case's sealed personal part, when
 * the reporter gave one. */
static void s_open_point(intake_call_t *c, const PGresult *r, s_place_t *pl)
{
    char ctx[64];
    snprintf(ctx, sizeof ctx, "case:%s", c->case_id);
    uint8_t key[PK_DATAKEY_BYTES];
    if (intake_unwrap(c, ctx, r, 0, 3, key) != 0)
        return;
    json_t *personal = intake_open_json(key, ctx, "personal", r, 0, 4);
    sodium_memzero(key, sizeof key);
    json_t *lat = json_object_get(personal, "lat"), *lon = json_object_get(personal, "lon");
    if (json_is_number(lat) && json_is_number(lon)) {
        pl->has_point = true;
        pl->lat = json_number_value(lat);
        pl->lon = json_number_value(lon);
    }
    json_decref(personal);
}

static void s_case_read(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    s_place_t *pl = c->work;
    if (status != 0) {
        free(pl);
        c->work = NULL;
    }
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (!s_case_assignable(c, r)) {
        free(pl);
        c->work = NULL;
        intake_call_free(c);
        return;
    }
    snprintf(c->case_id, sizeof c->case_id, "%s", PQgetvalue(r, 0, 0));
    snprintf(pl->kecamatan, sizeof pl->kecamatan, "%s", PQgetvalue(r, 0, 2));
    s_open_point(c, r, pl);
    if (!pl->has_point) {
        if (pl->assign)
            s_send_assign(c);
        else
            s_send_suggest(c);
        return;
    }
    /* The place leaves intake: for one query, an opening recorded first;
     * for a visit, noted as pending, an opening once dispatch takes it. */
    if (pl->assign) {
        const char *p[] = {c->case_id, "companion_dispatch", c->staff_id, c->staff_role, pk_http_request_id(c->req)};
        pk_db_txn_t *note = pk_db_txn_new(c->in->db);
        pk_db_txn_add(note,
                      "INSERT INTO opening_pending (case_id, purpose, staff_id, staff_role, correlation_id)"
                      " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                      5, p);
        pk_db_txn_submit(note, s_pending_noted, c);
        return;
    }
    static const char *const fields[] = {"location"};
    intake_record_opening(c, "companion_suggestion", fields, 1, s_place_recorded);
}

static void s_read_case(intake_call_t *c, s_place_t *pl)
{
    c->work = pl;
    const char *p[] = {pk_http_param(c->req, 0)};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn,
                  "SELECT id, state, coalesce(kecamatan_code, ''), wrapped_key, personal_sealed FROM cases"
                  " WHERE id = $1",
                  1, p);
    pk_db_txn_submit(txn, s_case_read, c);
}

/* ---- GET /v1/staff/cases/{id}/companions --------------------------------------- */

static void s_suggested(int rc, const s_reply_t *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "dispatch", rc, reply))
        return;
    json_t *items = json_array();
    const Pelukan__V1__Suggestions *s =
        reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_SUGGESTIONS ? reply->suggestions : NULL;
    for (size_t i = 0; s && i < s->n_items; i++) {
        const Pelukan__V1__Suggestion *it = s->items[i];
        json_t *j =
            json_pack("{s:s, s:s, s:s, s:b, s:i, s:b, s:b}", "companion_id", it->companion_id, "first_name",
                      it->first_name, "badge", it->badge, "position_known", it->position_known, "load", (int)it->load,
                      "preference_met", it->preference_met, "covers_kecamatan", it->covers_kecamatan);
        if (it->position_known) {
            json_object_set_new(j, "distance_m", json_integer((json_int_t)llround(it->distance_m)));
            json_object_set_new(j, "eta_minutes", json_integer(it->eta_minutes));
            if (it->position)
                json_object_set_new(j, "position",
                                    json_pack("{s:f, s:f}", "lat", it->position->lat, "lon", it->position->lon));
        }
        json_array_append_new(items, j);
    }
    intake_json(
        c->req, 200,
        json_pack("{s:s, s:b, s:o}", "case_id", c->case_id, "place_known", s && s->place_known, "companions", items));
    intake_call_free(c);
}

static void s_send_suggest(intake_call_t *c)
{
    s_place_t *pl = c->work;
    c->work = NULL;
    s_req_t req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, c->case_id);
    Pelukan__V1__SuggestCompanions s = PELUKAN__V1__SUGGEST_COMPANIONS__INIT;
    Pelukan__V1__GeoPoint at = PELUKAN__V1__GEO_POINT__INIT;
    if (pl->has_point) {
        at.lat = pl->lat;
        at.lon = pl->lon;
        s.where_case = PELUKAN__V1__SUGGEST_COMPANIONS__WHERE_LOCATION;
        s.location = &at;
    }
    s.kecamatan_code = pl->kecamatan;
    s.prefer_sex = pl->prefer_sex;
    s.prefer_language = pl->prefer_language;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUGGEST_COMPANIONS;
    req.suggest_companions = &s;
    pk_rpc_uv_call(c->in->dispatch->rpc, &req, S_TIMEOUT_MS, S_RETRIES, s_suggested, c);
    sodium_memzero(&at, sizeof at);
    sodium_memzero(pl, sizeof *pl);
    free(pl);
}

void intake_dispatch_suggest(intake_call_t *c)
{
    const char *sex = pk_http_query(c->req, "prefer_sex"), *lang = pk_http_query(c->req, "prefer_language");
    json_t *errors = json_object();
    if (sex && strcmp(sex, "F") != 0 && strcmp(sex, "M") != 0)
        json_object_set_new(errors, "prefer_sex", json_string("F atau M"));
    if (lang && (strlen(lang) < 2 || strlen(lang) > 8 || strspn(lang, "abcdefghijklmnopqrstuvwxyz") != strlen(lang)))
        json_object_set_new(errors, "prefer_language", json_string("kode bahasa, mis. id atau su"));
    if (intake_invalid(c, errors, "Filter tidak valid"))
        return;
    s_place_t *pl = pk_calloc(1, sizeof *pl);
    snprintf(pl->prefer_sex, sizeof pl->prefer_sex, "%s", sex ? sex : "");
    snprintf(pl->prefer_language, sizeof pl->prefer_language, "%s", lang ? lang : "");
    s_read_case(c, pl);
}

/* ---- POST /v1/staff/cases/{id}/assign ---------------------------------------------- */

static void s_send_assign(intake_call_t *c)
{
    s_place_t *pl = c->work;
    c->work = NULL;
    s_req_t req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, c->case_id);
    Pelukan__V1__AssignCompanion a = PELUKAN__V1__ASSIGN_COMPANION__INIT;
    Pelukan__V1__GeoPoint at = PELUKAN__V1__GEO_POINT__INIT;
    char visit_id[PK_ID_HEX_LEN + 1];
    pk_id_new(visit_id);
    a.visit_id = visit_id;
    a.companion_id = pl->companion_id;
    a.kecamatan_code = pl->kecamatan;
    if (pl->has_point) {
        at.lat = pl->lat;
        at.lon = pl->lon;
        a.where_case = PELUKAN__V1__ASSIGN_COMPANION__WHERE_LOCATION;
        a.location = &at;
    }
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_ASSIGN_COMPANION;
    req.assign_companion = &a;
    pk_rpc_uv_call(c->in->dispatch->rpc, &req, S_TIMEOUT_MS, S_RETRIES, s_assign_answered, c);
    sodium_memzero(&at, sizeof at);
    sodium_memzero(pl, sizeof *pl);
    free(pl);
}

void intake_dispatch_assign(intake_call_t *c)
{
    static const char *const keys[] = {"companion_id", NULL};
    json_t *errors = intake_strict_body(c, keys);
    if (!errors)
        return;
    const char *companion = json_string_value(json_object_get(c->body, "companion_id"));
    if (!intake_hex_id(companion))
        json_object_set_new(errors, "companion_id", json_string("id staf pendamping"));
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    s_place_t *pl = pk_calloc(1, sizeof *pl);
    pl->assign = true;
    snprintf(pl->companion_id, sizeof pl->companion_id, "%s", companion);
    s_read_case(c, pl);
}

pk_rpc_uv_t *intake_dispatch_rpc(intake_dispatch_t *dp)
{
    return dp->rpc;
}

/* ---- POST /v1/companion/location: batched pings ------------------------------------ */

static void s_push_approach(intake_dispatch_t *dp, const Pelukan__V1__Approach *a);
static void s_flush(intake_dispatch_t *dp);

typedef struct {
    intake_dispatch_t *dp;
    size_t n;
    s_ping_t pings[];
} s_batch_t;

static void s_batch_done(int rc, const s_reply_t *reply, void *arg)
{
    s_batch_t *b = arg;
    intake_dispatch_t *dp = b->dp;
    s_ping_t *batch = b->pings;
    size_t n = b->n;
    const Pelukan__V1__Approaches *ap =
        rc == 0 && reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_APPROACHES ? reply->approaches : NULL;
    for (size_t i = 0; i < n; i++) {
        intake_call_t *c = batch[i].call;
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
        intake_call_free(c);
    }
    for (size_t k = 0; ap && k < ap->n_items; k++)
        s_push_approach(dp, ap->items[k]);
    sodium_memzero(b, sizeof *b + sizeof *batch * n);
    free(b);
    dp->batch_in_flight = false;
    s_flush(dp);
}

static void s_flush(intake_dispatch_t *dp)
{
    if (dp->batch_in_flight || dp->nqueue == 0 || !dp->rpc)
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
    pk_rpc_uv_call(dp->rpc, &req, S_TIMEOUT_MS, 1, s_batch_done, b);
    sodium_memzero(pos, n * sizeof *pos);
    free(pos);
    free(ptrs);
}

void intake_dispatch_location(intake_call_t *c)
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
    intake_dispatch_t *dp = c->in->dispatch;
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

/* ---- the reporter's view ------------------------------------------------------------- */

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

static void s_get_approach(intake_dispatch_t *dp, const char *case_id, const char *correlation, pk_rpc_uv_done_fn done,
                           void *arg)
{
    s_req_t req = PELUKAN__V1__COMMAND_REQUEST__INIT;
    Pelukan__V1__GetApproach ga = PELUKAN__V1__GET_APPROACH__INIT;
    req.case_id = (char *)case_id;
    req.correlation_id = (char *)(correlation ? correlation : "");
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_APPROACH;
    req.get_approach = &ga;
    pk_rpc_uv_call(dp->rpc, &req, S_TIMEOUT_MS, S_RETRIES, done, arg);
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

static void s_push_approach(intake_dispatch_t *dp, const Pelukan__V1__Approach *a)
{
    for (s_stream_t *s = dp->streams; s; s = s->next) {
        if (s->dead || strcmp(s->case_id, a->case_id) != 0)
            continue;
        s_stream_send(s, "approach", s_approach_json(a));
        pk_metric_add(dp->m_pushed, 1);
        if (strcmp(a->state, "en_route") != 0)
            s_stream_over(s, "arrived");
    }
}

static void s_stream_gone(pk_http_stream_t *stream, void *arg)
{
    (void)stream;
    ((s_stream_t *)arg)->dead = true;
}

static void s_reap(intake_dispatch_t *dp)
{
    for (s_stream_t **p = &dp->streams; *p;) {
        s_stream_t *s = *p;
        if ((s->dead || !pk_http_stream_alive(s->stream)) && !s->polling) {
            *p = s->next;
            pk_http_stream_end(&s->stream);
            free(s);
            dp->nstreams--;
        } else {
            p = &s->next;
        }
    }
    pk_metric_set(dp->m_streams, dp->nstreams);
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
    intake_dispatch_t *dp = arg;
    dp->checking = false;
    if (status != 0)
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    for (s_stream_t *s = dp->streams; s; s = s->next) {
        s->checked = false;
        for (int i = 0; i < PQntuples(r) && !s->checked; i++)
            s->checked = strcmp(s->token_hash, PQgetvalue(r, i, 0)) == 0;
        if (!s->checked && !s->dead)
            s_stream_over(s, "session_ended");
    }
    s_reap(dp);
}

static void s_check_sessions(intake_dispatch_t *dp)
{
    size_t n = 0;
    for (s_stream_t *s = dp->streams; s; s = s->next)
        n++;
    char **hashes = pk_calloc(n ? n : 1, sizeof *hashes);
    n = 0;
    for (s_stream_t *s = dp->streams; s; s = s->next)
        hashes[n++] = s->token_hash;
    char *list = pk_pg_text_array(hashes, n);
    const char *p[] = {list};
    dp->checking = true;
    pk_db_txn_t *txn = pk_db_txn_new(dp->in->db);
    pk_db_txn_add(txn,
                  "SELECT token_hash FROM session WHERE token_hash = ANY($1::text[]) AND expires_at > now()"
                  " AND idle_until > now()"
                  " UNION ALL SELECT x.token_hash FROM staff_session x JOIN staff s ON s.id = x.staff_id"
                  " WHERE x.token_hash = ANY($1::text[]) AND x.expires_at > now() AND NOT s.disabled",
                  1, p);
    pk_db_txn_submit(txn, s_checked, dp);
    free(list);
    free(hashes);
}

void intake_dispatch_recheck(intake_dispatch_t *dp)
{
    if (dp)
        dp->last_check_us = 0;
}

static void s_tick(uv_timer_t *t)
{
    intake_dispatch_t *dp = t->data;
    uint64_t now = pk_mono_us();
    if (dp->streams && !dp->checking && now - dp->last_check_us >= S_CHECK_MS * 1000u) {
        dp->last_check_us = now;
        s_check_sessions(dp);
    }
    for (s_stream_t *s = dp->streams; s; s = s->next) {
        if (s->dead || s->polling || now - s->last_us < (uint64_t)S_POLL_MS * 1000u)
            continue;
        s->polling = true;
        s_get_approach(dp, s->case_id, NULL, s_polled, s);
    }
    s_reap(dp);
}

static void s_stream_first(int rc, const s_reply_t *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "dispatch", rc, reply))
        return;
    intake_dispatch_t *dp = c->in->dispatch;
    char token_hash[65];
    intake_token_hash(pk_http_header(c->req, "authorization") + 7, token_hash);
    int mine = 0;
    for (s_stream_t *o = dp->streams; o; o = o->next)
        mine += !o->dead && strcmp(o->token_hash, token_hash) == 0;
    if (dp->nstreams >= S_STREAMS_MAX || mine >= S_STREAMS_PER_SESSION) {
        pk_http_add_header(c->req, "Retry-After", "30");
        intake_error(c->req, mine >= S_STREAMS_PER_SESSION ? 429 : 503, "too_many_streams",
                     "Terlalu banyak pemantauan aktif, coba lagi", NULL);
        intake_call_free(c);
        return;
    }
    s_stream_t *s = pk_calloc(1, sizeof *s);
    s->owner = dp;
    snprintf(s->token_hash, sizeof s->token_hash, "%s", token_hash);
    snprintf(s->case_id, sizeof s->case_id, "%s", c->case_id);
    s->stream = pk_http_stream_start(c->req, 200, "text/event-stream", s_stream_gone, s);
    c->req = NULL;
    intake_call_free(c);
    s->next = dp->streams;
    dp->streams = s;
    dp->nstreams++;
    pk_metric_set(dp->m_streams, dp->nstreams);
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
    bool stream = c->work != NULL;
    c->work = NULL;
    s_get_approach(c->in->dispatch, c->case_id, pk_http_request_id(c->req), stream ? s_stream_first : s_approach_done,
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

void intake_dispatch_staff_stream(intake_call_t *c)
{
    c->work = c; /* marks a stream */
    s_check_case(c);
}

void intake_dispatch_report_companion(pk_http_req_t *req, void *arg)
{
    intake_call_t *c = intake_call_new(arg, req);
    intake_authenticate(c, s_check_owner);
}

void intake_dispatch_report_stream(pk_http_req_t *req, void *arg)
{
    intake_call_t *c = intake_call_new(arg, req);
    c->work = c; /* marks a stream */
    intake_authenticate(c, s_check_owner);
}

/* ---- life -------------------------------------------------------------------------------- */

intake_dispatch_t *intake_dispatch_new(intake_t *in, const char *endpoint)
{
    intake_dispatch_t *dp = pk_calloc(1, sizeof *dp);
    dp->in = in;
    uv_loop_t *loop = pk_service_loop(in->svc);
    dp->rpc = pk_rpc_uv_new(loop, endpoint, 0, in->log, pk_service_bus_keys(in->svc), "dispatch");
    pk_metrics_t *m = pk_service_metrics(in->svc);
    dp->m_pings = pk_metrics_counter(m, "pelukan_intake_positions_total", NULL, "companion pings taken");
    dp->m_batches = pk_metrics_counter(m, "pelukan_intake_position_batches_total", NULL,
                                       "RecordPositions commands sent to dispatch");
    dp->m_pushed = pk_metrics_counter(m, "pelukan_intake_approach_pushed_total", NULL,
                                      "approach updates pushed to reporters' streams");
    dp->m_streams = pk_metrics_gauge(m, "pelukan_intake_approach_streams", NULL, "reporters watching an approach");
    uv_timer_init(loop, &dp->timer);
    dp->timer.data = dp;
    uv_timer_start(&dp->timer, s_tick, S_TICK_MS, S_TICK_MS);
    return dp;
}

static void s_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void intake_dispatch_destroy(intake_dispatch_t **dp_p)
{
    if (!dp_p || !*dp_p)
        return;
    intake_dispatch_t *dp = *dp_p;
    *dp_p = NULL;
    /* Calls in flight end with PK_ECLOSED (503), pings waiting too. */
    pk_rpc_uv_close(&dp->rpc);
    for (size_t i = 0; i < dp->nqueue; i++) {
        intake_error(dp->queue[i].call->req, 503, "dispatch_unavailable", "Layanan sedang berhenti, coba lagi", NULL);
        intake_call_free(dp->queue[i].call);
    }
    free(dp->queue);
    for (s_stream_t *s = dp->streams, *next; s; s = next) {
        next = s->next;
        s_stream_over(s, "server_stopping");
        pk_http_stream_end(&s->stream);
        free(s);
    }
    uv_timer_stop(&dp->timer);
    uv_close((uv_handle_t *)&dp->timer, s_timer_closed);
}
