/* intake_erasure.c -- erasing a case: one supervisor asks, with a reason;
 * a second supervisor approves (not from an account created, reset or
 * unlocked by another lately, nor by the one who changed the asker's
 * account); the erasure then waits a cooling-off time, every supervisor
 * told, in which any supervisor can stop it (security review N1); or the
 * retention of closed cases decides, at once. Either way intake deletes
 * everything it holds of the case in one transaction with the CaseErased
 * event, on which every other service destroys what it holds (dispatch,
 * referral, notification). What stays is erasure_request: who asked,
 * approved or stopped the erasure of which case, and why.
 *
 *   POST /v1/staff/cases/{id}/erasure   {"reason_code"}  supervisor -> 202
 *   POST /v1/staff/erasures/{id}/approve                 another supervisor -> 202 (scheduled)
 *   POST /v1/staff/erasures/{id}/stop                    any supervisor, before it ran -> 200 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_call.h"
#include "intake_case.h"
#include "intake_staff.h"
#include "pelukan/bus.h"
#include "pelukan/util.h"

static const char *const s_reasons[] = {"reporter_request", "court_order", "wrong_person",
                                        "data_protection",  "other",       NULL};

/* ---- the SQL ------------------------------------------------------------- */

/* $1 case, $2 request id, $3 reason, $4 supervisor. One row: whether the
 * case exists, and the new request's id (NULL when one is open). */
static const char S_REQUEST_SQL[] = "WITH r AS (INSERT INTO erasure_request (id, case_id, reason_code, requested_by)"
                                    "   SELECT $2, $1, $3, $4 WHERE EXISTS (SELECT 1 FROM cases WHERE id = $1)"
                                    "   ON CONFLICT (case_id) WHERE done_at IS NULL AND stopped_at IS NULL DO NOTHING"
                                    "   RETURNING id)"
                                    " SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1), (SELECT id FROM r)";

/* $1 request id, $2 the approving supervisor, $3 trust days. The request,
 * and whether the approver may approve it: not an account created, reset
 * or unlocked by another in the last $3 days, and neither the one who
 * changed the asker's account nor one the asker changed lately. */
static const char S_FIND_SQL[] =
    "SELECT r.case_id, r.requested_by, r.approved_at IS NOT NULL, r.reason_code,"
    "  r.done_at IS NOT NULL OR r.stopped_at IS NOT NULL,"
    "  coalesce(a.changed_at > now() - make_interval(days => $3::int), false)"
    "  OR coalesce(q.changed_by = $2 AND q.changed_at > now() - make_interval(days => $3::int), false)"
    " FROM erasure_request r LEFT JOIN staff a ON a.id = $2 LEFT JOIN staff q ON q.id = r.requested_by"
    " WHERE r.id = $1";

/* $1 request id, $2 approver, $3 cooling-off seconds, $4 topic, $5
 * ErasureScheduled. Approves the request once (never by its asker); it
 * runs at run_at. One row per approval made. */
static const char S_APPROVE_SQL[] =
    "WITH a AS (UPDATE erasure_request SET approved_by = $2, approved_at = now(),"
    "   run_at = now() + make_interval(secs => $3::int)"
    "   WHERE id = $1 AND approved_at IS NULL AND stopped_at IS NULL AND requested_by <> $2 RETURNING case_id),"
    " ev AS (" PK_OUTBOX_INSERT_SELECT("$4", "case_id", "$5") " FROM a)"
                                                              " SELECT case_id FROM a";

/* $1 request id, $2 supervisor, $3 topic, $4 ErasureStopped. Stops an
 * erasure not run yet, once; one row when it did. */
static const char S_STOP_SQL[] = "WITH s AS (UPDATE erasure_request SET stopped_by = $2, stopped_at = now()"
                                 "   WHERE id = $1 AND done_at IS NULL AND stopped_at IS NULL RETURNING case_id),"
                                 " ev AS (" PK_OUTBOX_INSERT_SELECT("$3", "case_id", "$4") " FROM s)"
                                                                                           " SELECT case_id FROM s";

