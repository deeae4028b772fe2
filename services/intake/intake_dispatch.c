/* intake_dispatch.c -- the gateway to the dispatch service: the admin's
 * suggestion and assignment, and the companion's pings. The companion's
 * duty, visits and their steps: intake_visits.c; the reporter's view of the
 * approach: intake_approach.c.
 *
 * Commands go out on one DEALER on the event loop (pk_rpc_uv). Pings that
 * arrive together travel as one RecordPositions command, and its answer
 * carries the approaches they moved, which go at once to the reporters'
 * streams on this instance (intake_approach_push). The case's place goes to
 * dispatch only with the assignment, as a recorded opening. */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_approach.h"
#include "intake_call.h"
#include "intake_case.h"
#include "intake_dispatch.h"
#include "pelukan/util.h"

#define S_TIMEOUT_MS          1000
#define S_RETRIES             2
#define S_BATCH_MAX           1000

typedef Pelukan__V1__CommandRequest s_req_t;
typedef Pelukan__V1__CommandReply s_reply_t;

/* A ping waiting for its batch. */
typedef struct {
    intake_call_t *call;
    double lat, lon, acc;
    uint64_t at_us;
    char companion_id[PK_ID_HEX_LEN + 1];
} s_ping_t;

struct intake_dispatch {
    intake_t *in;
    pk_rpc_uv_t *rpc;
    s_ping_t *queue; /* pings for the next batch */
    size_t nqueue, capqueue;
    bool batch_in_flight;
    pk_metric_t *m_pings, *m_batches;
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
        intake_log_warn(c, "opening %s of an assignment not settled: %s, left to the sweep", c->pending_opening,
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
        intake_approach_push(dp->in->approach, ap->items[k]);
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

/* ---- life -------------------------------------------------------------------------------- */

intake_dispatch_t *intake_dispatch_new(intake_t *in, const char *endpoint)
{
    intake_dispatch_t *dp = pk_calloc(1, sizeof *dp);
    dp->in = in;
    dp->rpc = pk_rpc_uv_new(pk_service_loop(in->svc), endpoint, 0, in->log, pk_service_bus_keys(in->svc), "dispatch");
    pk_metrics_t *m = pk_service_metrics(in->svc);
    dp->m_pings = pk_metrics_counter(m, "pelukan_intake_positions_total", NULL, "companion pings taken");
    dp->m_batches = pk_metrics_counter(m, "pelukan_intake_position_batches_total", NULL,
                                       "RecordPositions commands sent to dispatch");
    return dp;
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
    free(dp);
}
