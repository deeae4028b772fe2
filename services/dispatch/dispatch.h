/* dispatch.h -- the dispatch service: companions, suggestions, visits,
 * the approach and the identification report. Commands arrive from the
 * intake gateway (dispatch_commands.c); intake's events cancel visits and
 * erase case keys (main.c). */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdint.h>

#include "pelukan/rpc.h"
#include "pelukan/service.h"
#include "pelukan/util.h"

typedef struct {
    pk_service_t *svc;
    const pk_log_t *log;
    const pk_keyring_t *keys;
    double speed_kmh;         /* average travel speed for the ETA */
    int arrival_radius_m;     /* arrival when a ping comes this close */
    int position_max_age_s;   /* older positions count as unknown */
    int position_retention_s; /* pings outside visits are deleted after */
    int quiet_s;              /* an ended visit's place stays quiet this long */
    int quiet_radius_m;       /* pings this close to a quiet place are dropped */
    int max_load;             /* active visits a companion may carry */
    int suggest_limit;        /* companions in a suggestion */
    uv_timer_t retention_timer;
    bool retention_busy;
    pk_arena_t *reply_mem; /* the command thread's reply results */
    pk_pg_stmts_t stmts;   /* prepared on the command thread's connection */
    const char *intake_endpoint;
    pk_rpc_client_t *intake; /* GetPlace, on the command thread (dispatch_place.c) */
    pk_metric_t *m_pings, *m_arrivals, *m_retention_deleted, *m_assigned, *m_quiet;
} dispatch_t;

extern const pk_config_def_t dispatch_settings[];

/* The case's place as intake gave it (dispatch_place.c). */
typedef struct {
    bool known; /* a point: the reporter gave one */
    double lat, lon;
    char kecamatan[16];
} dispatch_place_t;

/* Asks intake for the request's case's place for `purpose` (and the visit
 * made, for companion_dispatch): true with `out` filled, or false with the
 * command's refusal in `reply` (intake refused, or did not answer), which
 * the handler returns as it is. The caller wipes `out` once used. */
bool dispatch_get_place(dispatch_t *d, const Pelukan__V1__CommandRequest *req, const char *purpose,
                        const char *visit_id, Pelukan__V1__CommandReply *reply, dispatch_place_t *out);

/* Great-circle distance in metres (haversine, mean Earth radius). */
double dispatch_distance_m(double lat1, double lon1, double lat2, double lon2);
/* Minutes to cover `distance_m` at `speed_kmh`, rounded up; 0 for 0 m. */
uint32_t dispatch_eta_minutes(double distance_m, double speed_kmh);
/* True for a coordinate pair a phone can report (finite, in range, not
 * the 0,0 of a GPS that has no fix). */
bool dispatch_point_valid(double lat, double lon);

/* The command server's handler and its reply cleanup (dispatch_commands.c). */
int dispatch_command(PGconn *conn, const Pelukan__V1__CommandRequest *req, Pelukan__V1__CommandReply *reply, void *arg);
void dispatch_command_done(Pelukan__V1__CommandReply *reply, void *arg);
/* SetCompanion and ListCompanions (dispatch_companions.c). */
int dispatch_set_companion(PGconn *conn, dispatch_t *d, const Pelukan__V1__CommandRequest *req,
                           Pelukan__V1__CommandReply *reply);
int dispatch_list_companions(PGconn *conn, dispatch_t *d, const Pelukan__V1__CommandRequest *req,
                             Pelukan__V1__CommandReply *reply);
/* The commands that only read (run outside a transaction, not deduplicated). */
bool dispatch_is_query(const Pelukan__V1__CommandRequest *req);

/* Applies intake's events: a case that is withdrawn, rejected or a
 * duplicate ends its active visit; an erased case loses its key. */
int dispatch_apply(PGconn *conn, const pk_bus_event_t *ev, void *arg);

/* Shared by the command files (dispatch_commands.c): the command thread's
 * reply memory, its prepared statements, the case's place opened, the
 * code checks, a visit ended and a visit answered. */
void *dispatch_alloc(dispatch_t *d, size_t size);
char *dispatch_strdup(dispatch_t *d, const char *s);
PGresult *dispatch_exec(PGconn *conn, dispatch_t *d, const char *sql, int n, const char *const *params);
bool dispatch_open_target(dispatch_t *d, const PGresult *r, int i, int col_target, int col_key, const char *case_id,
                          const char *visit_id, double *lat, double *lon);
bool dispatch_all_in(char **v, size_t n, const char *const *set);
/* A point in the reply memory. */
Pelukan__V1__GeoPoint *dispatch_point(dispatch_t *d, double lat, double lon);
bool dispatch_plain_codes(char **v, size_t n, size_t max_n, size_t max_len);
int dispatch_visit_end(PGconn *conn, dispatch_t *d, const char *visit_id, const char *state, const char *reason);
int dispatch_reply_visit(PGconn *conn, dispatch_t *d, const char *visit_id, Pelukan__V1__CommandReply *reply);

/* RecordPositions and GetApproach (dispatch_approach.c). */
int dispatch_positions(PGconn *conn, dispatch_t *d, const Pelukan__V1__CommandRequest *req,
                       Pelukan__V1__CommandReply *reply);
int dispatch_get_approach(PGconn *conn, dispatch_t *d, const Pelukan__V1__CommandRequest *req,
                          Pelukan__V1__CommandReply *reply);
/* SubmitIdentification (dispatch_identification.c). */
int dispatch_identification(PGconn *conn, dispatch_t *d, const Pelukan__V1__CommandRequest *req,
                            Pelukan__V1__CommandReply *reply);

/* OpenNotes: the identification notes of the request's case, the opening
 * recorded (dispatch_notes.c). */
int dispatch_open_notes(PGconn *conn, dispatch_t *d, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply);

#endif
