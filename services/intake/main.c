/* main.c -- the PELUKAN intake service: the only HTTP edge. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "edge/edge.h"
#include "edge/edge_approach.h"
#include "edge/edge_call.h"
#include "edge/edge_feed.h"
#include "edge/edge_forward.h"
#include "edge/edge_pings.h"
#include "edge/edge_reference.h"
#include "edge/edge_routes.h"
#include "edge/edge_session.h"
#include "edge/edge_submit.h"
#include "edge/edge_throttle.h"
#include "edge/edge_web.h"
#include "intake.h"
#include "intake_case.h"
#include "pelukan/util.h"

typedef struct intake_route_ctx {
    edge_t *in;
    const intake_route_t *route;
} s_route_ctx_t;

/* The two halves' state, in one process: the case owner's first, as the
 * service's callbacks for commands and events take it (intake_t). */
typedef struct {
    intake_t owner;
    edge_t edge;
} s_state_t;

/* Every id in the API's paths is 32 lowercase hex digits (openapi.yaml's
 * pattern): any other names nothing, and is answered so before a session
 * is looked up or a handler copies it (contracts review B7: a longer id
 * was cut to 32 and its note written). */
static bool s_ids_ok(pk_http_req_t *req, const char *pattern)
{
    int n = 0;
    for (const char *p = pattern; (p = strchr(p, '*')) != NULL; p++)
        if (!pk_id_ok(pk_http_param(req, n++)))
            return false;
    return true;
}

/* Every route: its ids checked; a staff route (or a reporter's row) then
 * authenticates and checks the role against the table before it runs. */
static void s_route(pk_http_req_t *req, void *arg)
{
    const s_route_ctx_t *rc = arg;
    if (!s_ids_ok(req, rc->route->pattern)) {
        intake_error(req, 404, "not_found", "Alamat tidak ditemukan", NULL);
        return;
    }
    if (!(rc->route->flags & INTAKE_ROUTE_OWN_SETTINGS) && edge_reference_hold(rc->in->reference, req, s_route, arg))
        return; /* here again once the edge has the codes it checks requests against */
    if (rc->route->handler) {
        rc->route->handler(req, rc->in);
        return;
    }
    edge_call_t *c = edge_call_new(rc->in, req);
    c->route = rc->route;
    if (rc->route->roles == INTAKE_REPORTER) /* a reporter's row */
        intake_authenticate(c, intake_forward_run);
    else
        intake_staff_authenticate(c, rc->route->roles, rc->route->forward ? intake_forward_run : rc->route->staff);
}

