/* rpc.c -- command server (ROUTER actor, dedup in PostgreSQL) and the
 * Lazy Pirate client. */
#include <czmq.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/crypto.h"
#include "pelukan/db.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

/* The server is a front and its workers (the load-balancing broker of
 * the ZeroMQ guide, chapter 3): the front owns the ROUTER, holds each
 * request as a job until a worker is free, and sends the worker's answers
 * back; each worker is a thread with its own database connection and its
 * own handler argument (a server of one worker runs its jobs in the
 * front's thread). A command of a shard (cfg.shard) always runs on the
 * same worker, in the order it came; a worker runs up to cfg.batch_max
 * waiting commands in one transaction, each in its own savepoint (group
 * commit). The last cfg.query_workers workers answer only queries, which
 * a command waiting on a lock then never holds up. A repeat of a command still being run is dropped: the caller
 * repeats it again and gets the stored reply. */

/* How a job runs: in the worker's transaction (a command), or outside
 * any: a query, or a command that commits itself (cfg.commits_itself). */
typedef enum { S_IN_TRANSACTION, S_QUERY, S_ALONE } s_lane_t;

/* One request, from the front to a worker and back. */
typedef struct s_job {
    zframe_t *identity;
    Pelukan__V1__CommandRequest *req;
    Pelukan__V1__Actor *sent, bound; /* the actor as sent, and as the policy binds it (rpc.h) */
    char peer[32];
    char id_hex[33];
    s_lane_t lane;
    bool idempotent; /* cfg.is_idempotent: no stored reply to look for */
    bool done;       /* answered by the handler (counted once its transaction commits) */
    uint8_t *answer; /* the reply's bytes; NULL: none (the caller repeats the command) */
    size_t answer_len;
    struct s_job *next;
} s_job_t;

typedef struct {
    pk_rpc_server_t *server;
    int index;
    void *arg;
    zactor_t *actor;
    PGconn *conn;   /* the worker thread's own */
    zlist_t *queue; /* its shard's jobs, waiting (the front's) */
    bool busy;      /* (the front's) */
} s_worker_t;

struct pk_rpc_server {
    zactor_t *actor;
    pk_rpc_server_config_t cfg;
    char *conninfo, *endpoint;
    s_worker_t *workers;
    int n_workers, batch_max;
    zsock_t *router;     /* the front's */
    zlist_t *any;        /* jobs any worker may run (the front's) */
    zlist_t *queries;    /* queries of no shard: any worker, the query lane's first (the front's) */
    int n_general;       /* workers that run commands: the others answer only queries */
    zhashx_t *in_flight; /* command id (hex) -> its job (the front's) */
    pk_metric_t *m_done, *m_dedup, *m_bad, *m_failed, *m_late, *m_repeats, *m_queued, *m_commits;
};

/* The job's answer dropped (zeroed first: it may hold personal data). */
static void s_drop_answer(s_job_t *j)
{
    if (j->answer)
        sodium_memzero(j->answer, j->answer_len);
    free(j->answer);
    j->answer = NULL;
}

/* The job's answer: `reply`, packed. */
static void s_answer(s_job_t *j, Pelukan__V1__CommandReply *reply)
{
    s_drop_answer(j);
    reply->command_id = j->req->command_id;
    j->answer_len = pelukan__v1__command_reply__get_packed_size(reply);
    j->answer = pk_malloc(j->answer_len ? j->answer_len : 1);
    pelukan__v1__command_reply__pack(reply, j->answer);
}

static void s_answer_status(s_job_t *j, Pelukan__V1__CommandReply__Status status, const char *code)
{
    Pelukan__V1__CommandReply reply = PELUKAN__V1__COMMAND_REPLY__INIT;
    reply.status = status;
    reply.error_code = (char *)code;
    s_answer(j, &reply);
}

static void s_no_answer(s_job_t *j)
{
    s_drop_answer(j);
    j->done = false;
}

/* A handler that succeeded without a refusal answered OK: said on the wire,
 * never implied by an unset status. */
static void s_ok(Pelukan__V1__CommandReply *reply)
{
    if (reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_UNSPECIFIED)
        reply->status = PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK;
}

/* The handler's reply as the job's answer, then its results freed. */
static void s_answer_handled(s_worker_t *w, s_job_t *j, Pelukan__V1__CommandReply *reply)
{
    s_ok(reply);
    s_answer(j, reply);
    j->done = true;
    if (w->server->cfg.reply_done)
        w->server->cfg.reply_done(reply, w->arg);
}

