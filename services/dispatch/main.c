/* main.c -- the PELUKAN dispatch service: its settings, the retention of
 * companion positions, intake's events, and the shared main. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "pelukan/util.h"

const pk_config_def_t dispatch_settings[] = {
    {"PELUKAN_DISPATCH_SPEED_KMH", PK_CFG_INT, "25", "average travel speed for ETAs, km/h (rural roads are slow)", NULL,
     1, 200},
    {"PELUKAN_DISPATCH_ARRIVAL_RADIUS_M", PK_CFG_INT, "100",
     "a companion this close to the case's place has arrived, metres", NULL, 10, 5000},
    {"PELUKAN_DISPATCH_POSITION_MAX_AGE_S", PK_CFG_INT, "900",
     "a companion position older than this counts as unknown, seconds", NULL, 10, 86400},
    {"PELUKAN_DISPATCH_POSITION_RETENTION_S", PK_CFG_INT, "21600",
     "positions outside an active visit are deleted after this, seconds", NULL, 1, 2592000},
    {"PELUKAN_DISPATCH_QUIET_S", PK_CFG_INT, "21600",
     "after a visit ends, pings near its place are neither kept nor shown for this long, seconds", NULL, 0, 604800},
    {"PELUKAN_DISPATCH_QUIET_RADIUS_M", PK_CFG_INT, "500",
     "the radius around a recently visited place within which pings are dropped, metres", NULL, 50, 20000},
    {"PELUKAN_DISPATCH_MAX_LOAD", PK_CFG_INT, "3", "active visits a companion may carry at once", NULL, 1, 50},
    {"PELUKAN_DISPATCH_SUGGEST_LIMIT", PK_CFG_INT, "5", "companions in a suggestion", NULL, 1, 50},
    PK_CONFIG_END,
};

/* ---- retention ----------------------------------------------------------- */

static void s_retention_done(pk_db_txn_t *txn, int status, void *arg)
{
    dispatch_t *d = arg;
    d->retention_busy = false;
    if (status != 0) {
        pk_log_warn(d->log, "position retention: %s (SQLSTATE %s), tried again later", pk_strerror(status),
                    pk_db_txn_sqlstate(txn));
        return;
    }
    long n = atol(PQcmdTuples((PGresult *)pk_db_txn_result(txn, 0))) +
             atol(PQcmdTuples((PGresult *)pk_db_txn_result(txn, 1)));
    long quiet = atol(PQcmdTuples((PGresult *)pk_db_txn_result(txn, 2)));
    if (quiet > 0)
        pk_log_info(d->log, "retention: the places of %ld ended visits wiped", quiet);
    if (n > 0) {
        pk_metric_add(d->m_retention_deleted, n);
        pk_log_info(d->log, "position retention: %ld positions outside visits deleted", n);
    }
}

static void s_retention(uv_timer_t *t)
{
    dispatch_t *d = t->data;
    if (d->retention_busy)
        return;
    d->retention_busy = true;
    char secs[24], quiet[24];
    snprintf(secs, sizeof secs, "%d", d->position_retention_s);
    snprintf(quiet, sizeof quiet, "%d", d->quiet_s);
    const char *p[] = {secs}, *q[] = {quiet};
    pk_db_txn_t *txn = pk_db_txn_new(pk_service_db(d->svc));
    pk_db_txn_add(txn, "DELETE FROM position_log WHERE at < now() - make_interval(secs => $1::int)", 1, p);
    pk_db_txn_add(txn,
                  "UPDATE companion c SET position = NULL, position_at = NULL"
                  " WHERE c.position_at < now() - make_interval(secs => $1::int) AND NOT EXISTS"
                  " (SELECT 1 FROM visit v WHERE v.companion_id = c.id AND v.state IN ('en_route', 'on_site'))",
                  1, p);
    pk_db_txn_add(txn,
                  "UPDATE visit SET quiet_sealed = NULL WHERE quiet_sealed IS NOT NULL"
                  " AND ended_at < now() - make_interval(secs => $1::int)",
                  1, q);
    pk_db_txn_submit(txn, s_retention_done, d);
}

/* ---- intake's events ------------------------------------------------------ */

int dispatch_apply(PGconn *conn, const pk_bus_event_t *ev, void *arg)
{
    dispatch_t *d = arg;
    const Pelukan__V1__Envelope *e = ev->envelope;
    const char *p[] = {e->case_id};
    if (!e->case_id[0])
        return PK_ENOENT;
    if (e->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_STATE_CHANGED) {
        Pelukan__V1__CaseState to = e->case_state_changed->to_state;
        if (to != PELUKAN__V1__CASE_STATE__CASE_STATE_WITHDRAWN && to != PELUKAN__V1__CASE_STATE__CASE_STATE_REJECTED &&
            to != PELUKAN__V1__CASE_STATE__CASE_STATE_DUPLICATE && to != PELUKAN__V1__CASE_STATE__CASE_STATE_CLOSED)
            return PK_ENOENT;
        /* The case ended: its visit, if any, is cancelled and its companion freed. */
        return pk_pg_run(
            conn, d->log,
            "WITH v AS (UPDATE visit SET state = 'cancelled', ended_at = now(), quiet_sealed = target_sealed,"
            "  target_sealed = NULL, reason_code = 'case_ended' WHERE case_id = $1"
            "  AND state IN ('assigned', 'accepted', 'en_route', 'on_site') RETURNING companion_id)"
            " UPDATE companion SET load = greatest(load - 1, 0), position = NULL, position_at = NULL"
            " WHERE id IN (SELECT companion_id FROM v)",
            1, p);
    }
    if (e->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_ERASED) {
        /* Erased: the key (crypto-shredding), and every row of the case,
         * codes included; a companion still on the visit is freed. */
        char quiet[24];
        snprintf(quiet, sizeof quiet, "%d", d->quiet_s);
        const char *pq[] = {e->case_id, quiet};
        /* The companion's pings around its visits go too: between setting
         * out and the end of the quiet time after (security review N2). */
        if (pk_pg_run(conn, d->log,
                      "DELETE FROM position_log l USING visit v WHERE v.case_id = $1"
                      " AND l.companion_id = v.companion_id AND l.at >= coalesce(v.en_route_at, v.assigned_at)"
                      " AND l.at <= coalesce(v.ended_at, now()) + make_interval(secs => $2::int)",
                      2, pq) != 0 ||
            pk_pg_run(conn, d->log, "DELETE FROM case_key WHERE case_id = $1", 1, p) != 0 ||
            pk_outbox_redact_case(conn, d->log, "dispatch", e->case_id) != 0 ||
            pk_pg_run(conn, d->log, "DELETE FROM identification WHERE case_id = $1", 1, p) != 0 ||
            pk_pg_run(conn, d->log,
                      "WITH v AS (DELETE FROM visit WHERE case_id = $1 RETURNING companion_id, state)"
                      " UPDATE companion SET load = greatest(load - 1, 0) WHERE id IN"
                      " (SELECT companion_id FROM v WHERE state IN ('assigned', 'accepted', 'en_route', 'on_site'))",
                      1, p) != 0)
            return PK_EDB;
        return 0;
    }
    return PK_ENOENT;
}

