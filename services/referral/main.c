/* main.c -- the PELUKAN referral service: its settings, what it learns from
 * intake (reports start the case deadlines; ended cases stop them; erased
 * cases lose their key) and from dispatch (the consent recorded in the
 * identification report), and the shared main. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referral.h"

static const pk_config_def_t s_settings[] = {
    {"PELUKAN_REFERRAL_ACCEPT_DEADLINE_S", PK_CFG_INT, "14400",
     "a referral not accepted within this raises ReferralOverdue, seconds (4 hours)", NULL, 60, 2592000},
    {"PELUKAN_REFERRAL_CASE_DEADLINE_S", PK_CFG_INT, "86400",
     "the service standard: a report referred within this, seconds (1 day)", NULL, 60, 2592000},
    {"PELUKAN_REFERRAL_TPKS_DEADLINE_S", PK_CFG_INT, "259200",
     "sexual violence reported to the police within this, seconds (UU 12/2022 Art. 41: 3x24 hours)", NULL, 60, 2592000},
    {"PELUKAN_REFERRAL_TICK_MS", PK_CFG_INT, "1000", "how often deadlines are checked, milliseconds", NULL, 50, 60000},
    PK_CONFIG_END,
};

/* Starts a case deadline of `period_s` from the report; at risk at 3/4. */
static int s_deadline(PGconn *conn, referral_t *r, const Pelukan__V1__Envelope *e, const char *kind, int period_s)
{
    char at[32], period[24];
    snprintf(at, sizeof at, "%llu", (unsigned long long)e->occurred_at_us);
    snprintf(period, sizeof period, "%d", period_s);
    const char *p[] = {e->case_id, kind, at, period};
    return pk_pg_run(conn, r->log,
                     "INSERT INTO case_deadline (case_id, kind, started_at, at_risk_at, due_at)"
                     " SELECT $1, $2, t, t + make_interval(secs => $4::int * 0.75), t + make_interval(secs => $4::int)"
                     " FROM to_timestamp($3::bigint / 1000000.0) AS t ON CONFLICT DO NOTHING",
                     4, p);
}

static int s_apply(PGconn *conn, const pk_bus_event_t *ev, void *arg)
{
    referral_t *r = arg;
    const Pelukan__V1__Envelope *e = ev->envelope;
    if (!e->case_id[0])
        return PK_ENOENT;
    const char *p[] = {e->case_id};
    switch (e->payload_case) {
    case PELUKAN__V1__ENVELOPE__PAYLOAD_REPORT_SUBMITTED: {
        const Pelukan__V1__ReportSubmitted *s = e->report_submitted;
        bool sexual = false;
        for (size_t i = 0; i < s->n_violence_forms; i++)
            sexual = sexual || strcmp(s->violence_forms[i], "seksual") == 0;
        if (s_deadline(conn, r, e, "service_one_day", r->case_deadline_s) != 0 ||
            (sexual && s_deadline(conn, r, e, "tpks_police_72h", r->tpks_deadline_s) != 0))
            return PK_EDB;
        return 0;
    }
    case PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_STATE_CHANGED: {
        Pelukan__V1__CaseState to = e->case_state_changed->to_state;
        if (to != PELUKAN__V1__CASE_STATE__CASE_STATE_WITHDRAWN && to != PELUKAN__V1__CASE_STATE__CASE_STATE_REJECTED &&
            to != PELUKAN__V1__CASE_STATE__CASE_STATE_DUPLICATE)
            return PK_ENOENT;
        /* Not a case any more: nothing to be late for. */
        return pk_pg_run(conn, r->log,
                         "UPDATE case_deadline SET status = 'cancelled' WHERE case_id = $1"
                         " AND status IN ('open', 'at_risk')",
                         1, p);
    }
    case PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_ERASED:
        /* Erased: the key, and every row of the case, codes included. */
        if (pk_pg_run(conn, r->log, "DELETE FROM case_key WHERE case_id = $1", 1, p) != 0 ||
            pk_outbox_redact_case(conn, r->log, "referral", e->case_id) != 0 ||
            pk_pg_run(conn, r->log,
                      "DELETE FROM follow_up WHERE referral_id IN (SELECT id FROM referral WHERE case_id = $1)", 1,
                      p) != 0 ||
            pk_pg_run(conn, r->log, "DELETE FROM referral WHERE case_id = $1", 1, p) != 0 ||
            pk_pg_run(conn, r->log, "DELETE FROM consent WHERE case_id = $1", 1, p) != 0 ||
            pk_pg_run(conn, r->log, "DELETE FROM case_deadline WHERE case_id = $1", 1, p) != 0)
            return PK_EDB;
        return 0;
    case PELUKAN__V1__ENVELOPE__PAYLOAD_IDENTIFICATION_REPORT_SUBMITTED: {
        const Pelukan__V1__IdentificationReportSubmitted *s = e->identification_report_submitted;
        /* Codes dispatch checked against its list. */
        char *agencies = pk_pg_text_array(s->consented_agencies, s->n_consented_agencies);
        const char *pc[] = {e->case_id, s->report_id, s->referral_consent ? "t" : "f", agencies};
        int rc = pk_pg_run(conn, r->log,
                           "INSERT INTO consent (case_id, identification_id, referral_consent, consented_agencies)"
                           " VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO UPDATE SET identification_id = $2,"
                           " referral_consent = $3, consented_agencies = $4, received_at = now()",
                           4, pc);
        free(agencies);
        return rc;
    }
    default:
        return PK_ENOENT;
    }
}