/* The handler failed: its results freed, STATUS_INTERNAL answered (not
 * stored: a repeat runs the command again). PK_EDB when the connection is
 * gone (the worker starts over on a new one), else 0. */
static int s_failed(s_worker_t *w, s_job_t *j, Pelukan__V1__CommandReply *reply, int rc)
{
    pk_rpc_server_t *self = w->server;
    if (self->cfg.reply_done)
        self->cfg.reply_done(reply, w->arg);
    if (PQstatus(w->conn) != CONNECTION_OK)
        return PK_EDB;
    const Pelukan__V1__CommandRequest *req = j->req;
    pk_log_error(self->cfg.log, "command %s (%s) failed: %s, rolled back", j->id_hex,
                 req->command_case ? protobuf_c_message_descriptor_get_field(&pelukan__v1__command_request__descriptor,
                                                                             (unsigned)req->command_case)
                                         ->name
                                   : "none",
                 pk_strerror(rc));
    pk_metric_add(self->m_failed, 1);
    s_answer_status(j, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INTERNAL, "internal");
    return 0;
}

/* A command nobody waits for any more is answered so and not run (true). */
static bool s_late(pk_rpc_server_t *self, s_job_t *j)
{
    if (!j->req->deadline_us || pk_now_us() <= j->req->deadline_us)
        return false;
    pk_metric_add(self->m_late, 1);
    s_answer_status(j, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_DEADLINE_EXCEEDED, "deadline_exceeded");
    return true;
}

/* A job outside any transaction: a query (it changes nothing), or a
 * command that commits itself; nothing is deduplicated. 0 or PK_EDB. */
static int s_outside(s_worker_t *w, s_job_t *j)
{
    pk_rpc_server_t *self = w->server;
    bool alone = j->lane == S_ALONE;
    if (alone && s_late(self, j))
        return 0;
    Pelukan__V1__CommandReply reply = PELUKAN__V1__COMMAND_REPLY__INIT;
    int rc = self->cfg.handler(w->conn, j->req, &reply, w->arg);
    if (rc != 0 && rc != PK_RPC_READ_ONLY && !(alone && rc == PK_RPC_IDEMPOTENT))
        return s_failed(w, j, &reply, rc);
    s_answer_handled(w, j, &reply);
    if (alone && rc == PK_RPC_IDEMPOTENT) {
        pk_metric_add(self->m_commits, 1);
        if (self->cfg.relay)
            pk_relay_kick(self->cfg.relay);
    }
    return 0;
}

/* Inside the open transaction: the stored reply of a command done before
 * as the job's answer (1), or none (0), or PK_EDB. */
static int s_stored(s_worker_t *w, s_job_t *j, const char *id_param)
{
    const char *p[] = {id_param};
    PGresult *done =
        PQexecParams(w->conn, "SELECT reply FROM command_done WHERE command_id = $1::bytea", 1, NULL, p, NULL, NULL, 1);
    if (PQresultStatus(done) != PGRES_TUPLES_OK) {
        PQclear(done);
        return PK_EDB;
    }
    int found = PQntuples(done) == 1;
    if (found) {
        pk_metric_add(w->server->m_dedup, 1);
        pk_log_info(w->server->cfg.log, "command %s already done, sending the stored reply", j->id_hex);
        s_drop_answer(j);
        j->answer_len = (size_t)PQgetlength(done, 0, 0);
        j->answer = pk_malloc(j->answer_len ? j->answer_len : 1);
        memcpy(j->answer, PQgetvalue(done, 0, 0), j->answer_len);
    }
    PQclear(done);
    return found;
}

/* Runs one command inside the open transaction: the stored reply if it was
 * done, else the handler, and its reply stored with its effects. Returns 1
 * (effects to keep), 0 (nothing to keep: the job is answered), or PK_EDB
 * (the connection is gone). */