static const pk_config_def_t s_settings[] = {
    {"PELUKAN_INTAKE_DEV_PRINT_OTP", PK_CFG_BOOL, "false",
     "development only: print one-time codes to the log (never in production)", NULL, 0, 0},
    {"PELUKAN_INTAKE_OTP_TTL_S", PK_CFG_INT, "300", "lifetime of a one-time code", NULL, 60, 3600},
    {"PELUKAN_INTAKE_OTP_MAX_ATTEMPTS", PK_CFG_INT, "5", "wrong codes before the code is locked", NULL, 1, 20},
    {"PELUKAN_INTAKE_OTP_PER_PHONE", PK_CFG_INT, "3", "codes per phone per window, from one client address", NULL, 1,
     1000},
    {"PELUKAN_INTAKE_OTP_PHONE_WINDOW_S", PK_CFG_INT, "900", "window of the per-phone limit", NULL, 1, 86400},
    {"PELUKAN_INTAKE_OTP_PER_CLIENT", PK_CFG_INT, "20", "codes per client address per window", NULL, 1, 100000},
    {"PELUKAN_INTAKE_OTP_CLIENT_WINDOW_S", PK_CFG_INT, "3600", "window of the per-address limit", NULL, 1, 86400},
    {"PELUKAN_INTAKE_PASSWORD_SLOTS", PK_CFG_INT, "4",
     "password checks at once (64 MiB each); more get 503 with Retry-After", NULL, 1, 64},
    {"PELUKAN_INTAKE_STREAMS_PER_SESSION", PK_CFG_INT, "3",
     "live streams per session (a staff member's or a reporter's)", NULL, 1, 100},
    {"PELUKAN_INTAKE_STREAMS_PER_ACCOUNT", PK_CFG_INT, "5", "live streams per account", NULL, 1, 1000},
    {"PELUKAN_INTAKE_STREAMS_MAX", PK_CFG_INT, "1500", "live streams in all: staff feeds and companions' approaches",
     NULL, 1, 100000},
    /* Security review N12: not "for ever". Five years after a case ended,
     * as the office keeps its social-service case files; a district sets
     * its own (0: kept). */
    {"PELUKAN_INTAKE_RETENTION_S", PK_CFG_INT, "157788000",
     "a closed, rejected, duplicate or withdrawn case is erased this long after it ended (default five years); 0: kept",
     NULL, 0, 2000000000},
    {"PELUKAN_INTAKE_LOGINS_PER_CLIENT", PK_CFG_INT, "30",
     "staff login tries a minute from one client address, before any password check (review N6)", NULL, 1, 10000000},
    {"PELUKAN_INTAKE_LOGIN_CHECKS_PER_CLIENT", PK_CFG_INT, "2",
     "password checks one client address may have at once (the others' logins keep their slots)", NULL, 1, 100000},
    {"PELUKAN_INTAKE_ERASURE_COOLING_S", PK_CFG_INT, "86400",
     "an approved erasure waits this long, every supervisor told, before it runs; any supervisor can stop it", NULL, 0,
     2592000},
    {"PELUKAN_INTAKE_ERASURE_TRUST_DAYS", PK_CFG_INT, "7",
     "an erasure is not approved from an account created, reset or unlocked (by another) this many days ago", NULL, 0,
     365},
    {"PELUKAN_INTAKE_REPORTS_PER_DAY", PK_CFG_INT, "10",
     "reports one reporter may send per 24 hours (0: no limit, for benchmarks)", NULL, 0, 1000000},
    {"PELUKAN_INTAKE_SESSION_CACHE_MS", PK_CFG_INT, "1000",
     "how long the edge holds the case owner's answer on a session, for a companion's position (a logout or an account "
     "change on this edge"
     " ends it at once; another edge's holds this long); 0: every request asks",
     NULL, 0, 10000},
    {"PELUKAN_INTAKE_OWNER_WORKERS", PK_CFG_INT, "3",
     "threads answering the case owner's commands, each with its own connection (a case locked by one does not"
     " hold up the others); with three or more, one answers only queries (sessions, lists)",
     NULL, 1, INTAKE_OWNERS_MAX},
    {"PELUKAN_INTAKE_WEB_DIR", PK_CFG_STRING, PK_DEFAULT_SQL_DIR "/build/web",
     "the built web apps, served at / (make all builds them); empty: none", NULL, 0, 0},
    /* Ways out for a reporter in danger now, shown by the app at once (a
     * district sets its own): digits, an optional leading +; empty hides it. */
    {"PELUKAN_INTAKE_PUSH_PUBLIC_KEY", PK_CFG_STRING, "",
     "Web Push: notification's VAPID public key (base64url, notification logs it at start); empty: no push,"
     " staff alerts go by SMS",
     NULL, 0, 0},
    {"PELUKAN_INTAKE_HELP_EMERGENCY", PK_CFG_STRING, "112", "the emergency number the app offers", NULL, 0, 0},
    {"PELUKAN_INTAKE_HELP_POLICE", PK_CFG_STRING, "110", "the police number the app offers", NULL, 0, 0},
    {"PELUKAN_INTAKE_HELP_SAPA", PK_CFG_STRING, "129", "SAPA 129, the ministry's line (KemenPPPA)", NULL, 0, 0},
    {"PELUKAN_INTAKE_HELP_SAPA_WHATSAPP", PK_CFG_STRING, "08111129129", "SAPA 129 on WhatsApp", NULL, 0, 0},
    {"PELUKAN_INTAKE_HELP_OFFICE", PK_CFG_STRING, "", "the social office's own number; empty: not shown", NULL, 0, 0},
    {"PELUKAN_INTAKE_ANDROID_PACKAGE", PK_CFG_STRING, "id.go.tasikmalayakab.pelukan",
     "the Play Store app's package name (deploy/android/twa-manifest.json)", NULL, 0, 0},
    {"PELUKAN_INTAKE_ANDROID_CERT_SHA256", PK_CFG_STRING, "",
     "SHA-256 of the app's signing certificates, as keytool prints them, comma-separated (the upload key and Play's"
     " app signing key); empty: no /.well-known/assetlinks.json",
     NULL, 0, 0},
    {"PELUKAN_INTAKE_PURGE_S", PK_CFG_INT, "300", "seconds between purges of expired codes and sessions", NULL, 1,
     86400},
    {"PELUKAN_INTAKE_OTP_PER_PHONE_DAY", PK_CFG_INT, "8", "codes per phone per 24 hours, from one client address", NULL,
     1, 1000},
    {"PELUKAN_INTAKE_OTP_PHONE_ALERT_DAY", PK_CFG_INT, "20",
     "codes asked for one phone in 24 hours (all addresses) before a warning and metric alert the staff", NULL, 1,
     100000},
    {"PELUKAN_INTAKE_OTP_PER_HOUR", PK_CFG_INT, "2000", "codes per hour in all (the SMS budget)", NULL, 1, 10000000},
    {"PELUKAN_INTAKE_OTP_FAILS_PER_CLIENT_DAY", PK_CFG_INT, "10",
     "wrong codes per phone and client address per 24 hours", NULL, 1, 1000},
    {"PELUKAN_INTAKE_OTP_FAILS_PER_PHONE_DAY", PK_CFG_INT, "10",
     "wrong codes per phone per 24 hours from addresses other than the one the code was sent for", NULL, 1, 1000},
    {"PELUKAN_INTAKE_SESSION_TTL_S", PK_CFG_INT, "2592000", "reporter session lifetime (30 days)", NULL, 60, 31536000},
    {"PELUKAN_INTAKE_SESSION_IDLE_S", PK_CFG_INT, "259200", "a reporter session unused this long ends (3 days)", NULL,
     60, 31536000},
    {"PELUKAN_INTAKE_STAFF_SESSION_TTL_S", PK_CFG_INT, "43200", "staff session lifetime (12 hours)", NULL, 60, 604800},
    {"PELUKAN_INTAKE_STAFF_MAX_FAILURES", PK_CFG_INT, "5", "wrong passwords in a row before a staff account locks",
     NULL, 1, 100},
    {"PELUKAN_INTAKE_STAFF_LOCK_S", PK_CFG_INT, "900", "how long a locked staff account stays locked", NULL, 1, 86400},
    PK_CONFIG_END,
};

