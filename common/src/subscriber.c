/* subscriber.c -- applies producers' events exactly once.
 *
 * Each event is applied and the consumer's offset for its producer is
 * advanced in the same transaction, so a replayed or duplicated event is a
 * no-op. Live messages arrive on SUB; any gap (seen from the header, or
 * from a heartbeat ahead of what was applied) is filled from the producer's
 * replay ROUTER while newer live messages wait in a bounded buffer (the
 * Clone pattern of the ZeroMQ guide). Events older than the producer's
 * retention are taken from the audit's archive when one is configured. */
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/bus.h"
#include "pelukan/db.h"
#include "pelukan/util.h"
#include "pelukan/v1/bus.pb-c.h"

#define S_BUFFER_MAX         200000
#define S_TRUNCATED_RETRY_US 10000000u
#define S_RECONNECT_US       500000u
#define S_ARCHIVE_RETRY_US   1000000u

typedef struct {
    uint64_t seq;
    zmsg_t *msg; /* [topic][header][envelope] or, from replay, [header][envelope] */
} s_item_t;

typedef struct {
    const pk_bus_producer_t *def;
    zsock_t *sub;
    zsock_t *dealer;
    uint64_t epoch;
    uint64_t last; /* last seq accepted (applied or in the open batch) */
    uint64_t head; /* highest seq the producer has announced */
    bool replay_inflight;
    uint64_t replay_sent_us;
    bool truncated;
    uint64_t truncated_retry_us;
    zsock_t *archive; /* DEALER to the audit's archive, while rebuilding */
    bool archive_inflight;
    uint64_t archive_sent_us;
    s_item_t *buf; /* live messages waiting behind a gap, by arrival */
    size_t nbuf, capbuf;
    pk_metric_t *m_rebuilt, *m_applied, *m_replayed, *m_gaps, *m_bad, *m_unknown, *m_lag, *m_truncated, *m_dropped,
        *m_archive_requests;
} s_prod_t;

struct pk_subscriber {
    zactor_t *actor;
    pk_subscriber_config_t cfg;
    char *conninfo;
};

typedef struct {
    pk_subscriber_t *sub;
    zsock_t *pipe;
    zpoller_t *poller;
    PGconn *conn;
    bool fresh_conn; /* no batch has begun on this connection yet */
    uint64_t next_complaint_us;
    uint64_t next_connect_us;
    s_prod_t prods[PK_BUS_MAX_PRODUCERS];
    int nprods;
    s_item_t *batch;
    s_prod_t **batch_prod;
    int nbatch;
} s_actor_t;

static const pk_log_t *s_log(const s_actor_t *a)
{
    return a->sub->cfg.log;
}

static void s_buf_clear(s_prod_t *p)
{
    for (size_t i = 0; i < p->nbuf; i++)
        zmsg_destroy(&p->buf[i].msg);
    p->nbuf = 0;
}

static void s_batch_clear(s_actor_t *a)
{
    for (int i = 0; i < a->nbatch; i++)
        zmsg_destroy(&a->batch[i].msg);
    a->nbatch = 0;
}

/* A DEALER for replies of up to replay_max events, polled with the rest. */
static zsock_t *s_dealer_open(s_actor_t *a, const char *endpoint, const char *server)
{
    zsock_t *d = zsock_new(ZMQ_DEALER);
    zsock_set_linger(d, 0);
    pk_bus_secure_client(d, a->sub->cfg.keys, server);
    zsock_set_maxmsgsize(d, (int64_t)a->sub->cfg.max_msg_bytes * (a->sub->cfg.replay_max + 1));
    zsock_connect(d, "%s", endpoint);
    zpoller_add(a->poller, d);
    return d;
}

static void s_dealer_close(s_actor_t *a, zsock_t **d)
{
    if (*d) {
        zpoller_remove(a->poller, *d);
        zsock_destroy(d);
    }
}

static void s_dealer_new(s_actor_t *a, s_prod_t *p)
{
    s_dealer_close(a, &p->dealer);
    p->dealer = s_dealer_open(a, p->def->replay_endpoint, p->def->name);
}

