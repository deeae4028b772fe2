/* migrate.c -- applies NNNN_*.sql files once each, checked by SHA-256. */
#include "pelukan/migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/db.h"
#include "pelukan/util.h"

typedef struct {
    int version;
    char *name;
} s_file_t;

static int s_cmp(const void *a, const void *b)
{
    return ((const s_file_t *)a)->version - ((const s_file_t *)b)->version;
}

/* Accepts exactly NNNN_<what>.sql. */
static bool s_parse_name(const char *name, int *version)
{
    size_t len = strlen(name);
    if (len < 10 || strcmp(name + len - 4, ".sql") != 0 || name[4] != '_')
        return false;
    for (int i = 0; i < 4; i++) {
        if (!isdigit((unsigned char)name[i]))
            return false;
    }
    *version = atoi(name);
    return true;
}

static int s_list(const pk_log_t *log, const char *dir, s_file_t **out, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        pk_log_error(log, "migrations: cannot open directory %s: %m", dir);
        return PK_EIO;
    }
    s_file_t *files = NULL;
    size_t n = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        int version;
        if (!s_parse_name(e->d_name, &version)) {
            pk_log_error(log, "migrations: %s/%s is not named NNNN_<what>.sql, refusing to start", dir, e->d_name);
            rc = PK_EINVAL;
            break;
        }
        files = pk_realloc(files, (n + 1) * sizeof *files);
        files[n++] = (s_file_t){version, pk_strdup(e->d_name)};
    }
    closedir(d);
    if (n > 1)
        qsort(files, n, sizeof *files, s_cmp);
    for (size_t i = 1; rc == 0 && i < n; i++) {
        if (files[i].version == files[i - 1].version) {
            pk_log_error(log, "migrations: %s and %s share version %04d, refusing to start", files[i - 1].name,
                         files[i].name, files[i].version);
            rc = PK_EINVAL;
        }
    }
    *out = files;
    *count = n;
    return rc;
}

static void s_free_files(s_file_t *files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(files[i].name);
    free(files);
}

static void s_sha256_hex(const char *data, size_t len, char out[65])
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const uint8_t *)data, len);
    pk_hex(digest, sizeof digest, out);
}

/* Applies one file and records it, in one transaction. */
static int s_apply(PGconn *conn, const pk_log_t *log, const char *stream, const s_file_t *f, const char *sql,
                   const char *sum)
{
    if (pk_pg_run(conn, log, "BEGIN", 0, NULL) != 0)
        return PK_EDB;
    /* A migration file is trusted code from the repository, run as a
     * simple (multi-statement) query; it carries no values from outside. */
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
        msg[strcspn(msg, "\n")] = '\0';
        pk_log_error(log, "migration %s/%s failed: %s, rolled back, refusing to start", stream, f->name, msg);
        PQclear(res);
        PQclear(PQexec(conn, "ROLLBACK"));
        return PK_EDB;
    }
    PQclear(res);
    char version[16];
    snprintf(version, sizeof version, "%d", f->version);
    const char *params[] = {stream, version, f->name, sum};
    if (pk_pg_run(conn, log, "INSERT INTO schema_migration (stream, version, name, sha256) VALUES ($1, $2, $3, $4)", 4,
                  params) != 0 ||
        pk_pg_run(conn, log, "COMMIT", 0, NULL) != 0) {
        PQclear(PQexec(conn, "ROLLBACK"));
        return PK_EDB;
    }
    pk_log_info(log, "migration %s/%s applied", stream, f->name);
    return 0;
}

static int s_run_locked(PGconn *conn, const pk_log_t *log, const char *schema, const char *stream, const char *dir)
{
    PGresult *res = pk_pg_exec(conn, log, "SELECT current_schema()", 0, NULL);
    if (!res)
        return PK_EDB;
    bool right_schema = !PQgetisnull(res, 0, 0) && strcmp(PQgetvalue(res, 0, 0), schema) == 0;
    PQclear(res);
    if (!right_schema) {
        pk_log_error(log, "migrations: current schema is not \"%s\" (set the role's search_path), refusing to start",
                     schema);
        return PK_EINVAL;
    }
    if (pk_pg_run(conn, log,
                  "CREATE TABLE IF NOT EXISTS schema_migration ("
                  " stream text NOT NULL, version int NOT NULL, name text NOT NULL, sha256 text NOT NULL,"
                  " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (stream, version))",
                  0, NULL) != 0)
        return PK_EDB;

    s_file_t *files = NULL;
    size_t n = 0;
    int rc = s_list(log, dir, &files, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *path = pk_asprintf("%s/%s", dir, files[i].name);
        char *sql = NULL;
        size_t len = 0;
        if (pk_read_file(path, &sql, &len) != 0) {
            pk_log_error(log, "migrations: cannot read %s: %m, refusing to start", path);
            rc = PK_EIO;
            free(path);
            break;
        }
        char sum[65];
        s_sha256_hex(sql, len, sum);
        char version[16];
        snprintf(version, sizeof version, "%d", files[i].version);
        const char *params[] = {stream, version};
        res = pk_pg_exec(conn, log, "SELECT name, sha256 FROM schema_migration WHERE stream = $1 AND version = $2", 2,
                         params);
        if (!res) {
            rc = PK_EDB;
        } else if (PQntuples(res) == 1) {
            if (strcmp(PQgetvalue(res, 0, 1), sum) != 0 || strcmp(PQgetvalue(res, 0, 0), files[i].name) != 0) {
                pk_log_error(log,
                             "migration %s was changed after it was applied (sha256 %s, applied %s as %s); "
                             "applied migrations are forward-only: add a new file instead. Refusing to start",
                             path, sum, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0));
                rc = PK_ECHECKSUM;
            }
        } else {
            rc = s_apply(conn, log, stream, &files[i], sql, sum);
        }
        PQclear(res);
        free(sql);
        free(path);
    }
    s_free_files(files, n);
    return rc;
}

int pk_migrate_run(PGconn *conn, const pk_log_t *log, const char *schema, const char *stream, const char *dir)
{
    const char *key[] = {schema};
    if (pk_pg_run(conn, log, "SELECT pg_advisory_lock(hashtext('pelukan.migrate.' || $1))", 1, key) != 0)
        return PK_EDB;
    int rc = s_run_locked(conn, log, schema, stream, dir);
    if (pk_pg_run(conn, log, "SELECT pg_advisory_unlock(hashtext('pelukan.migrate.' || $1))", 1, key) != 0 && rc == 0)
        rc = PK_EDB;
    return rc;
}
