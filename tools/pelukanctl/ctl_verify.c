/* ctl_verify.c -- `pelukanctl audit verify`: recomputes the hash chain and
 * the Merkle tree over the whole log, checks every signed checkpoint
 * against both, and names the first entry that is missing, changed or out
 * of place. */
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/audit/audit_chain.h"
#include "../../services/audit/audit_merkle.h"
#include "../../services/audit/audit_seal.h"
#include "ctl.h"
#include "pelukan/bus.h"
#include "pelukan/db.h"
#include "pelukan/util.h"

#define S_PAGE 10000

typedef struct {
    uint64_t gseq;
    uint8_t head[AUDIT_HASH_BYTES];
    bool has_root;
    uint8_t root[AUDIT_HASH_BYTES];
    uint64_t at_us;
    uint8_t pk[AUDIT_PK_BYTES];
    uint8_t sig[AUDIT_SIG_BYTES];
} s_checkpoint_t;

static int s_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int s_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FAILED: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    return CTL_FAILED;
}

static void s_copy(const PGresult *r, int row, int col, uint8_t *out, int len)
{
    if (PQgetlength(r, row, col) == len)
        memcpy(out, PQgetvalue(r, row, col), (size_t)len);
}

/* Loads the checkpoints, oldest first. */
static s_checkpoint_t *s_checkpoints(PGconn *conn, int *n)
{
    PGresult *r = PQexecParams(conn,
                               "SELECT gseq, head_hash, tree_root, signed_at_us, public_key, signature FROM checkpoint"
                               " ORDER BY gseq",
                               0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pelukanctl: cannot read checkpoints: %s", PQerrorMessage(conn));
        PQclear(r);
        *n = -1;
        return NULL;
    }
    *n = PQntuples(r);
    s_checkpoint_t *c = pk_calloc((size_t)*n + 1, sizeof *c);
    for (int i = 0; i < *n; i++) {
        c[i].gseq = pk_be64_get(PQgetvalue(r, i, 0));
        s_copy(r, i, 1, c[i].head, AUDIT_HASH_BYTES);
        c[i].has_root = !PQgetisnull(r, i, 2);
        s_copy(r, i, 2, c[i].root, AUDIT_HASH_BYTES);
        c[i].at_us = pk_be64_get(PQgetvalue(r, i, 3));
        s_copy(r, i, 4, c[i].pk, AUDIT_PK_BYTES);
        s_copy(r, i, 5, c[i].sig, AUDIT_SIG_BYTES);
    }
    PQclear(r);
    return c;
}

/* Reads a varint; returns its length, or 0 when malformed. */
static size_t s_varint(const uint8_t *p, size_t len, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < len && i < 10; i++) {
        *v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80))
            return i + 1;
    }
    return 0;
}

/* Reads an envelope's case id and the field number of its payload from
 * the wire, without decoding the whole message (the verifier reads every
 * entry; the services decode it fully). Returns false when malformed. */
static bool s_scan(const uint8_t *p, size_t len, const uint8_t **case_id, size_t *case_len, uint32_t *payload)
{
    static const uint32_t s_case_field = 4, s_first_payload = 20;
    *case_id = (const uint8_t *)"";
    *case_len = 0;
    *payload = 0;
    size_t i = 0;
    while (i < len) {
        uint64_t key, n;
        size_t k = s_varint(p + i, len - i, &key);
        if (!k)
            return false;
        i += k;
        uint32_t field = (uint32_t)(key >> 3);
        switch (key & 7) {
        case 0:
            k = s_varint(p + i, len - i, &n);
            if (!k)
                return false;
            i += k;
            break;
        case 1:
            i += 8;
            break;
        case 5:
            i += 4;
            break;
        case 2:
            k = s_varint(p + i, len - i, &n);
            if (!k || n > len - i - k)
                return false;
            i += k;
            if (field == s_case_field) {
                *case_id = p + i;
                *case_len = (size_t)n;
            } else if (field >= s_first_payload) {
                *payload = field;
            }
            i += (size_t)n;
            break;
        default:
            return false;
        }
    }
    return i == len;
}

/* The event type a payload field number stands for, as
 * pk_envelope_type() names it. */
static const char *s_type_name(uint32_t field)
{
    const ProtobufCFieldDescriptor *f =
        field ? protobuf_c_message_descriptor_get_field(&pelukan__v1__envelope__descriptor, field) : NULL;
    return f ? f->name : "unknown";
}