static int s_command(s_worker_t *w, s_job_t *j)
{
    pk_rpc_server_t *self = w->server;
    char id_param[40];
    snprintf(id_param, sizeof id_param, "\\x%s", j->id_hex);
    int stored = j->idempotent ? 0 : s_stored(w, j, id_param);
    if (stored != 0)
        return stored > 0 ? 0 : PK_EDB;
    if (s_late(self, j))
        return 0; /* do nothing, store nothing */
    Pelukan__V1__CommandReply reply = PELUKAN__V1__COMMAND_REPLY__INIT;
    int rc = self->cfg.handler(w->conn, j->req, &reply, w->arg);
    if (rc != 0 && rc != PK_RPC_READ_ONLY && rc != PK_RPC_IDEMPOTENT)
        return s_failed(w, j, &reply, rc);
    s_answer_handled(w, j, &reply);
    if (rc != 0 || j->idempotent)
        return rc != PK_RPC_READ_ONLY; /* a read only's effects are undone; an idempotent answer is never stored */
    char *hex = pk_pg_bytea(j->answer, j->answer_len);
    const char *ins[] = {id_param, hex};
    rc = pk_pg_run(w->conn, self->cfg.log, "INSERT INTO command_done (command_id, reply) VALUES ($1::bytea, $2::bytea)",
                   2, ins);
    free(hex);
    if (rc != 0) {
        j->done = false;
        if (PQstatus(w->conn) != CONNECTION_OK)
            return PK_EDB;
        pk_metric_add(self->m_failed, 1);
        s_answer_status(j, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INTERNAL, "internal");
        return 0;
    }
    return 1;
}

/* The jobs' commands in one transaction, each in its savepoint when there
 * are several (one failing undoes only its own). 0, or PK_EDB: nothing was
 * committed and no command is answered. */
static int s_transaction(s_worker_t *w, s_job_t *jobs)
{
    const pk_log_t *log = w->server->cfg.log;
    int n = 0;
    for (s_job_t *j = jobs; j; j = j->next)
        n += j->lane == S_IN_TRANSACTION;
    if (n == 0)
        return 0;
    bool savepoints = n > 1, keep = false;
    if (pk_pg_run(w->conn, log, "BEGIN", 0, NULL) != 0)
        return PK_EDB;
    for (s_job_t *j = jobs; j; j = j->next) {
        if (j->lane != S_IN_TRANSACTION)
            continue;
        if (savepoints && pk_pg_run(w->conn, log, "SAVEPOINT command", 0, NULL) != 0)
            return PK_EDB;
        int kept = s_command(w, j);
        if (kept < 0)
            return PK_EDB;
        if (savepoints &&
            pk_pg_run(w->conn, log, kept ? "RELEASE SAVEPOINT command" : "ROLLBACK TO SAVEPOINT command", 0, NULL) != 0)
            return PK_EDB;
        keep = keep || kept;
    }
    if (pk_pg_run(w->conn, log, keep ? "COMMIT" : "ROLLBACK", 0, NULL) != 0)
        return PK_EDB;
    if (keep) {
        pk_metric_add(w->server->m_commits, 1);
        if (w->server->cfg.relay)
            pk_relay_kick(w->server->cfg.relay); /* the handlers may have written events */
    }
    return 0;
}

/* The jobs of `lane` on the worker's connection, made again once if the
 * database restarted; the answers given are withdrawn when the connection
 * fails under them. */
static void s_with_connection(s_worker_t *w, s_job_t *jobs, s_lane_t lane)
{
    pk_rpc_server_t *self = w->server;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!w->conn || PQstatus(w->conn) != CONNECTION_OK) {
            PQfinish(w->conn);
            w->conn = PQconnectdb(self->conninfo);
        }
        int rc = PQstatus(w->conn) == CONNECTION_OK ? 0 : PK_EDB;
        for (s_job_t *j = jobs; rc == 0 && j; j = j->next)
            if (lane != S_IN_TRANSACTION && j->lane == lane && !j->answer)
                rc = s_outside(w, j);
        if (rc == 0 && lane == S_IN_TRANSACTION)
            rc = s_transaction(w, jobs);
        if (rc == 0)
            return;
        for (s_job_t *j = jobs; j; j = j->next)
            if (j->lane == lane)
                s_no_answer(j);
        PQfinish(w->conn);
        w->conn = NULL;
    }
    pk_log_error(self->cfg.log, "command server: database unavailable, requests dropped (the callers repeat them)");
}

/* Runs the jobs: their queries, their commands in one transaction, then
 * the commands that commit themselves. */
