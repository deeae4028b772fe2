/* ctl_proof.c -- `pelukanctl audit prove` and `audit check-proof`.
 *
 * A proof is a text file that an auditor can check offline with nothing
 * but the audit's public key:
 *
 *   pelukan-audit-proof 1
 *   checkpoint <gseq> <signed_at_us> <head> <tree_root> <public_key> <signature>
 *   entry <gseq> <producer> <epoch> <seq> <prev_hash> <envelope>
 *   path <hash>...                  (inclusion of the entry above, RFC 9162)
 *   consistency <hash>...           (the first checkpoint is a prefix of the second)
 *
 * Hashes, keys and envelopes in hex. Entries and paths refer to the last
 * checkpoint before them. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/audit/audit_chain.h"
#include "../../services/audit/audit_merkle.h"
#include "ctl.h"
#include "pelukan/bus.h"
#include "pelukan/db.h"
#include "pelukan/util.h"

#define S_MAGIC "pelukan-audit-proof 1"

typedef struct {
    uint64_t gseq, at_us;
    uint8_t head[32], root[32], pk[32], sig[64];
} s_cp_t;

static void s_put_hex(FILE *out, const uint8_t *data, size_t len)
{
    char *hex = pk_malloc(2 * len + 1);
    pk_hex(data, len, hex);
    fputs(hex, out);
    free(hex);
}

static void s_print_cp(const s_cp_t *cp)
{
    printf("checkpoint %llu %llu ", (unsigned long long)cp->gseq, (unsigned long long)cp->at_us);
    s_put_hex(stdout, cp->head, 32);
    putchar(' ');
    s_put_hex(stdout, cp->root, 32);
    putchar(' ');
    s_put_hex(stdout, cp->pk, 32);
    putchar(' ');
    s_put_hex(stdout, cp->sig, 64);
    putchar('\n');
}

static void s_print_path(const char *tag, const audit_hash_t *path, int n)
{
    fputs(tag, stdout);
    for (int i = 0; i < n; i++) {
        putchar(' ');
        s_put_hex(stdout, path[i], 32);
    }
    putchar('\n');
}

/* The checkpoint at `gseq`, or the newest when 0; v2 (with a root) only. */
static bool s_load_cp(PGconn *conn, uint64_t gseq, s_cp_t *cp)
{
    char g[24];
    snprintf(g, sizeof g, "%llu", (unsigned long long)gseq);
    const char *p[] = {g};
    PGresult *r = PQexecParams(conn,
                               "SELECT gseq, signed_at_us, head_hash, tree_root, public_key, signature FROM checkpoint"
                               " WHERE tree_root IS NOT NULL AND ($1 = 0 OR gseq = $1) ORDER BY gseq DESC LIMIT 1",
                               1, NULL, p, NULL, NULL, 1);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetlength(r, 0, 2) == 32 &&
              PQgetlength(r, 0, 3) == 32 && PQgetlength(r, 0, 4) == 32 && PQgetlength(r, 0, 5) == 64;
    if (ok) {
        cp->gseq = pk_be64_get(PQgetvalue(r, 0, 0));
        cp->at_us = pk_be64_get(PQgetvalue(r, 0, 1));
        memcpy(cp->head, PQgetvalue(r, 0, 2), 32);
        memcpy(cp->root, PQgetvalue(r, 0, 3), 32);
        memcpy(cp->pk, PQgetvalue(r, 0, 4), 32);
        memcpy(cp->sig, PQgetvalue(r, 0, 5), 64);
    } else if (gseq) {
        fprintf(stderr, "pelukanctl: no signed checkpoint with a Merkle root at entry %llu\n",
                (unsigned long long)gseq);
    } else {
        fprintf(stderr, "pelukanctl: no signed checkpoint with a Merkle root yet\n");
    }
    PQclear(r);
    return ok;
}

/* The leaf hashes of entries 1..n, checked against the signed root. */
static audit_hash_t *s_leaves(PGconn *conn, const s_cp_t *cp)
{
    char g[24];
    snprintf(g, sizeof g, "%llu", (unsigned long long)cp->gseq);
    const char *p[] = {g};
    PGresult *r = PQexecParams(conn, "SELECT gseq, hash FROM event_log WHERE gseq <= $1 ORDER BY gseq", 1, NULL, p,
                               NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pelukanctl: cannot read the log: %s", PQerrorMessage(conn));
        PQclear(r);
        return NULL;
    }
    uint64_t n = (uint64_t)PQntuples(r);
    audit_hash_t *leaves = pk_calloc(n ? n : 1, sizeof *leaves);
    bool ok = n == cp->gseq;
    for (uint64_t i = 0; ok && i < n; i++) {
        ok = pk_be64_get(PQgetvalue(r, (int)i, 0)) == i + 1 && PQgetlength(r, (int)i, 1) == 32;
        if (ok)
            audit_merkle_leaf((const uint8_t *)PQgetvalue(r, (int)i, 1), leaves[i]);
    }
    PQclear(r);
    uint8_t root[32];
    if (ok)
        audit_merkle_mth(leaves, n, root);
    if (!ok || memcmp(root, cp->root, 32) != 0) {
        fprintf(stderr,
                "pelukanctl: the log no longer matches checkpoint %llu: no proof made; run pelukanctl audit verify\n",
                (unsigned long long)cp->gseq);
        free(leaves);
        return NULL;
    }
    return leaves;
}