/* Approved erasures whose time has come (at most 100 at once). */
static const char S_DUE_SQL[] =
    "SELECT id, case_id, reason_code, approved_by FROM erasure_request"
    " WHERE approved_at IS NOT NULL AND done_at IS NULL AND stopped_at IS NULL AND run_at <= now()"
    " ORDER BY run_at LIMIT 100";

/* $1 request id, $2 topic, $3 CaseErased, $4 the redacted envelope, $5 its
 * topic. Runs an approved erasure once, if nobody stopped it: deletes the
 * case with everything intake holds of it, its events in the outbox
 * redacted (pk_outbox_redact_case); one row: the cases deleted (0 or 1). */
static const char S_ERASE_SQL[] =
    "WITH a AS (UPDATE erasure_request SET done_at = now() WHERE id = $1 AND approved_at IS NOT NULL"
    "   AND done_at IS NULL AND stopped_at IS NULL AND run_at <= now() RETURNING case_id),"
    " dup AS (UPDATE cases SET duplicate_of = NULL WHERE duplicate_of IN (SELECT case_id FROM a)),"
    " notes AS (DELETE FROM case_note WHERE case_id IN (SELECT case_id FROM a)),"
    " steps AS (DELETE FROM case_event WHERE case_id IN (SELECT case_id FROM a)),"
    " agencies AS (DELETE FROM case_agency WHERE case_id IN (SELECT case_id FROM a)),"
    " keys AS (DELETE FROM idempotency WHERE case_id IN (SELECT case_id FROM a)),"
    " c AS (DELETE FROM cases WHERE id IN (SELECT case_id FROM a) RETURNING id),"
    " redacted AS (UPDATE outbox SET envelope = $4::bytea, topic = $5, case_id = NULL"
    "   WHERE case_id IN (SELECT id FROM c)),"
    " ev AS (" PK_OUTBOX_INSERT_SELECT("$2", "id", "$3") " FROM c)"
                                                         " SELECT count(*) FROM c";

/* $1 retention s, $2 most cases at once. Cases ended long enough ago. */
static const char S_EXPIRED_SQL[] =
    "SELECT id FROM cases WHERE state IN " INTAKE_SQL_FINAL_STATES
    " AND updated_at < now() - make_interval(secs => $1::int) ORDER BY updated_at LIMIT $2::int";

/* $1 request id, $2 case. The retention's own request, approved by itself
 * and due at once (a rule, not a person: no cooling-off). */
static const char S_RETENTION_REQUEST_SQL[] =
    "INSERT INTO erasure_request (id, case_id, reason_code, requested_by, approved_by, approved_at, run_at)"
    " VALUES ($1, $2, 'retention', 'retention', 'retention', now(), now())"
    " ON CONFLICT (case_id) WHERE done_at IS NULL AND stopped_at IS NULL DO NOTHING";

/* ---- the events --------------------------------------------------------------- */

/* The CaseErased event of `case_id` as outbox parameters. */
static void s_erased_event(const char *case_id, const char *reason, Pelukan__V1__Actor *actor, char topic[128],
                           char **env_hex)
{
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    pk_envelope_init(&env, eid, "intake", case_id, NULL);
    env.actor = actor;
    Pelukan__V1__CaseErased ce = PELUKAN__V1__CASE_ERASED__INIT;
    ce.legal_basis_code = (char *)reason;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_ERASED;
    env.case_erased = &ce;
    pk_outbox_params(&env, topic, env_hex);
}

/* Runs the erasure `id` of `case_id` (due, approved by `approver`). */
static void s_run(intake_t *in, const char *id, const char *case_id, const char *reason, const char *approver,
                  pk_db_txn_fn done, void *arg)
{
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    bool rule = strcmp(approver, "retention") == 0;
    actor.kind = rule ? PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM : PELUKAN__V1__ACTOR__KIND__KIND_STAFF;
    actor.id = (char *)approver;
    actor.role = rule ? "" : "supervisor";
    char topic[128], *env_hex;
    s_erased_event(case_id, reason, &actor, topic, &env_hex);
    char *redacted, redacted_topic[128], erased_topic[128];
    pk_outbox_redacted("intake", &redacted, redacted_topic, erased_topic);
    const char *p[] = {id, topic, env_hex, redacted, redacted_topic};
    pk_db_txn_t *txn = pk_db_txn_new(in->db);
    pk_db_txn_add(txn, S_ERASE_SQL, 5, p);
    free(env_hex);
    free(redacted);
    pk_db_txn_submit(txn, done, arg);
}

