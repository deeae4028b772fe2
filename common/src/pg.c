/* pg.c -- the blocking libpq helpers (pelukan/db.h): statements on a
 * connection a thread owns (the command servers' workers, tools, tests). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_internal.h"
#include "pelukan/db.h"
#include "pelukan/util.h"

/* ---- blocking helpers ------------------------------------------------- */

/* PostgreSQL's messages of class 22 (data exception) quote the offending
 * input, which may be personal; those are logged by SQLSTATE only. */
const char *pk_pg_safe_message(const PGresult *res, const char *fallback)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state && strncmp(state, "22", 2) == 0)
        return "data exception (message withheld: it may quote a value)";
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    return primary ? primary : fallback;
}

const char *pk_pg_sqlstate(const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return state ? state : "";
}

/* Server notices ("relation already exists, skipping") go to the debug log
 * instead of libpq's default, stderr. */
void pk_pg_notice(void *arg, const char *message)
{
    char line[256];
    snprintf(line, sizeof line, "%s", message);
    line[strcspn(line, "\n")] = '\0';
    pk_log_debug((const pk_log_t *)arg, "PostgreSQL notice: %s", line);
}

static void s_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

PGconn *pk_pg_connect(const char *conninfo, const pk_log_t *log, int timeout_ms)
{
    uint64_t deadline = pk_mono_us() + (uint64_t)timeout_ms * 1000u;
    int backoff = 100;
    for (;;) {
        PGconn *conn = PQconnectdb(conninfo);
        if (PQstatus(conn) == CONNECTION_OK) {
            PQsetNoticeProcessor(conn, pk_pg_notice, (void *)log);
            return conn;
        }
        char reason[256];
        snprintf(reason, sizeof reason, "%s", PQerrorMessage(conn));
        reason[strcspn(reason, "\n")] = '\0';
        PQfinish(conn);
        if (pk_mono_us() + (uint64_t)backoff * 1000u > deadline) {
            pk_log_error(log, "PQconnectdb() failed: %s, giving up after %d ms", reason, timeout_ms);
            return NULL;
        }
        pk_log_warn(log, "PQconnectdb() failed: %s, retrying in %d ms", reason, backoff);
        s_sleep_ms(backoff);
        backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
    }
}

/* `res` when it succeeded; otherwise logs what failed (SQLSTATE, a message
 * that cannot quote a value, the statement's start), clears it, NULL. */
static PGresult *s_checked(PGconn *conn, const pk_log_t *log, const char *what, const char *sql, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    char first_line[80];
    snprintf(first_line, sizeof first_line, "%s", sql);
    first_line[strcspn(first_line, "\n")] = '\0';
    pk_log_error(log, "%s failed: SQLSTATE %s: %s (statement: %s...)", what, pk_pg_sqlstate(res),
                 pk_pg_safe_message(res, PQerrorMessage(conn)), first_line);
    PQclear(res);
    return NULL;
}

PGresult *pk_pg_exec(PGconn *conn, const pk_log_t *log, const char *sql, int nparams, const char *const *params)
{
    return s_checked(conn, log, "query", sql, PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0));
}

/* The name `sql` is prepared under on this session, prepared first if it
 * is new there; "" when there are too many to prepare (run it unprepared);
 * NULL when preparing failed (logged). */
static const char *s_prepared(pk_pg_stmts_t *stmts, PGconn *conn, const pk_log_t *log, const char *sql, int nparams,
                              char name[24])
{
    int pid = PQbackendPID(conn);
    if (stmts->conn != conn || stmts->pid != pid) {
        stmts->n = 0; /* a new session: nothing is prepared there */
        stmts->conn = conn;
        stmts->pid = pid;
    }
    int i = 0;
    while (i < stmts->n && stmts->sql[i] != sql)
        i++;
    if (i == PK_PG_STMTS_MAX)
        return "";
    snprintf(name, 24, "pk_stmt_%d", i);
    if (i == stmts->n) {
        PGresult *r = s_checked(conn, log, "prepare", sql, PQprepare(conn, name, sql, nparams, NULL));
        if (!r)
            return NULL;
        PQclear(r);
        stmts->sql[stmts->n++] = sql;
    }
    return name;
}

PGresult *pk_pg_exec_prepared(pk_pg_stmts_t *stmts, PGconn *conn, const pk_log_t *log, const char *sql, int nparams,
                              const char *const *params)
{
    char buf[24];
    const char *name = s_prepared(stmts, conn, log, sql, nparams, buf);
    if (!name)
        return NULL;
    if (!*name)
        return pk_pg_exec(conn, log, sql, nparams, params);
    return s_checked(conn, log, "query", sql, PQexecPrepared(conn, name, nparams, params, NULL, NULL, 0));
}

