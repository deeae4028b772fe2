/* rpc.c -- command server (ROUTER actor, dedup in PostgreSQL) and the
 * Lazy Pirate client. */
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/crypto.h"
#include "pelukan/db.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

struct pk_rpc_server {
    zactor_t *actor;
    pk_rpc_server_config_t cfg;
    char *conninfo, *endpoint;
    pk_metric_t *m_done, *m_dedup, *m_bad, *m_failed, *m_late;
};

static void s_send_reply(zsock_t *router, zframe_t *identity, const Pelukan__V1__CommandReply *reply)
{
    size_t len = pelukan__v1__command_reply__get_packed_size(reply);
    uint8_t *buf = pk_malloc(len ? len : 1);
    pelukan__v1__command_reply__pack(reply, buf);
    void *raw = zsock_resolve(router);
    zmq_send(raw, zframe_data(identity), zframe_size(identity), ZMQ_SNDMORE);
    zmq_send(raw, buf, len, 0);
    free(buf);
}

static void s_send_raw(zsock_t *router, zframe_t *identity, const void *data, size_t len)
{
    void *raw = zsock_resolve(router);
    zmq_send(raw, zframe_data(identity), zframe_size(identity), ZMQ_SNDMORE);
    zmq_send(raw, data, len, 0);
}

static void s_free_reply_result(Pelukan__V1__CommandReply *reply, pk_rpc_server_t *self)
{
    if (self->cfg.reply_done)
        self->cfg.reply_done(reply, self->cfg.handler_arg);
}

/* A handler that succeeded without a refusal answered OK: said on the wire,
 * never implied by an unset status. */
static void s_ok(Pelukan__V1__CommandReply *reply)
{
    if (reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_UNSPECIFIED)
        reply->status = PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK;
}

/* Answers STATUS_INTERNAL: the handler failed and its effects were rolled
 * back (not stored: a retry runs the command again). */
static int s_failed(pk_rpc_server_t *self, PGconn *conn, zsock_t *router, zframe_t *identity,
                    const Pelukan__V1__CommandRequest *req)
{
    pk_metric_add(self->m_failed, 1);
    Pelukan__V1__CommandReply fail = PELUKAN__V1__COMMAND_REPLY__INIT;
    fail.command_id = req->command_id;
    fail.status = PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INTERNAL;
    fail.error_code = "internal";
    s_send_reply(router, identity, &fail);
    return PQstatus(conn) == CONNECTION_OK ? 0 : PK_EDB;
}

/* A query changes nothing: no transaction, nothing to deduplicate. */
static int s_query(pk_rpc_server_t *self, PGconn *conn, zsock_t *router, zframe_t *identity,
                   const Pelukan__V1__CommandRequest *req)
{
    Pelukan__V1__CommandReply reply = PELUKAN__V1__COMMAND_REPLY__INIT;
    int rc = self->cfg.handler(conn, req, &reply, self->cfg.handler_arg);
    reply.command_id = req->command_id;
    if (rc != 0 && rc != PK_RPC_READ_ONLY) {
        s_free_reply_result(&reply, self);
        return s_failed(self, conn, router, identity, req);
    }
    pk_metric_add(self->m_done, 1);
    s_ok(&reply);
    s_send_reply(router, identity, &reply);
    s_free_reply_result(&reply, self);
    return 0;
}

/* Inside the open transaction: the stored reply of a command done before,
 * sent (1), or none (0), or PK_EDB. */
static int s_stored(pk_rpc_server_t *self, PGconn *conn, zsock_t *router, zframe_t *identity, const char *id_param,
                    const char *id_hex)
{
    const char *p[] = {id_param};
    PGresult *done =
        PQexecParams(conn, "SELECT reply FROM command_done WHERE command_id = $1::bytea", 1, NULL, p, NULL, NULL, 1);
    if (PQresultStatus(done) != PGRES_TUPLES_OK) {
        PQclear(done);
        return PK_EDB;
    }
    int found = PQntuples(done) == 1;
    if (found) {
        pk_metric_add(self->m_dedup, 1);
        pk_log_info(self->cfg.log, "command %s already done, sending the stored reply", id_hex);
        s_send_raw(router, identity, PQgetvalue(done, 0, 0), (size_t)PQgetlength(done, 0, 0));
        PQclear(PQexec(conn, "COMMIT"));
    }
    PQclear(done);
    return found;
}