/* intake's whole-number settings, each read into its field of the
 * owner's state or the edge's (`field` is owner.<name> or edge.<name>);
 * S_INT refuses to compile a field that is not an int. */
#define S_INT(name, field)                                                                                             \
    {                                                                                                                  \
        name, offsetof(s_state_t, field) + 0 * sizeof(char[sizeof(((s_state_t *)0)->field) == sizeof(int) ? 1 : -1])   \
    }
static const struct {
    const char *name;
    size_t offset;
} s_int_settings[] = {
    S_INT("PELUKAN_INTAKE_OWNER_WORKERS", owner.nowners),
    S_INT("PELUKAN_INTAKE_SESSION_CACHE_MS", edge.session_cache_ms),
    S_INT("PELUKAN_INTAKE_OTP_TTL_S", owner.otp.ttl_s),
    S_INT("PELUKAN_INTAKE_OTP_MAX_ATTEMPTS", owner.otp.max_attempts),
    S_INT("PELUKAN_INTAKE_OTP_PER_PHONE", owner.otp.per_phone),
    S_INT("PELUKAN_INTAKE_OTP_PHONE_WINDOW_S", owner.otp.phone_window_s),
    S_INT("PELUKAN_INTAKE_OTP_PER_CLIENT", owner.otp.per_client),
    S_INT("PELUKAN_INTAKE_OTP_CLIENT_WINDOW_S", owner.otp.client_window_s),
    S_INT("PELUKAN_INTAKE_PASSWORD_SLOTS", edge.pw_slots),
    S_INT("PELUKAN_INTAKE_REPORTS_PER_DAY", owner.reports_per_day),
    S_INT("PELUKAN_INTAKE_RETENTION_S", owner.retention_s),
    S_INT("PELUKAN_INTAKE_ERASURE_COOLING_S", owner.erasure_cooling_s),
    S_INT("PELUKAN_INTAKE_ERASURE_TRUST_DAYS", owner.erasure_trust_days),
    S_INT("PELUKAN_INTAKE_STREAMS_PER_SESSION", edge.streams_per_session),
    S_INT("PELUKAN_INTAKE_STREAMS_PER_ACCOUNT", edge.streams_per_account),
    S_INT("PELUKAN_INTAKE_STREAMS_MAX", edge.streams_max),
    S_INT("PELUKAN_INTAKE_OTP_PER_PHONE_DAY", owner.otp.per_phone_day),
    S_INT("PELUKAN_INTAKE_OTP_PHONE_ALERT_DAY", owner.otp.phone_alert_day),
    S_INT("PELUKAN_INTAKE_OTP_PER_HOUR", owner.otp.per_hour),
    S_INT("PELUKAN_INTAKE_OTP_FAILS_PER_CLIENT_DAY", owner.otp.fails_per_client_day),
    S_INT("PELUKAN_INTAKE_OTP_FAILS_PER_PHONE_DAY", owner.otp.fails_per_phone_day),
    S_INT("PELUKAN_INTAKE_SESSION_TTL_S", owner.otp.session_ttl_s),
    S_INT("PELUKAN_INTAKE_SESSION_IDLE_S", owner.otp.session_idle_s),
    S_INT("PELUKAN_INTAKE_STAFF_SESSION_TTL_S", owner.staff_session_ttl_s),
    S_INT("PELUKAN_INTAKE_STAFF_MAX_FAILURES", owner.staff_max_failures),
    S_INT("PELUKAN_INTAKE_STAFF_LOCK_S", owner.staff_lock_s),
};

