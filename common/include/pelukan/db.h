/* db.h -- PostgreSQL access: blocking helpers for start-up and actor
 * threads, and a non-blocking, pipelined client on a libuv loop.
 *
 * SQL takes values only as parameters; no function here builds SQL from
 * values. */
#ifndef PELUKAN_DB_H
#define PELUKAN_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "pelukan/crypto.h"
#include "pelukan/error.h"
#include "pelukan/log.h"
#include "pelukan/metrics.h"
#include "pelukan/util.h"

/* A timestamp column as the API writes it (RFC 3339, UTC, whole seconds;
 * _US with microseconds, for an order within a second): one definition
 * for every statement. */
#define PK_SQL_UTC(col)    "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define PK_SQL_UTC_US(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* ---- blocking helpers ------------------------------------------------- */

/* Connects, retrying with backoff (100 ms doubling to 2 s) until
 * `timeout_ms` has passed; each failure is logged with its reason. Returns
 * NULL when the deadline passes. Caller owns return value (PQfinish). */
PGconn *pk_pg_connect(const char *conninfo, const pk_log_t *log, int timeout_ms);

/* Runs one parameterised statement (text parameters; NULL is SQL NULL).
 * Returns the result when its status is COMMAND_OK or TUPLES_OK, otherwise
 * logs the error, clears it and returns NULL. Caller owns return value. */
PGresult *pk_pg_exec(PGconn *conn, const pk_log_t *log, const char *sql, int nparams, const char *const *params);

/* Runs a statement and discards its result: 0 or PK_EDB. */
int pk_pg_run(PGconn *conn, const pk_log_t *log, const char *sql, int nparams, const char *const *params) PK_MUST_CHECK;

/* Statements prepared on one blocking connection, keyed by the address of
 * their SQL (string literals), so that PostgreSQL plans each once per
 * session instead of per call. Zero-initialise; one per connection user. */
#define PK_PG_STMTS_MAX 48
typedef struct {
    const char *sql[PK_PG_STMTS_MAX];
    int n, pid;
    const void *conn;
} pk_pg_stmts_t;

/* Like pk_pg_exec(), preparing `sql` on first use on this session (a new
 * connection starts over). More than PK_PG_STMTS_MAX statements run
 * unprepared. Caller owns return value. */
PGresult *pk_pg_exec_prepared(pk_pg_stmts_t *stmts, PGconn *conn, const pk_log_t *log, const char *sql, int nparams,
                              const char *const *params);

/* `sql` (prepared as by pk_pg_exec_prepared) once for each of `n`
 * parameter sets, `nparams` each, one after another in `params` (n *
 * nparams), pipelined: one round trip for all. 0 and
 * each statement's result in results[i] (the caller clears them), or
 * PK_EDB when any failed (logged; none kept, and an open transaction is
 * left aborted). */
int pk_pg_exec_many(pk_pg_stmts_t *stmts, PGconn *conn, const pk_log_t *log, const char *sql, int nparams,
                    const char *const *params, int n, PGresult **results) PK_MUST_CHECK;

/* A text[] parameter ("{"a","b"}") of `n` plain codes (no quotes or
 * backslashes: check them first). Caller owns return value. */
char *pk_pg_text_array(char *const *v, size_t n);

/* `len` bytes of `plain` sealed under `key` with `context` (pk_seal), as
 * a bytea parameter. Caller owns return value. */
char *pk_pg_sealed(const uint8_t key[PK_DATAKEY_BYTES], const char *context, const void *plain, size_t len);

/* A case's data key in the calling service's `case_key` table (case_id,
 * wrapped_key), unwrapped with the master key; made and stored on first
 * use when `create`. 0, PK_ENOENT (none and not `create`), PK_ECRYPTO
 * (unreadable: the case was erased) or PK_EDB. */
int pk_pg_case_key(PGconn *conn, pk_pg_stmts_t *stmts, const pk_keyring_t *keys, const pk_log_t *log,
                   const char *case_id, bool create, uint8_t key[PK_DATAKEY_BYTES]) PK_MUST_CHECK;