/* The handler's reply stored with its effects, committed, then sent. */
static int s_store_reply(pk_rpc_server_t *self, PGconn *conn, zsock_t *router, zframe_t *identity,
                         Pelukan__V1__CommandReply *reply, const char *id_param)
{
    s_ok(reply);
    size_t len = pelukan__v1__command_reply__get_packed_size(reply);
    uint8_t *buf = pk_malloc(len ? len : 1);
    pelukan__v1__command_reply__pack(reply, buf);
    s_free_reply_result(reply, self);
    char *hex = pk_pg_bytea(buf, len);
    const char *ins[] = {id_param, hex};
    int ok = pk_pg_run(conn, self->cfg.log,
                       "INSERT INTO command_done (command_id, reply) VALUES ($1::bytea, $2::bytea)", 2, ins) == 0 &&
             pk_pg_run(conn, self->cfg.log, "COMMIT", 0, NULL) == 0;
    free(hex);
    if (!ok) {
        PQclear(PQexec(conn, "ROLLBACK"));
        free(buf);
        return PK_EDB;
    }
    pk_metric_add(self->m_done, 1);
    if (self->cfg.relay)
        pk_relay_kick(self->cfg.relay); /* the handler may have written events */
    s_send_raw(router, identity, buf, len);
    free(buf);
    return 0;
}

/* Runs one command once: the stored reply if it was done, else the handler
 * and the reply in one transaction. Returns 0, or PK_EDB (conn is bad). */
static int s_execute(pk_rpc_server_t *self, PGconn *conn, zsock_t *router, zframe_t *identity,
                     const Pelukan__V1__CommandRequest *req)
{
    const pk_log_t *log = self->cfg.log;
    if (self->cfg.is_query && self->cfg.is_query(req))
        return s_query(self, conn, router, identity, req);
    char id_hex[33], id_param[40];
    pk_hex(req->command_id.data, 16, id_hex);
    snprintf(id_param, sizeof id_param, "\\x%s", id_hex);
    if (pk_pg_run(conn, log, "BEGIN", 0, NULL) != 0)
        return PK_EDB;
    int stored = s_stored(self, conn, router, identity, id_param, id_hex);
    if (stored != 0)
        return stored > 0 ? 0 : PK_EDB;
    Pelukan__V1__CommandReply reply = PELUKAN__V1__COMMAND_REPLY__INIT;
    reply.command_id = req->command_id;
    if (req->deadline_us && pk_now_us() > req->deadline_us) {
        /* Nobody waits for the answer: do nothing, store nothing. */
        pk_metric_add(self->m_late, 1);
        reply.status = PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_DEADLINE_EXCEEDED;
        reply.error_code = "deadline_exceeded";
        PQclear(PQexec(conn, "ROLLBACK"));
        s_send_reply(router, identity, &reply);
        return 0;
    }
    int rc = self->cfg.handler(conn, req, &reply, self->cfg.handler_arg);
    if (rc == PK_RPC_READ_ONLY || rc == PK_RPC_IDEMPOTENT) {
        if (pk_pg_run(conn, log, rc == PK_RPC_READ_ONLY ? "ROLLBACK" : "COMMIT", 0, NULL) != 0) {
            s_free_reply_result(&reply, self);
            return PK_EDB;
        }
        pk_metric_add(self->m_done, 1);
        if (rc == PK_RPC_IDEMPOTENT && self->cfg.relay)
            pk_relay_kick(self->cfg.relay);
        s_ok(&reply);
        s_send_reply(router, identity, &reply);
        s_free_reply_result(&reply, self);
        return 0;
    }
    if (rc != 0) {
        pk_log_error(log, "command %s (%s) failed: %s, rolled back", id_hex,
                     req->command_case ? protobuf_c_message_descriptor_get_field(
                                             &pelukan__v1__command_request__descriptor, (unsigned)req->command_case)
                                             ->name
                                       : "none",
                     pk_strerror(rc));
        PQclear(PQexec(conn, "ROLLBACK"));
        s_free_reply_result(&reply, self);
        return s_failed(self, conn, router, identity, req);
    }
    reply.command_id = req->command_id;
    return s_store_reply(self, conn, router, identity, &reply, id_param);
}

