/* intake_case.h -- the case life cycle (../shared/domain.md) and who may
 * call what: pure tables, no I/O. */
#ifndef INTAKE_CASE_H
#define INTAKE_CASE_H

#include <stdbool.h>
#include <stdint.h>

#include "pelukan/v1/events.pb-c.h"

/* Roles, as bits: a route's table entry says which may call it. The staff
 * roles in the order of pk_codes_role (pelukan/codes.h). */
enum {
    INTAKE_ANYONE = 1 << 0, /* no authentication */
    INTAKE_REPORTER = 1 << 1,
    INTAKE_ADMIN = 1 << 2,
    INTAKE_COMPANION = 1 << 3,
    INTAKE_AGENCY = 1 << 4,
    INTAKE_SUPERVISOR = 1 << 5,
    INTAKE_AUDITOR = 1 << 6,
};
#define INTAKE_STAFF (INTAKE_ADMIN | INTAKE_COMPANION | INTAKE_AGENCY | INTAKE_SUPERVISOR | INTAKE_AUDITOR)

/* The bit of a staff role name ("admin", ...), 0 when unknown. */
unsigned intake_role_bit(const char *role);
/* Who manages whom (security review N1): a role must not mint the roles
 * that check it. Admins manage companions and agency officers, supervisors
 * every account (an operator any, with pelukanctl on the server). */
bool intake_role_manages(const char *actor_role, const char *role);

/* The case's states are the wire's CaseState, named as the database and
 * the API name them ("submitted", ...). */

/* True when `name` is a case state. */
bool intake_state_known(const char *name);
/* True for closed, rejected, duplicate, withdrawn. */
bool intake_state_final(const char *name);
/* The wire value of a state name (CASE_STATE_UNSPECIFIED when unknown). */
Pelukan__V1__CaseState intake_state_enum(const char *name);
/* The name of a state ("submitted", ...); NULL for UNSPECIFIED or beyond
 * the last: a loop from 1 meets every state. */
const char *intake_state_name(Pelukan__V1__CaseState state);

/* The steps of the life cycle (../shared/domain.md): what moves a case,
 * from which states, to which. One table (intake_case.c), read by the desk's
 * checks, the read model of the other services' events and the gateways. */
typedef enum {
    INTAKE_STEP_NONE = 0, /* a timeline entry only: the state stays */
    INTAKE_STEP_VERIFY,
    INTAKE_STEP_REJECT,
    INTAKE_STEP_DUPLICATE,
    INTAKE_STEP_ASSIGN,
    INTAKE_STEP_VISIT_DECLINED, /* the companion declined: back to the queue */
    INTAKE_STEP_EN_ROUTE,
    INTAKE_STEP_ARRIVE,
    INTAKE_STEP_ASSESS,
    INTAKE_STEP_REFER,
    INTAKE_STEP_REFERRAL_ACCEPTED,
    INTAKE_STEP_REFERRAL_DECLINED, /* the last open referral declined */
    INTAKE_STEP_CLOSE,
    INTAKE_STEP_WITHDRAW, /* the reporter, from any state that is not final */
} intake_step_t;

/* The state `step` moves to; NULL for INTAKE_STEP_NONE. */
const char *intake_step_to(intake_step_t step);
/* True when `step` may start from `state`. */
bool intake_step_from(intake_step_t step, const char *state);
/* The states `step` starts from as a PostgreSQL array literal ("{a,b}"). */
void intake_step_from_array(intake_step_t step, char *out, size_t size);
/* The codes of the desk's steps (NULL-ended): why a report is rejected,
 * and how a confirmation call went. The edge's rules and the owner's
 * checks read these. */
extern const char *const intake_reject_reasons[];
extern const char *const intake_call_outcomes[];
/* Why a companion asks the office to reach the reporter. */
extern const char *const intake_reach_reasons[];
/* Why a case is erased (a supervisor's word; the retention is a rule). */
extern const char *const intake_erasure_reasons[];

/* True when some step moves from -> to. */
bool intake_transition_allowed(const char *from, const char *to);
/* True when an admin may refer the case: it was assessed (or its referral
 * declined), or a referral is under way and another agency is added. */
bool intake_may_refer(const char *state);

/* True while the one-day promise's clock runs (../shared/domain.md: a
 * report is handled, that is referred, within a day): from the report to
 * its referral, and again when a referral is declined. */
bool intake_promise_runs(const char *state);

/* The final states and the states of a running promise as SQL (the queue,
 * retention), each held to the table by test_intake_case. */
#define INTAKE_SQL_FINAL_STATES "('closed', 'rejected', 'duplicate', 'withdrawn')"
#define INTAKE_SQL_PROMISE_STATES "('submitted', 'verified', 'assigned', 'en_route', 'on_site', 'assessed', 'declined')"

/* True when `hhmm_now` (minutes after midnight, WIB) lies in the reporter's
 * safe hours "HH:MM-HH:MM" (a window may cross midnight). No hours given:
 * any time is safe. */
bool intake_safe_now(const char *safe_hours, int minutes_now);

/* Tickets the reporter can read out on the phone ("PK-7KQ4-M9XD"): eight
 * letters of an alphabet without 0/O or 1/I. The ticket of 8 random bytes
 * (the caller draws them), and whether `t` is one as people type it (any
 * letter case). */
void intake_ticket_from(const uint8_t raw[8], char out[16]);
bool intake_ticket_ok(const char *t);

/* An Idempotency-Key: a plain token of 1-128 letters, digits, . _ : -
 * (review L1: nothing odd reaches SQL or the log). The edge checks a
 * request's, the owner a report's again. */
bool intake_idempotency_key_ok(const char *key);

#endif