static void s_request_replay(s_actor_t *a, s_prod_t *p)
{
    /* No dealer yet: the offsets were never read (the database failed at
     * the first try). Their read asks at once (s_load_offsets). */
    if (p->replay_inflight || p->truncated || !p->dealer)
        return;
    Pelukan__V1__ReplayRequest req = PELUKAN__V1__REPLAY_REQUEST__INIT;
    req.producer = (char *)p->def->name;
    req.epoch = p->epoch;
    req.from_seq = p->last + 1;
    req.max_count = (uint32_t)a->sub->cfg.replay_max;
    uint8_t buf[128];
    size_t len = pelukan__v1__replay_request__pack(&req, buf);
    zmq_send(zsock_resolve(p->dealer), buf, len, ZMQ_DONTWAIT);
    p->replay_inflight = true;
    p->replay_sent_us = pk_mono_us();
}

/* Asks the archive for what the producer no longer holds. */
static void s_request_archive(s_actor_t *a, s_prod_t *p)
{
    const pk_subscriber_config_t *cfg = &a->sub->cfg;
    if (p->archive_inflight)
        return;
    if (!p->archive)
        p->archive = s_dealer_open(a, cfg->archive_endpoint, "audit");
    Pelukan__V1__ArchiveRequest req = PELUKAN__V1__ARCHIVE_REQUEST__INIT;
    req.producer = (char *)p->def->name;
    req.epoch = p->epoch;
    req.from_seq = p->last + 1;
    req.max_count = (uint32_t)cfg->replay_max;
    uint8_t buf[256];
    size_t len = pelukan__v1__archive_request__pack(&req, buf);
    zmq_send(zsock_resolve(p->archive), buf, len, ZMQ_DONTWAIT);
    pk_metric_add(p->m_archive_requests, 1);
    p->archive_inflight = true;
    p->archive_sent_us = pk_mono_us();
}

static void s_archive_close(s_actor_t *a, s_prod_t *p)
{
    s_dealer_close(a, &p->archive);
    p->archive_inflight = false;
}

/* Loads the stored offsets; called at start and after any rollback. */
static int s_load_offsets(s_actor_t *a)
{
    for (int i = 0; i < a->nprods; i++) {
        s_prod_t *p = &a->prods[i];
        const char *params[] = {p->def->name};
        PGresult *r =
            pk_pg_exec(a->conn, s_log(a), "SELECT epoch, last_seq FROM consumer_offset WHERE producer = $1", 1, params);
        if (!r)
            return PK_EDB;
        p->epoch = PQntuples(r) ? strtoull(PQgetvalue(r, 0, 0), NULL, 10) : 0;
        p->last = PQntuples(r) ? strtoull(PQgetvalue(r, 0, 1), NULL, 10) : 0;
        PQclear(r);
        s_buf_clear(p);
        p->replay_inflight = false;
        p->truncated = false;
        s_archive_close(a, p);
        /* Ask at once: this also learns the producer's epoch and head. */
        s_dealer_new(a, p);
        s_request_replay(a, p);
    }
    return 0;
}

static void s_disconnect(s_actor_t *a, const char *why)
{
    pk_log_warn(s_log(a), "subscriber %s: %s, reconnecting to the database and replaying from the stored offsets",
                a->sub->cfg.consumer, why);
    if (a->conn)
        PQfinish(a->conn);
    a->conn = NULL;
    a->next_connect_us = pk_mono_us() + S_RECONNECT_US;
    s_batch_clear(a);
    for (int i = 0; i < a->nprods; i++)
        s_buf_clear(&a->prods[i]);
}

static bool s_ensure_db(s_actor_t *a)
{
    if (a->conn)
        return true;
    if (pk_mono_us() < a->next_connect_us)
        return false;
    a->conn = PQconnectdb(a->sub->conninfo);
    a->fresh_conn = true;
    if (PQstatus(a->conn) != CONNECTION_OK || s_load_offsets(a) != 0) {
        /* Said once, then every 30 s while it lasts. */
        uint64_t now = pk_mono_us();
        if (now >= a->next_complaint_us) {
            char msg[256];
            snprintf(msg, sizeof msg, "%s", PQerrorMessage(a->conn));
            msg[strcspn(msg, "\n")] = '\0';
            pk_log_warn(s_log(a), "subscriber %s: database unavailable (%s), retrying", a->sub->cfg.consumer, msg);
            a->next_complaint_us = now + 30000000u;
        }
        PQfinish(a->conn);
        a->conn = NULL;
        a->next_connect_us = now + S_RECONNECT_US;
        return false;
    }
    a->next_complaint_us = 0;
    return true;
}