/* Runs one authenticated request as the actor the policy binds (see
 * rpc.h), on `*conn`, reconnecting once if the database restarted. */
static void s_serve_request(pk_rpc_server_t *self, PGconn **conn, zsock_t *router, zframe_t *identity,
                            Pelukan__V1__CommandRequest *req, const char *peer)
{
    /* The sender's word about who acts is not taken: see rpc.h. */
    Pelukan__V1__Actor *sent = req->actor, bound = PELUKAN__V1__ACTOR__INIT;
    char peer_name[32];
    snprintf(peer_name, sizeof peer_name, "%s", peer);
    if (sent && pk_bus_vouches(peer_name)) {
        bound.kind = sent->kind;
        bound.id = sent->id;
        bound.role = sent->role;
        bound.vouched_by = peer_name;
    } else {
        bound.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
        bound.id = peer_name;
    }
    req->actor = &bound;
    /* The database may have restarted: one reconnect per command. */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!*conn || PQstatus(*conn) != CONNECTION_OK) {
            PQfinish(*conn);
            *conn = PQconnectdb(self->conninfo);
        }
        if (PQstatus(*conn) == CONNECTION_OK && s_execute(self, *conn, router, identity, req) == 0)
            break;
        PQfinish(*conn);
        *conn = NULL;
    }
    if (!*conn)
        pk_log_error(self->cfg.log, "command server: database unavailable, request dropped (the caller retries)");
    req->actor = sent; /* the unpacked message frees its own */
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

static void s_server_actor(zsock_t *pipe, void *arg)
{
    pk_rpc_server_t *self = arg;
    zsock_t *router = s_router(self);
    zpoller_t *poller = zpoller_new(pipe, router, NULL);
    PGconn *conn = NULL;
    zsock_signal(pipe, 0);
    for (;;) {
        void *which = zpoller_wait(poller, -1);
        if (!which || which == pipe)
            break; /* $TERM or interrupted */
        zmsg_t *msg = zmsg_recv(router);
        if (!msg)
            continue;
        zframe_t *identity = zmsg_pop(msg), *body = zmsg_pop(msg);
        Pelukan__V1__CommandRequest *req =
            body && zmsg_size(msg) == 0
                ? pelukan__v1__command_request__unpack(NULL, zframe_size(body), zframe_data(body))
                : NULL;
        const char *peer = self->cfg.keys ? pk_bus_peer_of(body) : "plain";
        if (!req || req->command_id.len != 16 || !peer) {
            pk_metric_add(self->m_bad, 1);
            pk_log_warn(self->cfg.log, "command server: %s request (%zu bytes) ignored",
                        peer ? "malformed" : "unauthenticated", body ? zframe_size(body) : 0);
        } else {
            s_serve_request(self, &conn, router, identity, req, peer);
        }
        if (req)
            pelukan__v1__command_request__free_unpacked(req, NULL);
        zframe_destroy(&identity);
        zframe_destroy(&body);
        zmsg_destroy(&msg);
    }
    PQfinish(conn);
    zpoller_destroy(&poller);
    zsock_destroy(&router);
}

