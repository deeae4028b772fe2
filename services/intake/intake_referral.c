/* intake_referral.c -- the gateway to the referral service: the agency
 * directory, an admin's referral of an assessed case, a case's referrals,
 * and the agency user's own referrals with their steps. Referral checks
 * consent per destination; intake checks that the case may be referred.
 * An agency user sees a case's personal data only through the case detail
 * (intake_admin.c), only once their agency accepted, each opening recorded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_call.h"
#include "intake_case.h"
#include "intake_referral.h"
#include "pelukan/util.h"

#define S_TIMEOUT_MS 1000
#define S_RETRIES    2

static json_t *s_referral_json(const Pelukan__V1__Referral *f)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:b, s:s, s:s?, s:s, s:s?, s:s?, s:I, s:I, s:i, s:b}", "referral_id",
                     f->referral_id, "case_id", f->case_id, "agency_code", f->agency_code, "services",
                     intake_json_strings(f->services, f->n_services), "urgent", f->urgent, "reason_code",
                     f->reason_code, "legal_basis_code", f->legal_basis_code[0] ? f->legal_basis_code : NULL, "state",
                     f->state, "decline_reason_code", f->decline_reason_code[0] ? f->decline_reason_code : NULL,
                     "outcome_code", f->outcome_code[0] ? f->outcome_code : NULL, "created_at_us",
                     (json_int_t)f->created_at_us, "due_at_us", (json_int_t)f->due_at_us, "follow_ups",
                     (int)f->follow_ups, "overdue", f->overdue);
}

static void s_answer_referral(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "referral", rc, reply))
        return;
    intake_json(c->req, 200,
                reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_REFERRAL ? s_referral_json(reply->referral)
                                                                                  : json_object());
    intake_call_free(c);
}

static void s_answer_list(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "referral", rc, reply))
        return;
    json_t *items = json_array();
    for (size_t i = 0;
         reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_REFERRALS && i < reply->referrals->n_items; i++)
        json_array_append_new(items, s_referral_json(reply->referrals->items[i]));
    intake_json(c->req, 200, json_pack("{s:o}", "referrals", items));
    intake_call_free(c);
}

/* ---- GET /v1/staff/agencies ------------------------------------------------------ */

static void s_agencies_done(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "referral", rc, reply))
        return;
    json_t *items = json_array();
    for (size_t i = 0;
         reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_AGENCIES && i < reply->agencies->n_items; i++) {
        const Pelukan__V1__Agency *a = reply->agencies->items[i];
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:o, s:s}", "code", a->code, "name", a->name, "kind",
                                               a->kind, "services", intake_json_strings(a->services, a->n_services),
                                               "contact", a->contact));
    }
    intake_json(c->req, 200, json_pack("{s:o}", "agencies", items));
    intake_call_free(c);
}

void intake_referral_agencies(intake_call_t *c)
{
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, NULL);
    Pelukan__V1__ListAgencies la = PELUKAN__V1__LIST_AGENCIES__INIT;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_AGENCIES;
    req.list_agencies = &la;
    pk_rpc_uv_call(c->in->referral, &req, S_TIMEOUT_MS, S_RETRIES, s_agencies_done, c);
}

/* ---- POST /v1/staff/cases/{id}/referrals -------------------------------------------- */

static void s_case_checked(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (PQntuples(r) != 1) {
        intake_error(c->req, 404, "not_found", "Kasus tidak ditemukan", NULL);
        intake_call_free(c);
        return;
    }
    const char *state = PQgetvalue(r, 0, 1);
    if (!intake_may_refer(state)) {
        char msg[160];
        snprintf(msg, sizeof msg, "Kasus berstatus %s; rujukan menunggu laporan identifikasi", state);
        intake_error(c->req, 409, "invalid_transition", msg, json_pack("{s:s, s:s}", "state", state, "to", "referred"));
        intake_call_free(c);
        return;
    }
    snprintf(c->case_id, sizeof c->case_id, "%s", PQgetvalue(r, 0, 0));
    json_t *errors = json_object();
    size_t ns = 0;
    const char **services = intake_strings(c->body, "services", 8, &ns, errors);
    json_decref(errors); /* checked before the case was read */
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, c->case_id);
    Pelukan__V1__CreateReferral cr = PELUKAN__V1__CREATE_REFERRAL__INIT;
    char id[PK_ID_HEX_LEN + 1];
    pk_id_new(id);
    const char *legal = json_string_value(json_object_get(c->body, "legal_basis_code"));
    cr.referral_id = id;
    cr.agency_code = (char *)json_string_value(json_object_get(c->body, "agency_code"));
    cr.services = (char **)services;
    cr.n_services = ns;
    cr.urgent = json_is_true(json_object_get(c->body, "urgent"));
    cr.legal_basis_code = (char *)(legal ? legal : "");
    cr.reason_code = (char *)json_string_value(json_object_get(c->body, "reason_code"));
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_CREATE_REFERRAL;
    req.create_referral = &cr;
    pk_rpc_uv_call(c->in->referral, &req, S_TIMEOUT_MS, S_RETRIES, s_answer_referral, c);
    free(services);
}

