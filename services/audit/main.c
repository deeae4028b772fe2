/* main.c -- the PELUKAN audit service: one hash-chained log of every event
 * of every producer, signed checkpoints of its head and of the Merkle tree
 * over it, and the archive that replays it. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_chain.h"
#include "audit_keys.h"
#include "audit_merkle.h"
#include "audit_seal.h"
#include "pelukan/service.h"
#include "pelukan/util.h"

/* Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
#define S_PG_EPOCH_US 946684800000000LL
/* Leaves read per checkpoint: a long backlog is signed in steps. */
#define S_CHECKPOINT_READ 100000

/* Case keys the subscriber thread used lately, direct-mapped by the case
 * id's hash, in guarded memory: most events belong to a case seen a moment
 * ago. Cleared with every new database session (a failed batch may have
 * rolled back a key it made) and per case on CaseErased. */
#define S_KEY_SLOTS 8192
typedef struct {
    char case_id[256];
    char ref[AUDIT_REF_LEN + 1];
    uint8_t key[PK_DATAKEY_BYTES];
} s_key_slot_t;

/* The columns of one entry besides its place and chain: what a query may
 * read in clear. An entry of a case has only its pseudonym here. */
typedef struct {
    const uint8_t *stored;
    size_t len;
    const char *type, *case_ref, *actor;
    uint64_t occurred_us;
    bool logged_at; /* the time it was logged, for entries not of a case */
} s_row_t;

/* What the subscriber thread owns: the chain head, and the batch's rows in
 * COPY binary format. The head is read when a database session begins and
 * then advanced by each append: a batch that fails is rolled back and the
 * subscriber reconnects, so a new session always starts from what
 * committed. */
typedef struct {
    uint64_t gseq;
    uint8_t hash[AUDIT_HASH_BYTES];
    uint8_t *copy;
    size_t len, cap;
    int rows;
    uint8_t *sealed; /* scratch for one sealed entry */
    size_t sealed_cap;
    char tomb[AUDIT_TOMB_LEN + 1]; /* of the row being made */
    s_key_slot_t *key_slots; /* sodium_malloc'd, S_KEY_SLOTS */
    pk_pg_stmts_t stmts;     /* on the subscriber's session: case keys */
} s_batch_t;

typedef struct {
    pk_service_t *svc;
    const pk_log_t *log;
    const pk_keyring_t *keys; /* audit's own master key: wraps the case keys */
    unsigned char pk[32];
    unsigned char *sk; /* sodium_malloc'd, 64 bytes */
    uv_timer_t timer;
    bool busy;
    uint64_t every_us, every_entries, last_signed_us;
    bool tree_loaded;
    audit_merkle_t tree; /* over entries 1..tree.n, the last signed */
    audit_archive_t *archive;
    pk_metric_t *m_checkpoints;
    s_batch_t batch;
} audit_t;

/* ---- appending (subscriber thread) ------------------------------------- */

static void s_put(s_batch_t *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2;
        b->copy = pk_realloc(b->copy, b->cap);
    }
    memcpy(b->copy + b->len, data, len);
    b->len += len;
}