static void s_work(s_worker_t *w, s_job_t *jobs)
{
    s_with_connection(w, jobs, S_QUERY);
    s_with_connection(w, jobs, S_IN_TRANSACTION);
    s_with_connection(w, jobs, S_ALONE);
    int done = 0;
    for (s_job_t *j = jobs; j; j = j->next)
        done += j->done;
    pk_metric_add(w->server->m_done, done);
}

/* A worker thread: runs the jobs the front hands it and hands them back. */
static void s_worker_actor(zsock_t *pipe, void *arg)
{
    s_worker_t *w = arg;
    zsock_signal(pipe, 0);
    for (;;) {
        char *cmd = NULL;
        void *p = NULL;
        if (zsock_recv(pipe, "sp", &cmd, &p) != 0 || !cmd || strcmp(cmd, "JOBS") != 0) {
            free(cmd);
            break; /* $TERM */
        }
        free(cmd);
        s_work(w, p);
        zsock_send(pipe, "p", p);
    }
    PQfinish(w->conn);
}

/* ---- the front ------------------------------------------------------------ */

static void s_job_destroy(s_job_t *j)
{
    zframe_destroy(&j->identity);
    if (j->req) {
        j->req->actor = j->sent; /* the unpacked message frees its own */
        pelukan__v1__command_request__free_unpacked(j->req, NULL);
    }
    s_drop_answer(j);
    free(j);
}

/* A job for a well-formed, authenticated request, the actor bound as the
 * policy says (rpc.h: the sender's word about who acts is not taken); NULL
 * for anything else. */
static s_job_t *s_job_new(pk_rpc_server_t *self, zmsg_t *msg)
{
    zframe_t *identity = zmsg_pop(msg), *body = zmsg_pop(msg);
    Pelukan__V1__CommandRequest *req =
        body && zmsg_size(msg) == 0 ? pelukan__v1__command_request__unpack(NULL, zframe_size(body), zframe_data(body))
                                    : NULL;
    const char *peer = self->cfg.keys ? pk_bus_peer_of(body) : "plain";
    if (!req || req->command_id.len != 16 || !peer) {
        pk_metric_add(self->m_bad, 1);
        pk_log_warn(self->cfg.log, "command server: %s request (%zu bytes) ignored",
                    peer ? "malformed" : "unauthenticated", body ? zframe_size(body) : 0);
        if (req)
            pelukan__v1__command_request__free_unpacked(req, NULL);
        zframe_destroy(&identity);
        zframe_destroy(&body);
        return NULL;
    }
    s_job_t *j = pk_calloc(1, sizeof *j);
    j->identity = identity;
    j->req = req;
    snprintf(j->peer, sizeof j->peer, "%s", peer);
    zframe_destroy(&body);
    pk_hex(req->command_id.data, 16, j->id_hex);
    j->sent = req->actor;
    pelukan__v1__actor__init(&j->bound);
    if (j->sent && pk_bus_vouches(j->peer)) {
        j->bound.kind = j->sent->kind;
        j->bound.id = j->sent->id;
        j->bound.role = j->sent->role;
        j->bound.vouched_by = j->peer;
    } else {
        j->bound.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
        j->bound.id = j->peer;
    }
    req->actor = &j->bound;
    j->lane = self->cfg.is_query && self->cfg.is_query(req)               ? S_QUERY
              : self->cfg.commits_itself && self->cfg.commits_itself(req) ? S_ALONE
                                                                          : S_IN_TRANSACTION;
    j->idempotent = self->cfg.is_idempotent && self->cfg.is_idempotent(req);
    return j;
}

/* Jobs done: their answers sent, and they are forgotten. */
static void s_answered(pk_rpc_server_t *self, s_job_t *jobs)
{
    void *raw = zsock_resolve(self->router);
    for (s_job_t *j = jobs, *next; j; j = next) {
        next = j->next;
        if (j->answer) {
            zmq_send(raw, zframe_data(j->identity), zframe_size(j->identity), ZMQ_SNDMORE);
            zmq_send(raw, j->answer, j->answer_len, 0);
        }
        zhashx_delete(self->in_flight, j->id_hex);
        s_job_destroy(j);
    }
}

/* Hands an idle worker its shard's waiting jobs, else any worker's, up to
 * a batch. A server of one worker runs them itself, in the front's thread:
 * no hand-over to pay for. */
