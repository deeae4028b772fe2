/* intake_erasure.c -- erasing a case, answered by the case owner
 * (EraseCase): one supervisor asks, with a reason; a second supervisor
 * approves (not from an account created, reset or unlocked by another
 * lately, nor by the one who changed the asker's account); the erasure then
 * waits a cooling-off time, every supervisor told, in which any supervisor
 * can stop it (security review N1); or the retention of closed cases
 * decides, at once. Either way intake deletes everything it holds of the
 * case in one transaction with the CaseErased event, on which every other
 * service destroys what it holds (dispatch, referral, notification). What
 * stays is erasure_request: who asked, approved or stopped the erasure of
 * which case, and why.
 *
 *   POST /v1/staff/cases/{id}/erasure   {"reason_code"}  supervisor -> 202
 *   POST /v1/staff/erasures/{id}/approve                 another supervisor -> 202 (scheduled)
 *   POST /v1/staff/erasures/{id}/stop                    any supervisor, before it ran -> 200
 *
 * Each step is one straight line in the command server's transaction; the
 * due erasures and the retention are a sweep that the case owner's own
 * clock runs (intake_clock.c), whether or not an edge is up. The
 * statements are intake_store.c's. */
#include <stdio.h>
#include <string.h>

#include "intake.h"
#include "intake_case.h"
#include "intake_desk.h"
#include "intake_store.h"
#include "pelukan/bus.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

#define S_STEP(name) PELUKAN__V1__ERASE_CASE__STEP__STEP_##name
#define S_SWEEP_MAX  25 /* erasures of each kind in one sweep's transaction */

static Pelukan__V1__Erasure *s_reply(intake_owner_t *o, Pelukan__V1__CommandReply *reply, const char *id,
                                     const char *case_id, const char *state)
{
    Pelukan__V1__Erasure *e = pk_arena_alloc(&o->mem, sizeof *e);
    pelukan__v1__erasure__init(e);
    e->erasure_id = pk_arena_strdup(&o->mem, id);
    e->case_id = pk_arena_strdup(&o->mem, case_id);
    e->state = (char *)state;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_ERASURE;
    reply->erasure = e;
    return e;
}

/* A line of the command's log, with its request's correlation id. */
#define s_log(o, req, ...) pk_log_write((o)->log, PK_LOG_INFO, (req)->correlation_id, __VA_ARGS__)

/* Runs erasure `e` if it is still due: the case deleted, its events in the
 * outbox redacted, and CaseErased by its approver (a supervisor, or the
 * retention: a rule). */
static int s_erase(PGconn *conn, intake_owner_t *o, const char *cid, const intake_erasure_due_t *e, bool *erased)
{
    if (intake_store_erase(conn, o, e->id, erased) != 0)
        return PK_EDB;
    if (!*erased)
        return 0;
    if (pk_outbox_redact_case(conn, o->log, "intake", e->case_id) != 0)
        return PK_EDB;
    bool rule = strcmp(e->approved_by, "retention") == 0;
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    actor.kind = rule ? PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM : PELUKAN__V1__ACTOR__KIND__KIND_STAFF;
    actor.id = (char *)e->approved_by;
    actor.role = rule ? "" : "supervisor";
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    pk_envelope_init(&env, eid, "intake", e->case_id, cid);
    env.actor = &actor;
    Pelukan__V1__CaseErased ce = PELUKAN__V1__CASE_ERASED__INIT;
    ce.legal_basis_code = (char *)e->reason_code;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_ERASED;
    env.case_erased = &ce;
    pk_log_write(o->log, PK_LOG_INFO, cid, "case %s erased (%s)", e->case_id, e->reason_code);
    return pk_outbox_add(conn, o->log, &env) == 0 ? 0 : PK_EDB;
}

/* REQUEST: a supervisor asks; one open request per case. */
static int s_request(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                     Pelukan__V1__CommandReply *reply)
{
    if (!pk_code_in(req->erase_case->reason_code, intake_erasure_reasons))
        return PK_RPC_INVALID(reply, "reason_code");
    char id[PK_ID_HEX_LEN + 1];
    pk_id_new(id);
    bool asked = false;
    int rc = intake_store_erasure_ask(conn, o, req->case_id, id, req->erase_case->reason_code, req->actor->id, &asked);
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "not_found");
    if (rc != 0)
        return rc;
    if (!asked)
        return PK_RPC_CONFLICT(reply, "erasure_pending");
    s_reply(o, reply, id, req->case_id, "awaiting_approval");
    return 0;
}

/* Whether the actor may approve `row`; a refusal fills the reply. */
static bool s_may_approve(intake_owner_t *o, const Pelukan__V1__CommandRequest *req, const intake_erasure_row_t *row,
                          Pelukan__V1__CommandReply *reply)
{
    if (strcmp(row->requested_by, req->actor->id) == 0) {
        (void)PK_RPC_FORBIDDEN(reply, "second_supervisor_required");
        return false;
    }
    if (row->approved || row->over) {
        (void)PK_RPC_CONFLICT(reply, "already_approved");
        return false;
    }
    if (!row->untrusted)
        return true;
    char days[16];
    snprintf(days, sizeof days, "%d", o->cfg->erasure_trust_days);
    intake_reply_detail(o, reply, "trust_days", days);
    (void)PK_RPC_FORBIDDEN(reply, "approver_not_trusted_yet");
    return false;
}

/* APPROVE: a second supervisor; it runs after the cooling-off time (at
 * once without one), every supervisor told by ErasureScheduled. */