/* ---- POST /v1/staff/cases/{id}/erasure -------------------------------------------- */

static void s_requested(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (!pk_pg_bool(r, 0, 0))
        intake_error(c->req, 404, "not_found", "Kasus tidak ditemukan", NULL);
    else if (PQgetisnull(r, 0, 1))
        intake_error(c->req, 409, "erasure_pending", "Penghapusan kasus ini sudah menunggu persetujuan", NULL);
    else
        intake_json(c->req, 202,
                    json_pack("{s:s, s:s, s:s}", "erasure_id", PQgetvalue(r, 0, 1), "case_id", c->case_id, "state",
                              "awaiting_approval"));
    intake_call_free(c);
}

void intake_erasure_request(intake_call_t *c)
{
    if (!(c->body = intake_body(c->req))) {
        intake_call_free(c);
        return;
    }
    const char *reason = json_string_value(json_object_get(c->body, "reason_code"));
    json_t *errors = json_object();
    if (!reason || !pk_code_in(reason, s_reasons))
        json_object_set_new(errors, "reason_code",
                            json_string("reporter_request, court_order, wrong_person, "
                                        "data_protection atau other"));
    if (json_object_size(c->body) != 1 && json_object_size(errors) == 0)
        json_object_set_new(errors, "body", json_string("hanya reason_code"));
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    snprintf(c->case_id, sizeof c->case_id, "%s", pk_http_param(c->req, 0));
    char id[PK_ID_HEX_LEN + 1];
    pk_id_new(id);
    const char *p[] = {c->case_id, id, reason, c->staff_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, S_REQUEST_SQL, 4, p);
    pk_db_txn_submit(txn, s_requested, c);
}

/* ---- POST /v1/staff/erasures/{id}/approve ------------------------------------------ */

static void s_approved(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    if (PQntuples(pk_db_txn_result(txn, 0)) != 1) {
        intake_error(c->req, 409, "already_approved", "Penghapusan ini sudah disetujui atau dihentikan", NULL);
        intake_call_free(c);
        return;
    }
    pk_relay_kick(pk_service_relay(c->in->svc));
    intake_log_info(c, "erasure of case %s approved by staff %s, runs in %d s", c->case_id, c->staff_id,
                    c->in->erasure_cooling_s);
    uint64_t run_at_us = pk_now_us() + (uint64_t)c->in->erasure_cooling_s * 1000000u;
    intake_json(c->req, 202,
                json_pack("{s:s, s:s, s:s, s:I}", "erasure_id", pk_http_param(c->req, 0), "case_id", c->case_id,
                          "state", "scheduled", "run_at_us", (json_int_t)run_at_us));
    intake_erasure_due(c->in); /* with no cooling-off: now */
    intake_call_free(c);
}