static void s_feed(pk_rpc_server_t *self, s_worker_t *w)
{
    while (!w->busy) {
        s_job_t *head = NULL, **tail = &head;
        for (int n = 0; n < self->batch_max; n++) {
            bool general = w->index < self->n_general;
            s_job_t *j = general ? zlist_pop(w->queue) : NULL;
            if (!j && general)
                j = zlist_pop(self->any);
            if (!j)
                j = zlist_pop(self->queries);
            if (!j)
                break;
            j->next = NULL;
            *tail = j;
            tail = &j->next;
        }
        if (!head)
            return;
        if (w->actor) {
            w->busy = true;
            zsock_send(w->actor, "sp", "JOBS", head);
            return;
        }
        s_work(w, head);
        s_answered(self, head);
    }
}

/* A request queued for its worker (fed once every request waiting on the
 * socket is queued: they may share a batch). */
static void s_enqueue(pk_rpc_server_t *self, s_job_t *j)
{
    if (zhashx_insert(self->in_flight, j->id_hex, j) != 0) {
        pk_metric_add(self->m_repeats, 1);
        pk_log_info(self->cfg.log, "command %s is still running: its repeat is dropped (the next gets the reply)",
                    j->id_hex);
        s_job_destroy(j);
        return;
    }
    pk_metric_add(self->m_queued, 1);
    int shard = self->cfg.shard ? self->cfg.shard(j->req) : -1;
    zlist_append(shard >= 0           ? self->workers[shard % self->n_general].queue
                 : j->lane == S_QUERY ? self->queries
                                      : self->any,
                 j);
}

/* A worker's jobs back: their answers sent, the worker fed again. */
static void s_returned(pk_rpc_server_t *self, s_worker_t *w)
{
    void *p = NULL;
    if (zsock_recv(w->actor, "p", &p) != 0)
        return;
    w->busy = false;
    s_answered(self, p);
    s_feed(self, w);
}

/* The requests waiting on the ROUTER (at most S_TAKE_MAX), queued, then
 * the idle workers fed. */
#define S_TAKE_MAX 256
static void s_take(pk_rpc_server_t *self)
{
    for (int n = 0; n < S_TAKE_MAX && (n == 0 || (zsock_events(self->router) & ZMQ_POLLIN)); n++) {
        zmsg_t *msg = zmsg_recv(self->router);
        s_job_t *j = msg ? s_job_new(self, msg) : NULL;
        zmsg_destroy(&msg);
        if (j)
            s_enqueue(self, j);
    }
    for (int i = 0; i < self->n_workers; i++)
        s_feed(self, &self->workers[i]);
}

/* The command ROUTER, bound behind the ZAP handler's policy. */
static zsock_t *s_router(pk_rpc_server_t *self)
{
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    zsock_set_maxmsgsize(router, self->cfg.max_msg_bytes);
    zsock_set_linger(router, 0);
    char domain[80];
    snprintf(domain, sizeof domain, "%s.rpc", self->cfg.service);
    pk_bus_secure_server(router, self->cfg.keys, domain);
    if (zsock_bind(router, "%s", self->endpoint) < 0)
        pk_log_error(self->cfg.log, "command server: bind %s failed: %s, commands will time out", self->endpoint,
                     zmq_strerror(zmq_errno()));
    return router;
}

/* At the end: each busy worker's jobs taken back (a worker finishes what
 * it runs), then every job still waiting dropped (the callers repeat). */
static void s_drain(pk_rpc_server_t *self)
{
    for (int i = 0; i < self->n_workers; i++) {
        s_worker_t *w = &self->workers[i];
        void *p = NULL;
        if (w->busy && zsock_recv(w->actor, "p", &p) == 0)
            for (s_job_t *j = p, *next; j; j = next) {
                next = j->next;
                s_job_destroy(j);
            }
        for (s_job_t *j; (j = zlist_pop(w->queue));)
            s_job_destroy(j);
        if (w->actor)
            zactor_destroy(&w->actor);
        else
            PQfinish(w->conn); /* the front's own */
        zlist_destroy(&w->queue);
    }
    for (s_job_t *j; (j = zlist_pop(self->any));)
        s_job_destroy(j);
    for (s_job_t *j; (j = zlist_pop(self->queries));)
        s_job_destroy(j);
}