/* The Merkle tree is computed in a second thread from the chain hashes
 * the walk produces, page by page: the chain is sequential by nature, the
 * tree need not wait for it. */
typedef struct s_mpage {
    uint64_t first; /* gseq of hashes[0] */
    size_t n;
    audit_hash_t *hashes;
    struct s_mpage *next;
} s_mpage_t;

typedef struct {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    s_mpage_t *head, *tail;
    int depth;
    bool closed;
    audit_merkle_t tree;
    const s_checkpoint_t *cps;
    int ncp, next_cp;
    uint64_t bad_root; /* first checkpoint whose root differs; 0: none */
} s_merkle_t;

static void *s_merkle_run(void *arg)
{
    s_merkle_t *m = arg;
    for (;;) {
        pthread_mutex_lock(&m->mu);
        while (!m->head && !m->closed)
            pthread_cond_wait(&m->cv, &m->mu);
        s_mpage_t *pg = m->head;
        if (pg) {
            m->head = pg->next;
            if (!m->head)
                m->tail = NULL;
            m->depth--;
            pthread_cond_broadcast(&m->cv);
        }
        pthread_mutex_unlock(&m->mu);
        if (!pg)
            return NULL;
        for (size_t i = 0; i < pg->n; i++) {
            uint64_t gseq = pg->first + i;
            audit_merkle_append(&m->tree, pg->hashes[i]);
            for (; m->next_cp < m->ncp && m->cps[m->next_cp].gseq <= gseq; m->next_cp++) {
                const s_checkpoint_t *cp = &m->cps[m->next_cp];
                uint8_t root[AUDIT_HASH_BYTES];
                if (cp->gseq != gseq || !cp->has_root)
                    continue;
                audit_merkle_root(&m->tree, root);
                if (memcmp(cp->root, root, AUDIT_HASH_BYTES) != 0 && !m->bad_root)
                    m->bad_root = gseq;
            }
        }
        free(pg->hashes);
        free(pg);
    }
}

