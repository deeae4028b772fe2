/* pelukanctl.c -- command-line tool: `pelukanctl audit verify` recomputes the
 * audit log's hash chain and checks every signed checkpoint, and names the
 * first entry that is missing, changed or out of place. */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/audit/audit.h"
#include "../../services/audit/audit_chain.h"
#include "pelukan/bus.h"
#include "pelukan/db.h"
#include "pelukan/util.h"

extern char **environ;

typedef struct {
    uint64_t gseq;
    uint8_t head[AUDIT_HASH_BYTES];
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
    return 1;
}

/* Loads the checkpoints, oldest first. Binary results. */
static s_checkpoint_t *s_checkpoints(PGconn *conn, int *n)
{
    PGresult *r = PQexecParams(conn,
                               "SELECT gseq, head_hash, signed_at_us, public_key, signature FROM checkpoint"
                               " ORDER BY gseq",
                               0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        *n = -1;
        return NULL;
    }
    *n = PQntuples(r);
    s_checkpoint_t *c = pk_calloc((size_t)*n + 1, sizeof *c);
    for (int i = 0; i < *n; i++) {
        c[i].gseq = pk_be64_get(PQgetvalue(r, i, 0));
        if (PQgetlength(r, i, 1) == AUDIT_HASH_BYTES)
            memcpy(c[i].head, PQgetvalue(r, i, 1), AUDIT_HASH_BYTES);
        c[i].at_us = pk_be64_get(PQgetvalue(r, i, 2));
        if (PQgetlength(r, i, 3) == AUDIT_PK_BYTES)
            memcpy(c[i].pk, PQgetvalue(r, i, 3), AUDIT_PK_BYTES);
        if (PQgetlength(r, i, 4) == AUDIT_SIG_BYTES)
            memcpy(c[i].sig, PQgetvalue(r, i, 4), AUDIT_SIG_BYTES);
    }
    PQclear(r);
    return c;
}

static int s_verify(PGconn *conn, const uint8_t pk[AUDIT_PK_BYTES])
{
    int ncp = 0;
    s_checkpoint_t *cps = s_checkpoints(conn, &ncp);
    if (ncp < 0) {
        fprintf(stderr, "pelukanctl: cannot read checkpoints: %s", PQerrorMessage(conn));
        return 2;
    }
    /* Every checkpoint must be signed by the audit's key over its bytes. */
    for (int i = 0; i < ncp; i++) {
        uint8_t msg[128];
        size_t len = audit_checkpoint_message(cps[i].gseq, cps[i].head, cps[i].at_us, msg);
        if (memcmp(cps[i].pk, pk, AUDIT_PK_BYTES) != 0 || crypto_sign_verify_detached(cps[i].sig, msg, len, pk) != 0) {
            int rc = s_fail("checkpoint at entry %llu: bad signature", (unsigned long long)cps[i].gseq);
            free(cps);
            return rc;
        }
    }
    uint8_t prev[AUDIT_HASH_BYTES] = {0};
    uint64_t expected = 1, last = 0;
    int next_cp = 0, rc = 0;
    for (;;) {
        char from[24];
        snprintf(from, sizeof from, "%llu", (unsigned long long)expected);
        const char *p[] = {from};
        PGresult *r = PQexecParams(conn,
                                   "SELECT gseq, producer, epoch, seq, event_type, coalesce(case_id, ''), envelope,"
                                   " prev_hash, hash FROM event_log WHERE gseq >= $1 ORDER BY gseq LIMIT 10000",
                                   1, NULL, p, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "pelukanctl: cannot read the log: %s", PQerrorMessage(conn));
            PQclear(r);
            free(cps);
            return 2;
        }
        int n = PQntuples(r);
        for (int i = 0; i < n && rc == 0; i++) {
            uint64_t gseq = pk_be64_get(PQgetvalue(r, i, 0));
            const uint8_t *env = (const uint8_t *)PQgetvalue(r, i, 6);
            size_t env_len = (size_t)PQgetlength(r, i, 6);
            uint8_t h[AUDIT_HASH_BYTES];
            if (gseq != expected) {
                rc = s_fail("entry %llu is missing (the next entry is %llu)", (unsigned long long)expected,
                            (unsigned long long)gseq);
                break;
            }
            if (PQgetlength(r, i, 7) != AUDIT_HASH_BYTES || memcmp(PQgetvalue(r, i, 7), prev, AUDIT_HASH_BYTES) != 0) {
                rc = s_fail("entry %llu does not link to entry %llu (prev_hash differs)", (unsigned long long)gseq,
                            (unsigned long long)(gseq - 1));
                break;
            }
            audit_chain_hash(prev, gseq, PQgetvalue(r, i, 1), pk_be64_get(PQgetvalue(r, i, 2)),
                             pk_be64_get(PQgetvalue(r, i, 3)), env, env_len, h);
            if (PQgetlength(r, i, 8) != AUDIT_HASH_BYTES || memcmp(PQgetvalue(r, i, 8), h, AUDIT_HASH_BYTES) != 0) {
                rc = s_fail("entry %llu was changed (its hash does not match its contents)", (unsigned long long)gseq);
                break;
            }
            Pelukan__V1__Envelope *e = pk_envelope_unpack(env, env_len, env_len);
            bool same = e && strcmp(pk_envelope_type(e), PQgetvalue(r, i, 4)) == 0 &&
                        strcmp(e->case_id, PQgetvalue(r, i, 5)) == 0;
            pk_envelope_free(e);
            if (!same) {
                rc = s_fail("entry %llu: its columns differ from its envelope", (unsigned long long)gseq);
                break;
            }
            while (next_cp < ncp && cps[next_cp].gseq == gseq) {
                if (memcmp(cps[next_cp].head, h, AUDIT_HASH_BYTES) != 0) {
                    rc = s_fail("entry %llu: the chain differs from the signed checkpoint (history rewritten)",
                                (unsigned long long)gseq);
                    break;
                }
                next_cp++;
            }
            memcpy(prev, h, sizeof prev);
            last = gseq;
            expected++;
        }
        PQclear(r);
        if (rc != 0 || n < 10000)
            break;
    }
    if (rc == 0 && next_cp < ncp)
        rc = s_fail("checkpoint at entry %llu signs entries that are missing (the log ends at %llu)",
                    (unsigned long long)cps[next_cp].gseq, (unsigned long long)last);
    if (rc == 0)
        printf("OK: %llu entries in one unbroken chain, %d signed checkpoints valid\n", (unsigned long long)last, ncp);
    free(cps);
    return rc;
}

