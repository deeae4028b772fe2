/* referral_clock.c -- the deadlines that keep a referral from being lost:
 * a referral not accepted in time raises ReferralOverdue; a case not
 * referred within one day, or a sexual-violence case not referred to the
 * police within 3x24 hours, raises a DeadlineEvent when at risk and when
 * breached. The service's clock (pelukan/clock.h: a thread of its own with
 * a blocking connection) checks every tick; each event is raised once, in
 * the transaction that marks it. */
#include <stdlib.h>
#include <string.h>

#include "referral.h"

static Pelukan__V1__DeadlineEvent__Kind s_kind(const char *kind)
{
    return strcmp(kind, "service_one_day") == 0 ? PELUKAN__V1__DEADLINE_EVENT__KIND__KIND_SERVICE_ONE_DAY
                                                : PELUKAN__V1__DEADLINE_EVENT__KIND__KIND_TPKS_POLICE_72H;
}

static void s_system_envelope(const char *case_id, Pelukan__V1__Envelope *env, uint8_t eid[16],
                              Pelukan__V1__Actor *actor)
{
    pk_envelope_init(env, eid, "referral", case_id, NULL);
    pelukan__v1__actor__init(actor);
    actor->kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    actor->id = "";
    env->actor = actor;
}

/* Referrals past their due time without an answer: each a ReferralOverdue,
 * once. The events written, or PK_EDB. */
static int s_overdue_referrals(PGconn *conn, referral_t *r)
{
    PGresult *o = pk_pg_exec(conn, r->log,
                             "UPDATE referral SET overdue_raised_at = now() WHERE state = 'sent'"
                             " AND overdue_raised_at IS NULL AND due_at <= now()"
                             " RETURNING id, case_id, (extract(epoch FROM due_at) * 1000000)::bigint",
                             0, NULL);
    if (!o)
        return PK_EDB;
    int events = 0;
    for (int i = 0; i < PQntuples(o); i++) {
        Pelukan__V1__Envelope env;
        uint8_t eid[16];
        Pelukan__V1__Actor actor;
        s_system_envelope(PQgetvalue(o, i, 1), &env, eid, &actor);
        Pelukan__V1__ReferralOverdue ev = PELUKAN__V1__REFERRAL_OVERDUE__INIT;
        ev.referral_id = PQgetvalue(o, i, 0);
        ev.due_at_us = strtoull(PQgetvalue(o, i, 2), NULL, 10);
        env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_OVERDUE;
        env.referral_overdue = &ev;
        if (pk_outbox_add(conn, r->log, &env) != 0) {
            PQclear(o);
            return PK_EDB;
        }
        events++;
        pk_metric_add(r->m_overdue, 1);
    }
    PQclear(o);
    return events;
}

/* The case deadlines one statement moves (breached, or at risk): each a
 * DeadlineEvent. The events written, or PK_EDB. */
static int s_deadline_step(PGconn *conn, referral_t *r, const char *sql)
{
    PGresult *d = pk_pg_exec(conn, r->log, sql, 0, NULL);
    if (!d)
        return PK_EDB;
    int events = 0;
    for (int i = 0; i < PQntuples(d); i++) {
        Pelukan__V1__Envelope env;
        uint8_t eid[16];
        Pelukan__V1__Actor actor;
        s_system_envelope(PQgetvalue(d, i, 0), &env, eid, &actor);
        Pelukan__V1__DeadlineEvent ev = PELUKAN__V1__DEADLINE_EVENT__INIT;
        ev.kind = s_kind(PQgetvalue(d, i, 1));
        ev.status = strcmp(PQgetvalue(d, i, 3), "breached") == 0 ? PELUKAN__V1__DEADLINE_EVENT__STATUS__STATUS_BREACHED
                                                                 : PELUKAN__V1__DEADLINE_EVENT__STATUS__STATUS_AT_RISK;
        ev.due_at_us = strtoull(PQgetvalue(d, i, 2), NULL, 10);
        env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_DEADLINE;
        env.deadline = &ev;
        if (pk_outbox_add(conn, r->log, &env) != 0) {
            PQclear(d);
            return PK_EDB;
        }
        events++;
        pk_metric_add(r->m_deadline_events, 1);
    }
    PQclear(d);
    return events;
}

int referral_check_deadlines(PGconn *conn, referral_t *r)
{
    if (pk_pg_run(conn, r->log, "BEGIN", 0, NULL) != 0)
        return PK_EDB;
    /* Breached first (a deadline long past is breached, not at risk). */
    static const char *const steps[] = {
        "UPDATE case_deadline SET status = 'breached' WHERE status IN ('open', 'at_risk') AND due_at <= now()"
        " RETURNING case_id, kind, (extract(epoch FROM due_at) * 1000000)::bigint, 'breached'",
        "UPDATE case_deadline SET status = 'at_risk' WHERE status = 'open' AND at_risk_at <= now()"
        " RETURNING case_id, kind, (extract(epoch FROM due_at) * 1000000)::bigint, 'at_risk'",
    };
    int events = s_overdue_referrals(conn, r);
    for (size_t s = 0; events >= 0 && s < PK_ARRAY_LEN(steps); s++) {
        int n = s_deadline_step(conn, r, steps[s]);
        events = n < 0 ? n : events + n;
    }
    if (events < 0 || pk_pg_run(conn, r->log, "COMMIT", 0, NULL) != 0) {
        PQclear(PQexec(conn, "ROLLBACK"));
        return PK_EDB;
    }
    /* No kick: the relay's own poll (100 ms) publishes these; a kick from
     * here could outlive the relay at shutdown. */
    return events;
}

/* A tick of the clock (pelukan/clock.h): the deadlines checked, counted
 * and logged. */
static int s_tick(PGconn *conn, void *arg)
{
    referral_t *r = arg;
    int n = referral_check_deadlines(conn, r);
    if (n >= 0)
        pk_metric_add(r->m_deadline_checks, 1);
    if (n > 0)
        pk_log_info(r->log, "deadlines: %d events raised", n);
    else if (n < 0)
        pk_log_warn(r->log, "deadlines: check failed (%s), tried again at the next tick", pk_strerror(n));
    return n < 0 ? n : 0;
}

pk_clock_t *referral_clock_new(referral_t *r)
{
    return pk_clock_new(pk_service_conninfo(r->svc), r->log, r->tick_ms, s_tick, r);
}
