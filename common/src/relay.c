/* relay.c -- numbers outbox rows densely, publishes them, serves replay.
 *
 * One relay per producer holds a PostgreSQL advisory lock; others wait as
 * hot standbys. The leader numbers unsequenced rows (in insertion order) in
 * its own transaction, commits, then publishes. Publishing after commit
 * means a crash can lose a publish but never invent an event: consumers see
 * the gap from the next event or heartbeat and ask for replay. */
#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/bus.h"
#include "pelukan/db.h"
#include "pelukan/util.h"
#include "pelukan/v1/bus.pb-c.h"

#define S_HEARTBEAT_US       1000000u
#define S_STANDBY_RETRY_MS   300
#define S_RETENTION_EVERY_US 60000000u
#define S_REPLAY_MAX_EVENTS  5000u
#define S_REPLAY_MAX_BYTES   (4u << 20)

struct pk_relay {
    zactor_t *actor;
    pk_relay_config_t cfg; /* strings copied below */
    char *producer, *conninfo, *pub_ep, *replay_ep;
    _Atomic bool leader;
    pthread_mutex_t kick_lock; /* the actor pipe is one socket; kicks come from several threads */
    pk_metric_t *m_published, *m_replayed, *m_replay_requests, *m_bad_requests, *m_last_seq, *m_leader, *m_lead_tries;
};

/* State owned by the actor thread. */
typedef struct {
    pk_relay_t *relay;
    zsock_t *pipe;
    PGconn *conn;
    zsock_t *pub;
    zsock_t *router;
    zpoller_t *poller;
    uint64_t epoch;
    uint64_t last_seq;
    uint64_t next_heartbeat_us;
    uint64_t next_retention_us;
    bool kicked;
} s_actor_t;

static const pk_log_t *s_log(const s_actor_t *a)
{
    return a->relay->cfg.log;
}

static void s_step_down(s_actor_t *a, const char *why)
{
    if (atomic_load(&a->relay->leader))
        pk_log_write(s_log(a), strcmp(why, "stopping") == 0 ? PK_LOG_INFO : PK_LOG_WARN, NULL,
                     "relay for %s stepping down: %s", a->relay->producer, why);
    atomic_store(&a->relay->leader, false);
    pk_metric_set(a->relay->m_leader, 0);
    if (a->router)
        zpoller_remove(a->poller, a->router);
    zsock_destroy(&a->pub);
    zsock_destroy(&a->router);
    if (a->conn) {
        PQfinish(a->conn);
        a->conn = NULL;
    }
}

static uint64_t s_u64(const PGresult *r, int row, int col)
{
    return (uint64_t)strtoull(PQgetvalue(r, row, col), NULL, 10);
}

/* Tries to become the leader: lock, read the relay state, bind. */
static void s_try_lead(s_actor_t *a)
{
    pk_relay_t *r = a->relay;
    if (!a->conn) {
        a->conn = PQconnectdb(r->conninfo);
        if (PQstatus(a->conn) != CONNECTION_OK) {
            PQfinish(a->conn);
            a->conn = NULL;
            return;
        }
    }
    const char *key[] = {r->producer};
    PGresult *res =
        pk_pg_exec(a->conn, s_log(a), "SELECT pg_try_advisory_lock(hashtext('pelukan.relay.' || $1))", 1, key);
    if (!res) {
        s_step_down(a, "lock query failed");
        return;
    }
    bool got = pk_pg_bool(res, 0, 0);
    PQclear(res);
    pk_metric_add(r->m_lead_tries, 1);
    if (!got)
        return;
    res = pk_pg_exec(a->conn, s_log(a), "SELECT epoch, last_seq FROM relay_state", 0, NULL);
    if (!res || PQntuples(res) != 1) {
        PQclear(res);
        s_step_down(a, "relay_state missing");
        return;
    }
    a->epoch = s_u64(res, 0, 0);
    a->last_seq = s_u64(res, 0, 1);
    PQclear(res);
    a->pub = zsock_new(ZMQ_PUB);
    a->router = zsock_new(ZMQ_ROUTER);
    zsock_set_sndhwm(a->pub, r->cfg.sndhwm > 0 ? r->cfg.sndhwm : 100000);
    zsock_set_maxmsgsize(a->router, r->cfg.max_msg_bytes);
    zsock_set_linger(a->pub, 0);
    zsock_set_linger(a->router, 0);
    char domain[80];
    snprintf(domain, sizeof domain, "%s.pub", r->producer);
    pk_bus_secure_server(a->pub, r->cfg.keys, domain);
    snprintf(domain, sizeof domain, "%s.replay", r->producer);
    pk_bus_secure_server(a->router, r->cfg.keys, domain);
    if (zsock_bind(a->pub, "%s", r->pub_ep) < 0 || zsock_bind(a->router, "%s", r->replay_ep) < 0) {
        pk_log_warn(s_log(a), "relay for %s: bind %s / %s failed: %s, retrying", r->producer, r->pub_ep, r->replay_ep,
                    zmq_strerror(zmq_errno()));
        s_step_down(a, "bind failed");
        return;
    }
    zpoller_add(a->poller, a->router);
    atomic_store(&r->leader, true);
    pk_metric_set(r->m_leader, 1);
    pk_metric_set(r->m_last_seq, (int64_t)a->last_seq);
    a->next_heartbeat_us = 0;
    a->kicked = true;
    pk_log_info(s_log(a), "relay for %s elected: epoch %llu, last seq %llu, publishing on %s, replay on %s",
                r->producer, (unsigned long long)a->epoch, (unsigned long long)a->last_seq, r->pub_ep, r->replay_ep);
}