static void s_read_settings(s_state_t *st, const pk_config_t *cfg)
{
    for (size_t i = 0; i < PK_ARRAY_LEN(s_int_settings); i++)
        *(int *)((char *)st + s_int_settings[i].offset) = (int)pk_config_int(cfg, s_int_settings[i].name);
    edge_t *in = &st->edge;
    in->otp = st->owner.otp; /* the limits the edge applies, the sessions the owner opens */
    in->dev_print_otp = pk_config_bool(cfg, "PELUKAN_INTAKE_DEV_PRINT_OTP");
    in->push_public_key = pk_config_str(cfg, "PELUKAN_INTAKE_PUSH_PUBLIC_KEY");
}

static void s_metrics(edge_t *in, pk_metrics_t *m)
{
    in->m_requests = pk_metrics_counter(m, "pelukan_intake_requests_total", NULL, "API requests");
    in->m_reports = pk_metrics_counter(m, "pelukan_intake_reports_total", NULL, "reports created");
    in->m_otp_sent =
        pk_metrics_counter(m, "pelukan_intake_otp_delivered_total", NULL, "codes accepted by the notification service");
    in->m_otp_failed = pk_metrics_counter(m, "pelukan_intake_otp_delivery_failed_total", NULL,
                                          "codes the notification service did not take");
    in->m_rejected = pk_metrics_counter(m, "pelukan_intake_rate_limited_total", NULL, "requests refused by limits");
    in->m_otp_phone_alert = pk_metrics_counter(m, "pelukan_intake_otp_phone_alerts_total", NULL,
                                               "codes asked for a phone over its daily alert ceiling (review N4)");
}

/* The web apps and what they are given: the help numbers and the Android
 * app's identity, each checked (a bad one refuses the start). */
