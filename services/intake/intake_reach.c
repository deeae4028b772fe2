/* intake_reach.c -- a companion asks the office to reach the reporter
 * (issue 22 §3). The companion never holds the reporter's number: she says
 * why (a code), the case is marked on the desk, every admin is told (by
 * e-mail, and by SMS those on duty: the ReporterContactRequested event),
 * and an admin calls the reporter after opening her safety choices (safe
 * hours, channel, whether her phone is read) with a purpose, then says the
 * request was answered. Only the case's companion asks, while her access
 * lasts (N12); a request still waiting is not made again. Every statement
 * is here. */
#include <stdio.h>
#include <string.h>

#include "edge/edge_json.h"
#include "intake.h"
#include "intake_call.h"
#include "intake_staff.h"

static const char *const s_reasons[] = {"cannot_find_place", "arrange_meeting", "need_information",
                                        "reporter_absent",   "other",           NULL};

/* $1 the case, $2 the companion: whether a request already waits. */
static const char S_CHECK_SQL[] = "SELECT x.reach_reason IS NOT NULL FROM cases x"
                                  " WHERE x.id = $1 AND x.companion_id = $2 AND " INTAKE_SQL_VISIT_LIVE;
/* $1 the case, $2 the reason, $3 the companion. */
static const char S_MARK_SQL[] =
    "UPDATE cases SET reach_reason = $2, reach_requested_at = now() WHERE id = $1 AND companion_id = $3";
static const char S_ENTRY_SQL[] = "INSERT INTO case_event (case_id, kind, state, reason_code, actor_kind, actor_id)"
                                  " SELECT id, 'reach_request', state, $2, 'staff', $3 FROM cases WHERE id = $1";

/* $1 the case, $2 the admin: the request answered (a timeline entry). */
static const char S_DONE_SQL[] = "WITH u AS (UPDATE cases SET reach_reason = NULL, reach_requested_at = NULL"
                                 "   WHERE id = $1 AND reach_reason IS NOT NULL RETURNING id, state)"
                                 " INSERT INTO case_event (case_id, kind, state, actor_kind, actor_id)"
                                 " SELECT id, 'reach_done', state, 'staff', $2 FROM u";

static void s_answer(intake_call_t *c, bool repeated)
{
    intake_json(c->req, 200, json_pack("{s:b, s:b}", "requested", true, "repeated", repeated));
    intake_call_free(c);
}

static void s_written(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (intake_db_ok(c, txn, status))
        s_answer(c, false);
}

static void s_checked(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (PQntuples(r) != 1) {
        intake_error(c->req, 404, "case_not_found", "Kasus tidak ditemukan", NULL);
        intake_call_free(c);
        return;
    }
    if (pk_pg_bool(r, 0, 0)) {
        s_answer(c, true);
        return;
    }
    const char *reason = json_string_value(json_object_get(c->body, "reason_code"));
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    Pelukan__V1__Actor actor;
    intake_staff_envelope(c, c->case_id, &env, eid, &actor);
    Pelukan__V1__ReporterContactRequested ev = PELUKAN__V1__REPORTER_CONTACT_REQUESTED__INIT;
    ev.reason_code = (char *)reason;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REPORTER_CONTACT_REQUESTED;
    env.reporter_contact_requested = &ev;
    char topic[128], *hex;
    pk_outbox_params(&env, topic, &hex);
    const char *p[] = {c->case_id, reason, c->staff_id}, *q[] = {topic, c->case_id, hex};
    pk_db_txn_t *w = pk_db_txn_new(c->in->db);
    pk_db_txn_add(w, S_MARK_SQL, 3, p);
    pk_db_txn_add(w, S_ENTRY_SQL, 3, p);
    pk_db_txn_add(w, PK_OUTBOX_INSERT_SQL, 3, q);
    free(hex);
    pk_db_txn_submit(w, s_written, c);
}

/* POST /v1/companion/cases/{id}/reach-request {reason_code} */
void intake_reach_request(intake_call_t *c)
{
    static const char *const allowed[] = {"reason_code", NULL};
    json_t *errors = intake_strict_body(c, allowed);
    if (!errors)
        return;
    const char *reason = intake_code_field(c->body, "reason_code", true, errors);
    if (reason && !pk_code_in(reason, s_reasons))
        json_object_set_new(
            errors, "reason_code",
            json_string("cannot_find_place, arrange_meeting, need_information, reporter_absent atau other"));
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    snprintf(c->case_id, sizeof c->case_id, "%s", pk_http_param(c->req, 0));
    const char *p[] = {c->case_id, c->staff_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, S_CHECK_SQL, 2, p);
    pk_db_txn_submit(txn, s_checked, c);
}

static void s_done(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    intake_json(c->req, 200,
                json_pack("{s:b}", "answered", strcmp(PQcmdTuples((PGresult *)pk_db_txn_result(txn, 0)), "1") == 0));
    intake_call_free(c);
}

/* POST /v1/staff/cases/{id}/reach-request/done: the admin reached the
 * reporter (or tried); the mark leaves the desk. Answered false when none
 * was waiting. */
void intake_reach_done(intake_call_t *c)
{
    static const char *const none[] = {NULL};
    json_t *errors = intake_strict_body(c, none);
    if (!errors || intake_invalid(c, errors, "Data tidak valid"))
        return;
    const char *p[] = {pk_http_param(c->req, 0), c->staff_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, S_DONE_SQL, 2, p);
    pk_db_txn_submit(txn, s_done, c);
}