static void s_batch_add(s_actor_t *a, s_prod_t *p, uint64_t seq, zmsg_t *msg)
{
    a->batch[a->nbatch] = (s_item_t){seq, msg};
    a->batch_prod[a->nbatch] = p;
    a->nbatch++;
    p->last = seq;
}

/* Applies the open batch and advances the offsets, in one transaction. */
static void s_flush(s_actor_t *a)
{
    if (a->nbatch == 0 || !a->conn)
        return;
    const pk_subscriber_config_t *cfg = &a->sub->cfg;
    if (pk_pg_run(a->conn, s_log(a), "BEGIN", 0, NULL) != 0) {
        s_disconnect(a, "BEGIN failed");
        return;
    }
    if (cfg->batch_begin && cfg->batch_begin(a->conn, a->fresh_conn, cfg->apply_arg) != 0) {
        PQclear(PQexec(a->conn, "ROLLBACK"));
        s_disconnect(a, "batch start failed");
        return;
    }
    a->fresh_conn = false;
    uint64_t applied[PK_BUS_MAX_PRODUCERS] = {0}, skipped_unknown[PK_BUS_MAX_PRODUCERS] = {0};
    bool touched[PK_BUS_MAX_PRODUCERS] = {false};
    for (int i = 0; i < a->nbatch; i++) {
        s_prod_t *p = a->batch_prod[i];
        int pi = (int)(p - a->prods);
        touched[pi] = true;
        zframe_t *env_frame = zmsg_last(a->batch[i].msg);
        const uint8_t *raw = zframe_data(env_frame);
        size_t len = zframe_size(env_frame);
        Pelukan__V1__Envelope *env = pk_envelope_unpack(raw, len, (size_t)cfg->max_msg_bytes);
        if (!env) {
            pk_metric_add(p->m_bad, 1);
            pk_log_error(s_log(a), "subscriber %s: event %s/%llu (%zu bytes) does not decode, skipped", cfg->consumer,
                         p->def->name, (unsigned long long)a->batch[i].seq, len);
            continue;
        }
        pk_bus_event_t ev = {p->def->name, p->epoch, a->batch[i].seq, env, raw, len};
        int rc = cfg->apply(a->conn, &ev, cfg->apply_arg);
        pk_envelope_free(env);
        if (rc == PK_ENOENT) {
            skipped_unknown[pi]++;
        } else if (rc != 0) {
            pk_log_error(s_log(a), "subscriber %s: applying %s/%llu failed: %s, rolling back the batch", cfg->consumer,
                         p->def->name, (unsigned long long)a->batch[i].seq, pk_strerror(rc));
            PQclear(PQexec(a->conn, "ROLLBACK"));
            s_disconnect(a, "apply failed");
            return;
        } else {
            applied[pi]++;
        }
    }
    if (cfg->batch_end && cfg->batch_end(a->conn, cfg->apply_arg) != 0) {
        PQclear(PQexec(a->conn, "ROLLBACK"));
        s_disconnect(a, "batch end failed");
        return;
    }
    for (int i = 0; i < a->nprods; i++) {
        s_prod_t *p = &a->prods[i];
        if (!touched[i])
            continue;
        char epoch[32], last[32];
        snprintf(epoch, sizeof epoch, "%llu", (unsigned long long)p->epoch);
        snprintf(last, sizeof last, "%llu", (unsigned long long)p->last);
        const char *params[] = {p->def->name, epoch, last};
        if (pk_pg_run(a->conn, s_log(a),
                      "INSERT INTO consumer_offset (producer, epoch, last_seq) VALUES ($1, $2, $3) "
                      "ON CONFLICT (producer) DO UPDATE SET epoch = EXCLUDED.epoch, last_seq = EXCLUDED.last_seq, "
                      "updated_at = now()",
                      3, params) != 0) {
            PQclear(PQexec(a->conn, "ROLLBACK"));
            s_disconnect(a, "offset update failed");
            return;
        }
    }
    if (pk_pg_run(a->conn, s_log(a), "COMMIT", 0, NULL) != 0) {
        s_disconnect(a, "COMMIT failed");
        return;
    }
    for (int i = 0; i < a->nprods; i++) {
        s_prod_t *p = &a->prods[i];
        pk_metric_add(p->m_applied, applied[i]);
        pk_metric_add(p->m_unknown, skipped_unknown[i]);
        pk_metric_set(p->m_lag, p->head > p->last ? (int64_t)(p->head - p->last) : 0);
    }
    s_batch_clear(a);
}