static int s_usage(void)
{
    fprintf(stderr, "usage: pelukanctl audit verify [--public-key HEX]\n"
                    "  Connects as the audit role (PELUKAN_DB_URL / PELUKAN_AUDIT_DB_URL); the public key is\n"
                    "  derived from PELUKAN_AUDIT_SIGNING_KEY_FILE unless given.\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "audit") != 0 || strcmp(argv[2], "verify") != 0)
        return s_usage();
    if (sodium_init() < 0)
        return 2;
    char err[512];
    const pk_config_def_t *const tables[] = {audit_settings, NULL};
    pk_config_t *cfg = pk_config_new("audit", tables, environ, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "pelukanctl: configuration error: %s\n", err);
        return 2;
    }
    uint8_t pk[AUDIT_PK_BYTES];
    if (argc == 5 && strcmp(argv[3], "--public-key") == 0) {
        size_t bin = 0;
        if (sodium_hex2bin(pk, sizeof pk, argv[4], strlen(argv[4]), NULL, &bin, NULL) != 0 || bin != sizeof pk) {
            fprintf(stderr, "pelukanctl: --public-key wants 64 hex digits\n");
            pk_config_destroy(&cfg);
            return 2;
        }
    } else if (argc == 3) {
        unsigned char *sk = sodium_malloc(64);
        int rc = audit_signing_key_load(pk_config_str(cfg, "PELUKAN_AUDIT_SIGNING_KEY_FILE"), pk, sk);
        sodium_free(sk);
        if (rc != 0) {
            fprintf(stderr, "pelukanctl: PELUKAN_AUDIT_SIGNING_KEY_FILE is not a 32-byte Ed25519 seed\n");
            pk_config_destroy(&cfg);
            return 2;
        }
    } else {
        pk_config_destroy(&cfg);
        return s_usage();
    }
    pk_log_t *log = pk_log_new("pelukanctl", PK_LOG_WARN, PK_LOG_LOGFMT, 2);
    char *ci = pk_pg_conninfo(pk_config_str(cfg, "PELUKAN_DB_URL"), pk_config_own_str(cfg, "DB_URL"), "audit");
    PGconn *conn = pk_pg_connect(ci, log, 5000);
    int rc = conn ? s_verify(conn, pk) : 2;
    PQfinish(conn);
    free(ci);
    pk_log_destroy(&log);
    pk_config_destroy(&cfg);
    return rc;
}
