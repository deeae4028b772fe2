/* clock.c -- a service's timer that writes, on a thread of its own
 * (clock.h): a czmq actor that waits on its pipe for `every_ms`, so that
 * destroying it ends the wait at once. */
#include "pelukan/clock.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "pelukan/util.h"

struct pk_clock {
    zactor_t *actor;
    char *conninfo;
    const pk_log_t *log;
    bool away; /* the last try to connect failed (said once) */
    int every_ms;
    pk_clock_fn tick;
    void *arg;
};

/* The connection, opened again when it was lost; NULL: the database is
 * away, and the next tick tries again. The way away and back are logged
 * once each, not at every tick. */
static PGconn *s_connected(pk_clock_t *self, PGconn *conn)
{
    if (conn && PQstatus(conn) == CONNECTION_OK)
        return conn;
    PQfinish(conn);
    conn = PQconnectdb(self->conninfo);
    if (PQstatus(conn) == CONNECTION_OK) {
        PQsetNoticeProcessor(conn, pk_pg_notice, (void *)self->log);
        if (self->away)
            pk_log_info(self->log, "clock: the database is back, ticking again");
        self->away = false;
        return conn;
    }
    if (!self->away) {
        char reason[256];
        snprintf(reason, sizeof reason, "%s", PQerrorMessage(conn));
        reason[strcspn(reason, "\n")] = '\0';
        pk_log_warn(self->log, "clock: the database is away (%s), ticks wait for it", reason);
    }
    self->away = true;
    PQfinish(conn);
    return NULL;
}

static void s_actor(zsock_t *pipe, void *arg)
{
    pk_clock_t *self = arg;
    PGconn *conn = NULL;
    zsock_signal(pipe, 0);
    zpoller_t *poller = zpoller_new(pipe, NULL);
    int wait_ms = 0; /* the first tick at once: what came due while the service was down */
    for (;;) {
        void *which = zpoller_wait(poller, wait_ms);
        if (which == pipe || zpoller_terminated(poller))
            break; /* $TERM */
        conn = s_connected(self, conn);
        wait_ms = conn && self->tick(conn, self->arg) == PK_CLOCK_MORE ? 0 : self->every_ms;
    }
    zpoller_destroy(&poller);
    PQfinish(conn);
}

pk_clock_t *pk_clock_new(const char *conninfo, const pk_log_t *log, int every_ms, pk_clock_fn tick, void *arg)
{
    pk_clock_t *self = pk_calloc(1, sizeof *self);
    self->conninfo = pk_strdup(conninfo);
    self->log = log;
    self->every_ms = every_ms;
    self->tick = tick;
    self->arg = arg;
    self->actor = zactor_new(s_actor, self);
    return self;
}

void pk_clock_destroy(pk_clock_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_clock_t *self = *self_p;
    *self_p = NULL;
    zactor_destroy(&self->actor);
    free(self->conninfo);
    free(self);
}
