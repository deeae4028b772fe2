/* intake_brief.c -- the companion's case brief (issue 22 §3): what she
 * needs to walk in informed, opened like any personal data, the opening
 * recorded first (a timeline entry and CaseDataAccessed, purpose
 * companion_visit): the address or landmark the reporter typed, the desa;
 * the victim's sex, age band, child or not; the kinds of violence; the
 * perpetrator's relation; urgent or not; the reporter's safe hours and
 * whether someone else may read her phone. Never the victim's name, the
 * reporter's number or her account of what happened. Only to the companion
 * of the case, while her access lasts (N12). Every statement is here. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "edge/edge_json.h"
#include "intake.h"
#include "intake_call.h"
#include "intake_staff.h"

/* $1 the case, $2 the companion asking. */
static const char S_BRIEF_SQL[] =
    "SELECT x.id, x.wrapped_key, x.personal_sealed, r.id, r.wrapped_key, r.safety_sealed,"
    " x.victim_sex, x.victim_age_band, x.child, x.disability, array_to_json(x.violence_forms)::text,"
    " x.perpetrator_relation, x.urgent, x.kecamatan_code, x.desa_code, x.place_type"
    " FROM cases x JOIN reporter r ON r.id = x.reporter_id"
    " WHERE x.id = $1 AND x.companion_id = $2 AND " INTAKE_SQL_VISIT_LIVE;

static const char *const s_fields[] = {"address", "desa", "victim", "violence_forms", "perpetrator_relation",
                                       "safe_hours", "phone_monitored"};

static json_t *s_text(const PGresult *r, int col)
{
    return PQgetisnull(r, 0, col) ? json_null() : json_string(PQgetvalue(r, 0, col));
}

/* The brief from the row (opened only now that the opening committed). */
static json_t *s_brief(intake_call_t *c, const PGresult *const *rows)
{
    const PGresult *r = rows[0];
    char case_ctx[64], rep_ctx[64];
    snprintf(case_ctx, sizeof case_ctx, "case:%s", PQgetvalue(r, 0, 0));
    snprintf(rep_ctx, sizeof rep_ctx, "reporter:%s", PQgetvalue(r, 0, 3));
    uint8_t ck[PK_DATAKEY_BYTES], rk[PK_DATAKEY_BYTES];
    json_t *personal = intake_unwrap(c, case_ctx, r, 0, 1, ck) == 0
                           ? intake_open_json(ck, case_ctx, "personal", r, 0, 2) : NULL;
    json_t *safety = intake_unwrap(c, rep_ctx, r, 0, 4, rk) == 0 ? intake_open_json(rk, rep_ctx, "safety", r, 0, 5)
                                                                  : NULL;
    sodium_memzero(ck, sizeof ck);
    sodium_memzero(rk, sizeof rk);
    json_t *forms = json_loads(PQgetvalue(r, 0, 10), 0, NULL);
    if (!json_is_array(forms)) {
        json_decref(forms);
        forms = json_array();
    }
    json_t *address = json_object_get(personal, "address");
    json_t *brief = json_pack(
        "{s:O, s:o, s:o, s:o, s:o, s:b, s:b, s:o, s:o, s:b, s:O, s:O, s:O}", "address",
        json_is_string(address) ? address : json_null(), "kecamatan_code", s_text(r, 13), "desa_code", s_text(r, 14),
        "victim_sex", s_text(r, 6), "victim_age_band", s_text(r, 7), "child", pk_pg_bool(r, 0, 8), "disability",
        pk_pg_bool(r, 0, 9), "violence_forms", forms, "perpetrator_relation", s_text(r, 11), "urgent",
        pk_pg_bool(r, 0, 12), "safe_hours",
        json_is_string(json_object_get(safety, "safe_hours")) ? json_object_get(safety, "safe_hours") : json_null(),
        "safe_channel",
        json_is_string(json_object_get(safety, "safe_channel")) ? json_object_get(safety, "safe_channel") : json_null(),
        "phone_monitored", json_is_true(json_object_get(safety, "phone_monitored")) ? json_true() : json_false());
    json_object_set_new(brief, "place_type", s_text(r, 15));
    json_decref(personal);
    json_decref(safety);
    return brief;
}

static void s_found(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    if (PQntuples(pk_db_txn_result(txn, 0)) != 1) {
        intake_error(c->req, 404, "case_not_found", "Kasus tidak ditemukan atau bukan kunjungan Anda", NULL);
        intake_call_free(c);
        return;
    }
    intake_answer_opened(c, txn, "companion_visit", s_fields, PK_ARRAY_LEN(s_fields), s_brief);
}

/* GET /v1/companion/cases/{id}/brief */
void intake_brief_get(intake_call_t *c)
{
    snprintf(c->case_id, sizeof c->case_id, "%s", pk_http_param(c->req, 0));
    const char *p[] = {c->case_id, c->staff_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, S_BRIEF_SQL, 2, p);
    pk_db_txn_submit(txn, s_found, c);
}