static void s_found(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (PQntuples(r) != 1) {
        intake_error(c->req, 404, "not_found", "Permintaan penghapusan tidak ditemukan", NULL);
        intake_call_free(c);
        return;
    }
    if (strcmp(PQgetvalue(r, 0, 1), c->staff_id) == 0) {
        intake_error(c->req, 403, "second_supervisor_required",
                     "Penghapusan harus disetujui supervisor lain, bukan yang memintanya", NULL);
        intake_call_free(c);
        return;
    }
    if (pk_pg_bool(r, 0, 2) || pk_pg_bool(r, 0, 4)) {
        intake_error(c->req, 409, "already_approved", "Penghapusan ini sudah disetujui atau dihentikan", NULL);
        intake_call_free(c);
        return;
    }
    if (pk_pg_bool(r, 0, 5)) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "Akun Anda atau akun peminta baru dibuat, diatur ulang atau dibuka oleh orang lain dalam %d hari"
                 " terakhir: minta supervisor lain menyetujui",
                 c->in->erasure_trust_days);
        intake_error(c->req, 403, "approver_not_trusted_yet", msg, NULL);
        intake_call_free(c);
        return;
    }
    snprintf(c->case_id, sizeof c->case_id, "%s", PQgetvalue(r, 0, 0));
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    Pelukan__V1__Actor actor;
    intake_staff_envelope(c, c->case_id, &env, eid, &actor);
    Pelukan__V1__ErasureScheduled ev = PELUKAN__V1__ERASURE_SCHEDULED__INIT;
    ev.erasure_id = (char *)pk_http_param(c->req, 0);
    ev.run_at_us = pk_now_us() + (uint64_t)c->in->erasure_cooling_s * 1000000u;
    ev.reason_code = PQgetvalue(r, 0, 3);
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_ERASURE_SCHEDULED;
    env.erasure_scheduled = &ev;
    char topic[128], *env_hex, cooling[16];
    pk_outbox_params(&env, topic, &env_hex);
    snprintf(cooling, sizeof cooling, "%d", c->in->erasure_cooling_s);
    const char *p[] = {pk_http_param(c->req, 0), c->staff_id, cooling, topic, env_hex};
    pk_db_txn_t *next = pk_db_txn_new(c->in->db);
    pk_db_txn_add(next, S_APPROVE_SQL, 5, p);
    free(env_hex);
    pk_db_txn_submit(next, s_approved, c);
}

void intake_erasure_approve(intake_call_t *c)
{
    char days[16];
    snprintf(days, sizeof days, "%d", c->in->erasure_trust_days);
    const char *p[] = {pk_http_param(c->req, 0), c->staff_id, days};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, S_FIND_SQL, 3, p);
    pk_db_txn_submit(txn, s_found, c);
}

/* ---- POST /v1/staff/erasures/{id}/stop ---------------------------------------------- */

static void s_stopped(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    if (PQntuples(pk_db_txn_result(txn, 0)) != 1) {
        intake_error(c->req, 409, "erasure_over", "Penghapusan ini sudah dijalankan atau dihentikan", NULL);
    } else {
        pk_relay_kick(pk_service_relay(c->in->svc));
        intake_log_info(c, "erasure %s stopped by staff %s", pk_http_param(c->req, 0), c->staff_id);
        intake_json(c->req, 200, json_pack("{s:s, s:s}", "erasure_id", pk_http_param(c->req, 0), "state", "stopped"));
    }
    intake_call_free(c);
}

static void s_stop_found(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (PQntuples(r) != 1) {
        intake_error(c->req, 404, "not_found", "Permintaan penghapusan tidak ditemukan", NULL);
        intake_call_free(c);
        return;
    }
    snprintf(c->case_id, sizeof c->case_id, "%s", PQgetvalue(r, 0, 0));
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    Pelukan__V1__Actor actor;
    intake_staff_envelope(c, c->case_id, &env, eid, &actor);
    Pelukan__V1__ErasureStopped ev = PELUKAN__V1__ERASURE_STOPPED__INIT;
    ev.erasure_id = (char *)pk_http_param(c->req, 0);
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_ERASURE_STOPPED;
    env.erasure_stopped = &ev;
    char topic[128], *env_hex;
    pk_outbox_params(&env, topic, &env_hex);
    const char *p[] = {pk_http_param(c->req, 0), c->staff_id, topic, env_hex};
    pk_db_txn_t *next = pk_db_txn_new(c->in->db);
    pk_db_txn_add(next, S_STOP_SQL, 4, p);
    free(env_hex);
    pk_db_txn_submit(next, s_stopped, c);
}

void intake_erasure_stop(intake_call_t *c)
{
    const char *p[] = {pk_http_param(c->req, 0)};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "SELECT case_id FROM erasure_request WHERE id = $1", 1, p);
    pk_db_txn_submit(txn, s_stop_found, c);
}

/* ---- due erasures ------------------------------------------------------------------ */

