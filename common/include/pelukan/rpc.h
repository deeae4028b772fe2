/* rpc.h -- commands: DEALER -> ROUTER request/reply with exactly-once effects.
 *
 * The caller sends a CommandRequest with a random command id and a
 * deadline, and retries on silence (Lazy Pirate: a fresh socket, the same
 * bytes). The receiver runs each command id once: the handler's effects and
 * the reply are committed in one transaction, and a retry of a command
 * already done gets the stored reply. */
#ifndef PELUKAN_RPC_H
#define PELUKAN_RPC_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <uv.h>

#include "pelukan/bus.h"
#include "pelukan/db.h"
#include "pelukan/busauth.h"
#include "pelukan/error.h"
#include "pelukan/log.h"
#include "pelukan/metrics.h"
#include "pelukan/v1/commands.pb-c.h"

/* ---- server -------------------------------------------------------------- */

/* The actor a handler sees is never the one the sender wrote: the server
 * binds it to the authenticated peer. A command from the HTTP edge keeps
 * the person it names, with `vouched_by` set to the edge; a command from
 * any other peer has that peer as its actor (kind SYSTEM, id = its name). */
/* Executes `req` inside the server's open transaction on `conn` and fills
 * `reply` (status, error code, result; strings must outlive the call, e.g.
 * static or owned by `arg`). Return 0 to commit the effects with the reply,
 * PK_RPC_READ_ONLY (a query: roll back, answer, store nothing),
 * PK_RPC_IDEMPOTENT (commit, answer, store no reply: running the command
 * twice does no harm, e.g. a position that is newer or ignored), or a PK_E*
 * code to roll back and answer STATUS_INTERNAL (not stored: a retry runs
 * the command again). */
/* Fills a refusal: `status`, its machine `code`, and (STATUS_INVALID) the
 * request `field` at fault, or NULL. The strings must outlive the reply.
 * Returns 0, so a handler can `return pk_rpc_fail(...)`. */
int pk_rpc_fail(Pelukan__V1__CommandReply *reply, Pelukan__V1__CommandReply__Status status, const char *code,
                const char *field);

#define PK_RPC_INVALID(reply, field)                                                                                   \
    pk_rpc_fail((reply), PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID, "invalid_value", (field))
#define PK_RPC_NOT_FOUND(reply, code)                                                                                  \
    pk_rpc_fail((reply), PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_NOT_FOUND, (code), NULL)
#define PK_RPC_CONFLICT(reply, code)                                                                                   \
    pk_rpc_fail((reply), PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_CONFLICT, (code), NULL)
#define PK_RPC_FORBIDDEN(reply, code)                                                                                  \
    pk_rpc_fail((reply), PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_FORBIDDEN, (code), NULL)

/* Answers a Ping with its number (a query: no transaction, nothing
 * stored; each command server's health and its hop's measure). Returns
 * PK_RPC_READ_ONLY. The pong lives in thread-local storage until the next. */
int pk_rpc_pong(const Pelukan__V1__CommandRequest *req, Pelukan__V1__CommandReply *reply);

/* The id of the request's actor, or "". */
const char *pk_rpc_actor_id(const Pelukan__V1__CommandRequest *req);

/* Starts an event caused by a command: a new id, `producer`, the
 * request's correlation id, `case_id`, and the request's actor (copied
 * into `actor`). */
void pk_envelope_for_command(Pelukan__V1__Envelope *env, uint8_t eid[16], Pelukan__V1__Actor *actor,
                             const char *producer, const Pelukan__V1__CommandRequest *req, const char *case_id);

/* Adds event `ev` (any of the Envelope's payloads) caused by the command
 * to the outbox of the open transaction on `conn`: from `producer`, about
 * `case_id` ("" for none), by the request's actor (pk_envelope_for_command).
 * 0, or PK_EDB (logged) when it could not be added. */
int pk_rpc_event(PGconn *conn, const pk_log_t *log, const char *producer, const Pelukan__V1__CommandRequest *req,
                 const char *case_id, ProtobufCMessage *ev) PK_MUST_CHECK;

/* The purposes for which a case's sealed notes may be read back (issue 22
 * §4), one list for every owner of notes. */
extern const char *const pk_rpc_note_purposes[];

/* Records in the outbox of the open transaction on `conn` that the
 * request's actor opened `fields` of `case_id` for `purpose`, for what `ref`
 * names (a message, an assignment; NULL: nothing more) (CaseDataAccessed
 * from `producer`): the record commits with the answer that holds the
 * opened data, or neither does. */
