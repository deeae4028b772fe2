/* intake_notes.c -- the sealed notes of a case read back (issue 22 §4):
 * the staff's internal notes and the confirmation calls' notes, written
 * sealed under the case key, are opened for an admin or a supervisor who
 * states a purpose; the opening is recorded (a timeline entry and
 * CaseDataAccessed) and committed before anything is decrypted. Every
 * statement is here. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "intake_call.h"
#include "intake_http.h"
#include "intake_staff.h"

/* $1 the case. */
static const char S_CASE_SQL[] = "SELECT id, wrapped_key FROM cases WHERE id = $1 AND wrapped_key IS NOT NULL";
static const char S_NOTES_SQL[] =
    "SELECT n.kind, n.outcome, n.body_sealed,"
    " to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), s.display_name"
    " FROM case_note n JOIN staff s ON s.id = n.staff_id WHERE n.case_id = $1 ORDER BY n.id";

static const char *const s_purposes[] = {"case_review", "follow_up", "verification", "legal_request", NULL};
static const char *const s_fields[] = {"notes"};

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
    const char *purpose = pk_http_query(c->req, "purpose");
    if (!purpose || !pk_code_in(purpose, s_purposes)) {
        intake_error(c->req, 422, "validation_failed", "Sebutkan tujuan membuka catatan",
                     json_pack("{s:s}", "purpose", "case_review, follow_up, verification atau legal_request"));
        intake_call_free(c);
        return;
    }
    snprintf(c->case_id, sizeof c->case_id, "%s", pk_http_param(c->req, 0));
    const char *p[] = {c->case_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, S_CASE_SQL, 1, p);
    pk_db_txn_add(txn, S_NOTES_SQL, 1, p);
    pk_db_txn_submit(txn, s_found, c);
}