static void s_send_event(zsock_t *sock, const char *topic, size_t topic_len, uint64_t epoch, uint64_t seq,
                         const void *env, size_t env_len, int more_after)
{
    uint8_t hdr[PK_BUS_HEADER_BYTES];
    pk_bus_header_write(hdr, epoch, seq);
    void *raw = zsock_resolve(sock);
    zmq_send(raw, topic, topic_len, ZMQ_SNDMORE);
    zmq_send(raw, hdr, sizeof hdr, ZMQ_SNDMORE);
    zmq_send(raw, env, env_len, more_after ? ZMQ_SNDMORE : 0);
}

/* Numbers one batch of unsequenced rows and publishes it. One statement in
 * its own (autocommit) transaction: the rows get the next dense sequence
 * numbers in insertion order and relay_state moves on with them, or
 * neither happens. Returns the number of rows, or -1 on a database error
 * (then steps down). */
static int s_sequence_batch(s_actor_t *a)
{
    pk_relay_t *r = a->relay;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", r->cfg.batch);
    const char *params[] = {limit};
    /* Binary results: seq as 8 bytes big-endian, topic and envelope raw. */
    PGresult *res = PQexecParams(a->conn,
                                 "WITH st AS (SELECT last_seq FROM relay_state FOR UPDATE),"
                                 " b AS (SELECT id FROM outbox WHERE seq IS NULL ORDER BY id LIMIT $1),"
                                 " n AS (SELECT id, (SELECT last_seq FROM st) + row_number() OVER (ORDER BY id) AS s"
                                 "       FROM b),"
                                 " u AS (UPDATE outbox o SET seq = n.s, sequenced_at = now() FROM n WHERE o.id = n.id"
                                 "       RETURNING o.seq, o.topic, o.envelope),"
                                 " r AS (UPDATE relay_state SET last_seq = (SELECT max(seq) FROM u)"
                                 "       WHERE EXISTS (SELECT 1 FROM u))"
                                 " SELECT seq, topic, envelope FROM u ORDER BY seq",
                                 1, NULL, params, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        char why[160];
        snprintf(why, sizeof why, "%s", *pk_pg_sqlstate(res) ? pk_pg_sqlstate(res) : PQerrorMessage(a->conn));
        why[strcspn(why, "\n")] = '\0';
        pk_log_error(s_log(a), "relay for %s: numbering failed: %s", r->producer, why);
        PQclear(res);
        s_step_down(a, "database error while numbering");
        return -1;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        uint64_t seq = pk_be64_get(PQgetvalue(res, i, 0));
        if (seq != a->last_seq + 1) {
            /* Another relay numbered rows behind our back: the lock is gone. */
            PQclear(res);
            s_step_down(a, "sequence moved under this relay");
            return -1;
        }
        s_send_event(a->pub, PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1), a->epoch, seq,
                     PQgetvalue(res, i, 2), (size_t)PQgetlength(res, i, 2), 0);
        a->last_seq = seq;
    }
    PQclear(res);
    pk_metric_add(r->m_published, (uint64_t)n);
    pk_metric_set(r->m_last_seq, (int64_t)a->last_seq);
    return n;
}