int pk_rpc_record_opening(PGconn *conn, const pk_log_t *log, const char *producer,
                          const Pelukan__V1__CommandRequest *req, const char *case_id, const char *purpose,
                          const char *ref, char **fields, size_t n_fields) PK_MUST_CHECK;

/* Before an answer opens `rows` sealed items of the request's case for
 * `purpose`: records the opening of `field` (none when rows is 0) and
 * unwraps the case key from the caller's `case_key` table into `key`;
 * *opened is false when there is no key (never made, or the case was
 * erased). 0 or PK_EDB. */
int pk_rpc_opening_key(PGconn *conn, pk_pg_stmts_t *stmts, const pk_keyring_t *keys, const pk_log_t *log,
                       const char *producer, const Pelukan__V1__CommandRequest *req, const char *purpose,
                       const char *field, int rows, uint8_t key[PK_DATAKEY_BYTES], bool *opened) PK_MUST_CHECK;

/* The Notes answer of OpenNotes, room for `rows` items, in `arena`, set as
 * the reply's result: the owner fills items[n_items++]. */
Pelukan__V1__Notes *pk_rpc_notes_reply(pk_arena_t **arena, Pelukan__V1__CommandReply *reply, int rows);

/* A companion's or an agency's notes on a case (issue 22 §4), one shape
 * for every service that keeps them: note `id` of `kind`
 * ("identification", "follow_up") is sealed under the case's key with the
 * context "case:<case>:<kind>:<id>:notes". */
/* `text` sealed as note `id`, a bytea literal in *sealed (the caller
 * frees it; NULL for an empty text, which is not sealed). 0, PK_ECRYPTO
 * (the case's key is gone: erased) or PK_EDB. */
int pk_rpc_note_seal(PGconn *conn, pk_pg_stmts_t *stmts, const pk_keyring_t *keys, const pk_log_t *log,
                     const char *case_id, const char *kind, const char *id, const char *text,
                     char **sealed) PK_MUST_CHECK;
/* Every row of `r` as the reply's notes (pk_rpc_notes_reply): its columns
 * by name into a Note (pelukan/pbrow.h), and its column "_sealed" opened
 * under `key` (NULL: not opened; text_known false). 0, or PK_EDB (logged)
 * when a column names no field of a Note. */
int pk_rpc_notes_read(pk_arena_t **arena, const pk_log_t *log, Pelukan__V1__CommandReply *reply, const PGresult *r,
                      const uint8_t *key, const char *case_id, const char *kind) PK_MUST_CHECK;

#define PK_RPC_READ_ONLY  1
#define PK_RPC_IDEMPOTENT 2
typedef int (*pk_rpc_handler_fn)(PGconn *conn, const Pelukan__V1__CommandRequest *req, Pelukan__V1__CommandReply *reply,
                                 void *arg);

typedef struct {
    const char *service;
    const char *conninfo;
    const char *endpoint;      /* bound ROUTER */
    const pk_bus_keys_t *keys; /* CURVE: the ROUTER admits only the peers the policy allows */
    const pk_log_t *log;
    pk_metrics_t *metrics;
    pk_rpc_handler_fn handler;
    void *handler_arg;
    int max_msg_bytes;
    pk_relay_t *relay; /* kicked after each commit (handlers write events); may be NULL */
    /* Called after every handled command once its reply was sent, to free
     * what the handler allocated for the reply; may be NULL. */
    void (*reply_done)(Pelukan__V1__CommandReply *reply, void *arg);
    /* True for a command that only reads: the handler then runs outside
     * any transaction and nothing is deduplicated (running it twice is
     * harmless). May be NULL. */
    bool (*is_query)(const Pelukan__V1__CommandRequest *req);
    /* True for a command its handler answers so that running it again
     * does no harm (PK_RPC_IDEMPOTENT: a key of its own, say): its reply
     * is never stored, and none is looked for, which spares a round trip.
     * May be NULL. */
    bool (*is_idempotent)(const Pelukan__V1__CommandRequest *req);
    /* True for a command whose handler commits its own writes: each
     * statement, or each pipeline (pk_pg_exec_many), is PostgreSQL's
     * implicit transaction, so the handler keeps in one what must hold
     * together, and answers PK_RPC_IDEMPOTENT (running it again does no
     * harm; nothing is stored). It runs outside the worker's transaction,
     * after it, which spares BEGIN and COMMIT their round trips. May be
     * NULL. */
    bool (*commits_itself)(const Pelukan__V1__CommandRequest *req);
    /* Worker threads, each with its own database connection (0: one). */
    int workers;
    /* Each worker's handler argument (handlers keep per-thread state there:
     * their arena, their prepared statements); NULL: handler_arg for all. */
    void *(*worker_arg)(void *handler_arg, int worker);
    /* A command's shard (>= 0): a shard's commands run on one worker, in
     * the order they came; -1 or NULL: any worker. */
    int (*shard)(const Pelukan__V1__CommandRequest *req);
    /* Commands a worker runs in one transaction when they wait for it,
     * each in its own savepoint (group commit; 0: one). */
    int batch_max;
    /* The last `query_workers` workers run only queries (is_query), so
     * that commands waiting on a lock never leave the queries without a
     * worker (0: none; at most workers - 1). Shards run on the others. */
    int query_workers;
} pk_rpc_server_config_t;