/* "{1,2,3}": a bigint[] parameter. Caller frees. */
static char *s_gseq_array(const uint64_t *gseqs, size_t n)
{
    char *out = pk_malloc(2 + n * 21);
    size_t used = 0;
    out[used++] = '{';
    for (size_t i = 0; i < n; i++)
        used += (size_t)sprintf(out + used, "%s%llu", i ? "," : "", (unsigned long long)gseqs[i]);
    out[used++] = '}';
    out[used] = '\0';
    return out;
}

/* The case's entries are found by the archive (their pseudonym is the
 * audit's), then proved from the log as stored. */
static int s_prove_case(const ctl_t *ctl, PGconn *conn, const char *case_id, uint64_t at)
{
    s_cp_t cp;
    if (!s_load_cp(conn, at, &cp))
        return CTL_ERROR;
    audit_hash_t *leaves = s_leaves(conn, &cp);
    if (!leaves)
        return CTL_ERROR;
    uint64_t *gseqs;
    size_t n;
    if (ctl_audit_case_entries(ctl, case_id, &gseqs, &n) != CTL_OK) {
        free(gseqs);
        free(leaves);
        return CTL_ERROR;
    }
    char g[24], *list = s_gseq_array(gseqs, n);
    free(gseqs);
    snprintf(g, sizeof g, "%llu", (unsigned long long)cp.gseq);
    const char *p[] = {list, g};
    PGresult *r = PQexecParams(conn,
                               "SELECT gseq, producer, epoch, seq, prev_hash, envelope FROM event_log"
                               " WHERE gseq = ANY($1::bigint[]) AND gseq <= $2 ORDER BY gseq",
                               2, NULL, p, NULL, NULL, 1);
    free(list);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) == 0) {
        fprintf(stderr, "pelukanctl: no entries of case %s up to checkpoint %llu\n", case_id,
                (unsigned long long)cp.gseq);
        PQclear(r);
        free(leaves);
        return CTL_ERROR;
    }
    puts(S_MAGIC);
    s_print_cp(&cp);
    for (int i = 0; i < PQntuples(r); i++) {
        uint64_t gseq = pk_be64_get(PQgetvalue(r, i, 0));
        printf("entry %llu %s %llu %llu ", (unsigned long long)gseq, PQgetvalue(r, i, 1),
               (unsigned long long)pk_be64_get(PQgetvalue(r, i, 2)),
               (unsigned long long)pk_be64_get(PQgetvalue(r, i, 3)));
        s_put_hex(stdout, (const uint8_t *)PQgetvalue(r, i, 4), (size_t)PQgetlength(r, i, 4));
        putchar(' ');
        s_put_hex(stdout, (const uint8_t *)PQgetvalue(r, i, 5), (size_t)PQgetlength(r, i, 5));
        putchar('\n');
        audit_hash_t path[AUDIT_MERKLE_MAX_PATH];
        s_print_path("path", path, audit_merkle_inclusion_proof(leaves, cp.gseq, gseq - 1, path));
    }
    PQclear(r);
    free(leaves);
    return CTL_OK;
}

static int s_prove_consistency(PGconn *conn, uint64_t from, uint64_t to)
{
    s_cp_t old, cur;
    if (from == 0 || from > to) {
        fprintf(stderr, "pelukanctl: --from must name an earlier checkpoint than --to\n");
        return CTL_ERROR;
    }
    if (!s_load_cp(conn, from, &old) || !s_load_cp(conn, to, &cur))
        return CTL_ERROR;
    audit_hash_t *leaves = s_leaves(conn, &cur);
    if (!leaves)
        return CTL_ERROR;
    audit_hash_t path[AUDIT_MERKLE_MAX_PATH];
    int n = audit_merkle_consistency_proof(leaves, old.gseq, cur.gseq, path);
    puts(S_MAGIC);
    s_print_cp(&old);
    s_print_cp(&cur);
    s_print_path("consistency", path, n);
    free(leaves);
    return CTL_OK;
}

