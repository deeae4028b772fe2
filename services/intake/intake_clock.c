/* intake_clock.c -- the case owner's own timer (pelukan/clock.h), every
 * PELUKAN_INTAKE_PURGE_S on a connection of its own, each part in a
 * transaction of its own:
 *
 *   - the approved erasures whose time came, and what the retention of
 *     closed cases says (intake_erasure_sweep), again at once while more
 *     are due;
 *   - what registration and sessions leave behind, once past its use
 *     (security review L7): expired codes, code requests and wrong codes
 *     older than the longest window a limit looks back over (a day), and
 *     ended sessions of reporters and staff. Nothing else reads them.
 *
 * It is the owner's, not an edge's: an approved erasure is carried out on
 * time whether or not any edge is up, and several edges ask nothing twice. */
#include "intake.h"
#include "intake_desk.h"
#include "intake_store.h"
#include "pelukan/db.h"

#define S_KEEP_S (86400 + 3600) /* the longest window a limit looks back over is a day */

/* `rc` (a count, or a negative error) once the transaction committed;
 * PK_EDB, rolled back, when it or the commit failed. */
static int s_commit(PGconn *conn, const intake_owner_t *o, int rc)
{
    if (rc >= 0 && pk_pg_run(conn, o->log, "COMMIT", 0, NULL) == 0)
        return rc;
    PQclear(PQexec(conn, "ROLLBACK"));
    return PK_EDB;
}

static int s_sweep(PGconn *conn, intake_owner_t *o, bool *more)
{
    if (pk_pg_run(conn, o->log, "BEGIN", 0, NULL) != 0)
        return PK_EDB;
    return s_commit(conn, o, intake_erasure_sweep(conn, o, more));
}

static int s_purge(PGconn *conn, intake_owner_t *o, long *deleted)
{
    if (pk_pg_run(conn, o->log, "BEGIN", 0, NULL) != 0)
        return PK_EDB;
    return s_commit(conn, o, intake_store_purge(conn, o, S_KEEP_S, deleted));
}

static int s_tick(PGconn *conn, void *arg)
{
    intake_owner_t *o = arg;
    bool more = false;
    long deleted = 0;
    int erased = s_sweep(conn, o, &more);
    int purged = s_purge(conn, o, &deleted);
    pk_arena_free(&o->mem);
    if (erased < 0 || purged < 0) {
        pk_log_warn(o->log, "%s failed, tried again at the next tick", erased < 0 ? "erasure sweep" : "purge");
        return PK_EDB;
    }
    if (deleted > 0)
        pk_log_info(o->log, "purge: %ld expired codes, requests, wrong codes and sessions deleted", deleted);
    return more ? PK_CLOCK_MORE : 0;
}

pk_clock_t *intake_clock_new(intake_t *in)
{
    in->clock_owner = intake_owner_of(in);
    return pk_clock_new(pk_service_conninfo(in->svc), in->log, in->cfg.purge_s * 1000, s_tick, &in->clock_owner);
}
