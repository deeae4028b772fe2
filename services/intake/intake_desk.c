/* intake_desk.c -- the case owner's answer to the desk's steps (CaseStep:
 * the confirmation call, verification, rejection, a duplicate, an internal
 * note), from the HTTP edge only, as the staff member it vouches for. One
 * straight line in the command server's transaction: the step's fields
 * checked, the case read and locked, the step checked against the case's
 * life cycle (intake_case.c) and the reporter's safety choices, then the
 * state, the timeline, the sealed note and the events written, or nothing.
 * The statements are intake_store.c's. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "intake_case.h"
#include "intake_desk.h"
#include "intake_seal.h"
#include "intake_store.h"
#include "pelukan/bus.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

#define S_STEP(name) PELUKAN__V1__CASE_STEP__STEP__STEP_##name

/* A step as the desk asked it, before the case is read. */
typedef struct {
    const char *to;      /* the state it moves to, or NULL */
    const char *reason;  /* ... and why */
    const char *kind;    /* its own timeline entry and note: "call", "note", or NULL */
    const char *outcome; /* a call's */
    const char *text;    /* the note's text (sealed), or NULL */
} s_step_t;

/* The step's fields, checked; the field at fault, or NULL. The edge checked
 * their form already (edge_routes.c); the owner checks what they mean. */
static const char *s_step_of(const Pelukan__V1__CommandRequest *req, s_step_t *st)
{
    const Pelukan__V1__CaseStep *cs = req->case_step;
    memset(st, 0, sizeof *st);
    switch (cs->step) {
    case S_STEP(VERIFY):
        st->to = intake_step_to(INTAKE_STEP_VERIFY);
        st->reason = "confirmation_call";
        return NULL;
    case S_STEP(REJECT):
        st->to = intake_step_to(INTAKE_STEP_REJECT);
        st->reason = cs->reason_code;
        st->kind = cs->notes[0] ? "note" : NULL;
        st->text = cs->notes[0] ? cs->notes : NULL;
        return pk_code_in(cs->reason_code, intake_reject_reasons) ? NULL : "reason_code";
    case S_STEP(DUPLICATE):
        st->to = intake_step_to(INTAKE_STEP_DUPLICATE);
        st->reason = "duplicate";
        return pk_id_ok(cs->of) && strcmp(cs->of, req->case_id) != 0 ? NULL : "of";
    case S_STEP(CALL):
        st->kind = "call";
        st->outcome = cs->outcome;
        st->text = cs->notes[0] ? cs->notes : NULL;
        if (strcmp(cs->outcome, "false_report") == 0) {
            st->to = intake_step_to(INTAKE_STEP_REJECT);
            st->reason = "false_report";
        }
        return pk_code_in(cs->outcome, intake_call_outcomes) ? NULL : "outcome";
    case S_STEP(NOTE):
        st->kind = "note";
        st->text = cs->text;
        return cs->text[0] ? NULL : "text";
    case S_STEP(WITHDRAW):
        st->to = intake_step_to(INTAKE_STEP_WITHDRAW);
        st->reason = "reporter_request";
        return NULL;
    default:
        return "step";
    }
}

/* Admins take every step; a supervisor may add a note; the reporter
 * withdraws her own report. */
static bool s_actor_may(const Pelukan__V1__CommandRequest *req)
{
    if (req->case_step->step == S_STEP(WITHDRAW))
        return req->actor->kind == PELUKAN__V1__ACTOR__KIND__KIND_REPORTER;
    return intake_actor_is(req, "admin") ||
           (intake_actor_is(req, "supervisor") && req->case_step->step == S_STEP(NOTE));
}

/* A refusal about the case's state: the state it is in (and the one asked). */
static int s_conflict(intake_owner_t *o, Pelukan__V1__CommandReply *reply, const char *code, const char *state,
                      const char *to)
{
    intake_reply_detail(o, reply, "state", state);
    if (to)
        intake_reply_detail(o, reply, "to", to);
    return PK_RPC_CONFLICT(reply, code);
}

#define S_DETAILS_MAX 4 /* details a refusal may carry */

