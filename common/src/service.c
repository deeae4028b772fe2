/* service.c -- start-up, health endpoints, signals and shutdown. */
#include "pelukan/service.h"

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pelukan/migrate.h"
#include "pelukan/util.h"

#ifndef PK_VERSION
#define PK_VERSION "dev"
#endif

extern char **environ;

struct pk_service {
    const pk_service_def_t *def;
    pk_config_t *config;
    pk_log_t *log;
    pk_metrics_t *metrics;
    pk_keyring_t *keyring;
    pk_bus_keys_t *bus_keys;
    pk_zap_t *zap;
    pk_netlist_t *trusted_proxies;
    char *conninfo;
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    pk_http_t *http;
    pk_http_t *metrics_http; /* /metrics on its own listener (review L4) */
    pk_db_t *db;
    void *state;
    pk_relay_t *relay;
    pk_subscriber_t *subscriber;
    pk_rpc_server_t *rpc;
    bool without_db; /* pk_service_main_without_db: no database, no bus endpoints of its own */
    bool ready;
    bool stopping;
    pk_metric_t *m_db_up;
};

static void s_free_data(uv_handle_t *h)
{
    free(h->data);
}

void pk_service_timer_end(uv_timer_t *timer)
{
    uv_timer_stop(timer);
    uv_close((uv_handle_t *)timer, s_free_data);
}

const char *pk_service_name(const pk_service_t *svc)
{
    return svc->def->name;
}
uv_loop_t *pk_service_loop(pk_service_t *svc)
{
    return &svc->loop;
}
const pk_log_t *pk_service_log(const pk_service_t *svc)
{
    return svc->log;
}
const pk_config_t *pk_service_config(const pk_service_t *svc)
{
    return svc->config;
}
pk_metrics_t *pk_service_metrics(pk_service_t *svc)
{
    return svc->metrics;
}
pk_http_t *pk_service_http(pk_service_t *svc)
{
    return svc->http;
}
pk_db_t *pk_service_db(pk_service_t *svc)
{
    return svc->db;
}
const pk_keyring_t *pk_service_keyring(const pk_service_t *svc)
{
    return svc->keyring;
}
const pk_bus_keys_t *pk_service_bus_keys(const pk_service_t *svc)
{
    return svc->bus_keys;
}
const char *pk_service_conninfo(const pk_service_t *svc)
{
    return svc->conninfo;
}
pk_relay_t *pk_service_relay(pk_service_t *svc)
{
    return svc->relay;
}
void pk_service_set_ready(pk_service_t *svc, bool ready)
{
    svc->ready = ready;
}

static void s_healthz(pk_http_req_t *req, void *arg)
{
    pk_service_t *svc = arg;
    char body[128];
    int n = snprintf(body, sizeof body, "{\"status\":\"ok\",\"service\":\"%s\",\"version\":\"%s\"}", svc->def->name,
                     PK_VERSION);
    pk_http_respond(req, 200, "application/json", body, (size_t)n);
}

static void s_readyz(pk_http_req_t *req, void *arg)
{
    pk_service_t *svc = arg;
    bool db = svc->db && pk_db_connected(svc->db);
    bool ok = (db || svc->without_db) && svc->ready && !svc->stopping;
    char body[160];
    /* A service without one says nothing of a database (openapi.yaml). */
    const char *database = svc->without_db ? "" : db ? "\"database\":true," : "\"database\":false,";
    int n =
        snprintf(body, sizeof body, "{\"status\":\"%s\",%s\"service\":%s,\"stopping\":%s}", ok ? "ready" : "not_ready",
                 database, svc->ready ? "true" : "false", svc->stopping ? "true" : "false");
    pk_http_respond(req, ok ? 200 : 503, "application/json", body, (size_t)n);
}

static void s_metrics(pk_http_req_t *req, void *arg)
{
    pk_service_t *svc = arg;
    char *text = pk_metrics_render(svc->metrics);
    pk_http_respond(req, 200, "text/plain; version=0.0.4", text, strlen(text));
    free(text);
}

static void s_db_state(pk_db_t *db, bool up, void *arg)
{
    (void)db;
    pk_service_t *svc = arg;
    pk_metric_set(svc->m_db_up, up);
    if (!up)
        pk_log_warn(svc->log, "database connection lost, not ready until it is back");
}