int ctl_audit_prove(const ctl_t *ctl, int argc, char **argv)
{
    const char *case_id = NULL;
    uint64_t at = 0, from = 0, to = 0;
    for (int i = 0; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--case") == 0 && v)
            case_id = v;
        else if (strcmp(argv[i], "--checkpoint") == 0 && v)
            at = strtoull(v, NULL, 10);
        else if (strcmp(argv[i], "--from") == 0 && v)
            from = strtoull(v, NULL, 10);
        else if (strcmp(argv[i], "--to") == 0 && v)
            to = strtoull(v, NULL, 10);
        else {
            fprintf(stderr, "pelukanctl audit prove: unknown argument \"%s\"\n", argv[i]);
            return CTL_ERROR;
        }
        i++;
    }
    if (!case_id == !(from && to)) {
        fprintf(stderr, "pelukanctl audit prove: give --case ID [--checkpoint GSEQ], or --from GSEQ --to GSEQ\n");
        return CTL_ERROR;
    }
    PGconn *conn = ctl_db(ctl);
    if (!conn)
        return CTL_ERROR;
    int rc = case_id ? s_prove_case(ctl, conn, case_id, at) : s_prove_consistency(conn, from, to);
    PQfinish(conn);
    return rc;
}

/* ---- check-proof (offline) ---------------------------------------------- */

static bool s_hex_in(const char *hex, uint8_t *out, size_t len)
{
    size_t bin = 0;
    return hex && strlen(hex) == 2 * len && sodium_hex2bin(out, len, hex, 2 * len, NULL, &bin, NULL) == 0 && bin == len;
}

typedef struct {
    const uint8_t *pk;
    s_cp_t cps[2];
    int ncp;
    bool have_entry;
    uint64_t entry_gseq;
    uint8_t leaf[32];
    int entries, lineno;
    char *last_entry; /* the entry line, printed once proven */
} s_check_t;

static int s_bad(const s_check_t *c, const char *what)
{
    printf("FAILED: line %d: %s\n", c->lineno, what);
    return CTL_FAILED;
}

static int s_read_path(char *rest, audit_hash_t *path, int *n)
{
    *n = 0;
    for (char *t = strtok(rest, " \n"); t; t = strtok(NULL, " \n")) {
        if (*n == AUDIT_MERKLE_MAX_PATH || !s_hex_in(t, path[*n], 32))
            return -1;
        (*n)++;
    }
    return 0;
}

static int s_checkpoint_line(s_check_t *c, char *rest)
{
    if (c->ncp == 2)
        return s_bad(c, "more than two checkpoints");
    s_cp_t *cp = &c->cps[c->ncp];
    char *f[6];
    for (int i = 0; i < 6; i++)
        f[i] = strtok(i ? NULL : rest, " \n");
    if (!f[5] || !s_hex_in(f[2], cp->head, 32) || !s_hex_in(f[3], cp->root, 32) || !s_hex_in(f[4], cp->pk, 32) ||
        !s_hex_in(f[5], cp->sig, 64))
        return s_bad(c, "malformed checkpoint");
    cp->gseq = strtoull(f[0], NULL, 10);
    cp->at_us = strtoull(f[1], NULL, 10);
    uint8_t msg[128];
    size_t len = audit_checkpoint_message(cp->gseq, cp->head, cp->root, cp->at_us, msg);
    if (memcmp(cp->pk, c->pk, 32) != 0 || crypto_sign_verify_detached(cp->sig, msg, len, c->pk) != 0)
        return s_bad(c, "the checkpoint is not signed by the audit's key");
    c->ncp++;
    return CTL_OK;
}

static int s_entry_line(s_check_t *c, char *line, char *rest)
{
    if (c->ncp == 0)
        return s_bad(c, "an entry before any checkpoint");
    char *f[6];
    for (int i = 0; i < 6; i++)
        f[i] = strtok(i ? NULL : rest, " \n");
    uint8_t prev[32];
    size_t hex_len = f[5] ? strlen(f[5]) : 1;
    if (!f[5] || hex_len % 2 || !s_hex_in(f[4], prev, 32))
        return s_bad(c, "malformed entry");
    uint8_t *env = pk_malloc(hex_len / 2 + 1);
    size_t env_len = 0;
    if (sodium_hex2bin(env, hex_len / 2, f[5], hex_len, NULL, &env_len, NULL) != 0) {
        free(env);
        return s_bad(c, "malformed entry");
    }
    uint8_t h[32];
    c->entry_gseq = strtoull(f[0], NULL, 10);
    audit_chain_hash(prev, c->entry_gseq, f[1], strtoull(f[2], NULL, 10), strtoull(f[3], NULL, 10), env, env_len, h);
    audit_merkle_leaf(h, c->leaf);
    free(env);
    c->have_entry = true;
    free(c->last_entry);
    c->last_entry = line;
    return CTL_OK;
}

