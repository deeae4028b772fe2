/* audit_archive.c -- the archive ROUTER: serves the audit log to auditors
 * (by global position, optionally one case, type or actor) and to
 * consumers rebuilding a producer's stream past its outbox retention.
 * Runs in its own thread with its own read-only use of the database. */
#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_keys.h"
#include "audit_seal.h"
#include "pelukan/bus.h"
#include "pelukan/busauth.h"
#include "pelukan/db.h"
#include "pelukan/util.h"
#include "pelukan/v1/bus.pb-c.h"

#define S_MAX_ENTRIES     5000
#define S_DEFAULT_ENTRIES 1000
#define S_MAX_BYTES       (32u << 20)
#define S_RETRY_US        1000000u
/* Rows looked at per request when a filter is applied to opened entries
 * (type, actor): the answer says where to go on (next_gseq). */
#define S_SCAN_ROWS 20000
/* Keys of the cases one request opens, direct-mapped by name. */
#define S_KEY_CACHE 64

struct audit_archive {
    zactor_t *actor;
    char *endpoint, *conninfo;
    const pk_log_t *log;
    const pk_bus_keys_t *keys;
    const pk_keyring_t *case_keys;
    int max_msg_bytes;
    pk_metric_t *m_requests, *m_entries, *m_bad;
};

typedef struct {
    char name[256];
    bool by_ref;
    int rc;
    uint8_t key[PK_DATAKEY_BYTES];
} s_cached_key_t;

typedef struct {
    audit_archive_t *self;
    zsock_t *router;
    PGconn *conn;
    pk_pg_stmts_t stmts; /* case keys, on this session */
    uint8_t *opened;     /* scratch: one opened entry */
    size_t opened_cap;
    s_cached_key_t *keys; /* sodium_malloc'd, S_KEY_CACHE; wiped after each request */
    uint64_t next_connect_us;
} s_actor_t;

static void s_send_status(s_actor_t *a, zframe_t *identity, Pelukan__V1__ArchiveReply__Status status, const char *error)
{
    Pelukan__V1__ArchiveReply rep = PELUKAN__V1__ARCHIVE_REPLY__INIT;
    rep.status = status;
    rep.error = (char *)error;
    uint8_t buf[256];
    size_t len = pelukan__v1__archive_reply__get_packed_size(&rep);
    if (len > sizeof buf)
        return;
    pelukan__v1__archive_reply__pack(&rep, buf);
    void *raw = zsock_resolve(a->router);
    zmq_send(raw, zframe_data(identity), zframe_size(identity), ZMQ_SNDMORE);
    zmq_send(raw, buf, len, 0);
}

static bool s_connected(s_actor_t *a)
{
    if (a->conn && PQstatus(a->conn) == CONNECTION_OK)
        return true;
    if (pk_mono_us() < a->next_connect_us)
        return false;
    if (a->conn)
        PQfinish(a->conn);
    a->conn = PQconnectdb(a->self->conninfo);
    if (PQstatus(a->conn) != CONNECTION_OK) {
        PQfinish(a->conn);
        a->conn = NULL;
        a->next_connect_us = pk_mono_us() + S_RETRY_US;
        return false;
    }
    return true;
}

/* True when the request filters on what only an opened entry says. */
static bool s_filters_opened(const Pelukan__V1__ArchiveRequest *req)
{
    return req->event_type[0] || req->actor_id[0];
}

/* Builds the query for a request; only the filters asked for appear, and
 * every value is a parameter. A case is asked by its id and found by what
 * the log names it with (audit_keys.h): its pseudonym while it lives, its
 * tombstone once erased, its id in entries sealed before pseudonyms. Type
 * and actor are in clear only for entries of no case: entries of a case
 * are kept for s_matches(). */
