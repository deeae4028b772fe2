/* ctl_verify.c -- `pelukanctl audit verify`: recomputes the hash chain and
 * the Merkle tree over the whole log, checks every signed checkpoint
 * against both, and names the first entry that is missing, changed or out
 * of place. */
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/audit/audit_chain.h"
#include "../../services/audit/audit_merkle.h"
#include "ctl.h"
#include "pelukan/bus.h"
#include "pelukan/db.h"
#include "pelukan/util.h"

#define S_PAGE 20000

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

/* Checks one page of entries; `*rc` is set on the first failure. */
typedef struct {
    uint8_t prev[AUDIT_HASH_BYTES];
    uint64_t expected, last;
    audit_merkle_t tree;
    const s_checkpoint_t *cps;
    int ncp, next_cp;
} s_state_t;

static int s_page(s_state_t *st, const PGresult *r)
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
        /* The columns that queries use must say what the envelope says. */
        Pelukan__V1__Envelope *e = pk_envelope_unpack(env, env_len, env_len);
        bool same = e && strcmp(pk_envelope_type(e), PQgetvalue(r, i, 4)) == 0 &&
                    strcmp(e->case_id, PQgetvalue(r, i, 5)) == 0;
        pk_envelope_free(e);
        if (!same)
            return s_fail("entry %llu: its columns differ from its envelope", (unsigned long long)gseq);
        audit_merkle_append(&st->tree, h);
        for (; st->next_cp < st->ncp && st->cps[st->next_cp].gseq == gseq; st->next_cp++) {
            const s_checkpoint_t *cp = &st->cps[st->next_cp];
            if (memcmp(cp->head, h, AUDIT_HASH_BYTES) != 0)
                return s_fail("entry %llu: the chain differs from the signed checkpoint (history rewritten)",
                              (unsigned long long)gseq);
            uint8_t root[AUDIT_HASH_BYTES];
            audit_merkle_root(&st->tree, root);
            if (cp->has_root && memcmp(cp->root, root, AUDIT_HASH_BYTES) != 0)
                return s_fail("checkpoint at entry %llu: its Merkle root differs from the log's",
                              (unsigned long long)gseq);
        }
        memcpy(st->prev, h, sizeof st->prev);
        st->last = gseq;
        st->expected++;
    }
    return CTL_OK;
}

static int s_verify(PGconn *conn, const uint8_t pk[AUDIT_PK_BYTES])
{
    s_state_t st = {.expected = 1};
    audit_merkle_init(&st.tree);
    s_checkpoint_t *cps = s_checkpoints(conn, &st.ncp);
    if (st.ncp < 0)
        return CTL_ERROR;
    st.cps = cps;
    /* Every checkpoint must be signed by the audit's key over its bytes. */
    for (int i = 0; i < st.ncp; i++) {
        uint8_t msg[128];
        size_t len = audit_checkpoint_message(cps[i].gseq, cps[i].head, cps[i].has_root ? cps[i].root : NULL,
                                              cps[i].at_us, msg);
        if (memcmp(cps[i].pk, pk, AUDIT_PK_BYTES) != 0 || crypto_sign_verify_detached(cps[i].sig, msg, len, pk) != 0) {
            free(cps);
            return s_fail("checkpoint at entry %llu: bad signature", (unsigned long long)cps[i].gseq);
        }
    }
    /* One snapshot for the whole walk: a log that grows meanwhile is
     * verified as it was when the walk began. */
    PGresult *r = PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    PQclear(r);
    int rc = CTL_OK;
    for (;;) {
        char from[24], page[16];
        snprintf(from, sizeof from, "%llu", (unsigned long long)st.expected);
        snprintf(page, sizeof page, "%d", S_PAGE);
        const char *p[] = {from, page};
        r = PQexecParams(conn,
                         "SELECT gseq, producer, epoch, seq, event_type, coalesce(case_id, ''), envelope,"
                         " prev_hash, hash FROM event_log WHERE gseq >= $1 ORDER BY gseq LIMIT $2",
                         2, NULL, p, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "pelukanctl: cannot read the log: %s", PQerrorMessage(conn));
            PQclear(r);
            rc = CTL_ERROR;
            break;
        }
        int n = PQntuples(r);
        rc = s_page(&st, r);
        PQclear(r);
        if (rc != CTL_OK || n < S_PAGE)
            break;
    }
    PQclear(PQexec(conn, "COMMIT"));
    if (rc == CTL_OK && st.next_cp < st.ncp)
        rc = s_fail("checkpoint at entry %llu signs entries that are missing (the log ends at %llu)",
                    (unsigned long long)cps[st.next_cp].gseq, (unsigned long long)st.last);
    if (rc == CTL_OK) {
        uint8_t root[AUDIT_HASH_BYTES];
        char hex[2 * AUDIT_HASH_BYTES + 1];
        audit_merkle_root(&st.tree, root);
        pk_hex(root, sizeof root, hex);
        printf("OK: %llu entries in one unbroken chain, %d signed checkpoints valid, Merkle root %s\n",
               (unsigned long long)st.last, st.ncp, hex);
    }
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