static int s_path_line(s_check_t *c, char *rest)
{
    audit_hash_t path[AUDIT_MERKLE_MAX_PATH];
    int n;
    if (!c->have_entry || s_read_path(rest, path, &n) != 0)
        return s_bad(c, "a path without its entry, or malformed");
    const s_cp_t *cp = &c->cps[c->ncp - 1];
    if (c->entry_gseq == 0 || !audit_merkle_verify_inclusion(c->leaf, c->entry_gseq - 1, cp->gseq, path, n, cp->root))
        return s_bad(c, "the entry is not in the signed tree (wrong entry, path or checkpoint)");
    /* Proven: show it decoded. */
    char *f[7];
    for (int i = 0; i < 7; i++)
        f[i] = strtok(i ? NULL : c->last_entry, " \n");
    size_t hex_len = strlen(f[6]);
    uint8_t *env = pk_malloc(hex_len / 2 + 1);
    size_t env_len = 0;
    sodium_hex2bin(env, hex_len / 2, f[6], hex_len, NULL, &env_len, NULL);
    Pelukan__V1__Envelope *e = pk_envelope_unpack(env, env_len, env_len);
    fputs("proven: ", stdout);
    ctl_print_entry(stdout, c->entry_gseq, f[2], strtoull(f[3], NULL, 10), strtoull(f[4], NULL, 10), e, false);
    pk_envelope_free(e);
    free(env);
    c->have_entry = false;
    c->entries++;
    return CTL_OK;
}

static int s_consistency_line(s_check_t *c, char *rest)
{
    audit_hash_t path[AUDIT_MERKLE_MAX_PATH];
    int n;
    if (c->ncp != 2 || s_read_path(rest, path, &n) != 0)
        return s_bad(c, "a consistency proof needs two checkpoints before it, or is malformed");
    const s_cp_t *old = &c->cps[0], *cur = &c->cps[1];
    if (!audit_merkle_verify_consistency(old->gseq, cur->gseq, old->root, cur->root, path, n))
        return s_bad(c, "the older checkpoint is not a prefix of the newer one: history was rewritten");
    printf("OK: the log signed at entry %llu is a prefix of the log signed at entry %llu\n",
           (unsigned long long)old->gseq, (unsigned long long)cur->gseq);
    c->entries = -1;
    return CTL_OK;
}

int ctl_audit_check_proof(const ctl_t *ctl, int argc, char **argv)
{
    const char *key = NULL, *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--public-key") == 0 && i + 1 < argc)
            key = argv[++i];
        else if (!path && argv[i][0] != '-')
            path = argv[i];
        else {
            fprintf(stderr, "pelukanctl audit check-proof: unknown argument \"%s\"\n", argv[i]);
            return CTL_ERROR;
        }
    }
    uint8_t pk[32];
    if (!ctl_public_key(ctl, key, pk))
        return CTL_ERROR;
    FILE *in = path ? fopen(path, "r") : stdin;
    if (!in) {
        fprintf(stderr, "pelukanctl: cannot open %s\n", path);
        return CTL_ERROR;
    }
    s_check_t c = {.pk = pk};
    char *line = NULL;
    size_t cap = 0;
    int rc = CTL_OK;
    bool magic = false;
    while (rc == CTL_OK && getline(&line, &cap, in) > 0) {
        c.lineno++;
        if (!magic) {
            magic = strncmp(line, S_MAGIC, strlen(S_MAGIC)) == 0;
            if (!magic)
                rc = s_bad(&c, "not a PELUKAN audit proof");
            continue;
        }
        char *copy = pk_strdup(line);
        char *sp = strchr(copy, ' ');
        char *rest = sp ? sp + 1 : copy + strlen(copy);
        size_t tag = (size_t)(sp ? sp - copy : (ptrdiff_t)strcspn(copy, "\n"));
        if (tag == 10 && strncmp(copy, "checkpoint", 10) == 0)
            rc = s_checkpoint_line(&c, rest);
        else if (tag == 5 && strncmp(copy, "entry", 5) == 0) {
            rc = s_entry_line(&c, pk_strdup(line), rest);
        } else if (tag == 4 && strncmp(copy, "path", 4) == 0)
            rc = s_path_line(&c, rest);
        else if (tag == 11 && strncmp(copy, "consistency", 11) == 0)
            rc = s_consistency_line(&c, rest);
        else if (copy[0] != '\n')
            rc = s_bad(&c, "unknown line");
        free(copy);
    }
    free(line);
    free(c.last_entry);
    if (in != stdin)
        fclose(in);
    if (rc == CTL_OK && c.have_entry)
        rc = s_bad(&c, "an entry without its path");
    if (rc == CTL_OK && c.entries == 0)
        rc = s_bad(&c, "nothing to check");
    if (rc == CTL_OK && c.entries > 0)
        printf("OK: %d entries are in the log signed at entry %llu\n", c.entries,
               (unsigned long long)c.cps[c.ncp - 1].gseq);
    return rc;
}
