/* dispatch.h -- the dispatch service: companions, suggestions, visits,
 * the approach and the identification report. Commands arrive from the
 * intake gateway (dispatch_commands.c); intake's events cancel visits and
 * erase case keys (main.c). */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdint.h>

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
    pk_metric_t *m_pings, *m_arrivals, *m_retention_deleted, *m_assigned, *m_quiet;
} dispatch_t;

extern const pk_config_def_t dispatch_settings[];

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
/* The commands that only read (run outside a transaction, not deduplicated). */
bool dispatch_is_query(const Pelukan__V1__CommandRequest *req);

/* Applies intake's events: a case that is withdrawn, rejected or a
 * duplicate ends its active visit; an erased case loses its key. */
int dispatch_apply(PGconn *conn, const pk_bus_event_t *ev, void *arg);

/* OpenNotes: the identification notes of the request's case, the opening
 * recorded (dispatch_notes.c). */
int dispatch_open_notes(PGconn *conn, dispatch_t *d, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply);

#endif
