/* migrate.h -- forward-only schema migrations, applied at start-up.
 *
 * Files are named NNNN_<what>.sql and applied in order, each in its own
 * transaction, under an advisory lock (so that two instances starting at
 * once do not race), into the first schema of the role's search_path.
 * Each applied file is recorded with its SHA-256; if an applied file has
 * changed since, the run stops with an error naming the file. */
#ifndef PELUKAN_MIGRATE_H
#define PELUKAN_MIGRATE_H

#include <libpq-fe.h>

#include "pelukan/error.h"
#include "pelukan/log.h"

/* Applies the files of directory `dir` as the migration stream `stream`
 * (e.g. "bus" for the common outbox tables, "intake" for the service's own).
 * The connection's current schema must be `schema`. Returns 0, PK_ECHECKSUM
 * (an applied file changed), PK_EINVAL (bad file name, duplicate version,
 * wrong schema), PK_EIO or PK_EDB. Every error is logged once, here. */
int pk_migrate_run(PGconn *conn, const pk_log_t *log, const char *schema, const char *stream,
                   const char *dir) PK_MUST_CHECK;

#endif