static void s_heartbeat(s_actor_t *a)
{
    Pelukan__V1__Heartbeat hb = PELUKAN__V1__HEARTBEAT__INIT;
    hb.producer = a->relay->producer;
    hb.epoch = a->epoch;
    hb.last_seq = a->last_seq;
    uint8_t buf[128];
    size_t len = pelukan__v1__heartbeat__pack(&hb, buf);
    char topic[128];
    int tl = snprintf(topic, sizeof topic, "%s.%s", a->relay->producer, PK_BUS_HEARTBEAT_SUFFIX);
    s_send_event(a->pub, topic, (size_t)tl, a->epoch, a->last_seq, buf, len, 0);
}

static void s_retention(s_actor_t *a)
{
    char secs[32];
    snprintf(secs, sizeof secs, "%d", a->relay->cfg.retention_s);
    const char *p[] = {secs};
    PGresult *res = pk_pg_exec(
        a->conn, s_log(a),
        "DELETE FROM outbox WHERE seq IS NOT NULL AND sequenced_at < now() - make_interval(secs => $1)", 1, p);
    if (!res) {
        s_step_down(a, "database error during retention");
        return;
    }
    if (atoi(PQcmdTuples(res)) > 0)
        pk_log_info(s_log(a), "relay for %s: removed %s events older than the retention of %d s", a->relay->producer,
                    PQcmdTuples(res), a->relay->cfg.retention_s);
    PQclear(res);
    /* The replies kept for retried commands (ids and codes of cases) are
     * needed for a command's deadline, seconds: a day is plenty (review L7). */
    res = pk_pg_exec(a->conn, s_log(a), "DELETE FROM command_done WHERE done_at < now() - interval '1 day'", 0, NULL);
    if (!res) {
        s_step_down(a, "database error during retention");
        return;
    }
    PQclear(res);
}

static void s_reply_status(s_actor_t *a, zframe_t *identity, Pelukan__V1__ReplayReply__Status status, uint64_t oldest)
{
    Pelukan__V1__ReplayReply rep = PELUKAN__V1__REPLAY_REPLY__INIT;
    rep.status = status;
    rep.epoch = a->epoch;
    rep.last_seq = a->last_seq;
    rep.oldest_seq = oldest;
    uint8_t buf[64];
    size_t len = pelukan__v1__replay_reply__pack(&rep, buf);
    void *raw = zsock_resolve(a->router);
    zmq_send(raw, zframe_data(identity), zframe_size(identity), ZMQ_SNDMORE);
    zmq_send(raw, buf, len, 0);
}