static void s_close_signal(uv_signal_t *s)
{
    uv_signal_stop(s);
    uv_close((uv_handle_t *)s, NULL);
}

static void s_stop(pk_service_t *svc, const char *why)
{
    if (svc->stopping)
        return;
    svc->stopping = true;
    pk_log_info(svc->log, "stopping on %s", why);
    /* From here on, further SIGINT/SIGTERM are ignored: a second signal
     * must neither kill the process half-way nor interrupt the waits below
     * (an interrupted wait for an actor thread would free what it still
     * uses). SIGKILL remains for an operator in a hurry. */
    s_close_signal(&svc->sigint);
    s_close_signal(&svc->sigterm);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    /* Actors first (they may use the service's state), then the database
     * client, whose pending transactions end with PK_ECLOSED while the
     * handlers' state still exists, then the service's own parts. */
    pk_subscriber_destroy(&svc->subscriber);
    pk_rpc_server_destroy(&svc->rpc);
    pk_relay_destroy(&svc->relay);
    pk_zap_destroy(&svc->zap);
    pk_db_close(&svc->db);
    if (svc->def->stop)
        svc->def->stop(svc, svc->state);
    pk_http_close(&svc->http);
    pk_http_close(&svc->metrics_http);
}

static void s_on_signal(uv_signal_t *s, int signum)
{
    pk_service_t *svc = s->data;
    s_stop(svc, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

/* Applies the common bus tables, then the service's own migrations. */
static int s_migrate(pk_service_t *svc)
{
    int timeout = (int)pk_config_int(svc->config, "PELUKAN_DB_CONNECT_TIMEOUT_MS");
    char *owner = svc->def->owner_role
                      ? pk_pg_conninfo(pk_config_str(svc->config, "PELUKAN_DB_URL"),
                                       pk_config_own_str(svc->config, "OWNER_DB_URL"), svc->def->owner_role)
                      : NULL;
    PGconn *conn = pk_pg_connect(owner ? owner : svc->conninfo, svc->log, timeout);
    free(owner);
    if (!conn)
        return PK_EDBCONN;
    const char *root = pk_config_str(svc->config, "PELUKAN_SQL_DIR");
    char *bus_dir = pk_asprintf("%s/common/sql/bus", root);
    char *own_dir = pk_asprintf("%s/services/%s/sql", root, svc->def->name);
    int rc = pk_migrate_run(conn, svc->log, svc->def->name, "bus", bus_dir);
    if (rc == 0)
        rc = pk_migrate_run(conn, svc->log, svc->def->name, svc->def->name, own_dir);
    free(bus_dir);
    free(own_dir);
    PQfinish(conn);
    return rc;
}

/* The relay of our outbox, the subscriber to the producers we consume,
 * and the command server: each an actor with its own connection. */
/* The subscriber to the producers this service consumes. */
static void s_start_subscriber(pk_service_t *svc, int max_msg)
{
    const pk_config_t *c = svc->config;
    const char *name = svc->def->name;
    pk_subscriber_config_t sc = {
        .consumer = name,
        .conninfo = svc->conninfo,
        .log = svc->log,
        .metrics = svc->metrics,
        .apply = svc->def->apply,
        .batch_begin = svc->def->batch_begin,
        .batch_end = svc->def->batch_end,
        .archive_endpoint = svc->def->is_archive ? NULL : pk_config_str(c, "PELUKAN_AUDIT_ARCHIVE"),
        .apply_arg = svc->state,
        .rcvhwm = (int)pk_config_int(c, "PELUKAN_BUS_RCVHWM"),
        .max_msg_bytes = max_msg,
        .keys = svc->bus_keys,
    };
    for (const char *const *p = svc->def->consumes; *p && sc.nproducers < PK_BUS_MAX_PRODUCERS; p++) {
        if (svc->bus_keys && !pk_bus_consumes(name, *p))
            pk_log_error(svc->log, "the bus policy does not let %s consume %s's events (pk_bus_consumes)", name, *p);
        sc.producers[sc.nproducers++] =
            (pk_bus_producer_t){*p, pk_config_service_str(c, *p, "PUB"), pk_config_service_str(c, *p, "REPLAY")};
    }
    svc->subscriber = pk_subscriber_new(&sc);
}

static void s_start_bus(pk_service_t *svc)
{
    const pk_config_t *c = svc->config;
    const char *name = svc->def->name;
    int max_msg = (int)pk_config_int(c, "PELUKAN_MAX_MSG_BYTES");
    pk_relay_config_t rc = {
        .producer = name,
        .conninfo = svc->conninfo,
        .pub_endpoint = pk_config_service_str(c, name, "PUB"),
        .replay_endpoint = pk_config_service_str(c, name, "REPLAY"),
        .log = svc->log,
        .metrics = svc->metrics,
        .batch = (int)pk_config_int(c, "PELUKAN_BUS_RELAY_BATCH"),
        .retention_s = (int)pk_config_int(c, "PELUKAN_OUTBOX_RETENTION_S"),
        .max_msg_bytes = max_msg,
        .sndhwm = (int)pk_config_int(c, "PELUKAN_BUS_SNDHWM"),
        .keys = svc->bus_keys,
    };
    svc->relay = pk_relay_new(&rc);
    if (svc->def->consumes && svc->def->apply)
        s_start_subscriber(svc, max_msg);
    if (svc->def->command) {
        pk_rpc_server_config_t rs = {
            .service = name,
            .conninfo = svc->conninfo,
            .endpoint = pk_config_service_str(c, name, "RPC"),
            .keys = svc->bus_keys,
            .log = svc->log,
            .metrics = svc->metrics,
            .handler = svc->def->command,
            .handler_arg = svc->state,
            .max_msg_bytes = max_msg,
            .relay = svc->relay,
            .reply_done = svc->def->command_done,
            .is_query = svc->def->command_is_query,
        };
        if (svc->def->command_server)
            svc->def->command_server(svc->state, &rs);
        svc->rpc = pk_rpc_server_new(&rs);
    }
}

/* The keys this service needs, and no others: its own master key and its
 * bus key pair. Every secret file must be ours and closed to everybody
 * else. */
static int s_load_keys(pk_service_t *svc, char *err, size_t errlen)
{
    char own[64];
    const char *name = "PELUKAN_MASTER_KEY_FILE";
    const char *path = pk_config_own_str(svc->config, "MASTER_KEY_FILE");
    if (*path) {
        snprintf(own, sizeof own, "PELUKAN_%s_MASTER_KEY_FILE", svc->def->name);
        for (char *p = own; *p; p++)
            *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        name = own;
    } else {
        path = pk_config_str(svc->config, name);
    }
    char why[160];
    if (pk_secret_file_check(path, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s=\"%s\" %s", name, path, why);
        return PK_EKEY;
    }
    int key_err = 0;
    svc->keyring = pk_keyring_load(path, &key_err);
    if (!svc->keyring) {
        snprintf(err, errlen, "%s=\"%s\": %s", name, path,
                 key_err == PK_EKEY ? "not a 32-byte key (64 hex digits)" : "cannot read file");
        return PK_EKEY;
    }
    if (svc->def->plain_bus_for_benchmark)
        return 0;
    svc->bus_keys = pk_bus_keys_load(svc->config, svc->def->name, err, errlen);
    return svc->bus_keys ? 0 : PK_EKEY;
}

static void s_usage(const pk_service_def_t *def)
{
    printf("Usage: pelukan-%s [--help | --version]\n\nPELUKAN %s service. Configuration comes only from the "
           "environment.\n\n",
           def->name, def->name);
    const pk_config_def_t *const tables[] = {def->settings, NULL};
    pk_config_print_help(def->name, tables, stdout);
}

static void s_free(pk_service_t *svc)
{
    if (uv_loop_close(&svc->loop) != 0)
        pk_log_warn(svc->log, "event loop closed with handles still open");
    pk_keyring_destroy(&svc->keyring);
    pk_bus_keys_destroy(&svc->bus_keys);
    pk_netlist_destroy(&svc->trusted_proxies);
    pk_metrics_destroy(&svc->metrics);
    free(svc->conninfo);
    pk_log_destroy(&svc->log);
    pk_config_destroy(&svc->config);
}

/* The command line: --help, --version, nothing else. -1 to go on, else the
 * exit status. */
static int s_args(const pk_service_def_t *def, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            s_usage(def);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("pelukan-%s %s\n", def->name, PK_VERSION);
            return 0;
        }
        fprintf(stderr, "pelukan-%s: unknown argument \"%s\"; settings come from PELUKAN_* variables, see --help\n",
                def->name, argv[i]);
        return 2;
    }
    return -1;
}