typedef struct pk_rpc_server pk_rpc_server_t;

/* Starts the server: a front thread that owns the ROUTER, and its
 * workers. A repeat of a command still running is dropped (the caller
 * repeats it and gets the stored reply). Caller owns return value. */
pk_rpc_server_t *pk_rpc_server_new(const pk_rpc_server_config_t *cfg);
void pk_rpc_server_destroy(pk_rpc_server_t **self_p);

/* ---- blocking client (threads, tools, tests) ------------------------------ */

typedef struct pk_rpc_client pk_rpc_client_t;

/* A client of service `server` at `endpoint`, authenticated with `keys`.
 * Caller owns return value. Use from one thread only. */
pk_rpc_client_t *pk_rpc_client_new(const char *endpoint, int max_msg_bytes, const pk_bus_keys_t *keys,
                                   const char *server);
void pk_rpc_client_destroy(pk_rpc_client_t **self_p);

/* Fills a new command id and the deadline (now + timeout_ms * (retries + 1)). */
void pk_rpc_request_init(Pelukan__V1__CommandRequest *req, uint8_t id_buf[16], int timeout_ms, int retries);

/* Sends `req`, waits `timeout_ms` for the reply, and retries up to
 * `retries` times on a fresh socket. Returns 0 and *reply (caller frees
 * with pelukan__v1__command_reply__free_unpacked), or PK_ETIMEOUT. */
int pk_rpc_call(pk_rpc_client_t *self, const Pelukan__V1__CommandRequest *req, int timeout_ms, int retries,
                Pelukan__V1__CommandReply **reply) PK_MUST_CHECK;

/* ---- asynchronous client (a libuv loop, e.g. the HTTP edge's) ------------ */

typedef struct pk_rpc_uv pk_rpc_uv_t;

/* The end of one call: rc 0 and the reply (valid only during the call), or
 * PK_ETIMEOUT (no answer after every try) or PK_ECLOSED (the client is
 * closing) and NULL. */
typedef void (*pk_rpc_uv_done_fn)(int rc, const Pelukan__V1__CommandReply *reply, void *arg);

/* One DEALER on `loop`, watched through ZMQ_FD. Caller owns return value. */
pk_rpc_uv_t *pk_rpc_uv_new(uv_loop_t *loop, const char *endpoint, int max_msg_bytes, const pk_log_t *log,
                           const pk_bus_keys_t *keys, const char *server);

/* Sends `req` with a new command id (or the 16 bytes already in
 * req->command_id: a request the client repeats, which the receiver
 * answers from its record) and a deadline, waits `timeout_ms` per
 * try and sends the same bytes again up to `retries` times (the receiver
 * runs a command id once), then calls `done` exactly once, on the loop.
 * `req` may be freed when this returns. */
void pk_rpc_uv_call(pk_rpc_uv_t *self, Pelukan__V1__CommandRequest *req, int timeout_ms, int retries,
                    pk_rpc_uv_done_fn done, void *arg);

/* Calls in flight. */
int pk_rpc_uv_pending(const pk_rpc_uv_t *self);

/* Ends every call in flight with PK_ECLOSED, closes the socket and frees
 * the client once its handles are closed. Accepts NULL. */
void pk_rpc_uv_close(pk_rpc_uv_t **self_p);

/* The HTTP status an edge answers for a reply status. */
int pk_rpc_http_status(Pelukan__V1__CommandReply__Status status);

#endif