/* Serves one replay request: [identity][ReplayRequest]. */
static void s_replay(s_actor_t *a)
{
    pk_relay_t *r = a->relay;
    zmsg_t *msg = zmsg_recv(a->router);
    if (!msg)
        return;
    zframe_t *identity = zmsg_pop(msg);
    zframe_t *body = zmsg_pop(msg);
    Pelukan__V1__ReplayRequest *req =
        body && zmsg_size(msg) == 0 ? pelukan__v1__replay_request__unpack(NULL, zframe_size(body), zframe_data(body))
                                    : NULL;
    if (!identity || !req || req->from_seq == 0) {
        pk_metric_add(r->m_bad_requests, 1);
        pk_log_warn(s_log(a), "relay for %s: malformed replay request (%zu frames) ignored", r->producer,
                    msg ? zmsg_size(msg) + 2 : 0);
        if (identity && req)
            s_reply_status(a, identity, PELUKAN__V1__REPLAY_REPLY__STATUS__STATUS_BAD_REQUEST, 0);
        goto done;
    }
    pk_metric_add(r->m_replay_requests, 1);
    PGresult *oldest = pk_pg_exec(a->conn, s_log(a), "SELECT min(seq) FROM outbox WHERE seq IS NOT NULL", 0, NULL);
    if (!oldest) {
        s_step_down(a, "database error during replay");
        goto done;
    }
    uint64_t oldest_seq = PQgetisnull(oldest, 0, 0) ? a->last_seq + 1 : s_u64(oldest, 0, 0);
    PQclear(oldest);
    if (req->from_seq <= a->last_seq && req->from_seq < oldest_seq && (req->epoch == 0 || req->epoch == a->epoch)) {
        pk_log_error(s_log(a),
                     "relay for %s: replay from seq %llu refused: older than the retention (oldest %llu); the "
                     "consumer must rebuild from the audit log",
                     r->producer, (unsigned long long)req->from_seq, (unsigned long long)oldest_seq);
        s_reply_status(a, identity, PELUKAN__V1__REPLAY_REPLY__STATUS__STATUS_TRUNCATED, oldest_seq);
        goto done;
    }
    /* A consumer of another epoch starts over from 1 in ours. */
    uint64_t from = req->epoch == a->epoch || req->epoch == 0 ? req->from_seq : 1;
    uint32_t max = req->max_count && req->max_count < S_REPLAY_MAX_EVENTS ? req->max_count : S_REPLAY_MAX_EVENTS;
    char from_s[32], max_s[16];
    snprintf(from_s, sizeof from_s, "%llu", (unsigned long long)from);
    snprintf(max_s, sizeof max_s, "%u", max);
    const char *p[] = {from_s, max_s};
    PGresult *res =
        PQexecParams(a->conn, "SELECT seq, topic, envelope FROM outbox WHERE seq >= $1 ORDER BY seq LIMIT $2", 2, NULL,
                     p, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        s_step_down(a, "database error during replay");
        goto done;
    }
    int n = PQntuples(res);
    size_t bytes = 0;
    int count = 0;
    while (count < n && bytes < S_REPLAY_MAX_BYTES)
        bytes += (size_t)PQgetlength(res, count++, 2);
    Pelukan__V1__ReplayReply rep = PELUKAN__V1__REPLAY_REPLY__INIT;
    rep.status = PELUKAN__V1__REPLAY_REPLY__STATUS__STATUS_OK;
    rep.epoch = a->epoch;
    rep.last_seq = a->last_seq;
    rep.oldest_seq = oldest_seq;
    rep.count = (uint32_t)count;
    uint8_t buf[64];
    size_t len = pelukan__v1__replay_reply__pack(&rep, buf);
    void *raw = zsock_resolve(a->router);
    zmq_send(raw, zframe_data(identity), zframe_size(identity), ZMQ_SNDMORE);
    zmq_send(raw, buf, len, count ? ZMQ_SNDMORE : 0);
    for (int i = 0; i < count; i++) {
        uint8_t hdr[PK_BUS_HEADER_BYTES];
        pk_bus_header_write(hdr, a->epoch, pk_be64_get(PQgetvalue(res, i, 0)));
        zmq_send(raw, hdr, sizeof hdr, ZMQ_SNDMORE);
        zmq_send(raw, PQgetvalue(res, i, 2), (size_t)PQgetlength(res, i, 2), i + 1 < count ? ZMQ_SNDMORE : 0);
    }
    PQclear(res);
    pk_metric_add(r->m_replayed, (uint64_t)count);
done:
    if (req)
        pelukan__v1__replay_request__free_unpacked(req, NULL);
    zframe_destroy(&identity);
    zframe_destroy(&body);
    zmsg_destroy(&msg);
}