static int s_web(edge_t *in, pk_service_t *svc, const pk_config_t *cfg)
{
    intake_help_t help = {
        pk_config_str(cfg, "PELUKAN_INTAKE_HELP_EMERGENCY"), pk_config_str(cfg, "PELUKAN_INTAKE_HELP_POLICE"),
        pk_config_str(cfg, "PELUKAN_INTAKE_HELP_SAPA"), pk_config_str(cfg, "PELUKAN_INTAKE_HELP_SAPA_WHATSAPP"),
        pk_config_str(cfg, "PELUKAN_INTAKE_HELP_OFFICE")};
    static const char *const help_names[] = {"PELUKAN_INTAKE_HELP_EMERGENCY", "PELUKAN_INTAKE_HELP_POLICE",
                                             "PELUKAN_INTAKE_HELP_SAPA", "PELUKAN_INTAKE_HELP_SAPA_WHATSAPP",
                                             "PELUKAN_INTAKE_HELP_OFFICE"};
    const char *help_values[] = {help.emergency, help.police, help.sapa, help.sapa_whatsapp, help.office};
    for (size_t i = 0; i < PK_ARRAY_LEN(help_names); i++)
        if (!intake_help_number_ok(help_values[i])) {
            pk_log_error(in->log, "%s=\"%s\": not a phone number (digits, an optional leading +), refusing to start",
                         help_names[i], help_values[i]);
            return PK_ECONFIG;
        }
    intake_android_t android = {pk_config_str(cfg, "PELUKAN_INTAKE_ANDROID_PACKAGE"),
                                pk_config_str(cfg, "PELUKAN_INTAKE_ANDROID_CERT_SHA256")};
    if (!intake_android_package_ok(android.package) ||
        (android.fingerprints[0] && !intake_cert_fingerprints_ok(android.fingerprints))) {
        pk_log_error(
            in->log,
            "PELUKAN_INTAKE_ANDROID_PACKAGE=\"%s\" or PELUKAN_INTAKE_ANDROID_CERT_SHA256: not a package name, or not"
            " SHA-256 fingerprints as keytool prints them (AB:CD:..., comma-separated), refusing to start",
            android.package);
        return PK_ECONFIG;
    }
    in->web = intake_web_new(pk_config_str(cfg, "PELUKAN_INTAKE_WEB_DIR"), pk_config_str(cfg, "PELUKAN_WEB_TILE_URL"),
                             pk_config_str(cfg, "PELUKAN_WEB_TILE_ATTRIBUTION"), &help, &android, in->log);
    pk_http_fallback(pk_service_http(svc), intake_web_serve, in->web);
    return 0;
}

/* Every row of the route table on the HTTP server, through s_route. */
static void s_routes(edge_t *in, pk_service_t *svc)
{
    size_t nroutes = 0;
    while (intake_routes[nroutes].method)
        nroutes++;
    in->route_ctx = pk_calloc(nroutes, sizeof(s_route_ctx_t));
    for (size_t i = 0; i < nroutes; i++) {
        const intake_route_t *r = &intake_routes[i];
        in->route_ctx[i] = (s_route_ctx_t){in, r};
        pk_http_route(pk_service_http(svc), r->method, r->pattern, s_route, &in->route_ctx[i]);
    }
}

