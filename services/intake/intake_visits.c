/* intake_visits.c -- the companion's side of the gateway to dispatch: her
 * duty and profile (PUT /v1/companion/status), her visits, each visit's
 * steps and the identification report; a visit as the API shows it. The
 * admin's side and the reporter's view are intake_dispatch.c. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_call.h"
#include "intake_case.h"
#include "intake_dispatch.h"
#include "pelukan/util.h"

#define S_TIMEOUT_MS 1000
#define S_RETRIES    2

typedef Pelukan__V1__CommandRequest s_req_t;
typedef Pelukan__V1__CommandReply s_reply_t;

json_t *intake_visit_json(const Pelukan__V1__Visit *v)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s?, s:I, s:s?}", "visit_id", v->visit_id, "case_id", v->case_id, "state",
                          v->state, "kecamatan_code", v->kecamatan_code[0] ? v->kecamatan_code : NULL, "assigned_at_us",
                          (json_int_t)v->assigned_at_us, "identification_id",
                          v->identification_id[0] ? v->identification_id : NULL);
    if (v->where_case == PELUKAN__V1__VISIT__WHERE_LOCATION)
        json_object_set_new(j, "location", json_pack("{s:f, s:f}", "lat", v->location->lat, "lon", v->location->lon));
    return j;
}

void intake_visit_answer(int rc, const s_reply_t *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "dispatch", rc, reply))
        return;
    intake_json(c->req, 200,
                reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_VISIT ? intake_visit_json(reply->visit)
                                                                               : json_object());
    intake_call_free(c);
}

/* ---- PUT /v1/companion/status ------------------------------------------------------- */

static void s_status_done(int rc, const s_reply_t *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "dispatch", rc, reply))
        return;
    const Pelukan__V1__Companion *m =
        reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_COMPANION ? reply->companion : NULL;
    intake_json(c->req, 200,
                m ? json_pack("{s:s, s:s, s:b, s:i}", "companion_id", m->companion_id, "badge", m->badge, "on_duty",
                              m->on_duty, "load", (int)m->load)
                  : json_object());
    intake_call_free(c);
}

static void s_status_named(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    /* The reporter sees only the first name. */
    char first[64] = "";
    if (PQntuples(r) == 1)
        intake_first_name(PQgetvalue(r, 0, 0), first, sizeof first);
    json_t *errors = json_object();
    size_t nl, nk;
    const char **langs = intake_strings(c->body, "languages", 10, &nl, errors);
    const char **kecs = intake_strings(c->body, "kecamatan_codes", 60, &nk, errors);
    if (intake_invalid(c, errors, "Data tidak valid")) {
        free(langs);
        free(kecs);
        return;
    }
    s_req_t req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, NULL);
    Pelukan__V1__SetCompanion s = PELUKAN__V1__SET_COMPANION__INIT;
    s.first_name = first;
    s.on_duty = json_is_true(json_object_get(c->body, "on_duty"));
    const char *sex = json_string_value(json_object_get(c->body, "sex"));
    s.sex = (char *)(sex ? sex : "");
    s.languages = (char **)langs;
    s.n_languages = nl;
    s.kecamatan_codes = (char **)kecs;
    s.n_kecamatan_codes = nk;
    /* What the body leaves out is kept: going on duty does not wipe the
     * coverage an admin set. */
    s.set_profile = json_object_get(c->body, "sex") || json_object_get(c->body, "languages") ||
                    json_object_get(c->body, "kecamatan_codes");
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SET_COMPANION;
    req.set_companion = &s;
    pk_rpc_uv_call(intake_dispatch_rpc(c->in->dispatch), &req, S_TIMEOUT_MS, S_RETRIES, s_status_done, c);
    free(langs);
    free(kecs);
}