static void s_server_actor(zsock_t *pipe, void *arg)
{
    pk_rpc_server_t *self = arg;
    self->router = s_router(self);
    zpoller_t *poller = zpoller_new(pipe, self->router, NULL);
    for (int i = 0; i < self->n_workers; i++) {
        s_worker_t *w = &self->workers[i];
        w->queue = zlist_new();
        if (self->n_workers > 1) {
            w->actor = zactor_new(s_worker_actor, w);
            zpoller_add(poller, w->actor);
        }
    }
    zsock_signal(pipe, 0);
    for (;;) {
        void *which = zpoller_wait(poller, -1);
        if (!which || which == pipe)
            break; /* $TERM or interrupted */
        if (which == self->router)
            s_take(self);
        for (int i = 0; i < self->n_workers; i++)
            if (which == self->workers[i].actor)
                s_returned(self, &self->workers[i]);
    }
    s_drain(self);
    zpoller_destroy(&poller);
    zsock_destroy(&self->router);
}

pk_rpc_server_t *pk_rpc_server_new(const pk_rpc_server_config_t *cfg)
{
    pk_rpc_server_t *self = pk_calloc(1, sizeof *self);
    self->cfg = *cfg;
    if (self->cfg.max_msg_bytes <= 0)
        self->cfg.max_msg_bytes = 1 << 20;
    self->conninfo = pk_strdup(cfg->conninfo);
    self->endpoint = pk_strdup(cfg->endpoint);
    self->n_workers = cfg->workers > 0 ? cfg->workers : 1;
    self->batch_max = cfg->batch_max > 0 ? cfg->batch_max : 1;
    self->n_general = self->n_workers - (cfg->query_workers > 0 ? cfg->query_workers : 0);
    if (self->n_general < 1)
        self->n_general = 1;
    self->workers = pk_calloc((size_t)self->n_workers, sizeof *self->workers);
    for (int i = 0; i < self->n_workers; i++) {
        s_worker_t *w = &self->workers[i];
        w->server = self;
        w->index = i;
        w->arg = cfg->worker_arg ? cfg->worker_arg(cfg->handler_arg, i) : cfg->handler_arg;
    }
    self->any = zlist_new();
    self->queries = zlist_new();
    self->in_flight = zhashx_new();
    self->m_done = pk_metrics_counter(cfg->metrics, "pelukan_rpc_done_total", NULL, "commands executed");
    self->m_dedup = pk_metrics_counter(cfg->metrics, "pelukan_rpc_deduplicated_total", NULL,
                                       "retried commands answered with the stored reply");
    self->m_bad = pk_metrics_counter(cfg->metrics, "pelukan_rpc_bad_frames_total", NULL, "malformed requests");
    self->m_failed = pk_metrics_counter(cfg->metrics, "pelukan_rpc_failed_total", NULL, "commands rolled back");
    self->m_late = pk_metrics_counter(cfg->metrics, "pelukan_rpc_deadline_exceeded_total", NULL,
                                      "commands that arrived after their deadline");
    self->m_repeats = pk_metrics_counter(cfg->metrics, "pelukan_rpc_repeats_in_flight_total", NULL,
                                         "repeats of a command still running, dropped");
    self->m_queued = pk_metrics_counter(cfg->metrics, "pelukan_rpc_queued_total", NULL,
                                        "requests queued for a worker (not a repeat of one still running)");
    self->m_commits = pk_metrics_counter(cfg->metrics, "pelukan_rpc_commits_total", NULL,
                                         "transactions of commands committed (several commands may share one)");
    self->actor = zactor_new(s_server_actor, self);
    return self;
}