static void s_accept(s_actor_t *a, s_prod_t *p, uint64_t seq, zmsg_t *msg)
{
    s_batch_add(a, p, seq, msg);
    if (a->nbatch >= a->sub->cfg.max_batch)
        s_flush(a);
}

/* Moves buffered live messages that now follow on into the batch. */
static void s_drain_buffer(s_actor_t *a, s_prod_t *p)
{
    size_t keep = 0;
    bool progress = true;
    while (progress) {
        progress = false;
        keep = 0;
        for (size_t i = 0; i < p->nbuf; i++) {
            if (p->buf[i].seq <= p->last) {
                zmsg_destroy(&p->buf[i].msg);
            } else if (p->buf[i].seq == p->last + 1 && a->conn) {
                s_accept(a, p, p->buf[i].seq, p->buf[i].msg);
                progress = true;
            } else {
                p->buf[keep++] = p->buf[i];
            }
        }
        p->nbuf = keep;
    }
}

static void s_on_live(s_actor_t *a, s_prod_t *p)
{
    zmsg_t *msg = zmsg_recv(p->sub);
    if (!msg)
        return;
    zframe_t *topic = zmsg_first(msg), *hdr = zmsg_next(msg), *body = zmsg_next(msg);
    if (zmsg_size(msg) != 3 || zframe_size(hdr) != PK_BUS_HEADER_BYTES ||
        zframe_size(body) > (size_t)a->sub->cfg.max_msg_bytes) {
        pk_metric_add(p->m_bad, 1);
        pk_log_warn(s_log(a), "subscriber %s: malformed frame from %s (%zu parts) ignored", a->sub->cfg.consumer,
                    p->def->name, zmsg_size(msg));
        zmsg_destroy(&msg);
        return;
    }
    uint64_t epoch, seq;
    pk_bus_header_read(zframe_data(hdr), &epoch, &seq);
    size_t tl = zframe_size(topic), sl = strlen(PK_BUS_HEARTBEAT_SUFFIX);
    bool heartbeat = tl >= sl && memcmp(zframe_data(topic) + tl - sl, PK_BUS_HEARTBEAT_SUFFIX, sl) == 0;
    if (epoch != p->epoch) {
        /* Unknown or changed epoch: replay settles it. */
        zmsg_destroy(&msg);
        s_request_replay(a, p);
        return;
    }
    if (seq > p->head)
        p->head = seq;
    if (heartbeat || seq <= p->last) {
        zmsg_destroy(&msg);
        if (heartbeat && seq > p->last && p->nbuf == 0)
            s_request_replay(a, p);
        return;
    }
    if (seq == p->last + 1 && !p->replay_inflight && a->conn) {
        s_accept(a, p, seq, msg);
        return;
    }
    if (p->nbuf >= S_BUFFER_MAX) {
        pk_metric_add(p->m_dropped, 1);
        zmsg_destroy(&msg); /* replay brings it back */
    } else {
        if (p->nbuf == p->capbuf) {
            p->capbuf = p->capbuf ? p->capbuf * 2 : 1024;
            p->buf = pk_realloc(p->buf, p->capbuf * sizeof *p->buf);
        }
        p->buf[p->nbuf++] = (s_item_t){seq, msg};
    }
    if (!p->replay_inflight) {
        pk_metric_add(p->m_gaps, 1);
        s_request_replay(a, p);
    }
}

