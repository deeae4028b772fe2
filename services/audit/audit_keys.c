/* audit_keys.c -- case keys, pseudonyms and tombstones (see audit_keys.h). */
#include "audit_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/util.h"

static void s_context(char *out, size_t cap, const char *case_id)
{
    snprintf(out, cap, "case:%s", case_id);
}

void audit_tomb(const pk_keyring_t *keys, const char *case_id, char tomb[AUDIT_TOMB_LEN + 1])
{
    pk_blind_index(keys, "audit-erased", case_id, strlen(case_id), tomb);
}

/* Unwraps the key in column `col` of row 0 for `case_id`: 0 or PK_ECRYPTO
 * (an empty key: the tombstone of an erasure made before pseudonyms). */
static int s_unwrap(const pk_keyring_t *keys, const PGresult *r, int col, const char *case_id,
                    uint8_t key[PK_DATAKEY_BYTES])
{
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES + 8];
    long n = pk_pg_bytea_get(r, 0, col, wrapped, sizeof wrapped);
    char ctx[300];
    s_context(ctx, sizeof ctx, case_id);
    return n > 0 ? pk_datakey_unwrap(keys, ctx, wrapped, (size_t)n, key) : PK_ECRYPTO;
}

int audit_key_of_case(PGconn *conn, pk_pg_stmts_t *stmts, const pk_keyring_t *keys, const pk_log_t *log,
                      const char *case_id, bool create, uint8_t key[PK_DATAKEY_BYTES], char ref[AUDIT_REF_LEN + 1])
{
    const char *p[] = {case_id};
    PGresult *r = pk_pg_exec_prepared(stmts, conn, log,
                                      "SELECT wrapped_key, coalesce(ref, '') FROM case_key WHERE case_id = $1", 1, p);
    if (!r)
        return PK_EDB;
    if (PQntuples(r) == 1) {
        int rc = s_unwrap(keys, r, 0, case_id, key);
        snprintf(ref, AUDIT_REF_LEN + 1, "%s", PQgetvalue(r, 0, 1));
        PQclear(r);
        return rc == 0 && !ref[0] ? PK_ECRYPTO : rc;
    }
    PQclear(r);
    char tomb[AUDIT_TOMB_LEN + 1];
    audit_tomb(keys, case_id, tomb);
    const char *t[] = {tomb};
    r = pk_pg_exec_prepared(stmts, conn, log, "SELECT 1 FROM case_erased WHERE tomb = $1", 1, t);
    if (!r)
        return PK_EDB;
    bool erased = PQntuples(r) == 1;
    PQclear(r);
    if (erased)
        return PK_ECRYPTO;
    if (!create)
        return PK_ENOENT;
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES];
    char ctx[300];
    s_context(ctx, sizeof ctx, case_id);
    pk_datakey_new(keys, ctx, key, wrapped);
    pk_id_new(ref);
    char *hex = pk_pg_bytea(wrapped, sizeof wrapped);
    const char *ins[] = {case_id, hex, ref};
    r = pk_pg_exec_prepared(stmts, conn, log, "INSERT INTO case_key (case_id, wrapped_key, ref) VALUES ($1, $2::bytea, $3)",
                            3, ins);
    free(hex);
    int rc = r ? 0 : PK_EDB;
    PQclear(r);
    return rc;
}

int audit_key_of_entry(PGconn *conn, pk_pg_stmts_t *stmts, const pk_keyring_t *keys, const pk_log_t *log,
                       const char *name, bool by_ref, uint8_t key[PK_DATAKEY_BYTES])
{
    const char *p[] = {name};
    PGresult *r = pk_pg_exec_prepared(stmts, conn, log,
                                      by_ref ? "SELECT case_id, wrapped_key FROM case_key WHERE ref = $1"
                                             : "SELECT case_id, wrapped_key FROM case_key WHERE case_id = $1",
                                      1, p);
    if (!r)
        return PK_EDB;
    int rc = PQntuples(r) == 1 ? s_unwrap(keys, r, 1, PQgetvalue(r, 0, 0), key) : PK_ECRYPTO;
    PQclear(r);
    return rc;
}

int audit_key_erase(PGconn *conn, pk_pg_stmts_t *stmts, const pk_log_t *log, const char *case_id, const char *tomb)
{
    const char *p[] = {case_id};
    PGresult *r = pk_pg_exec_prepared(stmts, conn, log, "DELETE FROM case_key WHERE case_id = $1", 1, p);
    if (!r)
        return PK_EDB;
    PQclear(r);
    const char *t[] = {tomb};
    r = pk_pg_exec_prepared(stmts, conn, log, "INSERT INTO case_erased (tomb) VALUES ($1) ON CONFLICT DO NOTHING", 1,
                            t);
    int rc = r ? 0 : PK_EDB;
    PQclear(r);
    return rc;
}