void intake_reply_detail(intake_owner_t *o, Pelukan__V1__CommandReply *reply, const char *field, const char *value)
{
    if (!reply->error_details)
        reply->error_details = pk_arena_alloc(&o->mem, S_DETAILS_MAX * sizeof *reply->error_details);
    if (reply->n_error_details >= S_DETAILS_MAX)
        return;
    Pelukan__V1__CommandReply__Detail *d = pk_arena_alloc(&o->mem, sizeof *d);
    pelukan__v1__command_reply__detail__init(d);
    d->field = pk_arena_strdup(&o->mem, field);
    d->value = pk_arena_strdup(&o->mem, value);
    reply->error_details[reply->n_error_details++] = d;
}

/* True when the reporter may be called now: her safe hours, not only in
 * the app, her phone not watched. Her choices are opened here and never
 * leave this function. */
static bool s_safe_to_call(intake_owner_t *o, const intake_desk_case_t *c)
{
    char ctx[64];
    snprintf(ctx, sizeof ctx, "reporter:%s", c->reporter_id);
    uint8_t key[PK_DATAKEY_BYTES];
    json_t *safety = NULL;
    if (c->reporter_key_len && pk_datakey_unwrap(o->keys, ctx, c->reporter_key, c->reporter_key_len, key) == 0)
        safety = intake_open_sealed(key, ctx, "safety", c->safety, c->safety_len);
    sodium_memzero(key, sizeof key);
    const char *hours = json_string_value(json_object_get(safety, "safe_hours"));
    const char *channel = json_string_value(json_object_get(safety, "safe_channel"));
    bool safe = intake_safe_now(hours, pk_wib_minutes()) && !(channel && strcmp(channel, "in_app") == 0) &&
                !json_is_true(json_object_get(safety, "phone_monitored"));
    json_decref(safety);
    return safe;
}

/* Whether the step may be taken on the case as it is; refusals fill the
 * reply (reply->status set). `override` is set when a call goes ahead
 * outside the reporter's safe choices. */
static void s_check(intake_owner_t *o, const Pelukan__V1__CommandRequest *req, const s_step_t *st,
                    const intake_desk_case_t *c, Pelukan__V1__CommandReply *reply, bool *override)
{
    *override = false;
    if (st->kind && strcmp(st->kind, "call") == 0 && strcmp(c->state, "submitted") != 0) {
        (void)s_conflict(o, reply, "invalid_transition", c->state, NULL);
    } else if (st->to && !intake_transition_allowed(c->state, st->to)) {
        (void)s_conflict(o, reply, "invalid_transition", c->state, st->to);
    } else if (req->case_step->step == S_STEP(VERIFY) && !c->call_reached) {
        (void)PK_RPC_CONFLICT(reply, "call_required");
    } else if (st->kind && strcmp(st->kind, "call") == 0 && !s_safe_to_call(o, c)) {
        if (!req->case_step->override_reason[0])
            (void)PK_RPC_CONFLICT(reply, "unsafe_call_time");
        *override = true;
    }
}

/* The note's text (and a call's reason to override) sealed with the case's
 * key; NULL when the case has no key (erased). Caller frees. */
static char *s_sealed_note(intake_owner_t *o, const char *case_id, const intake_desk_case_t *c, const char *text,
                           const char *override_reason)
{
    char ctx[64];
    snprintf(ctx, sizeof ctx, "case:%s", case_id);
    uint8_t key[PK_DATAKEY_BYTES];
    if (!c->case_key_len || pk_datakey_unwrap(o->keys, ctx, c->case_key, c->case_key_len, key) != 0)
        return NULL;
    json_t *v = json_pack("{s:s?, s:s?}", "text", text, "override_reason", override_reason);
    char *hex = intake_seal_json(key, ctx, "note", v);
    json_decref(v);
    sodium_memzero(key, sizeof key);
    return hex;
}

/* The step's events: a call's outcome or the case it repeats, then the
 * state change (none when the state stays). */