/* The settings, the log, the trusted proxies and the keys: 0, or the exit
 * status 2 after saying why on stderr (nothing left open). */
static int s_configure(pk_service_t *svc)
{
    const pk_service_def_t *def = svc->def;
    char err[512];
    const pk_config_def_t *const tables[] = {def->settings, NULL};
    svc->config = pk_config_new(def->name, tables, environ, err, sizeof err);
    if (!svc->config) {
        fprintf(stderr, "pelukan-%s: configuration error: %s\n", def->name, err);
        return 2;
    }
    pk_log_level_t level = PK_LOG_INFO;
    (void)pk_log_level_parse(pk_config_str(svc->config, "PELUKAN_LOG_LEVEL"), &level);
    bool json = strcmp(pk_config_str(svc->config, "PELUKAN_LOG_FORMAT"), "json") == 0;
    svc->log = pk_log_new(def->name, level, json ? PK_LOG_JSON : PK_LOG_LOGFMT, STDERR_FILENO);
    char net_err[200];
    svc->trusted_proxies =
        pk_netlist_parse(pk_config_str(svc->config, "PELUKAN_HTTP_TRUSTED_PROXIES"), net_err, sizeof net_err);
    if (!svc->trusted_proxies) {
        fprintf(stderr, "pelukan-%s: configuration error: PELUKAN_HTTP_TRUSTED_PROXIES: %s\n", def->name, net_err);
        pk_log_destroy(&svc->log);
        pk_config_destroy(&svc->config);
        return 2;
    }
    if (s_load_keys(svc, err, sizeof err) != 0) {
        pk_netlist_destroy(&svc->trusted_proxies);
        fprintf(stderr, "pelukan-%s: configuration error: %s\n", def->name, err);
        pk_keyring_destroy(&svc->keyring);
        pk_log_destroy(&svc->log);
        pk_config_destroy(&svc->config);
        return 2;
    }
    return 0;
}

