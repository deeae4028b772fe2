/* intake_notes.c -- the sealed notes of a case read back (issue 22 §4):
 * the staff's internal notes and the confirmation calls' notes, written
 * sealed under the case key, are opened for an admin or a supervisor who
 * states a purpose; the opening is recorded (a timeline entry and
 * CaseDataAccessed) and committed before anything is decrypted. Every
 * statement is here. The companions' identification notes and the
 * agencies' follow-up notes stay with their owners (dispatch, referral),
 * which open them for the same purposes and record it (OpenNotes). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/edge_json.h"
#include "intake.h"
#include "intake_call.h"
#include "intake_dispatch.h"
#include "intake_staff.h"

/* $1 the case. */
static const char S_CASE_SQL[] = "SELECT id, wrapped_key FROM cases WHERE id = $1 AND wrapped_key IS NOT NULL";
static const char S_NOTES_SQL[] =
    "SELECT n.kind, n.outcome, n.body_sealed,"
    " " PK_SQL_UTC(
        "n.created_at") ", s.display_name"
                        " FROM case_note n JOIN staff s ON s.id = n.staff_id WHERE n.case_id = $1 ORDER BY n.id";

static const char *const s_fields[] = {"notes"};

/* The purpose of the reading (?purpose=), or NULL: answered 422 and `c`
 * freed. */
static const char *s_purpose(intake_call_t *c)
{
    const char *purpose = pk_http_query(c->req, "purpose");
    if (purpose && pk_code_in(purpose, pk_rpc_note_purposes))
        return purpose;
    intake_error(c->req, 422, "validation_failed", "Sebutkan tujuan membuka catatan",
                 json_pack("{s:s}", "purpose", "case_review, follow_up, verification atau legal_request"));
    intake_call_free(c);
    return NULL;
}

/* The notes (rows[1]) opened with the case key (rows[0]). */
static json_t *s_notes(intake_call_t *c, const PGresult *const *rows)
{
    const PGresult *cs = rows[0], *notes = rows[1];
    char ctx[64];
    snprintf(ctx, sizeof ctx, "case:%s", c->case_id);
    uint8_t key[PK_DATAKEY_BYTES];
    bool opened = intake_unwrap(c, ctx, cs, 0, 1, key) == 0;
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(notes); i++) {
        json_t *body = opened && !PQgetisnull(notes, i, 2) ? intake_open_json(key, ctx, "note", notes, i, 2) : NULL;
        json_t *text = json_object_get(body, "text"), *why = json_object_get(body, "override_reason");
        json_array_append_new(
            list, json_pack("{s:s, s:s?, s:O, s:O, s:s, s:s}", "kind", PQgetvalue(notes, i, 0), "outcome",
                            PQgetisnull(notes, i, 1) ? NULL : PQgetvalue(notes, i, 1), "text",
                            json_is_string(text) ? text : json_null(), "override_reason",
                            json_is_string(why) ? why : json_null(), "at", PQgetvalue(notes, i, 3), "by",
                            PQgetvalue(notes, i, 4)));
        json_decref(body);
    }
    sodium_memzero(key, sizeof key);
    return json_pack("{s:o}", "notes", list);
}

static void s_found(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    if (PQntuples(pk_db_txn_result(txn, 0)) != 1) {
        intake_error(c->req, 404, "case_not_found", "Kasus tidak ditemukan", NULL);
        intake_call_free(c);
        return;
    }
    intake_answer_opened(c, txn, pk_http_query(c->req, "purpose"), s_fields, PK_ARRAY_LEN(s_fields), s_notes);
}

/* GET /v1/staff/cases/{id}/notes?purpose= */
void intake_notes_get(intake_call_t *c)
{
    if (!s_purpose(c))
        return;
    snprintf(c->case_id, sizeof c->case_id, "%s", pk_http_param(c->req, 0));
    const char *p[] = {c->case_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, S_CASE_SQL, 1, p);
    pk_db_txn_add(txn, S_NOTES_SQL, 1, p);
    pk_db_txn_submit(txn, s_found, c);
}

/* ---- the notes other services keep ------------------------------------------------------ */

#define S_TIMEOUT_MS 1000
#define S_RETRIES    2

/* The notes a service answered, as JSON; a follow-up says its referral, service and next step. */
static void s_owned_answer(intake_call_t *c, const char *service, int rc, const Pelukan__V1__CommandReply *reply)
{
    if (intake_cmd_failed(c, service, rc, reply))
        return;
    bool follow_ups = strcmp(service, "referral") == 0;
    json_t *list = json_array();
    for (size_t i = 0; reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_NOTES && i < reply->notes->n_items;
         i++) {
        const Pelukan__V1__Note *n = reply->notes->items[i];
        json_t *note = json_pack("{s:s, s:I, s:s, s:s?}", "id", n->id, "at_us", (json_int_t)n->at_us, "by", n->by,
                                 "text", n->text_known ? n->text : NULL);
        if (follow_ups)
            json_object_update_new(note, json_pack("{s:s, s:s, s:s?}", "referral_id", n->referral_id, "service_code",
                                                   n->service_code, "next_step_code",
                                                   n->next_step_code[0] ? n->next_step_code : NULL));
        json_array_append_new(list, note);
    }
    intake_json(c->req, 200, json_pack("{s:o}", "notes", list));
    intake_call_free(c);
}

static void s_identification_done(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    s_owned_answer(arg, "dispatch", rc, reply);
}

static void s_follow_ups_done(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    s_owned_answer(arg, "referral", rc, reply);
}

/* OpenNotes of the case in the path, asked of `owner`. */
static void s_owned_notes(intake_call_t *c, pk_rpc_uv_t *owner, const char *agency, pk_rpc_uv_done_fn done)
{
    const char *purpose = s_purpose(c);
    if (!purpose)
        return;
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, pk_http_param(c->req, 0));
    Pelukan__V1__OpenNotes on = PELUKAN__V1__OPEN_NOTES__INIT;
    on.purpose_code = (char *)purpose;
    on.agency_code = (char *)agency;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_OPEN_NOTES;
    req.open_notes = &on;
    pk_rpc_uv_call(owner, &req, S_TIMEOUT_MS, S_RETRIES, done, c);
}

/* GET /v1/staff/cases/{id}/identification-notes?purpose= */
void intake_notes_identification(intake_call_t *c)
{
    s_owned_notes(c, c->in->dispatch_rpc, "", s_identification_done);
}

/* GET /v1/staff/cases/{id}/follow-ups?purpose=: an agency user reads only
 * its agency's, once accepted. */
void intake_notes_follow_ups(intake_call_t *c)
{
    s_owned_notes(c, c->in->referral, c->staff_agency, s_follow_ups_done);
}
