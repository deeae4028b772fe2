/* test_clock.c -- a service's timer that writes (pelukan/clock.h), on a
 * real PostgreSQL: its ticks come on a connection of their own, a tick
 * that says more is due runs again at once, a lost connection is opened
 * again, and destroying it ends a long wait at once. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "../support/pktest.h"
#include "pelukan/clock.h"
#include "pelukan/error.h"

static char *conninfo;
static pk_log_t *log_;

static void s_setup(void)
{
    free(pkt_db_create("t_clock"));
    conninfo = pkt_role_create("t_clock", "clockt");
    log_ = pk_log_new("test", PK_LOG_ERROR, PK_LOG_LOGFMT, 2);
}

static void s_teardown(void)
{
    pk_log_destroy(&log_);
    free(conninfo);
}

TestSuite(clock, .init = s_setup, .fini = s_teardown);

typedef struct {
    atomic_int ticks;
    atomic_int more;     /* ticks left that say PK_CLOCK_MORE */
    atomic_int backend;  /* the last tick's backend pid */
    atomic_int backends; /* times the backend changed */
    atomic_bool kill;    /* the next tick ends its own backend */
} s_state_t;

static int s_tick(PGconn *conn, void *arg)
{
    s_state_t *s = arg;
    PGresult *r = PQexec(conn, "SELECT pg_backend_pid()");
    int pid = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    if (pid && pid != atomic_load(&s->backend)) {
        atomic_store(&s->backend, pid);
        atomic_fetch_add(&s->backends, 1);
    }
    atomic_fetch_add(&s->ticks, 1);
    if (atomic_exchange(&s->kill, false))
        PQclear(PQexec(conn, "SELECT pg_terminate_backend(pg_backend_pid())"));
    return atomic_fetch_sub(&s->more, 1) > 0 ? PK_CLOCK_MORE : 0;
}

typedef struct {
    s_state_t *s;
    int want;
} s_wait_t;

static bool s_ticked(void *arg)
{
    const s_wait_t *w = arg;
    return atomic_load(&w->s->ticks) >= w->want;
}

Test(clock, ticks_and_runs_again_at_once_while_more_is_due)
{
    /* The first tick comes at once; five say more is due: with a minute
     * between ticks, only that brings six within the wait. */
    s_state_t s = {.more = 5};
    pk_clock_t *c = pk_clock_new(conninfo, log_, 60 * 1000, s_tick, &s);
    s_wait_t w = {&s, 6};
    cr_assert(pkt_wait_until(s_ticked, &w, pkt_wait_ms()), "six ticks: %d", atomic_load(&s.ticks));
    pk_clock_destroy(&c);
    cr_assert_null(c);
    cr_assert_eq(atomic_load(&s.backends), 1, "one connection for all");
}

Test(clock, opens_a_lost_connection_again_at_the_next_tick)
{
    s_state_t s = {.kill = true};
    pk_clock_t *c = pk_clock_new(conninfo, log_, 50, s_tick, &s);
    s_wait_t w = {&s, 3};
    cr_assert(pkt_wait_until(s_ticked, &w, pkt_wait_ms()), "ticks after the loss: %d", atomic_load(&s.ticks));
    pk_clock_destroy(&c);
    cr_assert_eq(atomic_load(&s.backends), 2, "a new backend after the first was ended");
}

/* Destroyed during an hour's wait, or with no database to reach: it stops
 * at once (a wait for the hour would meet the test's timeout). */
Test(clock, stops_at_once_during_a_long_wait_or_without_a_database, .timeout = 60)
{
    s_state_t s = {0};
    pk_clock_t *c = pk_clock_new(conninfo, log_, 3600 * 1000, s_tick, &s);
    s_wait_t w = {&s, 1};
    cr_assert(pkt_wait_until(s_ticked, &w, pkt_wait_ms()), "the first tick, at once");
    pk_clock_destroy(&c); /* in the hour's wait */
    cr_assert_eq(atomic_load(&s.ticks), 1);
    pk_clock_t *away = pk_clock_new("host=/nonexistent dbname=none connect_timeout=1", log_, 10, s_tick, &s);
    pk_clock_destroy(&away);
    cr_assert_eq(atomic_load(&s.ticks), 1, "no tick without a connection");
}
