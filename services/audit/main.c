/* main.c -- the PELUKAN audit service: one hash-chained log of every event
 * of every producer, with signed checkpoints of its head. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_chain.h"
#include "pelukan/service.h"
#include "pelukan/util.h"

/* The chain head as the subscriber's open transaction sees it. Read at
 * the start of every batch (so a rolled-back batch leaves nothing stale)
 * and advanced by each append. Used by the subscriber thread only. */
typedef struct {
    uint64_t gseq;
    uint8_t hash[AUDIT_HASH_BYTES];
} s_head_t;

typedef struct {
    pk_service_t *svc;
    const pk_log_t *log;
    unsigned char pk[32];
    unsigned char *sk; /* sodium_malloc'd, 64 bytes */
    uv_timer_t timer;
    bool busy;
    pk_metric_t *m_checkpoints;
    s_head_t head;
} audit_t;

static int s_batch_begin(PGconn *conn, bool new_connection, void *arg)
{
    s_head_t *head = &((audit_t *)arg)->head;
    if (new_connection) {
        PGresult *r = PQprepare(conn, "audit_append",
                                "INSERT INTO event_log (gseq, producer, epoch, seq, event_type, case_id, actor_id,"
                                " occurred_at, envelope, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''),"
                                " NULLIF($7, ''), to_timestamp($8::float8 / 1e6), $9, $10, $11)"
                                " ON CONFLICT (producer, epoch, seq) DO NOTHING",
                                0, NULL);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok)
            return PK_EDB;
    }
    PGresult *r =
        PQexecParams(conn, "SELECT gseq, hash FROM event_log ORDER BY gseq DESC LIMIT 1", 0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return PK_EDB;
    }
    memset(head, 0, sizeof *head);
    if (PQntuples(r) == 1 && PQgetlength(r, 0, 1) == AUDIT_HASH_BYTES) {
        head->gseq = pk_be64_get(PQgetvalue(r, 0, 0));
        memcpy(head->hash, PQgetvalue(r, 0, 1), AUDIT_HASH_BYTES);
    }
    PQclear(r);
    return 0;
}

/* Appends one event to the chain inside the subscriber's transaction. */
static int s_apply(PGconn *conn, const pk_bus_event_t *ev, void *arg)
{
    s_head_t *head = &((audit_t *)arg)->head;
    uint64_t gseq = head->gseq + 1;
    uint8_t hash[AUDIT_HASH_BYTES];
    audit_chain_hash(head->hash, gseq, ev->producer, ev->epoch, ev->seq, ev->raw, ev->raw_len, hash);
    char g[24], epoch[24], seq[24], at[24];
    snprintf(g, sizeof g, "%llu", (unsigned long long)gseq);
    snprintf(epoch, sizeof epoch, "%llu", (unsigned long long)ev->epoch);
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)ev->seq);
    snprintf(at, sizeof at, "%llu", (unsigned long long)ev->envelope->occurred_at_us);
    const char *actor = ev->envelope->actor ? ev->envelope->actor->id : "";
    const char *values[] = {g,
                            ev->producer,
                            epoch,
                            seq,
                            pk_envelope_type(ev->envelope),
                            ev->envelope->case_id,
                            actor,
                            at,
                            (const char *)ev->raw,
                            (const char *)head->hash,
                            (const char *)hash};
    int lengths[] = {0, 0, 0, 0, 0, 0, 0, 0, (int)ev->raw_len, AUDIT_HASH_BYTES, AUDIT_HASH_BYTES};
    int formats[] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    PGresult *r = PQexecPrepared(conn, "audit_append", 11, values, lengths, formats, 0);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : PK_EDB;
    /* A duplicate (already logged) does not extend the chain. */
    if (rc == 0 && strcmp(PQcmdTuples(r), "1") == 0) {
        head->gseq = gseq;
        memcpy(head->hash, hash, sizeof hash);
    }
    PQclear(r);
    return rc;
}

static void s_checkpoint_saved(pk_db_txn_t *txn, int status, void *arg)
{
    audit_t *a = arg;
    a->busy = false;
    if (status == 0 && atoi(PQcmdTuples((PGresult *)pk_db_txn_result(txn, 0))) == 1)
        pk_metric_add(a->m_checkpoints, 1);
}