/* Hands a page of chain hashes to the tree thread (at most 4 waiting). */
static void s_merkle_push(s_merkle_t *m, s_mpage_t *pg)
{
    pthread_mutex_lock(&m->mu);
    while (m->depth >= 4)
        pthread_cond_wait(&m->cv, &m->mu);
    if (m->tail)
        m->tail->next = pg;
    else
        m->head = pg;
    m->tail = pg;
    m->depth++;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

typedef struct {
    uint8_t prev[AUDIT_HASH_BYTES];
    uint64_t expected, last;
    s_merkle_t merkle;
    const s_checkpoint_t *cps;
    int ncp, next_cp;
} s_state_t;

static int s_page_check(s_state_t *st, const PGresult *r, s_mpage_t *pg);

/* Checks one page of entries; returns CTL_FAILED at the first bad one.
 * The chain hashes checked go on to the tree thread either way. */
static int s_page(s_state_t *st, const PGresult *r)
{
    s_mpage_t *pg = pk_calloc(1, sizeof *pg);
    pg->first = st->expected;
    pg->hashes = pk_malloc(((size_t)PQntuples(r) + 1) * sizeof *pg->hashes);
    int rc = s_page_check(st, r, pg);
    s_merkle_push(&st->merkle, pg);
    return rc;
}

static int s_page_check(s_state_t *st, const PGresult *r, s_mpage_t *pg)
{
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        uint64_t gseq = pk_be64_get(PQgetvalue(r, i, 0));
        const uint8_t *env = (const uint8_t *)PQgetvalue(r, i, 6);
        size_t env_len = (size_t)PQgetlength(r, i, 6);
        uint8_t h[AUDIT_HASH_BYTES];
        if (gseq != st->expected)
            return s_fail("entry %llu is missing (the next entry is %llu)", (unsigned long long)st->expected,
                          (unsigned long long)gseq);
        if (PQgetlength(r, i, 7) != AUDIT_HASH_BYTES || memcmp(PQgetvalue(r, i, 7), st->prev, AUDIT_HASH_BYTES) != 0)
            return s_fail("entry %llu does not link to entry %llu (prev_hash differs)", (unsigned long long)gseq,
                          (unsigned long long)(gseq - 1));
        audit_chain_hash(st->prev, gseq, PQgetvalue(r, i, 1), pk_be64_get(PQgetvalue(r, i, 2)),
                         pk_be64_get(PQgetvalue(r, i, 3)), env, env_len, h);
        if (PQgetlength(r, i, 8) != AUDIT_HASH_BYTES || memcmp(PQgetvalue(r, i, 8), h, AUDIT_HASH_BYTES) != 0)
            return s_fail("entry %llu was changed (its hash does not match its contents)", (unsigned long long)gseq);
        /* The columns that queries use must say what the envelope says; a
         * sealed entry (audit_seal.h) says only the name of its key in
         * clear, and one sealed under a pseudonym nothing else (security
         * review N3: its type, actor and times are NULL). */
        const uint8_t *case_id;
        size_t case_len;
        uint32_t payload = 0;
        bool by_ref = false;
        bool sealed = audit_sealed(env, env_len, &case_id, &case_len, &by_ref);
        bool scanned = sealed || s_scan(env, env_len, &case_id, &case_len, &payload);
        /* A case id that is not UTF-8 is logged as NULL (text columns must
         * be UTF-8); the envelope keeps its bytes. */
        bool case_same =
            scanned &&
            (((size_t)PQgetlength(r, i, 5) == case_len && memcmp(PQgetvalue(r, i, 5), case_id, case_len) == 0) ||
             (PQgetlength(r, i, 5) == 0 && !pk_utf8_valid(case_id, case_len)));
        bool type_same = sealed ? !by_ref || (PQgetlength(r, i, 4) == 0 && PQgetvalue(r, i, 9)[0] == 1)
                                : strcmp(s_type_name(payload), PQgetvalue(r, i, 4)) == 0;
        if (!case_same || !type_same)
            return s_fail("entry %llu: its columns differ from its envelope", (unsigned long long)gseq);
        memcpy(pg->hashes[pg->n++], h, AUDIT_HASH_BYTES);
        for (; st->next_cp < st->ncp && st->cps[st->next_cp].gseq == gseq; st->next_cp++)
            if (memcmp(st->cps[st->next_cp].head, h, AUDIT_HASH_BYTES) != 0)
                return s_fail("entry %llu: the chain differs from the signed checkpoint (history rewritten)",
                              (unsigned long long)gseq);
        memcpy(st->prev, h, sizeof st->prev);
        st->last = gseq;
        st->expected++;
    }
    return CTL_OK;
}

/* Every checkpoint must be signed by the audit's key over its bytes. */
static int s_signatures(const s_checkpoint_t *cps, int ncp, const uint8_t pk[AUDIT_PK_BYTES])
{
    for (int i = 0; i < ncp; i++) {
        uint8_t msg[128];
        size_t len =
            audit_checkpoint_message(cps[i].gseq, cps[i].head, cps[i].has_root ? cps[i].root : NULL, cps[i].at_us, msg);
        if (memcmp(cps[i].pk, pk, AUDIT_PK_BYTES) != 0 || crypto_sign_verify_detached(cps[i].sig, msg, len, pk) != 0)
            return s_fail("checkpoint at entry %llu: bad signature", (unsigned long long)cps[i].gseq);
    }
    return CTL_OK;
}

/* Walks entries 1..max in pages of gseq ranges, two in flight (libpq
 * pipeline mode), so that the server reads the next page while this
 * process hashes the current one. */
static int s_walk(PGconn *conn, s_state_t *st, uint64_t max)
{
    uint64_t sent = 1;
    int rc = CTL_OK, inflight = 0;
    PQenterPipelineMode(conn);
    for (;;) {
        while (inflight < 2 && sent <= max) {
            char from[24], to[24];
            snprintf(from, sizeof from, "%llu", (unsigned long long)sent);
            snprintf(to, sizeof to, "%llu", (unsigned long long)(sent + S_PAGE));
            const char *p[] = {from, to};
            PQsendQueryParams(conn,
                              "SELECT gseq, producer, epoch, seq, coalesce(event_type, ''), coalesce(case_ref, ''),"
                              " envelope, prev_hash, hash,"
                              " actor_id IS NULL AND occurred_at IS NULL AND logged_at IS NULL"
                              " FROM event_log WHERE gseq >= $1 AND gseq < $2 ORDER BY gseq",
                              2, NULL, p, NULL, NULL, 1);
            PQpipelineSync(conn);
            sent += S_PAGE;
            inflight++;
        }
        if (inflight == 0)
            break;
        PGresult *r = PQgetResult(conn);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "pelukanctl: cannot read the log: %s", PQerrorMessage(conn));
            PQclear(r);
            rc = CTL_ERROR;
            break;
        }
        rc = s_page(st, r);
        PQclear(r);
        PQclear(PQgetResult(conn)); /* the end of this query's results */
        PQclear(PQgetResult(conn)); /* its sync point */
        inflight--;
        if (rc != CTL_OK)
            break;
    }
    /* After a failure, the pages still in flight are read and dropped. */
    for (; inflight > 0; inflight--) {
        PQclear(PQgetResult(conn));
        PQclear(PQgetResult(conn));
        PQclear(PQgetResult(conn));
    }
    PQexitPipelineMode(conn);
    return rc;
}