static void s_on_replay(s_actor_t *a, s_prod_t *p)
{
    zmsg_t *msg = zmsg_recv(p->dealer);
    if (!msg)
        return;
    zframe_t *first = zmsg_pop(msg);
    Pelukan__V1__ReplayReply *rep =
        first ? pelukan__v1__replay_reply__unpack(NULL, zframe_size(first), zframe_data(first)) : NULL;
    zframe_destroy(&first);
    if (!rep || zmsg_size(msg) != 2 * rep->count) {
        pk_metric_add(p->m_bad, 1);
        pk_log_warn(s_log(a), "subscriber %s: malformed replay reply from %s ignored", a->sub->cfg.consumer,
                    p->def->name);
        goto done;
    }
    p->replay_inflight = false;
    if (rep->status == PELUKAN__V1__REPLAY_REPLY__STATUS__STATUS_TRUNCATED && a->sub->cfg.archive_endpoint) {
        if (p->epoch == 0)
            p->epoch = rep->epoch;
        if (rep->last_seq > p->head)
            p->head = rep->last_seq;
        if (!p->truncated)
            pk_log_warn(s_log(a),
                        "subscriber %s: %s no longer holds events after seq %llu (oldest kept: %llu): rebuilding "
                        "them from the audit archive",
                        a->sub->cfg.consumer, p->def->name, (unsigned long long)p->last,
                        (unsigned long long)rep->oldest_seq);
        p->truncated = true;
        p->truncated_retry_us = pk_mono_us() + S_ARCHIVE_RETRY_US;
        pk_metric_set(p->m_truncated, 1);
        s_request_archive(a, p);
        goto done;
    }
    if (rep->status == PELUKAN__V1__REPLAY_REPLY__STATUS__STATUS_TRUNCATED) {
        if (!p->truncated)
            pk_log_error(s_log(a),
                         "subscriber %s: %s no longer holds events after seq %llu (oldest kept: %llu): this "
                         "consumer is older than the producer's retention and must be rebuilt from the audit "
                         "log; not skipping",
                         a->sub->cfg.consumer, p->def->name, (unsigned long long)p->last,
                         (unsigned long long)rep->oldest_seq);
        p->truncated = true;
        p->truncated_retry_us = pk_mono_us() + S_TRUNCATED_RETRY_US;
        pk_metric_set(p->m_truncated, 1);
        goto done;
    }
    if (rep->status != PELUKAN__V1__REPLAY_REPLY__STATUS__STATUS_OK)
        goto done;
    if (rep->epoch != p->epoch) {
        if (p->epoch != 0)
            pk_log_warn(s_log(a), "subscriber %s: %s changed epoch %llu -> %llu, starting its stream over",
                        a->sub->cfg.consumer, p->def->name, (unsigned long long)p->epoch,
                        (unsigned long long)rep->epoch);
        else
            pk_log_info(s_log(a), "subscriber %s: following %s (epoch %llu, %llu events so far)", a->sub->cfg.consumer,
                        p->def->name, (unsigned long long)rep->epoch, (unsigned long long)rep->last_seq);
        /* Apply what is open under the old epoch before switching. */
        s_flush(a);
        p->epoch = rep->epoch;
        p->last = 0;
        p->head = rep->last_seq;
        s_buf_clear(p);
        s_request_replay(a, p);
        goto done;
    }
    if (rep->last_seq > p->head)
        p->head = rep->last_seq;
    uint32_t used = 0;
    for (uint32_t i = 0; i < rep->count; i++) {
        zframe_t *hdr = zmsg_pop(msg), *env = zmsg_pop(msg);
        uint64_t epoch, seq;
        if (zframe_size(hdr) == PK_BUS_HEADER_BYTES)
            pk_bus_header_read(zframe_data(hdr), &epoch, &seq);
        else
            seq = 0;
        if (seq == p->last + 1 && a->conn) {
            zmsg_t *one = zmsg_new();
            zmsg_append(one, &hdr);
            zmsg_append(one, &env);
            s_accept(a, p, seq, one);
            used++;
        }
        zframe_destroy(&hdr);
        zframe_destroy(&env);
    }
    pk_metric_add(p->m_replayed, used);
    s_drain_buffer(a, p);
    if (p->nbuf > 0 || p->head > p->last)
        s_request_replay(a, p);
done:
    if (rep)
        pelukan__v1__replay_reply__free_unpacked(rep, NULL);
    zmsg_destroy(&msg);
}

/* Events from the archive: [ArchiveReply] then [position][envelope]
 * pairs, position starting with the bus header. */