/* The text sealed in a bytea column (row, col) of `res` under `key` and
 * `context`, opened and copied NUL-terminated into `arena`; NULL when the
 * column is NULL or does not open. */
char *pk_pg_opened_text(pk_arena_t **arena, const PGresult *res, int row, int col,
                        const uint8_t key[PK_DATAKEY_BYTES], const char *context);

/* A boolean column of a text-format result: true for 't'. */
static inline bool pk_pg_bool(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

/* The SQLSTATE of a failed result ("" if none). */
const char *pk_pg_sqlstate(const PGresult *res);

/* A bytea parameter in text form, "\\x<hex>". Caller owns return value. */
char *pk_pg_bytea(const void *data, size_t len);

/* Decodes a bytea column of a text-format result into `out`; returns its
 * length, or -1 when it is not a hex bytea or does not fit. */
long pk_pg_bytea_get(const PGresult *res, int row, int col, uint8_t *out, size_t cap);

/* Builds the conninfo of a service's role: `own` when not empty, else
 * `shared` plus "user=<role>". Caller owns return value. */
char *pk_pg_conninfo(const char *shared, const char *own, const char *role);

/* ---- non-blocking client on a libuv loop ------------------------------ */

typedef struct pk_db pk_db_t;
typedef struct pk_db_txn pk_db_txn_t;

/* Called once when a transaction has ended: status 0 (committed), PK_EDB
 * (a statement failed; nothing was committed) or PK_EDBCONN (the
 * connection broke while it was in flight; the outcome is unknown, so
 * callers make their effects idempotent), PK_EDBCONN also when it waited
 * 5 s for a connection that did not come back (then nothing was sent), or
 * PK_ECLOSED (client closed). The
 * transaction and its results are freed when the callback returns. */
typedef void (*pk_db_txn_fn)(pk_db_txn_t *txn, int status, void *arg);

/* Called whenever the connection comes up or goes down. */
typedef void (*pk_db_state_fn)(pk_db_t *db, bool connected, void *arg);

/* Creates a client that connects in the background and reconnects with
 * backoff (100 ms doubling to 5 s) whenever the connection breaks.
 * Caller owns return value; free it with pk_db_close(). */
pk_db_t *pk_db_new(uv_loop_t *loop, const char *conninfo, const pk_log_t *log);

void pk_db_on_state(pk_db_t *self, pk_db_state_fn fn, void *arg);

bool pk_db_connected(const pk_db_t *self);

uv_loop_t *pk_db_loop(const pk_db_t *self);

/* Fails every queued and in-flight transaction with PK_ECLOSED, closes the
 * connection and frees the client once its handles are closed. Sets
 * *self_p to NULL; accepts NULL. */
void pk_db_close(pk_db_t **self_p);

/* Starts a transaction. Statements added to it are sent together, in one
 * pipeline segment, and committed together: all or nothing. */
pk_db_txn_t *pk_db_txn_new(pk_db_t *db);

/* Adds a statement; parameters are copied. */
void pk_db_txn_add(pk_db_txn_t *txn, const char *sql, int nparams, const char *const *params);

/* Number of statements added so far. */
int pk_db_txn_count(const pk_db_txn_t *txn);

/* Queues the transaction; `done` is called exactly once, never before this
 * function returns. Takes ownership of the transaction. */
void pk_db_txn_submit(pk_db_txn_t *txn, pk_db_txn_fn done, void *arg);

/* Result of statement `i`, valid during the done callback only (NULL when
 * the statement did not run). */
const PGresult *pk_db_txn_result(const pk_db_txn_t *txn, int i);
/* Takes result `i` out of the transaction, to keep it past the callback;
 * caller owns return value (PQclear). */
PGresult *pk_db_txn_take_result(pk_db_txn_t *txn, int i);

/* Message of the first failed statement, or "" — for logs: PostgreSQL
 * errors can contain values, so callers log the SQLSTATE, not this, where a
 * value may be personal. */
const char *pk_db_txn_error(const pk_db_txn_t *txn);
const char *pk_db_txn_sqlstate(const pk_db_txn_t *txn);

#endif
