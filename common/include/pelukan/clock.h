/* clock.h -- a service's timer that writes: `tick` every `every_ms` on a
 * thread of its own, with a blocking connection to the service's database
 * (opened again at the next tick when it is lost), so that the service's
 * loop and its command workers never wait for it. Referral's deadlines
 * (referral_clock.c) and intake's erasures and purges (intake_clock.c).
 *
 * `tick` returns 0, a negative error (the next tick tries again; the tick
 * logs what failed), or PK_CLOCK_MORE: more was due than one tick takes,
 * and it runs again at once. */
#ifndef PELUKAN_CLOCK_H
#define PELUKAN_CLOCK_H

#include <libpq-fe.h>

#include "pelukan/log.h"

#define PK_CLOCK_MORE 1

typedef int (*pk_clock_fn)(PGconn *conn, void *arg);
typedef struct pk_clock pk_clock_t;

/* Starts the thread; the first tick comes at once (what came due while
 * the service was down), the next after `every_ms`. `conninfo` is copied;
 * `log` (borrowed) says when the database goes away and comes back, once
 * each, and takes its notices. Caller owns return value. */
pk_clock_t *pk_clock_new(const char *conninfo, const pk_log_t *log, int every_ms, pk_clock_fn tick, void *arg);
/* Stops the thread once its tick, if one runs, is over. */
void pk_clock_destroy(pk_clock_t **self_p);

#endif