void intake_dispatch_status(intake_call_t *c)
{
    static const char *const keys[] = {"on_duty", "sex", "languages", "kecamatan_codes", NULL};
    json_t *errors = intake_strict_body(c, keys);
    if (!errors)
        return;
    bool on;
    intake_bool_field(c->body, "on_duty", true, &on, errors);
    json_t *sex = json_object_get(c->body, "sex");
    if (sex && !json_is_null(sex) &&
        (!json_is_string(sex) ||
         (strcmp(json_string_value(sex), "F") != 0 && strcmp(json_string_value(sex), "M") != 0)))
        json_object_set_new(errors, "sex", json_string("F atau M"));
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    const char *p[] = {c->staff_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "SELECT display_name FROM staff WHERE id = $1", 1, p);
    pk_db_txn_submit(txn, s_status_named, c);
}

/* ---- the companion's visits ---------------------------------------------------------- */

static void s_visits_done(int rc, const s_reply_t *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "dispatch", rc, reply))
        return;
    json_t *items = json_array();
    for (size_t i = 0; reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_VISITS && i < reply->visits->n_items;
         i++)
        json_array_append_new(items, intake_visit_json(reply->visits->items[i]));
    intake_json(c->req, 200, json_pack("{s:o}", "visits", items));
    intake_call_free(c);
}

void intake_dispatch_visits(intake_call_t *c)
{
    s_req_t req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, NULL);
    Pelukan__V1__ListVisits lv = PELUKAN__V1__LIST_VISITS__INIT;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_VISITS;
    req.list_visits = &lv;
    pk_rpc_uv_call(intake_dispatch_rpc(c->in->dispatch), &req, S_TIMEOUT_MS, S_RETRIES, s_visits_done, c);
}

static bool s_visit_param(intake_call_t *c)
{
    if (intake_hex_id(pk_http_param(c->req, 0)))
        return true;
    intake_error(c->req, 404, "visit_not_found", intake_cmd_message("visit_not_found"), NULL);
    intake_call_free(c);
    return false;
}

void intake_dispatch_visit(intake_call_t *c)
{
    if (!s_visit_param(c))
        return;
    s_req_t req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, NULL);
    Pelukan__V1__GetVisit gv = PELUKAN__V1__GET_VISIT__INIT;
    gv.visit_id = (char *)pk_http_param(c->req, 0);
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_VISIT;
    req.get_visit = &gv;
    pk_rpc_uv_call(intake_dispatch_rpc(c->in->dispatch), &req, S_TIMEOUT_MS, S_RETRIES, intake_visit_answer, c);
}

static void s_visit_step(intake_call_t *c, Pelukan__V1__VisitStep__Step step, bool takes_reason)
{
    if (!s_visit_param(c))
        return;
    static const char *const with_reason[] = {"reason_code", NULL}, *const none[] = {NULL};
    json_t *errors = intake_strict_body(c, takes_reason ? with_reason : none);
    if (!errors)
        return;
    const char *reason = json_string_value(json_object_get(c->body, "reason_code"));
    if (takes_reason && (!reason || !*reason || strlen(reason) > 64))
        json_object_set_new(errors, "reason_code",
                            json_string("unavailable, too_far, unsafe, conflict_of_interest atau other"));
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    s_req_t req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, NULL);
    Pelukan__V1__VisitStep vs = PELUKAN__V1__VISIT_STEP__INIT;
    vs.visit_id = (char *)pk_http_param(c->req, 0);
    vs.step = step;
    vs.reason_code = (char *)(reason ? reason : "");
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_VISIT_STEP;
    req.visit_step = &vs;
    pk_rpc_uv_call(intake_dispatch_rpc(c->in->dispatch), &req, S_TIMEOUT_MS, S_RETRIES, intake_visit_answer, c);
}

void intake_dispatch_accept(intake_call_t *c)
{
    s_visit_step(c, PELUKAN__V1__VISIT_STEP__STEP__STEP_ACCEPT, false);
}

void intake_dispatch_en_route(intake_call_t *c)
{
    s_visit_step(c, PELUKAN__V1__VISIT_STEP__STEP__STEP_EN_ROUTE, false);
}

void intake_dispatch_arrived(intake_call_t *c)
{
    s_visit_step(c, PELUKAN__V1__VISIT_STEP__STEP__STEP_ARRIVED, false);
}