void intake_referral_create(intake_call_t *c)
{
    static const char *const keys[] = {"agency_code", "services", "reason_code", "urgent", "legal_basis_code", NULL};
    json_t *errors = intake_strict_body(c, keys);
    if (!errors)
        return;
    intake_code_field(c->body, "agency_code", true, errors);
    intake_code_field(c->body, "reason_code", true, errors);
    intake_code_field(c->body, "legal_basis_code", false, errors);
    size_t ns = 0;
    const char **services = intake_strings(c->body, "services", 8, &ns, errors);
    if (services && ns == 0)
        json_object_set_new(errors, "services", json_string("paling sedikit satu layanan"));
    free(services);
    bool urgent;
    intake_bool_field(c->body, "urgent", false, &urgent, errors);
    if (intake_invalid(c, errors, "Rujukan tidak valid"))
        return;
    const char *p[] = {pk_http_param(c->req, 0)};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "SELECT id, state FROM cases WHERE id = $1", 1, p);
    pk_db_txn_submit(txn, s_case_checked, c);
}

/* ---- lists -------------------------------------------------------------------------- */

void intake_referral_of_case(intake_call_t *c)
{
    if (!intake_hex_id(pk_http_param(c->req, 0))) {
        intake_error(c->req, 404, "not_found", "Kasus tidak ditemukan", NULL);
        intake_call_free(c);
        return;
    }
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, pk_http_param(c->req, 0));
    Pelukan__V1__ListReferrals lr = PELUKAN__V1__LIST_REFERRALS__INIT;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_REFERRALS;
    req.list_referrals = &lr;
    pk_rpc_uv_call(c->in->referral, &req, S_TIMEOUT_MS, S_RETRIES, s_answer_list, c);
}

void intake_referral_of_agency(intake_call_t *c)
{
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, NULL);
    Pelukan__V1__ListReferrals lr = PELUKAN__V1__LIST_REFERRALS__INIT;
    lr.agency_code = c->staff_agency;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_REFERRALS;
    req.list_referrals = &lr;
    pk_rpc_uv_call(c->in->referral, &req, S_TIMEOUT_MS, S_RETRIES, s_answer_list, c);
}

/* ---- the agency's steps -------------------------------------------------------------- */

static bool s_referral_param(intake_call_t *c)
{
    if (intake_hex_id(pk_http_param(c->req, 0)) && c->staff_agency[0])
        return true;
    intake_error(c->req, 404, "referral_not_found", intake_cmd_message("referral_not_found"), NULL);
    intake_call_free(c);
    return false;
}

static void s_step(intake_call_t *c, Pelukan__V1__ReferralStep__Step step, const char *field)
{
    if (!s_referral_param(c))
        return;
    const char *const keys[] = {field, NULL}; /* {NULL} when the step takes no field */
    json_t *errors = intake_strict_body(c, keys);
    if (!errors)
        return;
    const char *code = field ? intake_code_field(c->body, field, true, errors) : NULL;
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, NULL);
    Pelukan__V1__ReferralStep rs = PELUKAN__V1__REFERRAL_STEP__INIT;
    rs.referral_id = (char *)pk_http_param(c->req, 0);
    rs.step = step;
    rs.agency_code = c->staff_agency;
    if (step == PELUKAN__V1__REFERRAL_STEP__STEP__STEP_DECLINE)
        rs.reason_code = (char *)code;
    if (step == PELUKAN__V1__REFERRAL_STEP__STEP__STEP_CLOSE)
        rs.outcome_code = (char *)code;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_REFERRAL_STEP;
    req.referral_step = &rs;
    pk_rpc_uv_call(c->in->referral, &req, S_TIMEOUT_MS, S_RETRIES, s_answer_referral, c);
}

void intake_referral_accept(intake_call_t *c)
{
    s_step(c, PELUKAN__V1__REFERRAL_STEP__STEP__STEP_ACCEPT, NULL);
}

void intake_referral_decline(intake_call_t *c)
{
    s_step(c, PELUKAN__V1__REFERRAL_STEP__STEP__STEP_DECLINE, "reason_code");
}

void intake_referral_close(intake_call_t *c)
{
    s_step(c, PELUKAN__V1__REFERRAL_STEP__STEP__STEP_CLOSE, "outcome_code");
}

void intake_referral_follow_up(intake_call_t *c)
{
    if (!s_referral_param(c))
        return;
    static const char *const keys[] = {"service_code", "next_step_code", "notes", NULL};
    json_t *errors = intake_strict_body(c, keys);
    if (!errors)
        return;
    const char *service = intake_code_field(c->body, "service_code", true, errors);
    const char *next = intake_code_field(c->body, "next_step_code", false, errors);
    json_t *notes = json_object_get(c->body, "notes");
    if (notes && !json_is_string(notes))
        json_object_set_new(errors, "notes", json_string("teks"));
    if (intake_invalid(c, errors, "Tindak lanjut tidak valid"))
        return;
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, NULL);
    Pelukan__V1__RecordFollowUp fu = PELUKAN__V1__RECORD_FOLLOW_UP__INIT;
    fu.referral_id = (char *)pk_http_param(c->req, 0);
    fu.agency_code = c->staff_agency;
    fu.service_code = (char *)service;
    fu.next_step_code = (char *)(next ? next : "");
    fu.notes = (char *)(notes ? json_string_value(notes) : "");
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_RECORD_FOLLOW_UP;
    req.record_follow_up = &fu;
    pk_rpc_uv_call(c->in->referral, &req, S_TIMEOUT_MS, S_RETRIES, s_answer_referral, c);
}
