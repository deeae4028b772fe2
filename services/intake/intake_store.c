/* intake_store.c -- the case owner's statements (intake_store.h). */
#include "intake_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/db.h"
#include "pelukan/error.h"

/* One statement on the command connection, prepared once per session. */
static PGresult *s_exec(PGconn *conn, intake_t *in, const char *sql, int n, const char *const *p)
{
    return pk_pg_exec_prepared(&in->cmd_stmts, conn, in->log, sql, n, p);
}

static int s_run(PGconn *conn, intake_t *in, const char *sql, int n, const char *const *p)
{
    PGresult *r = s_exec(conn, in, sql, n, p);
    if (!r)
        return PK_EDB;
    PQclear(r);
    return 0;
}

/* A bytea column into `out` (0 bytes when NULL); false when it does not fit. */
static bool s_bytes(const PGresult *r, int col, uint8_t *out, size_t cap, size_t *len)
{
    *len = 0;
    if (PQgetisnull(r, 0, col))
        return true;
    long n = pk_pg_bytea_get(r, 0, col, out, cap);
    if (n < 0)
        return false;
    *len = (size_t)n;
    return true;
}

int intake_store_desk_case(PGconn *conn, intake_t *in, const char *case_id, intake_desk_case_t *out)
{
    const char *p[] = {case_id};
    PGresult *r = s_exec(conn, in,
                         "SELECT x.state, x.call_reached, x.wrapped_key, r.wrapped_key, r.safety_sealed, r.id"
                         " FROM cases x JOIN reporter r ON r.id = x.reporter_id WHERE x.id = $1 FOR UPDATE OF x",
                         1, p);
    if (!r)
        return PK_EDB;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return PK_ENOENT;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->state, sizeof out->state, "%s", PQgetvalue(r, 0, 0));
    out->call_reached = pk_pg_bool(r, 0, 1);
    snprintf(out->reporter_id, sizeof out->reporter_id, "%s", PQgetvalue(r, 0, 5));
    bool ok = s_bytes(r, 2, out->case_key, sizeof out->case_key, &out->case_key_len) &&
              s_bytes(r, 3, out->reporter_key, sizeof out->reporter_key, &out->reporter_key_len) &&
              s_bytes(r, 4, out->safety, sizeof out->safety, &out->safety_len);
    PQclear(r);
    if (!ok)
        pk_log_error(in->log, "case %s: a sealed column is larger than its place", case_id);
    return ok ? 0 : PK_EDB;
}

int intake_store_case_exists(PGconn *conn, intake_t *in, const char *case_id, bool *exists)
{
    const char *p[] = {case_id};
    PGresult *r = s_exec(conn, in, "SELECT 1 FROM cases WHERE id = $1", 1, p);
    if (!r)
        return PK_EDB;
    *exists = PQntuples(r) == 1;
    PQclear(r);
    return 0;
}

int intake_store_desk_change(PGconn *conn, intake_t *in, const intake_desk_change_t *ch, char state[16],
                             int *call_attempts)
{
    const char *p[] = {ch->case_id, ch->to ? ch->to : "", ch->call ? "t" : "f", ch->reached ? "t" : "f",
                       ch->duplicate_of ? ch->duplicate_of : ""};
    PGresult *r = s_exec(conn, in,
                         "UPDATE cases SET state = coalesce(NULLIF($2, ''), state), updated_at = now(),"
                         " call_attempts = call_attempts + CASE WHEN $3::boolean THEN 1 ELSE 0 END,"
                         " call_reached = call_reached OR $4::boolean,"
                         " duplicate_of = coalesce(NULLIF($5, ''), duplicate_of)"
                         " WHERE id = $1 RETURNING state, call_attempts",
                         5, p);
    if (!r)
        return PK_EDB;
    int rc = PQntuples(r) == 1 ? 0 : PK_ENOENT;
    if (rc == 0) {
        snprintf(state, 16, "%s", PQgetvalue(r, 0, 0));
        *call_attempts = atoi(PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return rc;
}

int intake_store_timeline(PGconn *conn, intake_t *in, const char *case_id, const char *kind, const char *state,
                          const char *reason_code, const char *staff_id)
{
    const char *p[] = {case_id, kind, state, reason_code ? reason_code : "", staff_id};
    return s_run(conn, in,
                 "INSERT INTO case_event (case_id, kind, state, reason_code, actor_kind, actor_id)"
                 " VALUES ($1, $2, $3, NULLIF($4, ''), 'staff', $5)",
                 5, p);
}

int intake_store_note(PGconn *conn, intake_t *in, const char *case_id, const char *staff_id, const char *kind,
                      const char *outcome, const char *sealed_hex)
{
    const char *p[] = {case_id, staff_id, kind, outcome ? outcome : "", sealed_hex};
    return s_run(conn, in,
                 "INSERT INTO case_note (case_id, staff_id, kind, outcome, body_sealed)"
                 " VALUES ($1, $2, $3, NULLIF($4, ''), $5::bytea)",
                 5, p);
}