/* The Merkle tree is built on its own thread as the walk hashes. */
static void s_merkle_start(s_merkle_t *m, s_checkpoint_t *cps, int ncp)
{
    audit_merkle_init(&m->tree);
    m->cps = cps;
    m->ncp = ncp;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    pthread_create(&m->thread, NULL, s_merkle_run, m);
}

static void s_merkle_stop(s_merkle_t *m)
{
    pthread_mutex_lock(&m->mu);
    m->closed = true;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, NULL);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
}

/* What the walk found, said: the first fault, or the chain and its root. */
static int s_verdict(const s_state_t *st, int rc)
{
    const s_merkle_t *m = &st->merkle;
    if (rc == CTL_OK && m->bad_root)
        rc =
            s_fail("checkpoint at entry %llu: its Merkle root differs from the log's", (unsigned long long)m->bad_root);
    if (rc == CTL_OK && st->next_cp < st->ncp)
        rc = s_fail("checkpoint at entry %llu signs entries that are missing (the log ends at %llu)",
                    (unsigned long long)st->cps[st->next_cp].gseq, (unsigned long long)st->last);
    if (rc == CTL_OK) {
        uint8_t root[AUDIT_HASH_BYTES];
        char hex[2 * AUDIT_HASH_BYTES + 1];
        audit_merkle_root(&m->tree, root);
        pk_hex(root, sizeof root, hex);
        printf("OK: %llu entries in one unbroken chain, %d signed checkpoints valid, Merkle root %s\n",
               (unsigned long long)st->last, st->ncp, hex);
    }
    return rc;
}

static int s_verify(PGconn *conn, const uint8_t pk[AUDIT_PK_BYTES])
{
    s_state_t st = {.expected = 1};
    s_checkpoint_t *cps = s_checkpoints(conn, &st.ncp);
    if (st.ncp < 0)
        return CTL_ERROR;
    st.cps = cps;
    int rc = s_signatures(cps, st.ncp, pk);
    if (rc != CTL_OK) {
        free(cps);
        return rc;
    }
    /* One snapshot for the whole walk: a log that grows meanwhile is
     * verified as it was when the walk began. */
    PQclear(PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    PGresult *r = PQexecParams(conn, "SELECT coalesce(max(gseq), 0) FROM event_log", 0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pelukanctl: cannot read the log: %s", PQerrorMessage(conn));
        PQclear(r);
        free(cps);
        return CTL_ERROR;
    }
    uint64_t max = pk_be64_get(PQgetvalue(r, 0, 0));
    PQclear(r);
    s_merkle_start(&st.merkle, cps, st.ncp);
    rc = s_walk(conn, &st, max);
    PQclear(PQexec(conn, "COMMIT"));
    s_merkle_stop(&st.merkle);
    rc = s_verdict(&st, rc);
    free(cps);
    return rc;
}

int ctl_audit_verify(const ctl_t *ctl, int argc, char **argv)
{
    const char *key = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--public-key") == 0 && i + 1 < argc) {
            key = argv[++i];
        } else {
            fprintf(stderr, "pelukanctl audit verify: unknown argument \"%s\"\n", argv[i]);
            return CTL_ERROR;
        }
    }
    uint8_t pk[AUDIT_PK_BYTES];
    if (!ctl_public_key(ctl, key, pk))
        return CTL_ERROR;
    PGconn *conn = ctl_db(ctl);
    if (!conn)
        return CTL_ERROR;
    int rc = s_verify(conn, pk);
    PQfinish(conn);
    return rc;
}