/* The metrics every service has, and where its database is. */
static void s_observe(pk_service_t *svc)
{
    svc->metrics = pk_metrics_new(svc->def->name);
    if (!svc->without_db) /* an edge's would read 0 for ever, and alert */
        svc->m_db_up = pk_metrics_gauge(svc->metrics, "pelukan_db_connected", NULL, "1 when the database is connected");
    pk_metric_set(pk_metrics_gauge(svc->metrics, "pelukan_start_time_seconds", NULL, "start time, Unix seconds"),
                  (int64_t)(pk_now_us() / 1000000u));
    if (!svc->without_db)
        svc->conninfo = pk_pg_conninfo(pk_config_str(svc->config, "PELUKAN_DB_URL"),
                                       pk_config_own_str(svc->config, "DB_URL"), svc->def->name);
}

/* Before any socket binds: without the handler, libzmq would admit every
 * CURVE client. 0, or -1 (said in the log). */
static int s_guard_bus(pk_service_t *svc)
{
    if (svc->def->plain_bus_for_benchmark) {
        pk_log_warn(svc->log, "bus without authentication: a benchmark's node, never a service");
        return 0;
    }
    svc->zap = pk_zap_new(svc->bus_keys, svc->log, svc->metrics);
    if (svc->zap)
        return 0;
    pk_log_error(svc->log, "bus: cannot start the ZAP handler, exiting (nothing may bind unauthenticated)");
    return -1;
}

/* The database client, the HTTP server (with /healthz and /readyz) and the
 * metrics server: 0, or -1 when a port could not be bound. */