static int s_approve(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                     const intake_erasure_row_t *found, Pelukan__V1__CommandReply *reply)
{
    const char *id = req->erase_case->erasure_id;
    intake_erasure_row_t row = *found;
    if (!s_may_approve(o, req, &row, reply))
        return 0;
    if (intake_store_erasure_approve(conn, o, id, req->actor->id, o->cfg->erasure_cooling_s) != 0)
        return PK_EDB;
    uint64_t run_at_us = pk_now_us() + (uint64_t)o->cfg->erasure_cooling_s * 1000000u;
    Pelukan__V1__ErasureScheduled ev = PELUKAN__V1__ERASURE_SCHEDULED__INIT;
    ev.erasure_id = (char *)id;
    ev.run_at_us = run_at_us;
    ev.reason_code = row.reason_code;
    if (pk_rpc_event(conn, o->log, "intake", req, row.case_id, &ev.base) != 0)
        return PK_EDB;
    s_log(o, req, "erasure of case %s approved by staff %s", row.case_id, req->actor->id);
    if (o->cfg->erasure_cooling_s == 0) {
        intake_erasure_due_t due = {.approved_by = ""};
        snprintf(due.id, sizeof due.id, "%s", id);
        snprintf(due.case_id, sizeof due.case_id, "%s", row.case_id);
        snprintf(due.reason_code, sizeof due.reason_code, "%s", row.reason_code);
        snprintf(due.approved_by, sizeof due.approved_by, "%s", req->actor->id);
        bool erased;
        if (s_erase(conn, o, req->correlation_id, &due, &erased) != 0)
            return PK_EDB;
    }
    s_reply(o, reply, id, row.case_id, "scheduled")->run_at_us = run_at_us;
    return 0;
}

/* STOP: any supervisor, before it ran. */
static int s_stop(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                  const intake_erasure_row_t *found, Pelukan__V1__CommandReply *reply)
{
    const char *id = req->erase_case->erasure_id;
    intake_erasure_row_t row = *found;
    if (row.over)
        return PK_RPC_CONFLICT(reply, "erasure_over");
    if (intake_store_erasure_stop(conn, o, id, req->actor->id) != 0)
        return PK_EDB;
    Pelukan__V1__ErasureStopped ev = PELUKAN__V1__ERASURE_STOPPED__INIT;
    ev.erasure_id = (char *)id;
    if (pk_rpc_event(conn, o->log, "intake", req, row.case_id, &ev.base) != 0)
        return PK_EDB;
    s_log(o, req, "erasure %s stopped by staff %s", id, req->actor->id);
    s_reply(o, reply, id, row.case_id, "stopped");
    return 0;
}

/* The retention's erasures: cases that ended long enough ago. */
static int s_retention(PGconn *conn, intake_owner_t *o, int *erased, bool *more)
{
    char ids[S_SWEEP_MAX][PK_ID_HEX_LEN + 1];
    int n = 0;
    if (o->cfg->retention_s <= 0)
        return 0;
    if (intake_store_cases_expired(conn, o, o->cfg->retention_s, ids, S_SWEEP_MAX, &n) != 0)
        return PK_EDB;
    for (int i = 0; i < n; i++) {
        intake_erasure_due_t e = {.reason_code = "retention", .approved_by = "retention"};
        pk_id_new(e.id);
        snprintf(e.case_id, sizeof e.case_id, "%.32s", ids[i]);
        bool done = false;
        if (intake_store_retention_ask(conn, o, e.id, e.case_id) != 0 || s_erase(conn, o, "", &e, &done) != 0)
            return PK_EDB;
        *erased += done;
    }
    *more = *more || n == S_SWEEP_MAX;
    return 0;
}

int intake_erasure_sweep(PGconn *conn, intake_owner_t *o, bool *more)
{
    intake_erasure_due_t due[S_SWEEP_MAX];
    int n = 0, erased = 0;
    *more = false;
    if (s_retention(conn, o, &erased, more) != 0 || intake_store_erasures_due(conn, o, due, S_SWEEP_MAX, &n) != 0)
        return PK_EDB;
    for (int i = 0; i < n; i++) {
        bool done = false;
        if (s_erase(conn, o, "", &due[i], &done) != 0)
            return PK_EDB;
        erased += done;
    }
    *more = (*more || n == S_SWEEP_MAX) && erased > 0;
    return erased;
}

/* Who may take a step: a supervisor the edge vouches for. The sweep is
 * the owner's clock's alone (intake_clock.c): no peer sends it. */
static bool s_actor_may(const Pelukan__V1__CommandRequest *req)
{
    return req->erase_case->step != S_STEP(SWEEP) && intake_actor_is(req, "supervisor");
}

/* APPROVE and STOP: the erasure asked for, locked, then the step. */
static int s_on_request(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply)
{
    const char *id = req->erase_case->erasure_id;
    intake_erasure_row_t row;
    int rc = pk_id_ok(id) ? intake_store_erasure_find(conn, o, id, req->actor->id, o->cfg->erasure_trust_days, &row)
                          : PK_ENOENT;
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "not_found");
    if (rc != 0)
        return rc;
    return req->erase_case->step == S_STEP(APPROVE) ? s_approve(conn, o, req, &row, reply)
                                                    : s_stop(conn, o, req, &row, reply);
}

int intake_erasure_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                           Pelukan__V1__CommandReply *reply)
{
    if (!s_actor_may(req))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    switch (req->erase_case->step) {
    case S_STEP(REQUEST):
        return pk_id_ok(req->case_id) ? s_request(conn, o, req, reply) : PK_RPC_NOT_FOUND(reply, "not_found");
    case S_STEP(APPROVE):
    case S_STEP(STOP):
        return s_on_request(conn, o, req, reply);
    default:
        return PK_RPC_INVALID(reply, "step");
    }
}