/* ---- life ------------------------------------------------------------------ */

static int s_start(pk_service_t *svc, void **state_p)
{
    dispatch_t *d = pk_calloc(1, sizeof *d);
    *state_p = d;
    d->svc = svc;
    d->log = pk_service_log(svc);
    d->keys = pk_service_keyring(svc);
    const pk_config_t *cfg = pk_service_config(svc);
    d->speed_kmh = (double)pk_config_int(cfg, "PELUKAN_DISPATCH_SPEED_KMH");
    d->arrival_radius_m = (int)pk_config_int(cfg, "PELUKAN_DISPATCH_ARRIVAL_RADIUS_M");
    d->position_max_age_s = (int)pk_config_int(cfg, "PELUKAN_DISPATCH_POSITION_MAX_AGE_S");
    d->position_retention_s = (int)pk_config_int(cfg, "PELUKAN_DISPATCH_POSITION_RETENTION_S");
    d->quiet_s = (int)pk_config_int(cfg, "PELUKAN_DISPATCH_QUIET_S");
    d->quiet_radius_m = (int)pk_config_int(cfg, "PELUKAN_DISPATCH_QUIET_RADIUS_M");
    d->max_load = (int)pk_config_int(cfg, "PELUKAN_DISPATCH_MAX_LOAD");
    d->suggest_limit = (int)pk_config_int(cfg, "PELUKAN_DISPATCH_SUGGEST_LIMIT");
    d->intake_endpoint = pk_config_service_str(cfg, "intake", "RPC");
    pk_metrics_t *m = pk_service_metrics(svc);
    d->m_pings = pk_metrics_counter(m, "pelukan_dispatch_positions_total", NULL, "companion positions recorded");
    d->m_arrivals = pk_metrics_counter(m, "pelukan_dispatch_arrivals_total", NULL, "visits arrived on site");
    d->m_assigned = pk_metrics_counter(m, "pelukan_dispatch_assignments_total", NULL, "companions assigned");
    d->m_quiet = pk_metrics_counter(m, "pelukan_dispatch_positions_quiet_total", NULL,
                                    "pings dropped: near a place visited in the quiet time");
    d->m_retention_deleted = pk_metrics_counter(m, "pelukan_dispatch_positions_deleted_total", NULL,
                                                "positions outside visits deleted by retention");
    /* Retention runs a few times within its shortest period (at most every minute). */
    int period_s = d->quiet_s < d->position_retention_s ? d->quiet_s : d->position_retention_s;
    uint64_t every_ms = (uint64_t)period_s * 1000u / 4u;
    if (every_ms < 250)
        every_ms = 250;
    if (every_ms > 60000)
        every_ms = 60000;
    uv_timer_init(pk_service_loop(svc), &d->retention_timer);
    d->retention_timer.data = d;
    uv_timer_start(&d->retention_timer, s_retention, every_ms, every_ms);
    pk_log_info(d->log,
                "ETA at %.0f km/h, arrival within %d m, positions unknown after %d s, deleted after %d s,"
                " quiet within %d m of a visited place for %d s",
                d->speed_kmh, d->arrival_radius_m, d->position_max_age_s, d->position_retention_s, d->quiet_radius_m,
                d->quiet_s);
    return 0;
}

static void s_timer_closed(uv_handle_t *h)
{
    dispatch_t *d = h->data;
    dispatch_command_done(NULL, d);
    pk_rpc_client_destroy(&d->intake); /* the command thread has ended */
    free(d);
}

static void s_stop(pk_service_t *svc, void *state)
{
    (void)svc;
    dispatch_t *d = state;
    if (!d)
        return;
    if (!d->retention_timer.loop) {
        free(d);
        return;
    }
    uv_timer_stop(&d->retention_timer);
    uv_close((uv_handle_t *)&d->retention_timer, s_timer_closed);
}

int main(int argc, char **argv)
{
    static const char *const producers[] = {"intake", NULL};
    static const pk_service_def_t def = {.name = "dispatch",
                                         .settings = dispatch_settings,
                                         .start = s_start,
                                         .stop = s_stop,
                                         .consumes = producers,
                                         .apply = dispatch_apply,
                                         .command = dispatch_command,
                                         .command_done = dispatch_command_done,
                                         .command_is_query = dispatch_is_query};
    return pk_service_main(&def, argc, argv);
}