static int s_open(pk_service_t *svc)
{
    if (!svc->without_db) {
        svc->db = pk_db_new(&svc->loop, svc->conninfo, svc->log);
        pk_db_on_state(svc->db, s_db_state, svc);
    }
    svc->http = pk_http_new(&svc->loop, svc->log, (pk_http_limits_t){64 * 1024, 10000});
    pk_http_trust_proxies(svc->http, svc->trusted_proxies);
    pk_http_route(svc->http, "GET", "/healthz", s_healthz, svc);
    pk_http_route(svc->http, "GET", "/readyz", s_readyz, svc);
    if (pk_http_listen(svc->http, pk_config_str(svc->config, "PELUKAN_HTTP_ADDR"),
                       (int)pk_config_own_int(svc->config, "HTTP_PORT")) != 0)
        return -1;
    svc->metrics_http = pk_http_new(&svc->loop, svc->log, (pk_http_limits_t){1024, 10000});
    pk_http_route(svc->metrics_http, "GET", "/metrics", s_metrics, svc);
    return pk_http_listen(svc->metrics_http, pk_config_str(svc->config, "PELUKAN_METRICS_ADDR"),
                          (int)pk_config_own_int(svc->config, "METRICS_PORT"));
}

/* Signals, the service's own start, the bus, then the loop until a signal
 * stops it. The exit status. */
static int s_run(pk_service_t *svc)
{
    uv_signal_init(&svc->loop, &svc->sigint);
    uv_signal_init(&svc->loop, &svc->sigterm);
    svc->sigint.data = svc->sigterm.data = svc;
    uv_signal_start(&svc->sigint, s_on_signal, SIGINT);
    uv_signal_start(&svc->sigterm, s_on_signal, SIGTERM);
    svc->ready = true;
    int rc = svc->def->start ? svc->def->start(svc, &svc->state) : 0;
    if (rc != 0) {
        pk_log_error(svc->log, "start-up failed: %s, exiting", pk_strerror(rc));
        s_stop(svc, "start-up failure");
        uv_run(&svc->loop, UV_RUN_DEFAULT);
        return 1;
    }
    if (!svc->without_db)
        s_start_bus(svc);
    pk_log_info(svc->log, "started, http=%s:%d health=/healthz ready=/readyz, metrics=%s:%d/metrics",
                pk_config_str(svc->config, "PELUKAN_HTTP_ADDR"), pk_http_port(svc->http),
                pk_config_str(svc->config, "PELUKAN_METRICS_ADDR"), pk_http_port(svc->metrics_http));
    uv_run(&svc->loop, UV_RUN_DEFAULT);
    pk_log_info(svc->log, "stopped cleanly");
    return 0;
}

/* Both mains: the settings, the keys, the bus's guard, the migrations (a
 * service with a database), the listeners, then the loop. */
static int s_main(const pk_service_def_t *def, bool without_db, int argc, char **argv)
{
    int status = s_args(def, argc, argv);
    if (status >= 0)
        return status;
    /* czmq must leave signals to libuv; ignore SIGPIPE from closed peers. */
    zsys_handler_set(NULL);
    signal(SIGPIPE, SIG_IGN);
    if (pk_crypto_init() != 0) {
        fprintf(stderr, "pelukan-%s: libsodium failed to initialise\n", def->name);
        return 1;
    }
    pk_service_t svc_storage = {.def = def, .without_db = without_db};
    pk_service_t *svc = &svc_storage;
    if ((status = s_configure(svc)) != 0)
        return status;
    s_observe(svc);
    uv_loop_init(&svc->loop);
    status = 1;
    if (s_guard_bus(svc) == 0 && (without_db || s_migrate(svc) == 0)) {
        if (s_open(svc) == 0) {
            status = s_run(svc);
        } else {
            pk_http_close(&svc->http);
            pk_http_close(&svc->metrics_http);
            pk_db_close(&svc->db);
            uv_run(&svc->loop, UV_RUN_DEFAULT);
        }
    }
    pk_zap_destroy(&svc->zap);
    s_free(svc);
    return status;
}

int pk_service_main(const pk_service_def_t *def, int argc, char **argv)
{
    return s_main(def, false, argc, argv);
}

int pk_service_main_without_db(const pk_service_def_t *def, int argc, char **argv)
{
    if (def->consumes || def->apply || def->command || def->owner_role) {
        fprintf(stderr, "pelukan-%s: a service without a database neither consumes events nor answers commands\n",
                def->name);
        return 1;
    }
    return s_main(def, true, argc, argv);
}