/* Signs the head when it moved since the last checkpoint. */
static void s_head_read(pk_db_txn_t *txn, int status, void *arg)
{
    audit_t *a = arg;
    const PGresult *head = status == 0 ? pk_db_txn_result(txn, 0) : NULL;
    uint8_t hash[AUDIT_HASH_BYTES];
    if (!head || PQntuples(head) != 1 || PQgetisnull(head, 0, 0) ||
        pk_pg_bytea_get(head, 0, 1, hash, sizeof hash) != AUDIT_HASH_BYTES) {
        a->busy = false;
        return;
    }
    uint64_t gseq = strtoull(PQgetvalue(head, 0, 0), NULL, 10);
    uint64_t now = pk_now_us();
    uint8_t msg[128], sig[AUDIT_SIG_BYTES];
    size_t len = audit_checkpoint_message(gseq, hash, now, msg);
    crypto_sign_detached(sig, NULL, msg, len, a->sk);
    char g[24], t[24], hh[2 * AUDIT_HASH_BYTES + 3] = "\\x", pkh[2 * AUDIT_PK_BYTES + 3] = "\\x",
                                                 sh[2 * AUDIT_SIG_BYTES + 3] = "\\x";
    snprintf(g, sizeof g, "%llu", (unsigned long long)gseq);
    snprintf(t, sizeof t, "%llu", (unsigned long long)now);
    pk_hex(hash, sizeof hash, hh + 2);
    pk_hex(a->pk, sizeof a->pk, pkh + 2);
    pk_hex(sig, sizeof sig, sh + 2);
    const char *p[] = {g, hh, t, pkh, sh};
    pk_db_txn_t *save = pk_db_txn_new(pk_service_db(a->svc));
    pk_db_txn_add(save,
                  "INSERT INTO checkpoint (gseq, head_hash, signed_at_us, public_key, signature)"
                  " VALUES ($1, $2::bytea, $3, $4::bytea, $5::bytea) ON CONFLICT (gseq) DO NOTHING",
                  5, p);
    pk_db_txn_submit(save, s_checkpoint_saved, a);
}

static void s_tick(uv_timer_t *t)
{
    audit_t *a = t->data;
    pk_db_t *db = pk_service_db(a->svc);
    if (a->busy || !db || !pk_db_connected(db))
        return;
    a->busy = true;
    pk_db_txn_t *txn = pk_db_txn_new(db);
    pk_db_txn_add(txn,
                  "SELECT e.gseq, e.hash FROM event_log e WHERE e.gseq = (SELECT max(gseq) FROM event_log)"
                  " AND e.gseq > coalesce((SELECT max(gseq) FROM checkpoint), 0)",
                  0, NULL);
    pk_db_txn_submit(txn, s_head_read, a);
}

static int s_start(pk_service_t *svc, void **state_p)
{
    audit_t *a = pk_calloc(1, sizeof *a);
    *state_p = a;
    a->svc = svc;
    a->log = pk_service_log(svc);
    a->sk = sodium_malloc(64);
    const pk_config_t *cfg = pk_service_config(svc);
    const char *path = pk_config_str(cfg, "PELUKAN_AUDIT_SIGNING_KEY_FILE");
    if (audit_signing_key_load(path, a->pk, a->sk) != 0) {
        pk_log_error(a->log, "PELUKAN_AUDIT_SIGNING_KEY_FILE=\"%s\" is not a 32-byte Ed25519 seed (64 hex digits)",
                     path);
        return PK_EKEY;
    }
    char pkhex[65];
    pk_hex(a->pk, sizeof a->pk, pkhex);
    pk_log_info(a->log, "checkpoints are signed with Ed25519 public key %s", pkhex);
    a->m_checkpoints = pk_metrics_counter(pk_service_metrics(svc), "pelukan_audit_checkpoints_total", NULL,
                                          "signed checkpoints written");
    uv_timer_init(pk_service_loop(svc), &a->timer);
    a->timer.data = a;
    uint64_t every = (uint64_t)pk_config_int(cfg, "PELUKAN_AUDIT_CHECKPOINT_S") * 1000u;
    uv_timer_start(&a->timer, s_tick, every, every);
    return 0;
}

static void s_timer_closed(uv_handle_t *h)
{
    audit_t *a = h->data;
    sodium_free(a->sk);
    free(a);
}

static void s_stop(pk_service_t *svc, void *state)
{
    (void)svc;
    audit_t *a = state;
    if (!a)
        return;
    if (!a->timer.loop) {
        sodium_free(a->sk);
        free(a);
        return;
    }
    uv_timer_stop(&a->timer);
    uv_close((uv_handle_t *)&a->timer, s_timer_closed);
}

int main(int argc, char **argv)
{
    static const char *const producers[] = {"intake", "notification", "dispatch", "referral", NULL};
    static const pk_service_def_t def = {.name = "audit",
                                         .settings = audit_settings,
                                         .start = s_start,
                                         .stop = s_stop,
                                         .consumes = producers,
                                         .apply = s_apply,
                                         .batch_begin = s_batch_begin};
    return pk_service_main(&def, argc, argv);
}
