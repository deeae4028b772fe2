/* intake_readmodel.c -- the case as the other services move it: intake
 * consumes dispatch's and referral's events and keeps each case's state,
 * its companion and its agency, and a timeline entry per step, so that the
 * queue, the detail and the reporter's status are served from one place.
 * Applied exactly once, in the subscriber's transaction with its offsets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "intake_case.h"
#include "intake_store.h"
#include "pelukan/util.h"

/* What an event does to a case: the step of the life cycle it makes
 * (intake_case.c), or INTAKE_STEP_NONE for a timeline entry only. */
typedef struct {
    Pelukan__V1__Envelope__PayloadCase type;
    intake_step_t step;
} s_rule_t;

static const s_rule_t s_rules[] = {
    {PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_ASSIGNED, INTAKE_STEP_ASSIGN},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_VISIT_ACCEPTED, INTAKE_STEP_NONE},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_VISIT_DECLINED, INTAKE_STEP_VISIT_DECLINED},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_EN_ROUTE, INTAKE_STEP_EN_ROUTE},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_ARRIVED, INTAKE_STEP_ARRIVE},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_VISIT_COMPLETED, INTAKE_STEP_NONE},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_IDENTIFICATION_REPORT_SUBMITTED, INTAKE_STEP_ASSESS},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CREATED, INTAKE_STEP_REFER},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_ACCEPTED, INTAKE_STEP_REFERRAL_ACCEPTED},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_DECLINED, INTAKE_STEP_REFERRAL_DECLINED},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_FOLLOW_UP_RECORDED, INTAKE_STEP_NONE},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CLOSED, INTAKE_STEP_CLOSE},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_OVERDUE, INTAKE_STEP_NONE},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_DEADLINE, INTAKE_STEP_NONE},
};

/* The referrals of a case and whether their agency accepted: what lets an
 * agency user see the case. */
static int s_case_agency(PGconn *conn, const pk_log_t *log, const Pelukan__V1__Envelope *e)
{
    switch (e->payload_case) {
    case PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CREATED:
        return intake_store_case_agency(conn, log, e->referral_created->referral_id, e->case_id, "sent",
                                        e->referral_created->agency_code);
    case PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_ACCEPTED:
        return intake_store_case_agency(conn, log, e->referral_accepted->referral_id, e->case_id, "accepted", "");
    case PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_DECLINED:
        return intake_store_case_agency(conn, log, e->referral_declined->referral_id, e->case_id, "declined", "");
    case PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CLOSED:
        return intake_store_case_agency(conn, log, e->referral_closed->referral_id, e->case_id, "closed", "");
    default:
        return 0;
    }
}

/* The reason code an event carries for the step it makes, or "". */
static const char *s_reason(const Pelukan__V1__Envelope *e)
{
    switch (e->payload_case) {
    case PELUKAN__V1__ENVELOPE__PAYLOAD_VISIT_DECLINED:
        return e->visit_declined->reason_code;
    case PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_DECLINED:
        return e->referral_declined->reason_code;
    case PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CLOSED:
        return e->referral_closed->outcome_code;
    default:
        return "";
    }
}

/* The state change this event makes, as intake's own event, so that
 * notification tells the reporter and an auditor following state changes
 * sees every one (review: only "verified" was ever announced). The actor
 * is the one of the event that moved the case; hex NULL when it does not
 * move it. */
static void s_state_event(const pk_bus_event_t *ev, const char *from, const char *to, char topic[128], char **hex)
{
    const Pelukan__V1__Envelope *e = ev->envelope;
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    pk_envelope_init(&env, eid, "intake", e->case_id, e->correlation_id);
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    if (e->actor) {
        actor.kind = e->actor->kind;
        actor.id = e->actor->id;
        actor.role = e->actor->role;
    } else {
        actor.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
        actor.id = (char *)ev->producer;
    }
    env.actor = &actor;
    Pelukan__V1__CaseStateChanged ch = PELUKAN__V1__CASE_STATE_CHANGED__INIT;
    ch.from_state = intake_state_enum(from);
    ch.to_state = intake_state_enum(to);
    ch.reason_code = (char *)s_reason(e);
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_STATE_CHANGED;
    env.case_state_changed = &ch;
    pk_outbox_params(&env, topic, hex);
}

/* When the case's visit completed (a companion's access ends some hours
 * later: INTAKE_SQL_VISIT_LIVE); a new assignment starts it again. */
