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
static int s_case_agency(PGconn *conn, const Pelukan__V1__Envelope *e)
{
    const char *sql = NULL, *id = NULL, *agency = "";
    switch (e->payload_case) {
    case PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CREATED:
        id = e->referral_created->referral_id;
        agency = e->referral_created->agency_code;
        sql = "INSERT INTO case_agency (referral_id, case_id, agency_code, state)"
              " SELECT $1, id, $3, 'sent' FROM cases WHERE id = $2 ON CONFLICT DO NOTHING";
        break;
    case PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_ACCEPTED:
        id = e->referral_accepted->referral_id;
        sql = "UPDATE case_agency SET state = 'accepted' WHERE referral_id = $1 AND case_id = $2 AND $3 = ''";
        break;
    case PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_DECLINED:
        id = e->referral_declined->referral_id;
        sql = "UPDATE case_agency SET state = 'declined' WHERE referral_id = $1 AND case_id = $2 AND $3 = ''";
        break;
    case PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CLOSED:
        id = e->referral_closed->referral_id;
        sql = "UPDATE case_agency SET state = 'closed', closed_at = now() WHERE referral_id = $1 AND case_id = $2"
              " AND $3 = ''";
        break;
    default:
        return 0;
    }
    const char *p[] = {id, e->case_id, agency};
    PGresult *r = PQexecParams(conn, sql, 3, NULL, p, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : PK_EDB;
    PQclear(r);
    return rc;
}

/* The identification report as codes: what the admin's referral form
 * shows (consent per agency, recommendations) and what the companion found
 * (danger, the situation confirmed, the guardian). */
static int s_identification(PGconn *conn, const Pelukan__V1__Envelope *e)
{
    if (e->payload_case != PELUKAN__V1__ENVELOPE__PAYLOAD_IDENTIFICATION_REPORT_SUBMITTED)
        return 0;
    const Pelukan__V1__IdentificationReportSubmitted *s = e->identification_report_submitted;
    char *consented = pk_pg_text_array(s->consented_agencies, s->n_consented_agencies);
    char *recommended = pk_pg_text_array(s->recommended_agencies, s->n_recommended_agencies);
    char *needs = pk_pg_text_array(s->needs, s->n_needs);
    char *services = pk_pg_text_array(s->recommended_services, s->n_recommended_services);
    const char *p[] = {e->case_id,
                       s->referral_consent ? "t" : "f",
                       consented,
                       recommended,
                       needs,
                       s->immediate_danger ? "t" : "f",
                       s->situation_confirmed ? "t" : "f",
                       s->guardian_situation,
                       services};
    PGresult *r = PQexecParams(conn,
                               "UPDATE cases SET referral_consent = $2::boolean, consented_agencies = $3::text[],"
                               " recommended_agencies = $4::text[], needs = $5::text[],"
                               " immediate_danger = $6::boolean, situation_confirmed = $7::boolean,"
                               " guardian_situation = NULLIF($8, ''), recommended_services = $9::text[] WHERE id = $1",
                               9, NULL, p, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : PK_EDB;
    PQclear(r);
    free(consented), free(recommended), free(needs), free(services);
    return rc;
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
static int s_visit_done(PGconn *conn, const Pelukan__V1__Envelope *e)
{
    bool done = e->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_VISIT_COMPLETED;
    if (!done && e->payload_case != PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_ASSIGNED)
        return 0;
    const char *p[] = {e->case_id, done ? "t" : "f"};
    PGresult *r =
        PQexecParams(conn, "UPDATE cases SET visit_done_at = CASE WHEN $2::boolean THEN now() END WHERE id = $1", 2,
                     NULL, p, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : PK_EDB;
    PQclear(r);
    return rc;
}

/* A case may have several referrals: the one this event ends is noted
 * first (s_case_agency), and the case leaves "referred"/"accepted" only when
 * none is open any more: closed if any referral closed, declined otherwise. */
static int s_referral_step(PGconn *conn, const Pelukan__V1__Envelope *e, s_rule_t *rule)
{
    if (e->payload_case != PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CLOSED &&
        e->payload_case != PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_DECLINED)
        return 0;
    const char *pc[] = {e->case_id};
    PGresult *o = PQexecParams(conn,
                               "SELECT coalesce(bool_or(state IN ('sent', 'accepted')), false),"
                               " coalesce(bool_or(state = 'closed'), false) FROM case_agency WHERE case_id = $1",
                               1, NULL, pc, NULL, NULL, 0);
    if (PQresultStatus(o) != PGRES_TUPLES_OK) {
        PQclear(o);
        return PK_EDB;
    }
    bool open = pk_pg_bool(o, 0, 0), closed = pk_pg_bool(o, 0, 1);
    PQclear(o);
    /* Another referral still under way: a timeline entry only. */
    rule->step = open ? INTAKE_STEP_NONE : closed ? INTAKE_STEP_CLOSE : INTAKE_STEP_REFERRAL_DECLINED;
    return 0;
}

/* The state moves only along the life cycle; a step that finds the case
 * elsewhere (withdrawn meanwhile, say) is still on the timeline. The case
 * row is locked first, so that the state read here is the one the change
 * starts from, and its event (topic, hex; hex stays NULL when the case does
 * not move) says so. */
static int s_lock_step(PGconn *conn, const pk_bus_event_t *ev, const s_rule_t *rule, char topic[128], char **hex)
{
    if (rule->step == INTAKE_STEP_NONE)
        return 0;
    const char *pl[] = {ev->envelope->case_id};
    PGresult *cur = PQexecParams(conn, "SELECT state FROM cases WHERE id = $1 FOR UPDATE", 1, NULL, pl, NULL, NULL, 0);
    if (PQresultStatus(cur) != PGRES_TUPLES_OK) {
        PQclear(cur);
        return PK_EDB;
    }
    if (PQntuples(cur) == 1 && intake_step_from(rule->step, PQgetvalue(cur, 0, 0)))
        s_state_event(ev, PQgetvalue(cur, 0, 0), intake_step_to(rule->step), topic, hex);
    PQclear(cur);
    return 0;
}

/* The step itself: the state (if the rule moves it and the case is where
 * it starts from), who the case is with now, the timeline entries and the
 * state change's event. */
static int s_step(PGconn *conn, const pk_bus_event_t *ev, const s_rule_t *rule, const char *topic, const char *hex)
{
    const Pelukan__V1__Envelope *e = ev->envelope;
    const char *companion = "", *agency = "";
    if (e->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_ASSIGNED)
        companion = e->companion_assigned->companion_id;
    bool clear_companion = e->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_VISIT_DECLINED;
    if (e->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CREATED)
        agency = e->referral_created->agency_code;
    const char *kind = e->actor && e->actor->kind == PELUKAN__V1__ACTOR__KIND__KIND_AGENCY  ? "agency"
                       : e->actor && e->actor->kind == PELUKAN__V1__ACTOR__KIND__KIND_STAFF ? "staff"
                                                                                            : "system";
    char from[160];
    intake_step_from_array(rule->step, from, sizeof from);
    const char *to = intake_step_to(rule->step);
    const char *p[] = {e->case_id,
                       from,
                       to ? to : "",
                       companion,
                       clear_companion ? "t" : "f",
                       agency,
                       pk_envelope_type(e),
                       s_reason(e),
                       kind,
                       e->actor ? e->actor->id : "",
                       ev->producer,
                       topic,
                       hex};
    PGresult *r = PQexecParams(
        conn,
        "WITH u AS (UPDATE cases SET state = $3, updated_at = now(),"
        "   companion_id = CASE WHEN $5::boolean THEN NULL ELSE coalesce(NULLIF($4, ''), companion_id) END,"
        "   agency_code = coalesce(NULLIF($6, ''), agency_code)"
        "   WHERE id = $1 AND $3 <> '' AND state = ANY($2::text[]) RETURNING id, state),"
        " s AS (INSERT INTO case_event (case_id, kind, state, reason_code, actor_kind, actor_id)"
        "   SELECT id, 'state', state, NULLIF($8, ''), $9, NULLIF($10, '') FROM u),"
        " k AS (UPDATE cases SET companion_id = coalesce(NULLIF($4, ''), companion_id),"
        "   agency_code = coalesce(NULLIF($6, ''), agency_code) WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM u)),"
        " o AS (" PK_OUTBOX_INSERT_SELECT(
            "$12", "id",
            "$13") " FROM u WHERE $13::bytea IS NOT NULL)"
                   " INSERT INTO case_event (case_id, kind, state, reason_code, actor_kind, actor_id)"
                   " SELECT x.id, $11 || ':' || $7, coalesce((SELECT state FROM u), x.state), NULLIF($8, ''), $9,"
                   " NULLIF($10, '') FROM cases x WHERE x.id = $1",
        13, NULL, p, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : PK_EDB;
    PQclear(r);
    return rc;
}

int intake_apply(PGconn *conn, const pk_bus_event_t *ev, void *arg)
{
    (void)arg;
    const Pelukan__V1__Envelope *e = ev->envelope;
    const s_rule_t *rule = NULL;
    for (size_t i = 0; i < PK_ARRAY_LEN(s_rules); i++)
        if (s_rules[i].type == e->payload_case)
            rule = &s_rules[i];
    if (!rule || !e->case_id[0])
        return PK_ENOENT;
    s_rule_t eff = *rule;
    char topic[128] = "", *hex = NULL;
    int rc = s_case_agency(conn, e);
    if (rc == 0)
        rc = s_identification(conn, e);
    if (rc == 0)
        rc = s_visit_done(conn, e);
    if (rc == 0)
        rc = s_referral_step(conn, e, &eff);
    if (rc == 0)
        rc = s_lock_step(conn, ev, &eff, topic, &hex);
    if (rc == 0)
        rc = s_step(conn, ev, &eff, topic, hex);
    free(hex);
    return rc;
}
