/* db_internal.h -- what db.c (the client on libuv) and pg.c (the blocking
 * helpers) share. */
#ifndef PELUKAN_DB_INTERNAL_H
#define PELUKAN_DB_INTERNAL_H

#include <libpq-fe.h>

/* PostgreSQL's message of a failed result, or `fallback`; a data
 * exception's (class 22), which may quote the offending input, is
 * withheld: logged by SQLSTATE only. */
const char *pk_pg_safe_message(const PGresult *res, const char *fallback);
/* A notice processor: server notices ("relation already exists,
 * skipping") to the debug log of `arg` (a pk_log_t) instead of stderr. */
void pk_pg_notice(void *arg, const char *message);

#endif