static void s_actor(zsock_t *pipe, void *arg)
{
    s_actor_t a = {.relay = arg, .pipe = pipe};
    a.poller = zpoller_new(pipe, NULL);
    zsock_signal(pipe, 0);
    bool running = true;
    while (running) {
        bool leader = atomic_load(&a.relay->leader);
        int timeout = leader ? a.relay->cfg.poll_ms : S_STANDBY_RETRY_MS;
        void *which = zpoller_wait(a.poller, a.kicked ? 0 : timeout);
        if (zpoller_terminated(a.poller))
            break;
        /* Drain the pipe: kicks merge into one numbering pass. */
        while (zsock_events(pipe) & ZMQ_POLLIN) {
            char *cmd = zstr_recv(pipe);
            if (!cmd || strcmp(cmd, "$TERM") == 0)
                running = false;
            else
                a.kicked = true;
            zstr_free(&cmd);
        }
        if (!running)
            break;
        if (!leader) {
            s_try_lead(&a);
            continue;
        }
        if (which == a.router || (a.router && (zsock_events(a.router) & ZMQ_POLLIN))) {
            for (int i = 0; i < 64 && a.router && (zsock_events(a.router) & ZMQ_POLLIN); i++)
                s_replay(&a);
        }
        a.kicked = false;
        int n;
        while (atomic_load(&a.relay->leader) && (n = s_sequence_batch(&a)) == a.relay->cfg.batch) {
            /* A full batch: more may be waiting. */
            if (a.router && (zsock_events(a.router) & ZMQ_POLLIN))
                s_replay(&a);
        }
        uint64_t now = pk_mono_us();
        if (atomic_load(&a.relay->leader) && now >= a.next_heartbeat_us) {
            s_heartbeat(&a);
            a.next_heartbeat_us = now + S_HEARTBEAT_US;
        }
        if (atomic_load(&a.relay->leader) && now >= a.next_retention_us) {
            s_retention(&a);
            a.next_retention_us = now + S_RETENTION_EVERY_US;
        }
    }
    s_step_down(&a, "stopping");
    zpoller_destroy(&a.poller);
}

pk_relay_t *pk_relay_new(const pk_relay_config_t *cfg)
{
    pk_relay_t *self = pk_calloc(1, sizeof *self);
    self->cfg = *cfg;
    self->producer = pk_strdup(cfg->producer);
    self->conninfo = pk_strdup(cfg->conninfo);
    self->pub_ep = pk_strdup(cfg->pub_endpoint);
    self->replay_ep = pk_strdup(cfg->replay_endpoint);
    if (self->cfg.batch <= 0)
        self->cfg.batch = 2000;
    if (self->cfg.poll_ms <= 0)
        self->cfg.poll_ms = 100;
    if (self->cfg.retention_s <= 0)
        self->cfg.retention_s = 7 * 24 * 3600;
    if (self->cfg.max_msg_bytes <= 0)
        self->cfg.max_msg_bytes = 1 << 20;
    char labels[96];
    snprintf(labels, sizeof labels, "producer=\"%s\"", cfg->producer);
    self->m_published = pk_metrics_counter(cfg->metrics, "pelukan_bus_published_total", labels, "events published");
    self->m_replayed =
        pk_metrics_counter(cfg->metrics, "pelukan_bus_replay_served_total", labels, "events sent in replay replies");
    self->m_replay_requests =
        pk_metrics_counter(cfg->metrics, "pelukan_bus_replay_requests_total", labels, "replay requests served");
    self->m_bad_requests = pk_metrics_counter(cfg->metrics, "pelukan_bus_bad_frames_total", labels,
                                              "malformed or oversized frames received");
    self->m_last_seq = pk_metrics_gauge(cfg->metrics, "pelukan_bus_last_seq", labels, "last sequence published");
    self->m_leader = pk_metrics_gauge(cfg->metrics, "pelukan_bus_relay_leader", labels, "1 while this relay leads");
    self->m_lead_tries = pk_metrics_counter(cfg->metrics, "pelukan_bus_relay_lead_tries_total", labels,
                                            "times this relay asked for the lead (a standby keeps asking)");
    pthread_mutex_init(&self->kick_lock, NULL);
    self->actor = zactor_new(s_actor, self);
    return self;
}

void pk_relay_kick(pk_relay_t *self)
{
    pthread_mutex_lock(&self->kick_lock);
    zmq_send(zsock_resolve(self->actor), "K", 1, ZMQ_DONTWAIT);
    pthread_mutex_unlock(&self->kick_lock);
}

bool pk_relay_is_leader(const pk_relay_t *self)
{
    return atomic_load(&((pk_relay_t *)self)->leader);
}

void pk_relay_destroy(pk_relay_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_relay_t *self = *self_p;
    zactor_destroy(&self->actor);
    free(self->producer);
    free(self->conninfo);
    free(self->pub_ep);
    free(self->replay_ep);
    pthread_mutex_destroy(&self->kick_lock);
    free(self);
    *self_p = NULL;
}