static int s_events(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req, const s_step_t *st,
                    const char *from)
{
    Pelukan__V1__ConfirmationCallRecorded call = PELUKAN__V1__CONFIRMATION_CALL_RECORDED__INIT;
    Pelukan__V1__CaseMarkedDuplicate dup = PELUKAN__V1__CASE_MARKED_DUPLICATE__INIT;
    call.outcome = (char *)st->outcome;
    dup.duplicate_of_case_id = req->case_step->of;
    ProtobufCMessage *first = st->outcome ? &call.base : req->case_step->step == S_STEP(DUPLICATE) ? &dup.base : NULL;
    if (first && pk_rpc_event(conn, o->log, "intake", req, req->case_id, first) != 0)
        return PK_EDB;
    if (!st->to)
        return 0;
    Pelukan__V1__CaseStateChanged ch = PELUKAN__V1__CASE_STATE_CHANGED__INIT;
    ch.from_state = intake_state_enum(from);
    ch.to_state = intake_state_enum(st->to);
    ch.reason_code = (char *)st->reason;
    return pk_rpc_event(conn, o->log, "intake", req, req->case_id, &ch.base);
}

/* The step written: the case row, the timeline (its own entry, then the
 * state entered), the sealed note, the events; the reply. */
static int s_write(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req, const s_step_t *st,
                   const intake_desk_case_t *c, const char *sealed, Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__CaseStep *cs = req->case_step;
    const char *staff = cs->step == S_STEP(WITHDRAW) ? NULL : req->actor->id; /* NULL: the reporter */
    intake_desk_change_t ch = {.case_id = req->case_id,
                               .to = st->to,
                               .call = cs->step == S_STEP(CALL),
                               .reached = cs->step == S_STEP(CALL) && strcmp(cs->outcome, "reached") == 0,
                               .duplicate_of = cs->step == S_STEP(DUPLICATE) ? cs->of : NULL};
    char state[16];
    int attempts = 0;
    int rc = intake_store_desk_change(conn, o, &ch, state, &attempts);
    if (rc == 0 && st->kind)
        rc = intake_store_timeline(conn, o, req->case_id, st->kind, c->state, st->outcome, staff);
    if (rc == 0 && st->to)
        rc = intake_store_timeline(conn, o, req->case_id, "state", st->to, st->reason, staff);
    if (rc == 0 && st->kind)
        rc = intake_store_note(conn, o, req->case_id, staff, st->kind, st->outcome, sealed);
    if (rc == 0)
        rc = s_events(conn, o, req, st, c->state);
    if (rc != 0)
        return PK_EDB;
    Pelukan__V1__CaseStatus *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__case_status__init(out);
    out->case_id = pk_arena_strdup(&o->mem, req->case_id);
    out->state = pk_arena_strdup(&o->mem, state);
    out->call_attempts = attempts;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_CASE_STATUS;
    reply->case_status = out;
    return 0;
}

int intake_desk_step(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                     Pelukan__V1__CommandReply *reply)
{
    if (req->case_step->step == S_STEP(REACH_REQUEST) || req->case_step->step == S_STEP(REACH_DONE))
        return intake_reach_step(conn, o, req, reply);
    s_step_t st;
    const char *bad = s_step_of(req, &st);
    if (bad)
        return PK_RPC_INVALID(reply, bad);
    if (!s_actor_may(req))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    bool exists = false;
    if (req->case_step->step == S_STEP(DUPLICATE) && intake_store_case_exists(conn, o, req->case_step->of, "", &exists))
        return PK_EDB;
    if (req->case_step->step == S_STEP(DUPLICATE) && !exists)
        return PK_RPC_INVALID(reply, "of");
    intake_desk_case_t c;
    int rc = pk_id_ok(req->case_id) ? intake_store_desk_case(conn, o, req->case_id, &c) : PK_ENOENT;
    if (rc == PK_ENOENT || (rc == 0 && req->case_step->step == S_STEP(WITHDRAW) &&
                            strcmp(c.reporter_id, req->actor->id) != 0)) /* hers only */
        return PK_RPC_NOT_FOUND(reply, "not_found");
    if (rc != 0)
        return rc;
    bool override;
    s_check(o, req, &st, &c, reply, &override);
    if (reply->status)
        return 0; /* refused: nothing written */
    if (override)
        pk_log_write(o->log, PK_LOG_INFO, req->correlation_id,
                     "case %s: call outside the reporter's safe choices, overridden by staff %s", req->case_id,
                     req->actor->id);
    char *sealed =
        st.kind ? s_sealed_note(o, req->case_id, &c, st.text, override ? req->case_step->override_reason : NULL) : NULL;
    rc = s_write(conn, o, req, &st, &c, sealed, reply);
    free(sealed);
    return rc;
}