static int s_query(s_actor_t *a, const Pelukan__V1__ArchiveRequest *req, char *sql, size_t cap, const char **params,
                   char nums[4][24], char ref[AUDIT_REF_LEN + 1], char tomb[AUDIT_TOMB_LEN + 1], uint32_t *want)
{
    int n = 0;
    uint32_t max = req->max_count ? req->max_count : S_DEFAULT_ENTRIES;
    if (max > S_MAX_ENTRIES)
        max = S_MAX_ENTRIES;
    size_t used;
    if (req->producer[0]) {
        snprintf(nums[0], 24, "%llu", (unsigned long long)req->epoch);
        snprintf(nums[1], 24, "%llu", (unsigned long long)req->from_seq);
        params[n++] = req->producer;
        params[n++] = nums[0];
        params[n++] = nums[1];
        used = (size_t)snprintf(sql, cap,
                                "SELECT gseq, producer, epoch, seq, envelope FROM event_log"
                                " WHERE producer = $1 AND epoch = $2 AND seq >= $3 ORDER BY seq");
    } else {
        snprintf(nums[0], 24, "%llu", (unsigned long long)req->from_gseq);
        params[n++] = nums[0];
        used =
            (size_t)snprintf(sql, cap, "SELECT gseq, producer, epoch, seq, envelope FROM event_log WHERE gseq >= $1");
        if (req->case_id[0]) {
            uint8_t key[PK_DATAKEY_BYTES];
            if (audit_key_of_case(a->conn, &a->stmts, a->self->case_keys, a->self->log, req->case_id, false, key,
                                  ref) != 0)
                ref[0] = '\0';
            sodium_memzero(key, sizeof key);
            audit_tomb(a->self->case_keys, req->case_id, tomb);
            params[n++] = ref;
            params[n++] = tomb;
            params[n++] = req->case_id;
            used += (size_t)snprintf(sql + used, cap - used, " AND case_ref IN ($%d, $%d, $%d)", n - 2, n - 1, n);
        }
        if (req->event_type[0]) {
            params[n++] = req->event_type;
            used += (size_t)snprintf(sql + used, cap - used, " AND (event_type IS NULL OR event_type = $%d)", n);
        }
        if (req->actor_id[0]) {
            params[n++] = req->actor_id;
            used += (size_t)snprintf(sql + used, cap - used, " AND (actor_id IS NULL OR actor_id = $%d)", n);
        }
        used += (size_t)snprintf(sql + used, cap - used, " ORDER BY gseq");
    }
    *want = max;
    if (!req->producer[0] && s_filters_opened(req))
        max = S_SCAN_ROWS;
    snprintf(nums[2], 24, "%u", max);
    params[n++] = nums[2];
    snprintf(sql + used, cap - used, " LIMIT $%d", n);
    return n;
}

/* The key a sealed entry names, from this request's cache or the
 * database: 0 or PK_ECRYPTO (erased) or PK_EDB. */
static int s_key(s_actor_t *a, const uint8_t *name, size_t name_len, bool by_ref, uint8_t key[PK_DATAKEY_BYTES])
{
    if (!a->keys) {
        a->keys = sodium_malloc(S_KEY_CACHE * sizeof *a->keys);
        if (!a->keys)
            abort(); /* the allocation policy */
        sodium_memzero(a->keys, S_KEY_CACHE * sizeof *a->keys);
    }
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < name_len; i++)
        h = (h ^ name[i]) * 1099511628211ull;
    s_cached_key_t *slot = &a->keys[h % S_KEY_CACHE];
    if (slot->name[0] && slot->by_ref == by_ref && strlen(slot->name) == name_len &&
        memcmp(slot->name, name, name_len) == 0) {
        memcpy(key, slot->key, PK_DATAKEY_BYTES);
        return slot->rc;
    }
    snprintf(slot->name, sizeof slot->name, "%.*s", (int)name_len, (const char *)name);
    slot->by_ref = by_ref;
    slot->rc = audit_key_of_entry(a->conn, &a->stmts, a->self->case_keys, a->self->log, slot->name, by_ref, slot->key);
    if (slot->rc == PK_EDB)
        slot->name[0] = '\0';
    memcpy(key, slot->key, PK_DATAKEY_BYTES);
    return slot->rc;
}

/* The envelope of a stored entry: as stored, opened with its case's key
 * (audit_seal.h), or, when the case was erased (no key), an envelope
 * naming only its producer: the entry's place in the log stays, what it
 * said of whom is gone. The bytes are valid until the next call. */
static const uint8_t *s_open_entry(s_actor_t *a, const uint8_t *stored, size_t len, const char *producer,
                                   size_t *out_len)
{
    const uint8_t *name;
    size_t name_len;
    bool by_ref;
    *out_len = len;
    if (!audit_sealed(stored, len, &name, &name_len, &by_ref))
        return stored;
    size_t need = len > 256 ? len : 256; /* also an erased entry's envelope */
    if (need > a->opened_cap) {
        a->opened = pk_realloc(a->opened, need);
        a->opened_cap = need;
    }
    uint8_t key[PK_DATAKEY_BYTES];
    int rc = s_key(a, name, name_len, by_ref, key);
    if (rc == 0)
        rc = audit_unseal(key, stored, len, a->opened, out_len);
    sodium_memzero(key, sizeof key);
    if (rc == 0)
        return a->opened;
    Pelukan__V1__Envelope erased = PELUKAN__V1__ENVELOPE__INIT;
    erased.producer = (char *)producer;
    *out_len = pelukan__v1__envelope__pack(&erased, a->opened);
    return a->opened;
}