static int s_start(pk_service_t *svc, void **state_p)
{
    const pk_config_t *cfg = pk_service_config(svc);
    s_state_t *st = pk_calloc(1, sizeof *st);
    intake_t *own = &st->owner;
    edge_t *in = &st->edge;
    own->svc = in->svc = svc;
    own->log = in->log = pk_service_log(svc);
    own->keys = in->keys = pk_service_keyring(svc);
    s_read_settings(st, cfg);
    in->catalog = intake_catalog_new();
    s_metrics(in, pk_service_metrics(svc));
    *state_p = st;
    int rc = intake_forward_check(intake_routes, in->log);
    if (rc != 0)
        return rc;
    rc = intake_reference_check(own);
    if (rc != 0)
        return rc;
    if (in->dev_print_otp)
        pk_log_warn(in->log, "PELUKAN_INTAKE_DEV_PRINT_OTP is on: one-time codes are printed to this log");
    in->notify = intake_notify_new(pk_config_service_str(cfg, "notification", "RPC"), pk_service_bus_keys(svc), in->log,
                                   in->m_otp_failed, in->m_otp_sent);
    in->streams = edge_streams_new(in);
    in->sessions = edge_sessions_new(in->session_cache_ms);
    in->feed = edge_feed_new(in, in->streams);
    in->throttle = intake_throttle_new((int)pk_config_int(cfg, "PELUKAN_INTAKE_LOGINS_PER_CLIENT"),
                                       (int)pk_config_int(cfg, "PELUKAN_INTAKE_LOGIN_CHECKS_PER_CLIENT"));
    in->account_throttle = intake_throttle_new(INT32_MAX, in->pw_slots > 1 ? in->pw_slots / 2 : 1);
    /* The edge asks the case owner behind the owner's own command
     * endpoint, as it asks the other services (issue 24, step 2). */
    in->owner = pk_rpc_uv_new(pk_service_loop(svc), pk_config_service_str(cfg, "intake", "RPC"), 0, in->log,
                              pk_service_bus_keys(svc), "intake");
    in->submit = edge_submit_new(in, pk_service_loop(svc));
    in->reference = edge_reference_new(in);
    in->purge = edge_purge_new(in, (int)pk_config_int(cfg, "PELUKAN_INTAKE_PURGE_S"));
    rc = s_web(in, svc, cfg);
    if (rc != 0)
        return rc;
    in->dispatch_rpc = pk_rpc_uv_new(pk_service_loop(svc), pk_config_service_str(cfg, "dispatch", "RPC"), 0, in->log,
                                     pk_service_bus_keys(svc), "dispatch");
    in->pings = edge_pings_new(in);
    in->approach = edge_approach_new(in, in->streams);
    in->referral = pk_rpc_uv_new(pk_service_loop(svc), pk_config_service_str(cfg, "referral", "RPC"), 0, in->log,
                                 pk_service_bus_keys(svc), "referral");
    s_routes(in, svc);
    return 0;
}

static void s_stop(pk_service_t *svc, void *state)
{
    (void)svc;
    s_state_t *st = state;
    if (!st)
        return;
    edge_t *in = &st->edge;
    edge_submit_destroy(&in->submit); /* the reports waiting go, before the owner's client closes */
    pk_rpc_uv_close(&in->owner);      /* first: calls in flight end (503), the sweep's too */
    edge_reference_destroy(&in->reference);
    intake_notify_destroy(&in->notify);
    edge_purge_destroy(&in->purge);
    intake_throttle_destroy(&in->throttle);
    intake_throttle_destroy(&in->account_throttle);
    pk_rpc_uv_close(&in->dispatch_rpc);
    edge_pings_destroy(&in->pings);
    edge_approach_destroy(&in->approach);
    edge_feed_destroy(&in->feed);
    edge_streams_destroy(&in->streams);
    edge_sessions_destroy(&in->sessions);
    pk_rpc_uv_close(&in->referral);
    intake_catalog_destroy(&in->catalog);
    intake_web_destroy(&in->web);
    free(in->catalog_json);
    free(in->regions_json);
    free(in->route_ctx);
    for (int i = 0; i < st->owner.nowners; i++)
        pk_arena_free(&st->owner.owners[i].mem);
    free(st);
}

int main(int argc, char **argv)
{
    static const char *const consumes[] = {"dispatch", "referral", NULL};
    static const pk_service_def_t def = {.name = "intake",
                                         .settings = s_settings,
                                         .start = s_start,
                                         .stop = s_stop,
                                         .consumes = consumes,
                                         .apply = intake_apply,
                                         .command = intake_command,
                                         .command_done = intake_command_done,
                                         .command_is_query = intake_command_is_query,
                                         .command_server = intake_command_server};
    return pk_service_main(&def, argc, argv);
}
