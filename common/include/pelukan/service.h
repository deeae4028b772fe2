/* service.h -- the shared main of every PELUKAN service.
 *
 * pk_service_main() reads the configuration, sets up logging and signals,
 * loads the master key, waits for PostgreSQL and applies the migrations,
 * serves /healthz, /readyz and /metrics over HTTP, runs the service's start
 * hook and the libuv loop, and on SIGINT or SIGTERM stops everything
 * cleanly. A service's main.c fills a pk_service_def_t and calls it. */
#ifndef PELUKAN_SERVICE_H
#define PELUKAN_SERVICE_H

#include <stdbool.h>
#include <uv.h>

#include "pelukan/bus.h"
#include "pelukan/busauth.h"
#include "pelukan/config.h"
#include "pelukan/crypto.h"
#include "pelukan/db.h"
#include "pelukan/http.h"
#include "pelukan/log.h"
#include "pelukan/metrics.h"
#include "pelukan/rpc.h"

typedef struct pk_service pk_service_t;

typedef struct {
    const char *name;                /* "intake", "audit", ... */
    const pk_config_def_t *settings; /* the service's own table, or NULL */
    /* Called once the database is migrated and the loop exists; registers
     * routes, opens sockets. Returns 0 or a PK_E* code (the service then
     * exits with status 1). *state_p is handed back to `stop`. */
    int (*start)(pk_service_t *svc, void **state_p);
    /* Called on SIGINT/SIGTERM: closes what `start` opened. The loop keeps
     * running until every handle is closed. */
    void (*stop)(pk_service_t *svc, void *state);
    /* Producers whose events this service applies (NULL-terminated names),
     * and how; the subscriber starts after `start`. NULL: consumes nothing. */
    const char *const *consumes;
    pk_bus_apply_fn apply;
    pk_bus_batch_fn batch_begin;   /* optional, see pk_bus_batch_fn */
    pk_bus_batch_end_fn batch_end; /* optional, see pk_bus_batch_end_fn */
    bool is_archive;               /* audit: never rebuilds from the archive */
    /* Optional: the role that owns the service's schema and runs its
     * migrations, so that the service's own role holds only the rights
     * the migrations grant it (audit: INSERT and SELECT on its log). Its
     * conninfo is PELUKAN_<NAME>_OWNER_DB_URL (a setting the service must
     * declare), or PELUKAN_DB_URL as this user. */
    const char *owner_role;
    /* Handles commands sent to PELUKAN_<NAME>_RPC; NULL: no command server. */
    pk_rpc_handler_fn command;
    void (*command_done)(Pelukan__V1__CommandReply *reply, void *state); /* frees a reply's results; optional */
    /* Only for tests/tools/pk-busnode, to measure what CURVE costs: no bus
     * keys, no ZAP handler, plain sockets. No service sets it, and no
     * setting can: a service's definition is code. */
    bool plain_bus_for_benchmark;
    bool (*command_is_query)(const Pelukan__V1__CommandRequest *req); /* see pk_rpc_server_config_t; optional */
    /* Optional: the command server's workers, each one's handler argument,
     * its shards and batches (pk_rpc_server_config_t), set from the state
     * `start` made. Without it: one worker, handed the state. */
    void (*command_server)(void *state, pk_rpc_server_config_t *cfg);
} pk_service_def_t;

/* Runs the service; returns the process exit status: 0 after a clean stop,
 * 1 when start-up failed, 2 on a configuration error. */
int pk_service_main(const pk_service_def_t *def, int argc, char **argv);

/* The same for a service that keeps nothing of its own (the HTTP edge,
 * services/edge): no database, no migrations, no outbox or relay, no
 * subscriber, no command server; its /readyz says nothing of a database.
 * A `def` that consumes events or answers commands is refused (exit 1). */
int pk_service_main_without_db(const pk_service_def_t *def, int argc, char **argv);

/* The end of something that lives by one timer: stops `timer` and closes
 * it, and once it is closed frees what its data points to (the struct that
 * holds it). */
void pk_service_timer_end(uv_timer_t *timer);

const char *pk_service_name(const pk_service_t *svc);
uv_loop_t *pk_service_loop(pk_service_t *svc);
const pk_log_t *pk_service_log(const pk_service_t *svc);
const pk_config_t *pk_service_config(const pk_service_t *svc);
pk_metrics_t *pk_service_metrics(pk_service_t *svc);
pk_http_t *pk_service_http(pk_service_t *svc);
pk_db_t *pk_service_db(pk_service_t *svc);
const pk_keyring_t *pk_service_keyring(const pk_service_t *svc);
/* This service's CURVE key pair and its peers' public keys. */
const pk_bus_keys_t *pk_service_bus_keys(const pk_service_t *svc);
/* The libpq conninfo of this service's role. */
const char *pk_service_conninfo(const pk_service_t *svc);

/* The relay of this service's outbox: kick it after committing events. */
pk_relay_t *pk_service_relay(pk_service_t *svc);

/* Readiness beyond the database connection (e.g. "relay elected"); a
 * service that never calls this is ready when its database is. */
void pk_service_set_ready(pk_service_t *svc, bool ready);

#endif