void intake_dispatch_decline(intake_call_t *c)
{
    s_visit_step(c, PELUKAN__V1__VISIT_STEP__STEP__STEP_DECLINE, true);
}

static void s_identification_free(Pelukan__V1__SubmitIdentification *si)
{
    free(si->needs), free(si->recommended_services), free(si->recommended_agencies), free(si->consented_agencies);
}

/* The identification report's body, checked, into `si` (its lists
 * allocated: s_identification_free). False when the request was answered. */
static bool s_identification_read(intake_call_t *c, Pelukan__V1__SubmitIdentification *si)
{
    static const char *const keys[] = {"situation_confirmed",
                                       "immediate_danger",
                                       "needs",
                                       "recommended_services",
                                       "recommended_agencies",
                                       "referral_consent",
                                       "consented_agencies",
                                       "guardian_situation",
                                       "notes",
                                       NULL};
    json_t *errors = intake_strict_body(c, keys);
    if (!errors)
        return false;
    bool confirmed = false, danger = false, consent = false;
    intake_bool_field(c->body, "situation_confirmed", true, &confirmed, errors);
    intake_bool_field(c->body, "immediate_danger", true, &danger, errors);
    intake_bool_field(c->body, "referral_consent", true, &consent, errors);
    si->situation_confirmed = confirmed;
    si->immediate_danger = danger;
    si->referral_consent = consent;
    si->needs = (char **)intake_strings(c->body, "needs", 5, &si->n_needs, errors);
    si->recommended_services =
        (char **)intake_strings(c->body, "recommended_services", 8, &si->n_recommended_services, errors);
    si->recommended_agencies =
        (char **)intake_strings(c->body, "recommended_agencies", 5, &si->n_recommended_agencies, errors);
    si->consented_agencies =
        (char **)intake_strings(c->body, "consented_agencies", 5, &si->n_consented_agencies, errors);
    const char *guardian = json_string_value(json_object_get(c->body, "guardian_situation"));
    if (!guardian)
        json_object_set_new(errors, "guardian_situation", json_string("wajib diisi (not_child jika bukan anak)"));
    json_t *notes = json_object_get(c->body, "notes");
    if (notes && !json_is_string(notes))
        json_object_set_new(errors, "notes", json_string("teks"));
    if (intake_invalid(c, errors, "Laporan identifikasi tidak valid")) {
        s_identification_free(si);
        return false;
    }
    si->visit_id = (char *)pk_http_param(c->req, 0);
    si->guardian_situation = (char *)guardian;
    si->notes = (char *)(notes ? json_string_value(notes) : "");
    return true;
}

void intake_dispatch_identification(intake_call_t *c)
{
    if (!s_visit_param(c))
        return;
    const char *key = pk_http_header(c->req, "idempotency-key");
    if (key && !intake_idempotency_key_ok(key)) {
        intake_error(c->req, 400, "bad_idempotency_key", "Idempotency-Key: 1-128 huruf, angka atau . _ : -", NULL);
        intake_call_free(c);
        return;
    }
    Pelukan__V1__SubmitIdentification si = PELUKAN__V1__SUBMIT_IDENTIFICATION__INIT;
    if (!s_identification_read(c, &si))
        return;
    s_req_t req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, NULL);
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUBMIT_IDENTIFICATION;
    req.submit_identification = &si;
    /* With an Idempotency-Key, the command id is the key's (with who and
     * which visit): a report sent again after a lost connection is the
     * same command, which dispatch answers from its record. */
    uint8_t cid[16];
    if (key) {
        char *seed = pk_asprintf("identification:%s:%s:%s", c->staff_id, si.visit_id, key);
        crypto_generichash(cid, sizeof cid, (const uint8_t *)seed, strlen(seed), NULL, 0);
        free(seed);
        req.command_id.data = cid;
        req.command_id.len = sizeof cid;
    }
    pk_rpc_uv_call(intake_dispatch_rpc(c->in->dispatch), &req, S_TIMEOUT_MS, S_RETRIES, intake_visit_answer, c);
    s_identification_free(&si);
}