static void s_put_u32(s_batch_t *b, uint32_t v)
{
    uint8_t n[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    s_put(b, n, 4);
}

/* One field: int32 length (-1 for NULL) and the bytes. */
static void s_put_field(s_batch_t *b, const void *data, size_t len)
{
    if (!data) {
        s_put_u32(b, 0xffffffffu);
        return;
    }
    s_put_u32(b, (uint32_t)len);
    s_put(b, data, len);
}

static void s_put_i64(s_batch_t *b, uint64_t v)
{
    uint8_t n[8];
    pk_be64_put(v, n);
    s_put_field(b, n, 8);
}

/* Text columns taken from an envelope must be valid UTF-8 for PostgreSQL;
 * one that is not is stored as NULL (the envelope keeps the bytes). */
static void s_put_text(s_batch_t *b, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    s_put_field(b, len && pk_utf8_valid(s, len) ? s : NULL, len);
}

static int s_batch_begin(PGconn *conn, bool new_connection, void *arg)
{
    s_batch_t *b = &((audit_t *)arg)->batch;
    /* COPY binary header: signature, flags, header extension length. */
    static const uint8_t header[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
    b->len = 0;
    b->rows = 0;
    s_put(b, header, sizeof header);
    if (!new_connection)
        return 0;
    if (b->key_slots)
        sodium_memzero(b->key_slots, S_KEY_SLOTS * sizeof *b->key_slots);
    PGresult *r =
        PQexecParams(conn, "SELECT gseq, hash FROM event_log ORDER BY gseq DESC LIMIT 1", 0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return PK_EDB;
    }
    b->gseq = 0;
    memset(b->hash, 0, sizeof b->hash);
    if (PQntuples(r) == 1 && PQgetlength(r, 0, 1) == AUDIT_HASH_BYTES) {
        b->gseq = pk_be64_get(PQgetvalue(r, 0, 0));
        memcpy(b->hash, PQgetvalue(r, 0, 1), AUDIT_HASH_BYTES);
    }
    PQclear(r);
    return 0;
}

static s_key_slot_t *s_key_slot(s_batch_t *b, const char *case_id)
{
    if (!b->key_slots) {
        b->key_slots = sodium_malloc(S_KEY_SLOTS * sizeof *b->key_slots);
        if (!b->key_slots)
            abort(); /* the allocation policy */
        sodium_memzero(b->key_slots, S_KEY_SLOTS * sizeof *b->key_slots);
    }
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *c = case_id; *c; c++)
        h = (h ^ (uint8_t)*c) * 1099511628211ull;
    return &b->key_slots[h % S_KEY_SLOTS];
}

/* Room for `need` bytes in the batch's scratch. */
static uint8_t *s_scratch(s_batch_t *b, size_t need)
{
    if (need > b->sealed_cap) {
        b->sealed = pk_realloc(b->sealed, need);
        b->sealed_cap = need;
    }
    return b->sealed;
}

/* CaseErased: the case's key and pseudonym are forgotten, and the entry
 * kept readable names the case only by its tombstone (audit_keys.h). */
static int s_row_erased(audit_t *a, PGconn *conn, const pk_bus_event_t *ev, s_row_t *row)
{
    s_batch_t *b = &a->batch;
    const Pelukan__V1__Envelope *e = ev->envelope;
    s_key_slot_t *slot = s_key_slot(b, e->case_id);
    if (strcmp(slot->case_id, e->case_id) == 0)
        sodium_memzero(slot, sizeof *slot);
    char *tomb = b->tomb;
    audit_tomb(a->keys, e->case_id, tomb);
    if (audit_key_erase(conn, &b->stmts, a->log, e->case_id, tomb) != 0)
        return PK_EDB;
    Pelukan__V1__Envelope named = *e;
    named.case_id = tomb;
    uint8_t *out = s_scratch(b, pelukan__v1__envelope__get_packed_size(&named));
    row->len = pelukan__v1__envelope__pack(&named, out);
    row->stored = out;
    row->type = pk_envelope_type(e);
    row->case_ref = tomb;
    return 0;
}

/* An event of a case already erased (from another producer, later): its
 * place only, an envelope naming its producer. */
static void s_row_bare(s_batch_t *b, const pk_bus_event_t *ev, s_row_t *row)
{
    Pelukan__V1__Envelope bare = PELUKAN__V1__ENVELOPE__INIT;
    bare.producer = (char *)ev->producer;
    uint8_t *out = s_scratch(b, pelukan__v1__envelope__get_packed_size(&bare));
    row->len = pelukan__v1__envelope__pack(&bare, out);
    row->stored = out;
    row->type = "unknown";
    row->actor = NULL;
    row->occurred_us = 0;
    row->logged_at = false;
}

/* What is stored of an event: an event of a case sealed under the case's
 * key (made on first use) and named by the case's pseudonym, with nothing
 * else in clear; CaseErased as s_row_erased(); an event of no case as it
 * came, with its type, actor and times in clear. 0 or PK_EDB. */
static int s_row(audit_t *a, PGconn *conn, const pk_bus_event_t *ev, s_row_t *row)
{
    s_batch_t *b = &a->batch;
    const Pelukan__V1__Envelope *e = ev->envelope;
    size_t case_len = strlen(e->case_id);
    *row = (s_row_t){.stored = ev->raw,
                     .len = ev->raw_len,
                     .type = pk_envelope_type(e),
                     .case_ref = e->case_id,
                     .actor = e->actor ? e->actor->id : NULL,
                     .occurred_us = e->occurred_at_us,
                     .logged_at = true};
    if (e->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_ERASED && case_len > 0)
        return s_row_erased(a, conn, ev, row);
    if (case_len == 0 || case_len > 255 || !pk_utf8_valid(e->case_id, case_len))
        return 0;
    s_key_slot_t *slot = s_key_slot(b, e->case_id);
    row->case_ref = NULL;
    if (strcmp(slot->case_id, e->case_id) != 0) {
        int rc = audit_key_of_case(conn, &b->stmts, a->keys, a->log, e->case_id, true, slot->key, slot->ref);
        if (rc == PK_EDB)
            return PK_EDB;
        if (rc != 0) {
            sodium_memzero(slot, sizeof *slot);
            s_row_bare(b, ev, row);
            return 0;
        }
        snprintf(slot->case_id, sizeof slot->case_id, "%s", e->case_id);
    }
    uint8_t *out = s_scratch(b, audit_sealed_size(slot->ref, ev->raw_len));
    row->len = audit_seal(slot->key, slot->ref, ev->raw, ev->raw_len, out);
    row->stored = out;
    row->case_ref = slot->ref;
    row->type = NULL;
    row->actor = NULL;
    row->occurred_us = 0;
    row->logged_at = false;
    return 0;
}

/* Chains one event to the head and adds its row to the batch. The
 * subscriber applies each producer's events once and in order (its offsets
 * commit with the batch), so every event here is new. */
static int s_apply(PGconn *conn, const pk_bus_event_t *ev, void *arg)
{
    audit_t *a = arg;
    s_batch_t *b = &a->batch;
    s_row_t row;
    if (s_row(a, conn, ev, &row) != 0)
        return PK_EDB;
    uint64_t gseq = b->gseq + 1;
    uint8_t hash[AUDIT_HASH_BYTES];
    audit_chain_hash(b->hash, gseq, ev->producer, ev->epoch, ev->seq, row.stored, row.len, hash);
    uint8_t nfields[2] = {0, 12};
    s_put(b, nfields, 2);
    s_put_i64(b, gseq);
    s_put_text(b, ev->producer);
    s_put_i64(b, ev->epoch);
    s_put_i64(b, ev->seq);
    s_put_text(b, row.type);
    s_put_text(b, row.case_ref);
    s_put_text(b, row.actor);
    if (row.occurred_us)
        s_put_i64(b, (uint64_t)((int64_t)row.occurred_us - S_PG_EPOCH_US));
    else
        s_put_field(b, NULL, 0);
    if (row.logged_at)
        s_put_i64(b, (uint64_t)((int64_t)pk_now_us() - S_PG_EPOCH_US));
    else
        s_put_field(b, NULL, 0);
    s_put_field(b, row.stored, row.len);
    s_put_field(b, b->hash, AUDIT_HASH_BYTES);
    s_put_field(b, hash, AUDIT_HASH_BYTES);
    b->gseq = gseq;
    memcpy(b->hash, hash, sizeof hash);
    b->rows++;
    return 0;
}

/* Writes the batch's rows with one COPY inside the batch's transaction. */
static int s_batch_end(PGconn *conn, void *arg)
{
    audit_t *a = arg;
    s_batch_t *b = &a->batch;
    if (b->rows == 0)
        return 0;
    static const uint8_t trailer[2] = {0xff, 0xff};
    s_put(b, trailer, 2);
    PGresult *r = PQexec(conn, "COPY event_log (gseq, producer, epoch, seq, event_type, case_ref, actor_id,"
                               " occurred_at, logged_at, envelope, prev_hash, hash) FROM STDIN (FORMAT binary)");
    bool ok = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (ok)
        ok = PQputCopyData(conn, (const char *)b->copy, (int)b->len) == 1 && PQputCopyEnd(conn, NULL) == 1;
    else
        return PK_EDB;
    while ((r = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            pk_log_error(a->log, "appending %d entries failed: %s", b->rows, PQresultErrorMessage(r));
            ok = false;
        }
        PQclear(r);
    }
    return ok ? 0 : PK_EDB;
}

/* ---- checkpoints (event loop) ------------------------------------------- */

static void s_checkpoint_saved(pk_db_txn_t *txn, int status, void *arg)
{
    audit_t *a = arg;
    a->busy = false;
    if (status == 0 && atoi(PQcmdTuples((PGresult *)pk_db_txn_result(txn, 0))) == 1) {
        pk_metric_add(a->m_checkpoints, 1);
        a->last_signed_us = pk_mono_us();
    } else {
        a->tree_loaded = false; /* read the signed state again */
    }
}

/* Extends the tree over the new entries, then signs the head, the root
 * and the time. */
static void s_leaves_read(pk_db_txn_t *txn, int status, void *arg)
{
    audit_t *a = arg;
    const PGresult *res = status == 0 ? pk_db_txn_result(txn, 0) : NULL;
    int n = res ? PQntuples(res) : 0;
    uint8_t hash[AUDIT_HASH_BYTES];
    for (int i = 0; i < n; i++) {
        uint64_t gseq = strtoull(PQgetvalue(res, i, 0), NULL, 10);
        if (gseq != a->tree.n + 1 || pk_pg_bytea_get(res, i, 1, hash, sizeof hash) != AUDIT_HASH_BYTES) {
            pk_log_error(a->log,
                         "the log is not contiguous at entry %llu: no checkpoint signed; run pelukanctl audit "
                         "verify",
                         (unsigned long long)(a->tree.n + 1));
            a->tree_loaded = false;
            a->busy = false;
            return;
        }
        audit_merkle_append(&a->tree, hash);
    }
    if (n == 0) {
        a->busy = false;
        return;
    }
    uint8_t root[AUDIT_HASH_BYTES], msg[128], sig[AUDIT_SIG_BYTES], state[8 + AUDIT_MERKLE_MAX_PATH * 32];
    audit_merkle_root(&a->tree, root);
    uint64_t now = pk_now_us();
    size_t len = audit_checkpoint_message(a->tree.n, hash, root, now, msg);
    crypto_sign_detached(sig, NULL, msg, len, a->sk);
    char g[24], t[24];
    snprintf(g, sizeof g, "%llu", (unsigned long long)a->tree.n);
    snprintf(t, sizeof t, "%llu", (unsigned long long)now);
    char *hh = pk_pg_bytea(hash, sizeof hash), *rh = pk_pg_bytea(root, sizeof root),
         *sh = pk_pg_bytea(state, audit_merkle_save(&a->tree, state)), *pkh = pk_pg_bytea(a->pk, sizeof a->pk),
         *sgh = pk_pg_bytea(sig, sizeof sig);
    const char *p[] = {g, hh, rh, sh, t, pkh, sgh};
    pk_db_txn_t *save = pk_db_txn_new(pk_service_db(a->svc));
    pk_db_txn_add(save,
                  "INSERT INTO checkpoint (gseq, head_hash, tree_root, tree_state, signed_at_us, public_key, signature)"
                  " VALUES ($1, $2::bytea, $3::bytea, $4::bytea, $5, $6::bytea, $7::bytea)"
                  " ON CONFLICT (gseq) DO NOTHING",
                  7, p);
    pk_db_txn_submit(save, s_checkpoint_saved, a);
    free(hh);
    free(rh);
    free(sh);
    free(pkh);
    free(sgh);
}

/* Knows the head; signs when it moved far enough or long enough ago. */
static void s_head_read(pk_db_txn_t *txn, int status, void *arg)
{
    audit_t *a = arg;
    if (status != 0) {
        a->busy = false;
        return;
    }
    if (!a->tree_loaded) {
        const PGresult *last = pk_db_txn_result(txn, 1);
        audit_merkle_init(&a->tree);
        uint8_t state[8 + AUDIT_MERKLE_MAX_PATH * 32];
        long len = PQntuples(last) == 1 ? pk_pg_bytea_get(last, 0, 1, state, sizeof state) : -1;
        if (len > 0 && !audit_merkle_load(&a->tree, state, (size_t)len)) {
            pk_log_error(a->log, "the tree state of checkpoint %s does not load: starting the tree from entry 1",
                         PQgetvalue(last, 0, 0));
            audit_merkle_init(&a->tree);
        }
        a->tree_loaded = true;
    }
    uint64_t head = strtoull(PQgetvalue(pk_db_txn_result(txn, 0), 0, 0), NULL, 10);
    bool due = pk_mono_us() - a->last_signed_us >= a->every_us || head - a->tree.n >= a->every_entries;
    if (head <= a->tree.n || !due) {
        a->busy = false;
        return;
    }
    char from[24], limit[16];
    snprintf(from, sizeof from, "%llu", (unsigned long long)a->tree.n);
    snprintf(limit, sizeof limit, "%d", S_CHECKPOINT_READ);
    const char *p[] = {from, limit};
    pk_db_txn_t *read = pk_db_txn_new(pk_service_db(a->svc));
    pk_db_txn_add(read, "SELECT gseq, hash FROM event_log WHERE gseq > $1 ORDER BY gseq LIMIT $2", 2, p);
    pk_db_txn_submit(read, s_leaves_read, a);
}

static void s_tick(uv_timer_t *t)
{
    audit_t *a = t->data;
    pk_db_t *db = pk_service_db(a->svc);
    if (a->busy || !db || !pk_db_connected(db))
        return;
    a->busy = true;
    pk_db_txn_t *txn = pk_db_txn_new(db);
    pk_db_txn_add(txn, "SELECT coalesce(max(gseq), 0) FROM event_log", 0, NULL);
    if (!a->tree_loaded)
        pk_db_txn_add(txn,
                      "SELECT gseq, tree_state FROM checkpoint WHERE tree_state IS NOT NULL ORDER BY gseq DESC LIMIT 1",
                      0, NULL);
    pk_db_txn_submit(txn, s_head_read, a);
}

/* ---- life cycle ---------------------------------------------------------- */

static int s_start(pk_service_t *svc, void **state_p)
{
    audit_t *a = pk_calloc(1, sizeof *a);
    *state_p = a;
    a->svc = svc;
    a->log = pk_service_log(svc);
    a->keys = pk_service_keyring(svc);
    a->sk = sodium_malloc(64);
    const pk_config_t *cfg = pk_service_config(svc);
    const char *path = pk_config_str(cfg, "PELUKAN_AUDIT_SIGNING_KEY_FILE");
    char why[160];
    if (pk_secret_file_check(path, why, sizeof why) != 0) {
        pk_log_error(a->log, "PELUKAN_AUDIT_SIGNING_KEY_FILE=\"%s\" %s, exiting", path, why);
        return PK_EKEY;
    }
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
    a->every_us = (uint64_t)pk_config_int(cfg, "PELUKAN_AUDIT_CHECKPOINT_S") * 1000000u;
    a->every_entries = (uint64_t)pk_config_int(cfg, "PELUKAN_AUDIT_CHECKPOINT_ENTRIES");
    a->last_signed_us = pk_mono_us();
    a->archive = audit_archive_new(pk_config_str(cfg, "PELUKAN_AUDIT_ARCHIVE"), pk_service_conninfo(svc), a->log,
                                   pk_service_metrics(svc), pk_service_bus_keys(svc), a->keys);
    uv_timer_init(pk_service_loop(svc), &a->timer);
    a->timer.data = a;
    uv_timer_start(&a->timer, s_tick, 1000, 1000);
    return 0;
}

static void s_free(audit_t *a)
{
    audit_archive_destroy(&a->archive);
    sodium_free(a->sk);
    free(a->batch.copy);
    free(a->batch.sealed);
    if (a->batch.key_slots)
        sodium_free(a->batch.key_slots);
    free(a);
}

static void s_timer_closed(uv_handle_t *h)
{
    s_free(h->data);
}

static void s_stop(pk_service_t *svc, void *state)
{
    (void)svc;
    audit_t *a = state;
    if (!a)
        return;
    if (!a->timer.loop) {
        s_free(a);
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
                                         .batch_begin = s_batch_begin,
                                         .batch_end = s_batch_end,
                                         .is_archive = true,
                                         .owner_role = "audit_owner"};
    return pk_service_main(&def, argc, argv);
}
