/* intake_dispatch.c -- the gateway to the dispatch service: the admin's
 * suggestion and assignment, and the companion's pings. The companion's
 * duty: intake_companions.c; her visits and their steps: rows of the route
 * table (edge/edge_routes.c); the reporter's view of the approach:
 * edge/edge_approach.c.
 *
 * Commands go out on one DEALER on the event loop (pk_rpc_uv). Pings that
 * arrive together travel as one RecordPositions command, and its answer
 * carries the approaches they moved, which go at once to the reporters'
 * streams on this instance (edge_approach_push). The case's place never
 * passes here: dispatch asks intake's case owner for it (GetPlace,
 * intake_place.c), which records the opening when it answers. */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/edge_approach.h"
#include "edge/edge_cases.h"
#include "edge/edge_forward.h"
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
    s_ping_t *queue; /* pings for the next batch */
    size_t nqueue, capqueue;
    bool batch_in_flight;
    pk_metric_t *m_pings, *m_batches;
};

/* ---- the case, read before a command about it ---------------------------------- */

/* What the admin asked, kept while the case row is read. The place is not
 * here: dispatch asks intake's case owner for it (GetPlace), which records
 * the opening. */
typedef struct intake_ask {
    char kecamatan[16];
    char companion_id[PK_ID_HEX_LEN + 1];
    char prefer_sex[4], prefer_language[12];
    bool assign;
} s_ask_t;

static void s_send_assign(intake_call_t *c);
static void s_send_suggest(intake_call_t *c);

/* The case as the admin sees it (GetCase, the case owner's): a companion
 * only for a verified case. */
static void s_case_read(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_call_t *c = arg;
    s_ask_t *ask = c->ask;
    const Pelukan__V1__CaseRow *row = rc == 0 && reply->case_view ? reply->case_view->row : NULL;
    const char *state = row ? row->state : "";
    bool failed = !row && intake_cmd_failed(c, "intake", rc, reply);
    if (!failed && !intake_step_from(INTAKE_STEP_ASSIGN, state)) {
        char msg[160];
        snprintf(msg, sizeof msg, "Kasus berstatus %s; pendamping hanya untuk kasus terverifikasi", state);
        intake_error(c->req, 409, "invalid_transition", msg, json_pack("{s:s, s:s}", "state", state, "to", "assigned"));
        intake_call_free(c);
        failed = true;
    }
    if (failed) {
        free(ask); /* the call is gone */
        return;
    }
    snprintf(c->case_id, sizeof c->case_id, "%s", row->case_id);
    snprintf(ask->kecamatan, sizeof ask->kecamatan, "%s", row->kecamatan_code);
    if (ask->assign)
        s_send_assign(c);
    else
        s_send_suggest(c);
}

static void s_read_case(intake_call_t *c, s_ask_t *ask)
{
    c->ask = ask;
    edge_cases_ask(c, NULL, s_case_read);
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
    s_ask_t *ask = c->ask;
    c->ask = NULL;
    s_req_t req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, c->case_id);
    Pelukan__V1__SuggestCompanions s = PELUKAN__V1__SUGGEST_COMPANIONS__INIT;
    s.kecamatan_code = ask->kecamatan;
    s.prefer_sex = ask->prefer_sex;
    s.prefer_language = ask->prefer_language;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUGGEST_COMPANIONS;
    req.suggest_companions = &s;
    pk_rpc_uv_call(c->in->dispatch_rpc, &req, S_TIMEOUT_MS, S_RETRIES, s_suggested, c);
    free(ask);
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
    s_ask_t *ask = pk_calloc(1, sizeof *ask);
    snprintf(ask->prefer_sex, sizeof ask->prefer_sex, "%s", sex ? sex : "");
    snprintf(ask->prefer_language, sizeof ask->prefer_language, "%s", lang ? lang : "");
    s_read_case(c, ask);
}

/* ---- POST /v1/staff/cases/{id}/assign ---------------------------------------------- */

static void s_visit_answer(int rc, const s_reply_t *reply, void *arg)
{
    intake_forward_answer(arg, "dispatch", rc, reply, "visit", NULL, INTAKE_SHAPE_VISIT);
}

static void s_send_assign(intake_call_t *c)
{
    s_ask_t *ask = c->ask;
    c->ask = NULL;
    s_req_t req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, c->case_id);
    Pelukan__V1__AssignCompanion a = PELUKAN__V1__ASSIGN_COMPANION__INIT;
    char visit_id[PK_ID_HEX_LEN + 1];
    pk_id_new(visit_id);
    a.visit_id = visit_id;
    a.companion_id = ask->companion_id;
    a.kecamatan_code = ask->kecamatan;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_ASSIGN_COMPANION;
    req.assign_companion = &a;
    pk_rpc_uv_call(c->in->dispatch_rpc, &req, S_TIMEOUT_MS, S_RETRIES, s_visit_answer, c);
    free(ask);
}

void intake_dispatch_assign(intake_call_t *c)
{
    static const char *const keys[] = {"companion_id", NULL};
    json_t *errors = intake_strict_body(c, keys);
    if (!errors)
        return;
    const char *companion = json_string_value(json_object_get(c->body, "companion_id"));
    if (!pk_id_ok(companion))
        json_object_set_new(errors, "companion_id", json_string("id staf pendamping"));
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    s_ask_t *ask = pk_calloc(1, sizeof *ask);
    ask->assign = true;
    snprintf(ask->companion_id, sizeof ask->companion_id, "%s", companion);
    s_read_case(c, ask);
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
        edge_approach_push(dp->in->approach, ap->items[k]);
    sodium_memzero(b, sizeof *b + sizeof *batch * n);
    free(b);
    dp->batch_in_flight = false;
    s_flush(dp);
}

static void s_flush(intake_dispatch_t *dp)
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
    pk_rpc_uv_call(dp->in->dispatch_rpc, &req, S_TIMEOUT_MS, 1, s_batch_done, b);
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

intake_dispatch_t *intake_dispatch_new(intake_t *in)
{
    intake_dispatch_t *dp = pk_calloc(1, sizeof *dp);
    dp->in = in;
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
    /* Pings waiting end with 503 (calls in flight ended when intake closed
     * its client to dispatch, before this). */
    for (size_t i = 0; i < dp->nqueue; i++) {
        intake_error(dp->queue[i].call->req, 503, "dispatch_unavailable", "Layanan sedang berhenti, coba lagi", NULL);
        intake_call_free(dp->queue[i].call);
    }
    free(dp->queue);
    free(dp);
}
