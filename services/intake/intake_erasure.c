/* intake_erasure.c -- erasing a case: one supervisor asks, with a reason;
 * a second supervisor approves; or the retention of closed cases
 * (PELUKAN_INTAKE_RETENTION_S) decides. Either way intake deletes
 * everything it holds of the case in one transaction with the CaseErased
 * event, on which every other service destroys what it holds (dispatch,
 * referral, notification). What stays is erasure_request: who erased
 * which case and why.
 *
 *   POST /v1/staff/cases/{id}/erasure   {"reason_code"}  supervisor -> 202
 *   POST /v1/staff/erasures/{id}/approve                 another supervisor -> 200 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_call.h"
#include "intake_staff.h"
#include "pelukan/util.h"

static const char *const s_reasons[] = {"reporter_request", "court_order", "wrong_person",
                                        "data_protection",  "other",       NULL};

/* ---- the SQL ------------------------------------------------------------- */

/* $1 case, $2 request id, $3 reason, $4 supervisor. One row: whether the
 * case exists, and the new request's id (NULL when one is pending). */
static const char S_REQUEST_SQL[] = "WITH r AS (INSERT INTO erasure_request (id, case_id, reason_code, requested_by)"
                                    "   SELECT $2, $1, $3, $4 WHERE EXISTS (SELECT 1 FROM cases WHERE id = $1)"
                                    "   ON CONFLICT (case_id) WHERE approved_at IS NULL DO NOTHING RETURNING id)"
                                    " SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1), (SELECT id FROM r)";

/* $1 request id. */
static const char S_FIND_SQL[] =
    "SELECT case_id, requested_by, approved_at IS NOT NULL, reason_code FROM erasure_request WHERE id = $1";

/* $1 request id, $2 approver, $3 topic, $4 CaseErased, $5 the redacted
 * envelope, $6 its topic. Approves the request once (never by its
 * requester) and deletes the case with everything intake holds of it,
 * its events in the outbox redacted (pk_outbox_redact_case); one row: the
 * cases deleted (0 or 1). */
static const char S_ERASE_SQL[] =
    "WITH a AS (UPDATE erasure_request SET approved_by = $2, approved_at = now()"
    "   WHERE id = $1 AND approved_at IS NULL AND (requested_by <> $2 OR requested_by = 'retention')"
    "   RETURNING case_id),"
    " dup AS (UPDATE cases SET duplicate_of = NULL WHERE duplicate_of IN (SELECT case_id FROM a)),"
    " notes AS (DELETE FROM case_note WHERE case_id IN (SELECT case_id FROM a)),"
    " steps AS (DELETE FROM case_event WHERE case_id IN (SELECT case_id FROM a)),"
    " agencies AS (DELETE FROM case_agency WHERE case_id IN (SELECT case_id FROM a)),"
    " keys AS (DELETE FROM idempotency WHERE case_id IN (SELECT case_id FROM a)),"
    " c AS (DELETE FROM cases WHERE id IN (SELECT case_id FROM a) RETURNING id),"
    " redacted AS (UPDATE outbox SET envelope = $5::bytea, topic = $6, case_id = NULL"
    "   WHERE case_id IN (SELECT id FROM c)),"
    " ev AS (INSERT INTO outbox (topic, case_id, envelope) SELECT $3, id, $4::bytea FROM c)"
    " SELECT count(*) FROM c";

/* $1 retention s, $2 most cases at once. Cases ended long enough ago. */
static const char S_EXPIRED_SQL[] =
    "SELECT id FROM cases WHERE state IN ('closed', 'rejected', 'duplicate', 'withdrawn')"
    " AND updated_at < now() - make_interval(secs => $1::int) ORDER BY updated_at LIMIT $2::int";

/* $1 request id, $2 case. The retention's own request, approved by itself. */
static const char S_RETENTION_REQUEST_SQL[] =
    "INSERT INTO erasure_request (id, case_id, reason_code, requested_by) VALUES ($1, $2, 'retention', 'retention')"
    " ON CONFLICT (case_id) WHERE approved_at IS NULL DO NOTHING";

/* ---- the event --------------------------------------------------------------- */

/* The CaseErased event of `case_id` as outbox parameters. */
static void s_event(const char *case_id, const char *reason, const char *correlation, Pelukan__V1__Actor *actor,
                    char topic[128], char **env_hex)
{
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    pk_envelope_init(&env, eid, "intake", case_id, correlation);
    env.actor = actor;
    Pelukan__V1__CaseErased ce = PELUKAN__V1__CASE_ERASED__INIT;
    ce.legal_basis_code = (char *)reason;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_ERASED;
    env.case_erased = &ce;
    pk_outbox_params(&env, topic, env_hex);
}

/* ---- POST /v1/staff/cases/{id}/erasure -------------------------------------------- */

static void s_requested(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
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

static void s_erased(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    if (atoi(PQgetvalue(pk_db_txn_result(txn, 0), 0, 0)) != 1) {
        intake_error(c->req, 409, "already_erased", "Kasus ini sudah dihapus", NULL);
    } else {
        pk_relay_kick(pk_service_relay(c->in->svc));
        pk_log_info(c->in->log, "case %s erased, approved by staff %s", c->case_id, c->staff_id);
        intake_json(c->req, 200, json_pack("{s:s, s:b}", "case_id", c->case_id, "erased", 1));
    }
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
    if (strcmp(PQgetvalue(r, 0, 2), "t") == 0) {
        intake_error(c->req, 409, "already_erased", "Kasus ini sudah dihapus", NULL);
        intake_call_free(c);
        return;
    }
    snprintf(c->case_id, sizeof c->case_id, "%s", PQgetvalue(r, 0, 0));
    Pelukan__V1__Envelope unused;
    uint8_t eid[16];
    Pelukan__V1__Actor actor;
    intake_staff_envelope(c, c->case_id, &unused, eid, &actor); /* the approving supervisor */
    char topic[128], *env_hex;
    s_event(c->case_id, PQgetvalue(r, 0, 3), pk_http_request_id(c->req), &actor, topic, &env_hex);
    char *redacted, redacted_topic[128], erased_topic[128];
    pk_outbox_redacted("intake", &redacted, redacted_topic, erased_topic);
    const char *p[] = {pk_http_param(c->req, 0), c->staff_id, topic, env_hex, redacted, redacted_topic};
    pk_db_txn_t *next = pk_db_txn_new(c->in->db);
    pk_db_txn_add(next, S_ERASE_SQL, 6, p);
    free(env_hex);
    free(redacted);
    pk_db_txn_submit(next, s_erased, c);
}

void intake_erasure_approve(intake_call_t *c)
{
    const char *p[] = {pk_http_param(c->req, 0)};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, S_FIND_SQL, 1, p);
    pk_db_txn_submit(txn, s_found, c);
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
        s_event(case_id, "retention", NULL, &actor, topic, &env_hex);
        char *redacted, redacted_topic[128], erased_topic[128];
        pk_outbox_redacted("intake", &redacted, redacted_topic, erased_topic);
        const char *pr[] = {id, case_id}, *pe[] = {id, "retention", topic, env_hex, redacted, redacted_topic};
        pk_db_txn_t *one = pk_db_txn_new(s->in->db);
        pk_db_txn_add(one, S_RETENTION_REQUEST_SQL, 2, pr);
        pk_db_txn_add(one, S_ERASE_SQL, 6, pe);
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