pk_rpc_server_t *pk_rpc_server_new(const pk_rpc_server_config_t *cfg)
{
    pk_rpc_server_t *self = pk_calloc(1, sizeof *self);
    self->cfg = *cfg;
    if (self->cfg.max_msg_bytes <= 0)
        self->cfg.max_msg_bytes = 1 << 20;
    self->conninfo = pk_strdup(cfg->conninfo);
    self->endpoint = pk_strdup(cfg->endpoint);
    char labels[64];
    snprintf(labels, sizeof labels, "service=\"%s\"", cfg->service);
    self->m_done = pk_metrics_counter(cfg->metrics, "pelukan_rpc_done_total", NULL, "commands executed");
    self->m_dedup = pk_metrics_counter(cfg->metrics, "pelukan_rpc_deduplicated_total", NULL,
                                       "retried commands answered with the stored reply");
    self->m_bad = pk_metrics_counter(cfg->metrics, "pelukan_rpc_bad_frames_total", NULL, "malformed requests");
    self->m_failed = pk_metrics_counter(cfg->metrics, "pelukan_rpc_failed_total", NULL, "commands rolled back");
    self->m_late = pk_metrics_counter(cfg->metrics, "pelukan_rpc_deadline_exceeded_total", NULL,
                                      "commands that arrived after their deadline");
    self->actor = zactor_new(s_server_actor, self);
    return self;
}

void pk_rpc_server_destroy(pk_rpc_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zactor_destroy(&(*self_p)->actor);
    free((*self_p)->conninfo);
    free((*self_p)->endpoint);
    free(*self_p);
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

void pk_envelope_for_command(Pelukan__V1__Envelope *env, uint8_t eid[16], Pelukan__V1__Actor *actor,
                             const char *producer, const Pelukan__V1__CommandRequest *req, const char *case_id)
{
    pk_envelope_init(env, eid, producer, case_id, req->correlation_id);
    pelukan__v1__actor__init(actor);
    actor->kind = req->actor ? req->actor->kind : PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    actor->id = (char *)pk_rpc_actor_id(req);
    if (req->actor && req->actor->vouched_by)
        actor->vouched_by = req->actor->vouched_by;
    env->actor = actor;
}

const char *const pk_rpc_note_purposes[] = {"case_review", "follow_up", "verification", "legal_request", NULL};

int pk_rpc_record_opening(PGconn *conn, const pk_log_t *log, const char *producer,
                          const Pelukan__V1__CommandRequest *req, const char *case_id, const char *purpose,
                          const char *ref, char **fields, size_t n_fields)
{
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    Pelukan__V1__Actor actor;
    pk_envelope_for_command(&env, eid, &actor, producer, req, case_id);
    Pelukan__V1__CaseDataAccessed acc = PELUKAN__V1__CASE_DATA_ACCESSED__INIT;
    acc.purpose_code = (char *)purpose;
    acc.ref = (char *)(ref ? ref : "");
    acc.fields = fields;
    acc.n_fields = n_fields;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_DATA_ACCESSED;
    env.case_data_accessed = &acc;
    return pk_outbox_add(conn, log, &env);
}

int pk_rpc_opening_key(PGconn *conn, pk_pg_stmts_t *stmts, const pk_keyring_t *keys, const pk_log_t *log,
                       const char *producer, const Pelukan__V1__CommandRequest *req, const char *purpose,
                       const char *field, int rows, uint8_t key[PK_DATAKEY_BYTES], bool *opened)
{
    *opened = false;
    if (rows == 0)
        return 0;
    char *fields[] = {(char *)field};
    if (pk_rpc_record_opening(conn, log, producer, req, req->case_id, purpose, NULL, fields, 1) != 0)
        return PK_EDB;
    int rc = pk_pg_case_key(conn, stmts, keys, log, req->case_id, false, key);
    if (rc == PK_EDB)
        return PK_EDB;
    *opened = rc == 0;
    return 0;
}

Pelukan__V1__Notes *pk_rpc_notes_reply(pk_arena_t **arena, Pelukan__V1__CommandReply *reply, int rows)
{
    Pelukan__V1__Notes *out = pk_arena_alloc(arena, sizeof *out);
    pelukan__v1__notes__init(out);
    out->items = pk_arena_alloc(arena, sizeof *out->items * (size_t)(rows > 0 ? rows : 1));
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_NOTES;
    reply->notes = out;
    return out;
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
