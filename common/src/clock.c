/* clock.c -- a service's timer that writes, on a thread of its own
 * (clock.h): a czmq actor that waits on its pipe for `every_ms`, so that
 * destroying it ends the wait at once. */
#include "pelukan/clock.h"

#include <czmq.h>
#include <stdlib.h>

#include "pelukan/util.h"

struct pk_clock {
    zactor_t *actor;
    char *conninfo;
    int every_ms;
    pk_clock_fn tick;
    void *arg;
};

/* The connection, opened again when it was lost; NULL: the database is
 * away, and the next tick tries again. */
static PGconn *s_connected(pk_clock_t *self, PGconn *conn)
{
    if (conn && PQstatus(conn) == CONNECTION_OK)
        return conn;
    PQfinish(conn);
    conn = PQconnectdb(self->conninfo);
    if (PQstatus(conn) == CONNECTION_OK)
        return conn;
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

pk_clock_t *pk_clock_new(const char *conninfo, int every_ms, pk_clock_fn tick, void *arg)
{
    pk_clock_t *self = pk_calloc(1, sizeof *self);
    self->conninfo = pk_strdup(conninfo);
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