/* Whether an opened entry is of the type and actor asked for. */
static bool s_matches(const Pelukan__V1__ArchiveRequest *req, const uint8_t *env, size_t len)
{
    if (!s_filters_opened(req))
        return true;
    Pelukan__V1__Envelope *e = pk_envelope_unpack(env, len, len);
    bool ok = e && (!req->event_type[0] || strcmp(pk_envelope_type(e), req->event_type) == 0) &&
              (!req->actor_id[0] || (e->actor && strcmp(e->actor->id, req->actor_id) == 0));
    pk_envelope_free(e);
    return ok;
}

/* Serves one request: [identity][ArchiveRequest]. */
static void s_serve(s_actor_t *a)
{
    audit_archive_t *self = a->self;
    zmsg_t *msg = zmsg_recv(a->router);
    if (!msg)
        return;
    zframe_t *identity = zmsg_pop(msg), *body = zmsg_pop(msg);
    Pelukan__V1__ArchiveRequest *req =
        body && zmsg_size(msg) == 0 && zframe_size(body) <= 4096
            ? pelukan__v1__archive_request__unpack(NULL, zframe_size(body), zframe_data(body))
            : NULL;
    PGresult *res = NULL, *head = NULL;
    if (!identity || !req) {
        pk_metric_add(self->m_bad, 1);
        pk_log_warn(self->log, "archive: malformed request (%zu frames) ignored", msg ? zmsg_size(msg) + 2 : 0);
        goto done;
    }
    if (req->producer[0] && req->epoch == 0) {
        pk_metric_add(self->m_bad, 1);
        s_send_status(a, identity, PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_BAD_REQUEST,
                      "a producer's stream is asked by producer, epoch and from_seq");
        goto done;
    }
    /* Security review N10: entries go opened only to the operator (ctl),
     * and to a consumer rebuilding its own producers' streams. */
    const char *peer = pk_bus_peer_of(body);
    if (peer && strcmp(peer, "ctl") != 0 && !(req->producer[0] && pk_bus_consumes(peer, req->producer))) {
        pk_metric_add(self->m_bad, 1);
        pk_log_warn(self->log, "archive: %s asked for %s: refused (it does not consume it)", peer,
                    req->producer[0] ? req->producer : "a query");
        s_send_status(a, identity, PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_FORBIDDEN,
                      "only the producers this peer consumes; queries are the operator's");
        goto done;
    }
    pk_metric_add(self->m_requests, 1);
    if (!s_connected(a)) {
        s_send_status(a, identity, PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_UNAVAILABLE, "database unavailable");
        goto done;
    }
    char sql[640], nums[4][24], ref[AUDIT_REF_LEN + 1], tomb[AUDIT_TOMB_LEN + 1];
    const char *params[10];
    uint32_t want;
    int np = s_query(a, req, sql, sizeof sql, params, nums, ref, tomb, &want);
    head = PQexecParams(a->conn, "SELECT coalesce(max(gseq), 0) FROM event_log", 0, NULL, NULL, NULL, NULL, 1);
    res = PQexecParams(a->conn, sql, np, NULL, params, NULL, NULL, 1);
    if (PQresultStatus(head) != PGRES_TUPLES_OK || PQresultStatus(res) != PGRES_TUPLES_OK) {
        pk_log_warn(self->log, "archive: reading the log failed: %s", PQerrorMessage(a->conn));
        s_send_status(a, identity, PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_UNAVAILABLE, "database error");
        goto done;
    }
    /* The entries, opened, as [position][envelope] frame pairs; next_gseq
     * is the first entry not looked at, where the asker goes on. */
    int n = PQntuples(res);
    uint32_t count = 0;
    uint64_t next = req->from_gseq;
    size_t bytes = 0;
    zmsg_t *out = zmsg_new();
    for (int i = 0; i < n && count < want && bytes < S_MAX_BYTES; i++) {
        next = pk_be64_get(PQgetvalue(res, i, 0)) + 1;
        size_t env_len;
        const uint8_t *env = s_open_entry(a, (const uint8_t *)PQgetvalue(res, i, 4), (size_t)PQgetlength(res, i, 4),
                                          PQgetvalue(res, i, 1), &env_len);
        if (!req->producer[0] && !s_matches(req, env, env_len))
            continue;
        uint8_t pos[PK_BUS_HEADER_BYTES + 8 + 64];
        size_t plen = (size_t)PQgetlength(res, i, 1);
        if (plen > 64)
            plen = 64;
        pk_bus_header_write(pos, pk_be64_get(PQgetvalue(res, i, 2)), pk_be64_get(PQgetvalue(res, i, 3)));
        memcpy(pos + PK_BUS_HEADER_BYTES, PQgetvalue(res, i, 0), 8);
        memcpy(pos + PK_BUS_HEADER_BYTES + 8, PQgetvalue(res, i, 1), plen);
        zmsg_addmem(out, pos, PK_BUS_HEADER_BYTES + 8 + plen);
        zmsg_addmem(out, env, env_len);
        bytes += env_len;
        count++;
    }
    if (a->keys)
        sodium_memzero(a->keys, S_KEY_CACHE * sizeof *a->keys);
    Pelukan__V1__ArchiveReply rep = PELUKAN__V1__ARCHIVE_REPLY__INIT;
    rep.status = PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_OK;
    rep.last_gseq = pk_be64_get(PQgetvalue(head, 0, 0));
    rep.count = count;
    rep.next_gseq = req->producer[0] ? 0 : next;
    uint8_t buf[64];
    size_t len = pelukan__v1__archive_reply__pack(&rep, buf);
    zmsg_pushmem(out, buf, len);
    zmsg_pushmem(out, zframe_data(identity), zframe_size(identity));
    zmsg_send(&out, a->router);
    pk_metric_add(self->m_entries, (uint64_t)count);
done:
    PQclear(head);
    PQclear(res);
    if (req)
        pelukan__v1__archive_request__free_unpacked(req, NULL);
    zframe_destroy(&identity);
    zframe_destroy(&body);
    zmsg_destroy(&msg);
}