static int s_start(pk_service_t *svc, void **state_p)
{
    referral_t *r = pk_calloc(1, sizeof *r);
    *state_p = r;
    r->svc = svc;
    r->log = pk_service_log(svc);
    r->keys = pk_service_keyring(svc);
    const pk_config_t *cfg = pk_service_config(svc);
    r->accept_deadline_s = (int)pk_config_int(cfg, "PELUKAN_REFERRAL_ACCEPT_DEADLINE_S");
    r->case_deadline_s = (int)pk_config_int(cfg, "PELUKAN_REFERRAL_CASE_DEADLINE_S");
    r->tpks_deadline_s = (int)pk_config_int(cfg, "PELUKAN_REFERRAL_TPKS_DEADLINE_S");
    r->tick_ms = (int)pk_config_int(cfg, "PELUKAN_REFERRAL_TICK_MS");
    pk_metrics_t *m = pk_service_metrics(svc);
    r->m_created = pk_metrics_counter(m, "pelukan_referral_created_total", NULL, "referrals created");
    r->m_overdue = pk_metrics_counter(m, "pelukan_referral_overdue_total", NULL, "referrals overdue for acceptance");
    r->m_deadline_events =
        pk_metrics_counter(m, "pelukan_referral_deadline_events_total", NULL, "case deadline events raised");
    r->m_deadline_checks = pk_metrics_counter(m, "pelukan_referral_deadline_checks_total", NULL,
                                              "deadline checks completed (each a transaction)");
    r->clock = referral_clock_new(r);
    pk_log_info(r->log,
                "referrals overdue after %d s; cases referred within %d s, TPKS cases to the police within %d s",
                r->accept_deadline_s, r->case_deadline_s, r->tpks_deadline_s);
    return 0;
}

static void s_stop(pk_service_t *svc, void *state)
{
    (void)svc;
    referral_t *r = state;
    if (!r)
        return;
    pk_clock_destroy(&r->clock);
    pk_arena_free(&r->reply_mem);
    free(r);
}

int main(int argc, char **argv)
{
    static const char *const producers[] = {"intake", "dispatch", NULL};
    static const pk_service_def_t def = {.name = "referral",
                                         .settings = s_settings,
                                         .start = s_start,
                                         .stop = s_stop,
                                         .consumes = producers,
                                         .apply = s_apply,
                                         .command = referral_command,
                                         .command_done = referral_command_done,
                                         .command_is_query = referral_is_query};
    return pk_service_main(&def, argc, argv);
}