static int s_visit_done(PGconn *conn, const pk_log_t *log, const Pelukan__V1__Envelope *e)
{
    bool done = e->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_VISIT_COMPLETED;
    if (!done && e->payload_case != PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_ASSIGNED)
        return 0;
    return intake_store_visit_done(conn, log, e->case_id, done);
}

/* A case may have several referrals: the one this event ends is noted
 * first (s_case_agency), and the case leaves "referred"/"accepted" only when
 * none is open any more: closed if any referral closed, declined otherwise. */
static int s_referral_step(PGconn *conn, const pk_log_t *log, const Pelukan__V1__Envelope *e, s_rule_t *rule)
{
    if (e->payload_case != PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CLOSED &&
        e->payload_case != PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_DECLINED)
        return 0;
    bool open, closed;
    if (intake_store_referrals(conn, log, e->case_id, &open, &closed) != 0)
        return PK_EDB;
    /* Another referral still under way: a timeline entry only. */
    rule->step = open ? INTAKE_STEP_NONE : closed ? INTAKE_STEP_CLOSE : INTAKE_STEP_REFERRAL_DECLINED;
    return 0;
}

/* The state moves only along the life cycle; a step that finds the case
 * elsewhere (withdrawn meanwhile, say) is still on the timeline. The case
 * row is locked first, so that the state read here is the one the change
 * starts from, and its event (topic, hex; hex stays NULL when the case does
 * not move) says so. */
static int s_lock_step(PGconn *conn, const pk_log_t *log, const pk_bus_event_t *ev, const s_rule_t *rule,
                       char topic[128], char **hex)
{
    if (rule->step == INTAKE_STEP_NONE)
        return 0;
    char state[32];
    if (intake_store_lock_state(conn, log, ev->envelope->case_id, state) != 0)
        return PK_EDB;
    if (state[0] && intake_step_from(rule->step, state))
        s_state_event(ev, state, intake_step_to(rule->step), topic, hex);
    return 0;
}

/* The step itself: the state (if the rule moves it and the case is where
 * it starts from), who the case is with now, the timeline entries and the
 * state change's event. */
static int s_step(PGconn *conn, const pk_log_t *log, const pk_bus_event_t *ev, const s_rule_t *rule, const char *topic,
                  const char *hex)
{
    const Pelukan__V1__Envelope *e = ev->envelope;
    const Pelukan__V1__Actor *a = e->actor;
    char from[160];
    intake_step_from_array(rule->step, from, sizeof from);
    const char *to = intake_step_to(rule->step);
    intake_step_row_t s = {
        .case_id = e->case_id,
        .from = from,
        .to = to ? to : "",
        .companion = e->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_ASSIGNED
                         ? e->companion_assigned->companion_id
                         : "",
        .clear_companion = e->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_VISIT_DECLINED,
        .agency =
            e->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CREATED ? e->referral_created->agency_code : "",
        .type = pk_envelope_type(e),
        .reason = s_reason(e),
        .actor_kind = a && a->kind == PELUKAN__V1__ACTOR__KIND__KIND_AGENCY  ? "agency"
                      : a && a->kind == PELUKAN__V1__ACTOR__KIND__KIND_STAFF ? "staff"
                                                                             : "system",
        .actor_id = a ? a->id : "",
        .producer = ev->producer,
        .topic = topic,
        .envelope_hex = hex,
    };
    return intake_store_case_step(conn, log, &s);
}

int intake_apply(PGconn *conn, const pk_bus_event_t *ev, void *arg)
{
    const pk_log_t *log = ((const intake_t *)arg)->log;
    const Pelukan__V1__Envelope *e = ev->envelope;
    const s_rule_t *rule = NULL;
    for (size_t i = 0; i < PK_ARRAY_LEN(s_rules); i++)
        if (s_rules[i].type == e->payload_case)
            rule = &s_rules[i];
    if (!rule || !e->case_id[0])
        return PK_ENOENT;
    s_rule_t eff = *rule;
    char topic[128] = "", *hex = NULL;
    int rc = s_case_agency(conn, log, e);
    if (rc == 0 && e->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_IDENTIFICATION_REPORT_SUBMITTED)
        rc = intake_store_identification(conn, log, e->case_id, e->identification_report_submitted);
    if (rc == 0)
        rc = s_visit_done(conn, log, e);
    if (rc == 0)
        rc = s_referral_step(conn, log, e, &eff);
    if (rc == 0)
        rc = s_lock_step(conn, log, ev, &eff, topic, &hex);
    if (rc == 0)
        rc = s_step(conn, log, ev, &eff, topic, hex);
    free(hex);
    return rc;
}