static void s_ran(pk_db_txn_t *txn, int status, void *arg)
{
    intake_t *in = arg;
    if (status == 0 && atoi(PQgetvalue(pk_db_txn_result(txn, 0), 0, 0)) == 1)
        pk_relay_kick(pk_service_relay(in->svc));
    else if (status != 0)
        pk_log_warn(in->log, "an erasure failed (%s), trying again later", pk_strerror(status));
}

static void s_due_found(pk_db_txn_t *txn, int status, void *arg)
{
    intake_t *in = arg;
    if (status != 0) {
        pk_log_warn(in->log, "due erasures not read (%s), trying again later", pk_strerror(status));
        return;
    }
    const PGresult *r = pk_db_txn_result(txn, 0);
    /* Two sweeps at once are harmless: each erasure runs once (done_at). */
    for (int i = 0; i < PQntuples(r); i++) {
        pk_log_info(in->log, "case %s erased: its cooling-off time is over", PQgetvalue(r, i, 1));
        s_run(in, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), s_ran, in);
    }
}

void intake_erasure_due(intake_t *in)
{
    pk_db_txn_t *txn = pk_db_txn_new(in->db);
    pk_db_txn_add(txn, S_DUE_SQL, 0, NULL);
    pk_db_txn_submit(txn, s_due_found, in);
}

/* ---- retention ------------------------------------------------------------------- */

typedef struct {
    intake_t *in;
    int left; /* erasures in flight */
} s_sweep_t;

static void s_swept_one(pk_db_txn_t *txn, int status, void *arg)
{
    s_sweep_t *s = arg;
    if (status == 0 && atoi(PQgetvalue(pk_db_txn_result(txn, 1), 0, 0)) == 1)
        pk_relay_kick(pk_service_relay(s->in->svc));
    else if (status != 0)
        pk_log_warn(s->in->log, "retention: an erasure failed (%s), trying again later", pk_strerror(status));
    if (--s->left == 0) {
        s->in->retention_busy = false;
        free(s);
    }
}

static void s_expired(pk_db_txn_t *txn, int status, void *arg)
{
    s_sweep_t *s = arg;
    const PGresult *r = status == 0 ? pk_db_txn_result(txn, 0) : NULL;
    int n = r ? PQntuples(r) : 0;
    if (n == 0) {
        s->in->retention_busy = false;
        free(s);
        return;
    }
    pk_log_info(s->in->log, "retention: erasing %d cases closed more than %d s ago", n, s->in->retention_s);
    s->left = n;
    for (int i = 0; i < n; i++) {
        const char *case_id = PQgetvalue(r, i, 0);
        char id[PK_ID_HEX_LEN + 1], topic[128], *env_hex;
        pk_id_new(id);
        Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
        actor.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
        actor.id = "retention";
        s_erased_event(case_id, "retention", &actor, topic, &env_hex);
        char *redacted, redacted_topic[128], erased_topic[128];
        pk_outbox_redacted("intake", &redacted, redacted_topic, erased_topic);
        const char *pr[] = {id, case_id}, *pe[] = {id, topic, env_hex, redacted, redacted_topic};
        pk_db_txn_t *one = pk_db_txn_new(s->in->db);
        pk_db_txn_add(one, S_RETENTION_REQUEST_SQL, 2, pr);
        pk_db_txn_add(one, S_ERASE_SQL, 5, pe);
        free(env_hex);
        free(redacted);
        pk_db_txn_submit(one, s_swept_one, s);
    }
}

void intake_erasure_retention(intake_t *in)
{
    if (in->retention_s <= 0 || in->retention_busy)
        return;
    in->retention_busy = true;
    char secs[24];
    snprintf(secs, sizeof secs, "%d", in->retention_s);
    const char *p[] = {secs, "100"};
    s_sweep_t *s = pk_calloc(1, sizeof *s);
    s->in = in;
    pk_db_txn_t *txn = pk_db_txn_new(in->db);
    pk_db_txn_add(txn, S_EXPIRED_SQL, 2, p);
    pk_db_txn_submit(txn, s_expired, s);
}
