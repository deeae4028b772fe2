/* main.c -- the PELUKAN edge: the only HTTP server the public reaches (the
 * apps, the API, the live streams). It keeps nothing of its own: every
 * case, session and account is intake's case owner's, asked by command
 * (PELUKAN_INTAKE_RPC); it reads intake's settings (intake_settings.c) and
 * seals with intake's master key (PELUKAN_EDGE_MASTER_KEY_FILE). */
#include <stdlib.h>
#include <string.h>

#include "../intake/intake_settings.h"
#include "edge.h"
#include "edge_approach.h"
#include "edge_call.h"
#include "edge_feed.h"
#include "edge_forward.h"
#include "edge_notify.h"
#include "edge_pings.h"
#include "edge_reference.h"
#include "edge_routes.h"
#include "edge_session.h"
#include "edge_submit.h"
#include "edge_throttle.h"
#include "edge_web.h"
#include "pelukan/util.h"

typedef struct intake_route_ctx {
    edge_t *in;
    const intake_route_t *route;
} s_route_ctx_t;

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

/* The edge's settings: intake's rows that it reads (intake_settings.c). */
static void s_read_settings(edge_t *in, const pk_config_t *cfg)
{
    in->session_cache_ms = (int)pk_config_int(cfg, "PELUKAN_INTAKE_SESSION_CACHE_MS");
    in->pw_slots = (int)pk_config_int(cfg, "PELUKAN_INTAKE_PASSWORD_SLOTS");
    in->streams_per_session = (int)pk_config_int(cfg, "PELUKAN_INTAKE_STREAMS_PER_SESSION");
    in->streams_per_account = (int)pk_config_int(cfg, "PELUKAN_INTAKE_STREAMS_PER_ACCOUNT");
    in->streams_max = (int)pk_config_int(cfg, "PELUKAN_INTAKE_STREAMS_MAX");
    in->feed_tick_ms = (int)pk_config_int(cfg, "PELUKAN_INTAKE_FEED_TICK_MS");
    in->otp_ttl_s = (int)pk_config_int(cfg, "PELUKAN_INTAKE_OTP_TTL_S");
    in->otp_phone_alert_day = (int)pk_config_int(cfg, "PELUKAN_INTAKE_OTP_PHONE_ALERT_DAY");
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

/* A client of another service's command endpoint, on the edge's loop. */
static pk_rpc_uv_t *s_client(pk_service_t *svc, const char *service)
{
    return pk_rpc_uv_new(pk_service_loop(svc), pk_config_service_str(pk_service_config(svc), service, "RPC"), 0,
                         pk_service_log(svc), pk_service_bus_keys(svc), service);
}

static int s_start(pk_service_t *svc, void **state_p)
{
    const pk_config_t *cfg = pk_service_config(svc);
    edge_t *in = pk_calloc(1, sizeof *in);
    in->svc = svc;
    in->log = pk_service_log(svc);
    in->keys = pk_service_keyring(svc);
    s_read_settings(in, cfg);
    in->catalog = intake_catalog_new();
    s_metrics(in, pk_service_metrics(svc));
    *state_p = in;
    int rc = intake_forward_check(intake_routes, in->log);
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
    in->owner = s_client(svc, "intake"); /* the case owner, behind its own command endpoint */
    in->submit = edge_submit_new(in, pk_service_loop(svc));
    in->reference = edge_reference_new(in);
    rc = s_web(in, svc, cfg);
    if (rc != 0)
        return rc;
    in->dispatch_rpc = s_client(svc, "dispatch");
    in->pings = edge_pings_new(in);
    in->approach = edge_approach_new(in, in->streams);
    in->referral = s_client(svc, "referral");
    s_routes(in, svc);
    return 0;
}

static void s_stop(pk_service_t *svc, void *state)
{
    (void)svc;
    edge_t *in = state;
    if (!in)
        return;
    edge_submit_destroy(&in->submit); /* the reports waiting go, before the owner's client closes */
    pk_rpc_uv_close(&in->owner);      /* first: calls in flight end (503) */
    edge_reference_destroy(&in->reference);
    intake_notify_destroy(&in->notify);
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
    free(in);
}

int main(int argc, char **argv)
{
    const pk_service_def_t def = {.name = "edge", .settings = intake_edge_settings, .start = s_start, .stop = s_stop};
    return pk_service_main_without_db(&def, argc, argv);
}