static void s_actor(zsock_t *pipe, void *arg)
{
    s_actor_t a = {.self = arg};
    audit_archive_t *self = a.self;
    a.router = zsock_new(ZMQ_ROUTER);
    zsock_set_linger(a.router, 0);
    zsock_set_maxmsgsize(a.router, 65536);
    zsock_set_sndhwm(a.router, 0);
    zsock_set_router_mandatory(a.router, 0);
    pk_bus_secure_server(a.router, self->keys, "audit.archive");
    bool bound = zsock_bind(a.router, "%s", self->endpoint) >= 0;
    if (!bound)
        pk_log_warn(self->log, "archive: bind %s failed: %s, retrying", self->endpoint, zmq_strerror(zmq_errno()));
    zpoller_t *poller = zpoller_new(pipe, a.router, NULL);
    zsock_signal(pipe, 0);
    for (;;) {
        void *which = zpoller_wait(poller, 1000);
        if (zpoller_terminated(poller) || which == pipe)
            break;
        if (!bound) {
            bound = zsock_bind(a.router, "%s", self->endpoint) >= 0;
            if (bound)
                pk_log_info(self->log, "archive serving the log on %s", self->endpoint);
            continue;
        }
        for (int k = 0; k < 100 && (zsock_events(a.router) & ZMQ_POLLIN); k++)
            s_serve(&a);
    }
    zpoller_destroy(&poller);
    zsock_destroy(&a.router);
    free(a.opened);
    if (a.keys)
        sodium_free(a.keys);
    if (a.conn)
        PQfinish(a.conn);
}

audit_archive_t *audit_archive_new(const char *endpoint, const char *conninfo, const pk_log_t *log,
                                   pk_metrics_t *metrics, const pk_bus_keys_t *keys, const pk_keyring_t *case_keys)
{
    audit_archive_t *self = pk_calloc(1, sizeof *self);
    self->keys = keys;
    self->case_keys = case_keys;
    self->endpoint = pk_strdup(endpoint);
    self->conninfo = pk_strdup(conninfo);
    self->log = log;
    self->m_requests = pk_metrics_counter(metrics, "pelukan_audit_archive_requests_total", NULL,
                                          "replay requests served by the archive");
    self->m_entries =
        pk_metrics_counter(metrics, "pelukan_audit_archive_entries_total", NULL, "log entries sent by the archive");
    self->m_bad = pk_metrics_counter(metrics, "pelukan_audit_archive_bad_requests_total", NULL,
                                     "malformed requests to the archive");
    self->actor = zactor_new(s_actor, self);
    return self;
}

void audit_archive_destroy(audit_archive_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    audit_archive_t *self = *self_p;
    zactor_destroy(&self->actor);
    free(self->endpoint);
    free(self->conninfo);
    free(self);
    *self_p = NULL;
}