void pk_rpc_server_destroy(pk_rpc_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_rpc_server_t *self = *self_p;
    zactor_destroy(&self->actor);
    zlist_destroy(&self->any);
    zlist_destroy(&self->queries);
    zhashx_destroy(&self->in_flight);
    free(self->workers);
    free(self->conninfo);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

struct pk_rpc_client {
    char *endpoint, *server;
    int max_msg_bytes;
    const pk_bus_keys_t *keys;
    zsock_t *dealer;
};

static void s_client_socket(pk_rpc_client_t *self)
{
    zsock_destroy(&self->dealer);
    self->dealer = zsock_new(ZMQ_DEALER);
    zsock_set_linger(self->dealer, 0);
    zsock_set_maxmsgsize(self->dealer, self->max_msg_bytes);
    pk_bus_secure_client(self->dealer, self->keys, self->server);
    zsock_connect(self->dealer, "%s", self->endpoint);
}

pk_rpc_client_t *pk_rpc_client_new(const char *endpoint, int max_msg_bytes, const pk_bus_keys_t *keys,
                                   const char *server)
{
    pk_rpc_client_t *self = pk_calloc(1, sizeof *self);
    self->endpoint = pk_strdup(endpoint);
    self->server = pk_strdup(server);
    self->keys = keys;
    self->max_msg_bytes = max_msg_bytes > 0 ? max_msg_bytes : 1 << 20;
    s_client_socket(self);
    return self;
}

void pk_rpc_client_destroy(pk_rpc_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zsock_destroy(&(*self_p)->dealer);
    free((*self_p)->endpoint);
    free((*self_p)->server);
    free(*self_p);
    *self_p = NULL;
}

void pk_rpc_request_init(Pelukan__V1__CommandRequest *req, uint8_t id_buf[16], int timeout_ms, int retries)
{
    pelukan__v1__command_request__init(req);
    pk_id_random(id_buf);
    req->command_id.data = id_buf;
    req->command_id.len = 16;
    req->deadline_us = pk_now_us() + (uint64_t)timeout_ms * 1000u * (uint64_t)(retries + 1);
}

int pk_rpc_call(pk_rpc_client_t *self, const Pelukan__V1__CommandRequest *req, int timeout_ms, int retries,
                Pelukan__V1__CommandReply **reply)
{
    size_t len = pelukan__v1__command_request__get_packed_size(req);
    uint8_t *buf = pk_malloc(len ? len : 1);
    pelukan__v1__command_request__pack(req, buf);
    int rc = PK_ETIMEOUT;
    for (int attempt = 0; attempt <= retries && rc != 0; attempt++) {
        if (attempt > 0)
            s_client_socket(self); /* Lazy Pirate: drop the old socket and its late replies */
        zmq_send(zsock_resolve(self->dealer), buf, len, 0);
        uint64_t deadline = pk_mono_us() + (uint64_t)timeout_ms * 1000u;
        while (rc != 0) {
            int64_t left = (int64_t)(deadline - pk_mono_us()) / 1000;
            if (left <= 0)
                break;
            zmq_pollitem_t item = {zsock_resolve(self->dealer), 0, ZMQ_POLLIN, 0};
            if (zmq_poll(&item, 1, (long)left) <= 0)
                continue;
            zmsg_t *msg = zmsg_recv(self->dealer);
            zframe_t *f = msg && zmsg_size(msg) == 1 ? zmsg_first(msg) : NULL;
            Pelukan__V1__CommandReply *r =
                f ? pelukan__v1__command_reply__unpack(NULL, zframe_size(f), zframe_data(f)) : NULL;
            zmsg_destroy(&msg);
            if (r && r->command_id.len == 16 && memcmp(r->command_id.data, req->command_id.data, 16) == 0) {
                *reply = r;
                rc = 0;
            } else if (r) {
                pelukan__v1__command_reply__free_unpacked(r, NULL); /* a stale reply */
            }
        }
    }
    free(buf);
    return rc;
}

int pk_rpc_fail(Pelukan__V1__CommandReply *reply, Pelukan__V1__CommandReply__Status status, const char *code,
                const char *field)
{
    reply->status = status;
    reply->error_code = (char *)code;
    if (field)
        reply->error_field = (char *)field;
    return 0;
}

int pk_rpc_pong(const Pelukan__V1__CommandRequest *req, Pelukan__V1__CommandReply *reply)
{
    static _Thread_local Pelukan__V1__Pong pong;
    pelukan__v1__pong__init(&pong);
    pong.n = req->ping ? req->ping->n : 0;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_PONG;
    reply->pong = &pong;
    return PK_RPC_READ_ONLY;
}

const char *pk_rpc_actor_id(const Pelukan__V1__CommandRequest *req)
{
    return req->actor && req->actor->id ? req->actor->id : "";
}

int pk_rpc_http_status(Pelukan__V1__CommandReply__Status status)
{
    switch (status) {
    case PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK:
        return 200;
    case PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID:
        return 422;
    case PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_NOT_FOUND:
        return 404;
    case PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_CONFLICT:
        return 409;
    case PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_FORBIDDEN:
        return 403;
    case PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_GONE:
        return 410;
    default:
        return 503;
    }
}
