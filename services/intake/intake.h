/* intake.h -- the intake service's shared state and its parts. */
#ifndef INTAKE_H
#define INTAKE_H

#include <jansson.h>

#include "intake_case.h"
#include "intake_report.h"
#include "pelukan/clock.h"
#include "pelukan/service.h"
#include "pelukan/util.h"

/* A reporter's registration: how many codes, how many wrong ones, and
 * how long her session lasts (PELUKAN_INTAKE_OTP_*, _SESSION_*). */
typedef struct {
    int ttl_s, max_attempts;
    int per_phone, phone_window_s;
    int per_client, client_window_s;
    int per_phone_day, per_hour;
    int phone_alert_day; /* codes asked for one phone a day before staff are alerted (review N4) */
    int fails_per_client_day, fails_per_phone_day;
    int session_ttl_s, session_idle_s;
} intake_registration_t;

/* The case owner's settings (PELUKAN_INTAKE_*), read once at start
 * (main.c); every command worker and the clock read this one copy. */
typedef struct {
    intake_registration_t otp; /* codes and reporters' sessions (intake_code.c) */
    int reports_per_day;       /* per reporter (review M7; intake_submit.c) */
    int retention_s;           /* closed cases are erased after this; 0: never (intake_erasure.c) */
    int erasure_cooling_s;     /* an approved erasure waits this long */
    int erasure_trust_days;    /* no approval from an account changed by another this lately */
    int staff_max_failures, staff_lock_s, staff_session_ttl_s; /* wrong passwords, and sessions (intake_login.c) */
    int nowners;                                               /* PELUKAN_INTAKE_OWNER_WORKERS */
    int purge_s;                                               /* PELUKAN_INTAKE_PURGE_S: the clock's tick */
} intake_config_t;

/* One of the case owner's command workers (common/src/rpc.c: a thread with
 * its own connection), or its clock: the settings its commands read, and
 * what is its own. */
typedef struct {
    const pk_log_t *log;
    const pk_keyring_t *keys;
    const intake_config_t *cfg;
    pk_arena_t *mem;     /* the reply's results, freed once it is sent */
    pk_pg_stmts_t stmts; /* prepared on the worker's connection */
} intake_owner_t;

/* The case owner: its settings and its command workers. The edge's own
 * state is edge_t (services/edge/edge.h). */
typedef struct {
    pk_service_t *svc;
    const pk_log_t *log;
    const pk_keyring_t *keys;
    intake_config_t cfg;
#define INTAKE_OWNERS_MAX 8
#define INTAKE_OWNER_BATCH 64                 /* commands that wait share one commit, each in its savepoint */
    intake_owner_t owners[INTAKE_OWNERS_MAX]; /* the case owner's command workers (intake_commands.c) */
    intake_owner_t clock_owner;               /* the clock's (its thread's arena and statements) */
    pk_clock_t *clock;                        /* erasures due, purges (intake_clock.c) */
} intake_t;

/* At most this many reports in one command (services/edge/edge_submit.c). */
#define INTAKE_REPORTS_PER_COMMAND 64

/* The report's one statement (intake_store.c; tests/bench/bench_intake.c
 * measures PostgreSQL alone on it). */
extern const char intake_sql_report_submit[];
#define INTAKE_REPORT_PARAMS 25

/* At start: every case state has its words in the catalogue, or intake
 * refuses to start (intake_reference.c). */
int intake_reference_check(const intake_t *in);
/* The commands intake answers, each from its peer, and its command
 * server's workers, each with its intake_owner_t (intake_commands.c). */
int intake_command(PGconn *conn, const Pelukan__V1__CommandRequest *req, Pelukan__V1__CommandReply *reply, void *arg);
void intake_command_done(Pelukan__V1__CommandReply *reply, void *arg);
void intake_command_server(void *state, pk_rpc_server_config_t *cfg);
bool intake_command_is_query(const Pelukan__V1__CommandRequest *req);
/* A command worker's state, with the owner's settings. */
intake_owner_t intake_owner_of(const intake_t *in);
/* GetPlace, from dispatch (intake_place.c). */
int intake_place_get(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                     Pelukan__V1__CommandReply *reply);
/* GetContact, from notification (intake_contact.c). */
int intake_contact_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                           Pelukan__V1__CommandReply *reply);
/* The case owner's clock: every purge_s, the erasures due and the
 * retention's, then what registration and sessions leave behind
 * (intake_clock.c). Caller owns return value (pk_clock_destroy). */
pk_clock_t *intake_clock_new(intake_t *in);

/* Applies dispatch's and referral's events to the cases (the read model,
 * intake_readmodel.c); PK_ENOENT for events it does not use. */
int intake_apply(PGconn *conn, const pk_bus_event_t *ev, void *arg);

/* Whether a companion still reads the case `x` (its visit completed less
 * than 6 hours ago, or not yet), and whether an agency's referral `ca`
 * still opens it (accepted, or closed less than 6 hours ago): security
 * review N12. SQL fragments, one definition for every query. */
#define INTAKE_SQL_VISIT_LIVE "(x.visit_done_at IS NULL OR x.visit_done_at > now() - interval '6 hours')"
#define INTAKE_SQL_REFERRAL_LIVE                                                                                       \
    "(ca.state = 'accepted' OR (ca.state = 'closed' AND ca.closed_at > now() - interval '6 hours'))"

#endif