static void s_on_archive(s_actor_t *a, s_prod_t *p)
{
    zmsg_t *msg = zmsg_recv(p->archive);
    if (!msg)
        return;
    zframe_t *first = zmsg_pop(msg);
    Pelukan__V1__ArchiveReply *rep =
        first ? pelukan__v1__archive_reply__unpack(NULL, zframe_size(first), zframe_data(first)) : NULL;
    zframe_destroy(&first);
    if (!rep || zmsg_size(msg) != 2 * rep->count) {
        pk_metric_add(p->m_bad, 1);
        pk_log_warn(s_log(a), "subscriber %s: malformed archive reply ignored", a->sub->cfg.consumer);
        goto done;
    }
    p->archive_inflight = false;
    uint32_t used = 0;
    for (uint32_t i = 0; i < rep->count; i++) {
        zframe_t *pos = zmsg_pop(msg), *env = zmsg_pop(msg);
        uint64_t epoch = 0, seq = 0;
        if (zframe_size(pos) >= PK_BUS_HEADER_BYTES)
            pk_bus_header_read(zframe_data(pos), &epoch, &seq);
        if (epoch == p->epoch && seq == p->last + 1 && a->conn) {
            zframe_t *hdr = zframe_new(zframe_data(pos), PK_BUS_HEADER_BYTES);
            zmsg_t *one = zmsg_new();
            zmsg_append(one, &hdr);
            zmsg_append(one, &env);
            s_accept(a, p, seq, one);
            used++;
        }
        zframe_destroy(&pos);
        zframe_destroy(&env);
    }
    pk_metric_add(p->m_rebuilt, used);
    if (used > 0) {
        /* Ask the producer again: it may hold the rest. */
        p->truncated = false;
        pk_metric_set(p->m_truncated, 0);
        s_request_replay(a, p);
    }
done:
    if (rep)
        pelukan__v1__archive_reply__free_unpacked(rep, NULL);
    zmsg_destroy(&msg);
}

static void s_timers(s_actor_t *a)
{
    uint64_t now = pk_mono_us();
    for (int i = 0; i < a->nprods; i++) {
        s_prod_t *p = &a->prods[i];
        if (p->archive_inflight && now - p->archive_sent_us > (uint64_t)a->sub->cfg.replay_timeout_ms * 1000u)
            s_archive_close(a, p);
        if (p->truncated && now >= p->truncated_retry_us) {
            p->truncated = false;
            s_request_replay(a, p);
        }
        /* Lazy Pirate: a request that got no answer is sent again on a
         * fresh socket (the producer may have restarted or moved). */
        if (p->replay_inflight && now - p->replay_sent_us > (uint64_t)a->sub->cfg.replay_timeout_ms * 1000u) {
            p->replay_inflight = false;
            s_dealer_new(a, p);
            s_request_replay(a, p);
        }
    }
}