int pk_pg_exec_many(pk_pg_stmts_t *stmts, PGconn *conn, const pk_log_t *log, const char *sql, int nparams,
                    const char *const *params, int n, PGresult **results)
{
    char buf[24];
    const char *name = s_prepared(stmts, conn, log, sql, nparams, buf);
    if (!name || PQenterPipelineMode(conn) != 1)
        return PK_EDB;
    bool sent = true;
    for (int i = 0; i < n && sent; i++)
        sent = (*name ? PQsendQueryPrepared(conn, name, nparams, params + (size_t)i * nparams, NULL, NULL, 0)
                      : PQsendQueryParams(conn, sql, nparams, NULL, params + (size_t)i * nparams, NULL, NULL, 0)) == 1;
    sent = sent && PQpipelineSync(conn) == 1;
    int failed = sent ? 0 : n, got = 0;
    for (int i = 0; sent && i < n; i++) {
        PGresult *r = PQgetResult(conn);
        ExecStatusType st = PQresultStatus(r);
        if (r && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
            results[got++] = r;
        } else {
            if (failed++ == 0 && st != PGRES_PIPELINE_ABORTED)
                pk_log_error(log, "query failed: SQLSTATE %s (statement: %.40s...)", pk_pg_sqlstate(r), sql);
            PQclear(r);
        }
        while (r && (r = PQgetResult(conn)) != NULL) /* the end of the statement's results */
            PQclear(r);
    }
    for (PGresult *r; sent && (r = PQgetResult(conn)) != NULL;) { /* the sync */
        bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
        if (sync)
            break;
    }
    PQexitPipelineMode(conn);
    if (failed == 0)
        return 0;
    for (int i = 0; i < got; i++)
        PQclear(results[i]);
    return PK_EDB;
}

char *pk_pg_text_array(char *const *v, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 3;
    char *out = pk_malloc(len), *p = out;
    *p++ = '{';
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s\"%s\"", i ? "," : "", v[i]);
    *p++ = '}';
    *p = '\0';
    return out;
}

char *pk_pg_sealed(const uint8_t key[PK_DATAKEY_BYTES], const char *context, const void *plain, size_t len)
{
    uint8_t *sealed = pk_malloc(len + PK_SEAL_OVERHEAD);
    pk_seal(key, context, plain, len, sealed);
    char *hex = pk_pg_bytea(sealed, len + PK_SEAL_OVERHEAD);
    free(sealed);
    return hex;
}

char *pk_pg_opened_text(pk_arena_t **arena, const PGresult *res, int row, int col, const uint8_t key[PK_DATAKEY_BYTES],
                        const char *context)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    size_t cap = (size_t)PQgetlength(res, row, col) / 2;
    uint8_t *sealed = pk_malloc(cap ? cap : 1);
    long n = pk_pg_bytea_get(res, row, col, sealed, cap);
    char *text = NULL;
    if (n > PK_SEAL_OVERHEAD) {
        size_t len = (size_t)n - PK_SEAL_OVERHEAD;
        text = pk_arena_alloc(arena, len + 1); /* zeroed: the terminator is there */
        if (pk_open(key, context, sealed, (size_t)n, (uint8_t *)text) != 0) {
            sodium_memzero(text, len);
            text = NULL;
        }
    }
    free(sealed);
    return text;
}

int pk_pg_case_key(PGconn *conn, pk_pg_stmts_t *stmts, const pk_keyring_t *keys, const pk_log_t *log,
                   const char *case_id, bool create, uint8_t key[PK_DATAKEY_BYTES])
{
    char ctx[64];
    snprintf(ctx, sizeof ctx, "case:%s", case_id);
    const char *p[] = {case_id};
    PGresult *r = pk_pg_exec_prepared(stmts, conn, log, "SELECT wrapped_key FROM case_key WHERE case_id = $1", 1, p);
    if (!r)
        return PK_EDB;
    int rc = PK_ENOENT;
    if (PQntuples(r) == 1) {
        uint8_t wrapped[PK_WRAPPED_KEY_BYTES + 8];
        long n = pk_pg_bytea_get(r, 0, 0, wrapped, sizeof wrapped);
        rc = n > 0 ? pk_datakey_unwrap(keys, ctx, wrapped, (size_t)n, key) : PK_ECRYPTO;
    } else if (create) {
        uint8_t wrapped[PK_WRAPPED_KEY_BYTES];
        pk_datakey_new(keys, ctx, key, wrapped);
        char *hex = pk_pg_bytea(wrapped, sizeof wrapped);
        const char *ins[] = {case_id, hex};
        PGresult *i = pk_pg_exec_prepared(stmts, conn, log,
                                          "INSERT INTO case_key (case_id, wrapped_key) VALUES ($1, $2::bytea)", 2, ins);
        rc = i ? 0 : PK_EDB;
        PQclear(i);
        free(hex);
    }
    PQclear(r);
    return rc;
}

int pk_pg_run(PGconn *conn, const pk_log_t *log, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = pk_pg_exec(conn, log, sql, nparams, params);
    if (!res)
        return PK_EDB;
    PQclear(res);
    return 0;
}

char *pk_pg_bytea(const void *data, size_t len)
{
    char *out = pk_malloc(2 * len + 3);
    out[0] = '\\';
    out[1] = 'x';
    pk_hex(data, len, out + 2);
    return out;
}

long pk_pg_bytea_get(const PGresult *res, int row, int col, uint8_t *out, size_t cap)
{
    const char *v = PQgetvalue(res, row, col);
    size_t bin = 0;
    if (strncmp(v, "\\x", 2) != 0 || sodium_hex2bin(out, cap, v + 2, strlen(v + 2), NULL, &bin, NULL) != 0)
        return -1;
    return (long)bin;
}

char *pk_pg_conninfo(const char *shared, const char *own, const char *role)
{
    /* A server that accepts but never answers must not hang a blocking
     * connect (relay, subscriber, command server): 10 s unless given. */
    const char *base = own && *own ? own : shared;
    const char *timeout = strstr(base, "connect_timeout") ? "" : " connect_timeout=10";
    if (own && *own)
        return pk_asprintf("%s%s", own, timeout);
    return pk_asprintf("%s user=%s%s", shared, role, timeout);
}