static void s_actor(zsock_t *pipe, void *arg)
{
    s_actor_t a = {.sub = arg, .pipe = pipe};
    const pk_subscriber_config_t *cfg = &a.sub->cfg;
    a.poller = zpoller_new(pipe, NULL);
    a.batch = pk_calloc((size_t)cfg->max_batch, sizeof *a.batch);
    a.batch_prod = pk_calloc((size_t)cfg->max_batch, sizeof *a.batch_prod);
    a.nprods = cfg->nproducers;
    for (int i = 0; i < a.nprods; i++) {
        s_prod_t *p = &a.prods[i];
        p->def = &cfg->producers[i];
        p->sub = zsock_new(ZMQ_SUB);
        if (cfg->rcvhwm > 0)
            zsock_set_rcvhwm(p->sub, cfg->rcvhwm);
        zsock_set_maxmsgsize(p->sub, cfg->max_msg_bytes + 1024);
        zsock_set_linger(p->sub, 0);
        char prefix[96];
        snprintf(prefix, sizeof prefix, "%s.", p->def->name);
        zsock_set_subscribe(p->sub, prefix);
        pk_bus_secure_client(p->sub, cfg->keys, p->def->name);
        zsock_connect(p->sub, "%s", p->def->pub_endpoint);
        zpoller_add(a.poller, p->sub);
        char labels[96];
        snprintf(labels, sizeof labels, "producer=\"%s\"", p->def->name);
        pk_metrics_t *m = cfg->metrics;
        p->m_applied = pk_metrics_counter(m, "pelukan_bus_applied_total", labels, "events applied");
        p->m_rebuilt = pk_metrics_counter(m, "pelukan_bus_rebuilt_total", labels,
                                          "events taken from the audit archive (older than the producer's retention)");
        p->m_replayed = pk_metrics_counter(m, "pelukan_bus_replayed_total", labels, "events received by replay");
        p->m_gaps = pk_metrics_counter(m, "pelukan_bus_gaps_total", labels, "gaps detected and repaired by replay");
        p->m_bad =
            pk_metrics_counter(m, "pelukan_bus_bad_frames_total", labels, "malformed or undecodable frames received");
        p->m_unknown = pk_metrics_counter(m, "pelukan_bus_unknown_events_total", labels,
                                          "events of a type this consumer does not handle, skipped");
        p->m_dropped = pk_metrics_counter(m, "pelukan_bus_buffer_dropped_total", labels,
                                          "live messages dropped from a full buffer (replayed later)");
        p->m_lag = pk_metrics_gauge(m, "pelukan_bus_lag", labels, "events announced but not yet applied");
        p->m_truncated = pk_metrics_gauge(m, "pelukan_bus_truncated", labels,
                                          "1 when the producer no longer holds events this consumer needs");
        p->m_archive_requests = pk_metrics_counter(m, "pelukan_bus_archive_requests_total", labels,
                                                   "requests sent to the audit archive for events the producer no "
                                                   "longer holds");
    }
    zsock_signal(pipe, 0);
    for (;;) {
        s_ensure_db(&a);
        void *which = zpoller_wait(a.poller, a.nbatch ? 0 : 50);
        if (zpoller_terminated(a.poller))
            break;
        if (which == pipe) {
            char *cmd = zstr_recv(pipe);
            bool term = !cmd || strcmp(cmd, "$TERM") == 0;
            zstr_free(&cmd);
            if (term)
                break;
        }
        /* Drain every socket (ZeroMQ polling is level-triggered here, but
         * draining keeps batches large), then apply. */
        for (int i = 0; i < a.nprods; i++) {
            s_prod_t *p = &a.prods[i];
            for (int k = 0; k < 10000 && p->dealer && (zsock_events(p->dealer) & ZMQ_POLLIN); k++)
                s_on_replay(&a, p);
            for (int k = 0; k < 100 && p->archive && (zsock_events(p->archive) & ZMQ_POLLIN); k++)
                s_on_archive(&a, p);
            for (int k = 0; k < 10000 && (zsock_events(p->sub) & ZMQ_POLLIN); k++)
                s_on_live(&a, p);
        }
        s_flush(&a);
        s_timers(&a);
    }
    s_flush(&a);
    s_batch_clear(&a);
    for (int i = 0; i < a.nprods; i++) {
        s_buf_clear(&a.prods[i]);
        free(a.prods[i].buf);
        zsock_destroy(&a.prods[i].sub);
        zsock_destroy(&a.prods[i].dealer);
        zsock_destroy(&a.prods[i].archive);
    }
    free(a.batch);
    free(a.batch_prod);
    if (a.conn)
        PQfinish(a.conn);
    zpoller_destroy(&a.poller);
}

pk_subscriber_t *pk_subscriber_new(const pk_subscriber_config_t *cfg)
{
    pk_subscriber_t *self = pk_calloc(1, sizeof *self);
    self->cfg = *cfg;
    self->conninfo = pk_strdup(cfg->conninfo);
    if (self->cfg.max_batch <= 0)
        self->cfg.max_batch = 1000;
    if (self->cfg.replay_max <= 0)
        self->cfg.replay_max = 2000;
    if (self->cfg.max_msg_bytes <= 0)
        self->cfg.max_msg_bytes = 1 << 20;
    if (self->cfg.replay_timeout_ms <= 0)
        self->cfg.replay_timeout_ms = 2000;
    self->actor = zactor_new(s_actor, self);
    return self;
}

void pk_subscriber_destroy(pk_subscriber_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zactor_destroy(&(*self_p)->actor);
    free((*self_p)->conninfo);
    free(*self_p);
    *self_p = NULL;
}
