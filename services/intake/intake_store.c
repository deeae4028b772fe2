/* intake_store.c -- the case owner's statements (intake_store.h). */
#include "intake_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_case.h"
#include "pelukan/db.h"
#include "pelukan/error.h"
#include "pelukan/pbrow.h"

PGresult *intake_store_exec(PGconn *conn, intake_owner_t *o, const char *sql, int n, const char *const *p)
{
    return pk_pg_exec_prepared(&o->stmts, conn, o->log, sql, n, p);
}

int intake_store_one(PGconn *conn, intake_owner_t *o, const char *sql, int n, const char *const *p, PGresult **out)
{
    *out = intake_store_exec(conn, o, sql, n, p);
    if (!*out)
        return PK_EDB;
    if (PQntuples(*out) == 1)
        return 0;
    PQclear(*out);
    *out = NULL;
    return PK_ENOENT;
}

int intake_store_run(PGconn *conn, intake_owner_t *o, const char *sql, int n, const char *const *p)
{
    PGresult *r = intake_store_exec(conn, o, sql, n, p);
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

char *intake_store_text(pk_arena_t **arena, const PGresult *r, int i, int col)
{
    return pk_arena_strdup(arena, PQgetisnull(r, i, col) ? "" : PQgetvalue(r, i, col));
}

/* Every row of `r` as messages of `desc` (pelukan/pbrow.h); `r` cleared.
 * 0 or PK_EDB. */
static int s_read_all(intake_owner_t *o, PGresult *r, const ProtobufCMessageDescriptor *desc, pk_arena_t **arena,
                      ProtobufCMessage ***items, size_t *n)
{
    char bad[64];
    bool read = r && pk_pbrow_read_all(desc, r, NULL, arena, items, n, bad, sizeof bad);
    if (r && !read)
        pk_log_error(o->log, "%s: column %s fills no field", desc->name, bad);
    PQclear(r);
    return read ? 0 : PK_EDB;
}

int intake_store_read_one(intake_owner_t *o, PGresult *r, ProtobufCMessage *msg, pk_arena_t **arena)
{
    char bad[64];
    int rc = !r                                                       ? PK_EDB
             : PQntuples(r) != 1                                      ? PK_ENOENT
             : pk_pbrow_read(msg, r, 0, NULL, arena, bad, sizeof bad) ? 0
                                                                      : PK_EDB;
    if (rc == PK_EDB && r)
        pk_log_error(o->log, "%s: column %s fills no field", msg->descriptor->name, bad);
    PQclear(r);
    return rc;
}

uint8_t *intake_store_blob(pk_arena_t **arena, const PGresult *r, int col, size_t *len)
{
    size_t cap = PQgetisnull(r, 0, col) ? 0 : (size_t)PQgetlength(r, 0, col);
    uint8_t *out = cap ? pk_arena_alloc(arena, cap) : NULL;
    long got = cap ? pk_pg_bytea_get(r, 0, col, out, cap) : 0;
    *len = got > 0 ? (size_t)got : 0;
    return *len ? out : NULL;
}

int intake_store_desk_case(PGconn *conn, intake_owner_t *o, const char *case_id, intake_desk_case_t *out)
{
    const char *p[] = {case_id};
    PGresult *r;
    int found =
        intake_store_one(conn, o,
                         "SELECT x.state, x.call_reached, x.wrapped_key, r.wrapped_key, r.safety_sealed, r.id"
                         " FROM cases x JOIN reporter r ON r.id = x.reporter_id WHERE x.id = $1 FOR UPDATE OF x",
                         1, p, &r);
    if (found != 0)
        return found;
    memset(out, 0, sizeof *out);
    snprintf(out->state, sizeof out->state, "%s", PQgetvalue(r, 0, 0));
    out->call_reached = pk_pg_bool(r, 0, 1);
    snprintf(out->reporter_id, sizeof out->reporter_id, "%s", PQgetvalue(r, 0, 5));
    bool ok = s_bytes(r, 2, out->case_key, sizeof out->case_key, &out->case_key_len) &&
              s_bytes(r, 3, out->reporter_key, sizeof out->reporter_key, &out->reporter_key_len) &&
              s_bytes(r, 4, out->safety, sizeof out->safety, &out->safety_len);
    PQclear(r);
    if (!ok)
        pk_log_error(o->log, "case %s: a sealed column is larger than its place", case_id);
    return ok ? 0 : PK_EDB;
}

int intake_store_case_exists(PGconn *conn, intake_owner_t *o, const char *case_id, const char *reporter_id,
                             bool *exists)
{
    const char *p[] = {case_id, reporter_id};
    PGresult *r =
        intake_store_exec(conn, o, "SELECT 1 FROM cases WHERE id = $1 AND ($2 = '' OR reporter_id = $2)", 2, p);
    if (!r)
        return PK_EDB;
    *exists = PQntuples(r) == 1;
    PQclear(r);
    return 0;
}

int intake_store_desk_change(PGconn *conn, intake_owner_t *o, const intake_desk_change_t *ch, char state[16],
                             int *call_attempts)
{
    const char *p[] = {ch->case_id, ch->to ? ch->to : "", ch->call ? "t" : "f", ch->reached ? "t" : "f",
                       ch->duplicate_of ? ch->duplicate_of : ""};
    PGresult *r;
    int rc = intake_store_one(conn, o,
                              "UPDATE cases SET state = coalesce(NULLIF($2, ''), state), updated_at = now(),"
                              " call_attempts = call_attempts + CASE WHEN $3::boolean THEN 1 ELSE 0 END,"
                              " call_reached = call_reached OR $4::boolean,"
                              " duplicate_of = coalesce(NULLIF($5, ''), duplicate_of)"
                              " WHERE id = $1 RETURNING state, call_attempts",
                              5, p, &r);
    if (rc != 0)
        return rc;
    snprintf(state, 16, "%s", PQgetvalue(r, 0, 0));
    *call_attempts = atoi(PQgetvalue(r, 0, 1));
    PQclear(r);
    return 0;
}

int intake_store_timeline(PGconn *conn, intake_owner_t *o, const char *case_id, const char *kind, const char *state,
                          const char *reason_code, const char *staff_id)
{
    const char *p[] = {case_id, kind, state, reason_code ? reason_code : "", staff_id};
    return intake_store_run(
        conn, o,
        "INSERT INTO case_event (case_id, kind, state, reason_code, actor_kind, actor_id)"
        " VALUES ($1, $2, $3, NULLIF($4, ''), CASE WHEN $5::text IS NULL THEN 'reporter' ELSE 'staff' END, $5)",
        5, p);
}

int intake_store_note(PGconn *conn, intake_owner_t *o, const char *case_id, const char *staff_id, const char *kind,
                      const char *outcome, const char *sealed_hex)
{
    const char *p[] = {case_id, staff_id, kind, outcome ? outcome : "", sealed_hex};
    return intake_store_run(conn, o,
                            "INSERT INTO case_note (case_id, staff_id, kind, outcome, body_sealed)"
                            " VALUES ($1, $2, $3, NULLIF($4, ''), $5::bytea)",
                            5, p);
}

int intake_store_reports(PGconn *conn, intake_owner_t *o, const char *reporter_id, pk_arena_t **arena,
                         Pelukan__V1__Reports *out)
{
    const char *p[] = {reporter_id};
    PGresult *r =
        intake_store_exec(conn, o,
                          "SELECT id AS case_id, ticket, state, " PK_SQL_UTC(
                              "created_at") " AS created_at"
                                            " FROM cases WHERE reporter_id = $1 ORDER BY created_at DESC, id LIMIT 200",
                          1, p);
    return s_read_all(o, r, &pelukan__v1__report_summary__descriptor, arena, (ProtobufCMessage ***)&out->items,
                      &out->n_items);
}

int intake_store_report(PGconn *conn, intake_owner_t *o, const char *case_id, const char *reporter_id,
                        pk_arena_t **arena, Pelukan__V1__ReportView *out)
{
    const char *p[] = {case_id, reporter_id};
    int rc = intake_store_read_one(
        o,
        intake_store_exec(
            conn, o,
            "SELECT id AS case_id, ticket, state, " PK_SQL_UTC(
                "created_at") " AS created_at,"
                              " (SELECT ca.agency_code FROM case_agency ca WHERE ca.case_id = x.id"
                              "   AND ca.state IN ('accepted', 'closed') ORDER BY ca.created_at DESC LIMIT 1)"
                              "   AS agency_code FROM cases x WHERE id = $1 AND reporter_id = $2",
            2, p),
        &out->base, arena);
    if (rc != 0)
        return rc;
    PGresult *r = intake_store_exec(
        conn, o,
        "SELECT state, " PK_SQL_UTC("at") " AS at FROM case_event WHERE case_id = $1 AND kind = 'state' ORDER BY id", 1,
        p);
    return s_read_all(o, r, &pelukan__v1__report_view__step__descriptor, arena, (ProtobufCMessage ***)&out->timeline,
                      &out->n_timeline);
}

/* ---- openings and notes ------------------------------------------------------------ */

int intake_store_case_key(PGconn *conn, intake_owner_t *o, const char *case_id, uint8_t *wrapped)
{
    const char *p[] = {case_id};
    PGresult *r =
        intake_store_exec(conn, o, "SELECT wrapped_key FROM cases WHERE id = $1 AND wrapped_key IS NOT NULL", 1, p);
    if (!r)
        return PK_EDB;
    int rc = PQntuples(r) == 1 && pk_pg_bytea_get(r, 0, 0, wrapped, PK_WRAPPED_KEY_BYTES) == PK_WRAPPED_KEY_BYTES
                 ? 0
                 : PK_ENOENT;
    PQclear(r);
    return rc;
}

int intake_store_access(PGconn *conn, intake_owner_t *o, const char *case_id, const char *purpose, const char *staff)
{
    const char *p[] = {case_id, purpose, staff};
    return intake_store_run(conn, o, INTAKE_SQL_ACCESS_EVENT, 3, p);
}

int intake_store_notes(PGconn *conn, intake_owner_t *o, const char *case_id, pk_arena_t **arena,
                       intake_note_row_t **rows, int *n)
{
    const char *p[] = {case_id};
    PGresult *r = intake_store_exec(
        conn, o,
        "SELECT n.kind, coalesce(n.outcome, ''), n.body_sealed, " PK_SQL_UTC(
            "n.created_at") ", s.display_name FROM case_note n JOIN staff s ON s.id = n.staff_id WHERE n.case_id = $1"
                            " ORDER BY n.id",
        1, p);
    if (!r)
        return PK_EDB;
    *n = PQntuples(r);
    *rows = pk_arena_alloc(arena, sizeof **rows * (size_t)(*n ? *n : 1));
    for (int i = 0; i < *n; i++) {
        intake_note_row_t *row = &(*rows)[i];
        row->kind = pk_arena_strdup(arena, PQgetvalue(r, i, 0));
        row->outcome = pk_arena_strdup(arena, PQgetvalue(r, i, 1));
        row->at = pk_arena_strdup(arena, PQgetvalue(r, i, 3));
        row->by = pk_arena_strdup(arena, PQgetvalue(r, i, 4));
        size_t cap = PQgetisnull(r, i, 2) ? 0 : (size_t)PQgetlength(r, i, 2);
        row->sealed = cap ? pk_arena_alloc(arena, cap) : NULL;
        long got = cap ? pk_pg_bytea_get(r, i, 2, row->sealed, cap) : 0;
        row->sealed_len = got > 0 ? (size_t)got : 0;
    }
    PQclear(r);
    return 0;
}

int intake_store_brief(PGconn *conn, intake_owner_t *o, const char *case_id, const char *companion, pk_arena_t **arena,
                       intake_brief_row_t *out)
{
    const char *p[] = {case_id, companion};
    PGresult *r;
    int found = intake_store_one(
        conn, o,
        "SELECT x.id AS _id, x.wrapped_key AS _case_key, x.personal_sealed AS _personal, r.id AS _reporter_id,"
        " r.wrapped_key AS _reporter_key, r.safety_sealed AS _safety, x.victim_sex, x.victim_age_band, x.child,"
        " x.disability, x.violence_forms, x.perpetrator_relation, x.urgent, x.kecamatan_code, x.desa_code, x.place_type"
        " FROM cases x JOIN reporter r ON r.id = x.reporter_id"
        " WHERE x.id = $1 AND x.companion_id = $2 AND " INTAKE_SQL_VISIT_LIVE,
        2, p, &r);
    if (found != 0)
        return found;
    memset(out, 0, sizeof *out);
    snprintf(out->case_id, sizeof out->case_id, "%s", PQgetvalue(r, 0, PQfnumber(r, "_id")));
    snprintf(out->reporter_id, sizeof out->reporter_id, "%s", PQgetvalue(r, 0, PQfnumber(r, "_reporter_id")));
    out->case_key_known =
        pk_pg_bytea_get(r, 0, PQfnumber(r, "_case_key"), out->case_key, sizeof out->case_key) == PK_WRAPPED_KEY_BYTES;
    out->reporter_key_known = pk_pg_bytea_get(r, 0, PQfnumber(r, "_reporter_key"), out->reporter_key,
                                              sizeof out->reporter_key) == PK_WRAPPED_KEY_BYTES;
    out->personal = intake_store_blob(arena, r, PQfnumber(r, "_personal"), &out->personal_len);
    out->safety = intake_store_blob(arena, r, PQfnumber(r, "_safety"), &out->safety_len);
    pelukan__v1__brief__init(&out->plain);
    bool read = pk_pbrow_read(&out->plain.base, r, 0, NULL, arena, NULL, 0);
    PQclear(r);
    return read ? 0 : PK_EDB;
}

/* ---- what other services ask ---------------------------------------------------- */

int intake_store_place(PGconn *conn, intake_owner_t *o, const char *case_id, pk_arena_t **arena,
                       intake_place_row_t *out)
{
    const char *p[] = {case_id};
    PGresult *r;
    int found = intake_store_one(
        conn, o, "SELECT coalesce(kecamatan_code, ''), wrapped_key, personal_sealed FROM cases WHERE id = $1", 1, p,
        &r);
    if (found != 0)
        return found;
    memset(out, 0, sizeof *out);
    snprintf(out->kecamatan_code, sizeof out->kecamatan_code, "%s", PQgetvalue(r, 0, 0));
    out->case_key_known = pk_pg_bytea_get(r, 0, 1, out->case_key, sizeof out->case_key) == PK_WRAPPED_KEY_BYTES;
    out->personal = intake_store_blob(arena, r, 2, &out->personal_len);
    PQclear(r);
    return 0;
}

int intake_store_case_reporter(PGconn *conn, intake_owner_t *o, const char *case_id, pk_arena_t **arena,
                               intake_reporter_row_t *out)
{
    const char *p[] = {case_id};
    PGresult *r;
    int found = intake_store_one(conn, o,
                                 "SELECT r.id, r.wrapped_key, r.phone_sealed, r.safety_sealed FROM cases x"
                                 " JOIN reporter r ON r.id = x.reporter_id WHERE x.id = $1",
                                 1, p, &r);
    if (found != 0)
        return found;
    memset(out, 0, sizeof *out);
    snprintf(out->reporter_id, sizeof out->reporter_id, "%s", PQgetvalue(r, 0, 0));
    out->key_known = pk_pg_bytea_get(r, 0, 1, out->key, sizeof out->key) == PK_WRAPPED_KEY_BYTES;
    out->phone = intake_store_blob(arena, r, 2, &out->phone_len);
    out->safety = intake_store_blob(arena, r, 3, &out->safety_len);
    PQclear(r);
    return 0;
}

int intake_store_staff_contact(PGconn *conn, intake_owner_t *o, const char *staff_id, const char *role,
                               pk_arena_t **arena, Pelukan__V1__Contact *out)
{
    bool agency = strncmp(role, "agency:", 7) == 0;
    const char *p[] = {staff_id[0] ? staff_id : agency ? role + 7 : role};
    const char *sql = staff_id[0] ? "SELECT s.email, s.phone_e164, p.endpoint, p.p256dh, p.auth FROM staff s"
                                    " LEFT JOIN staff_push p ON p.staff_id = s.id WHERE s.id = $1 AND NOT s.disabled"
                                    " AND (s.email IS NOT NULL OR s.phone_e164 IS NOT NULL OR p.endpoint IS NOT NULL)"
                      : agency    ? "SELECT email FROM staff WHERE role = 'agency' AND agency_code = $1"
                                    " AND NOT disabled AND email IS NOT NULL ORDER BY login"
                                  : "SELECT email FROM staff WHERE role = $1 AND NOT disabled"
                                    " AND email IS NOT NULL ORDER BY login";
    PGresult *r = intake_store_exec(conn, o, sql, 1, p);
    if (!r)
        return PK_EDB;
    int n = PQntuples(r);
    out->emails = pk_arena_alloc(arena, sizeof(char *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        if (!PQgetisnull(r, i, 0))
            out->emails[out->n_emails++] = pk_arena_strdup(arena, PQgetvalue(r, i, 0));
    if (out->n_emails > 0)
        out->email = out->emails[0];
    /* One member's own mobile (an admin on duty: issue 22 §1) and her
     * browser's Web Push subscription (issue 22 §3). */
    if (staff_id[0] && n == 1 && !PQgetisnull(r, 0, 1))
        out->phone_e164 = pk_arena_strdup(arena, PQgetvalue(r, 0, 1));
    if (staff_id[0] && n == 1 && !PQgetisnull(r, 0, 2)) {
        out->push_endpoint = pk_arena_strdup(arena, PQgetvalue(r, 0, 2));
        out->push_p256dh = pk_arena_strdup(arena, PQgetvalue(r, 0, 3));
        out->push_auth = pk_arena_strdup(arena, PQgetvalue(r, 0, 4));
    }
    PQclear(r);
    return 0;
}

/* ---- reaching the reporter ------------------------------------------------------ */

int intake_store_reach_case(PGconn *conn, intake_owner_t *o, const char *case_id, const char *companion, char state[16],
                            bool *waiting)
{
    const char *p[] = {case_id, companion};
    PGresult *r;
    int rc = intake_store_one(conn, o,
                              "SELECT x.state, x.reach_reason IS NOT NULL FROM cases x"
                              " WHERE x.id = $1 AND x.companion_id = $2 AND " INTAKE_SQL_VISIT_LIVE " FOR UPDATE",
                              2, p, &r);
    if (rc != 0)
        return rc;
    snprintf(state, 16, "%s", PQgetvalue(r, 0, 0));
    *waiting = pk_pg_bool(r, 0, 1);
    PQclear(r);
    return 0;
}

int intake_store_reach_mark(PGconn *conn, intake_owner_t *o, const char *case_id, const char *reason)
{
    const char *p[] = {case_id, reason};
    return intake_store_run(conn, o, "UPDATE cases SET reach_reason = $2, reach_requested_at = now() WHERE id = $1", 2,
                            p);
}

int intake_store_reach_done(PGconn *conn, intake_owner_t *o, const char *case_id, const char *admin, bool *answered)
{
    const char *p[] = {case_id, admin};
    PGresult *r = intake_store_exec(conn, o,
                                    "WITH u AS (UPDATE cases SET reach_reason = NULL, reach_requested_at = NULL"
                                    "   WHERE id = $1 AND reach_reason IS NOT NULL RETURNING id, state)"
                                    " INSERT INTO case_event (case_id, kind, state, actor_kind, actor_id)"
                                    " SELECT id, 'reach_done', state, 'staff', $2 FROM u RETURNING case_id",
                                    2, p);
    if (!r)
        return PK_EDB;
    *answered = PQntuples(r) == 1;
    PQclear(r);
    return 0;
}

/* ---- erasure ------------------------------------------------------------------ */

int intake_store_erasure_ask(PGconn *conn, intake_owner_t *o, const char *case_id, const char *id, const char *reason,
                             const char *staff, bool *asked)
{
    const char *p[] = {case_id, id, reason, staff};
    PGresult *r = intake_store_exec(conn, o,
                                    "WITH r AS (INSERT INTO erasure_request (id, case_id, reason_code, requested_by)"
                                    "   SELECT $2, $1, $3, $4 WHERE EXISTS (SELECT 1 FROM cases WHERE id = $1)"
                                    "   ON CONFLICT (case_id) WHERE done_at IS NULL AND stopped_at IS NULL DO NOTHING"
                                    "   RETURNING id)"
                                    " SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1), EXISTS (SELECT 1 FROM r)",
                                    4, p);
    if (!r)
        return PK_EDB;
    int rc = pk_pg_bool(r, 0, 0) ? 0 : PK_ENOENT;
    *asked = pk_pg_bool(r, 0, 1);
    PQclear(r);
    return rc;
}

int intake_store_erasure_find(PGconn *conn, intake_owner_t *o, const char *id, const char *staff, int trust_days,
                              intake_erasure_row_t *out)
{
    char days[16];
    snprintf(days, sizeof days, "%d", trust_days);
    const char *p[] = {id, staff, days};
    PGresult *r;
    int found = intake_store_one(
        conn, o,
        "SELECT r.case_id, r.requested_by, r.approved_at IS NOT NULL, r.reason_code,"
        "  r.done_at IS NOT NULL OR r.stopped_at IS NOT NULL,"
        "  coalesce(a.changed_at > now() - make_interval(days => $3::int), false)"
        "  OR coalesce(q.changed_by = $2 AND q.changed_at > now() - make_interval(days => $3::int), false)"
        " FROM erasure_request r LEFT JOIN staff a ON a.id = $2 LEFT JOIN staff q ON q.id = r.requested_by"
        " WHERE r.id = $1 FOR UPDATE OF r",
        3, p, &r);
    if (found != 0)
        return found;
    snprintf(out->case_id, sizeof out->case_id, "%s", PQgetvalue(r, 0, 0));
    snprintf(out->requested_by, sizeof out->requested_by, "%s", PQgetvalue(r, 0, 1));
    out->approved = pk_pg_bool(r, 0, 2);
    snprintf(out->reason_code, sizeof out->reason_code, "%s", PQgetvalue(r, 0, 3));
    out->over = pk_pg_bool(r, 0, 4);
    out->untrusted = pk_pg_bool(r, 0, 5);
    PQclear(r);
    return 0;
}

int intake_store_erasure_approve(PGconn *conn, intake_owner_t *o, const char *id, const char *staff, int cooling_s)
{
    char secs[16];
    snprintf(secs, sizeof secs, "%d", cooling_s);
    const char *p[] = {id, staff, secs};
    return intake_store_run(conn, o,
                            "UPDATE erasure_request SET approved_by = $2, approved_at = now(),"
                            " run_at = now() + make_interval(secs => $3::int) WHERE id = $1",
                            3, p);
}

int intake_store_erasure_stop(PGconn *conn, intake_owner_t *o, const char *id, const char *staff)
{
    const char *p[] = {id, staff};
    return intake_store_run(conn, o, "UPDATE erasure_request SET stopped_by = $2, stopped_at = now() WHERE id = $1", 2,
                            p);
}

int intake_store_erasures_due(PGconn *conn, intake_owner_t *o, intake_erasure_due_t *out, int cap, int *n)
{
    char limit[16];
    snprintf(limit, sizeof limit, "%d", cap);
    const char *p[] = {limit};
    PGresult *r = intake_store_exec(
        conn, o,
        "SELECT id, case_id, reason_code, approved_by FROM erasure_request"
        " WHERE approved_at IS NOT NULL AND done_at IS NULL AND stopped_at IS NULL AND run_at <= now()"
        " ORDER BY run_at LIMIT $1::int FOR UPDATE SKIP LOCKED",
        1, p);
    if (!r)
        return PK_EDB;
    *n = PQntuples(r) < cap ? PQntuples(r) : cap;
    for (int i = 0; i < *n; i++) {
        snprintf(out[i].id, sizeof out[i].id, "%s", PQgetvalue(r, i, 0));
        snprintf(out[i].case_id, sizeof out[i].case_id, "%s", PQgetvalue(r, i, 1));
        snprintf(out[i].reason_code, sizeof out[i].reason_code, "%s", PQgetvalue(r, i, 2));
        snprintf(out[i].approved_by, sizeof out[i].approved_by, "%s", PQgetvalue(r, i, 3));
    }
    PQclear(r);
    return 0;
}

int intake_store_cases_expired(PGconn *conn, intake_owner_t *o, int retention_s, char (*ids)[PK_ID_HEX_LEN + 1],
                               int cap, int *n)
{
    char secs[24], limit[16];
    snprintf(secs, sizeof secs, "%d", retention_s);
    snprintf(limit, sizeof limit, "%d", cap);
    const char *p[] = {secs, limit};
    PGresult *r =
        intake_store_exec(conn, o,
                          "SELECT id FROM cases WHERE state IN " INTAKE_SQL_FINAL_STATES
                          " AND updated_at < now() - make_interval(secs => $1::int) ORDER BY updated_at LIMIT $2::int",
                          2, p);
    if (!r)
        return PK_EDB;
    *n = PQntuples(r) < cap ? PQntuples(r) : cap;
    for (int i = 0; i < *n; i++)
        snprintf(ids[i], sizeof ids[i], "%s", PQgetvalue(r, i, 0));
    PQclear(r);
    return 0;
}

int intake_store_retention_ask(PGconn *conn, intake_owner_t *o, const char *id, const char *case_id)
{
    const char *p[] = {id, case_id};
    return intake_store_run(
        conn, o,
        "INSERT INTO erasure_request (id, case_id, reason_code, requested_by, approved_by, approved_at, run_at)"
        " VALUES ($1, $2, 'retention', 'retention', 'retention', now(), now())"
        " ON CONFLICT (case_id) WHERE done_at IS NULL AND stopped_at IS NULL DO NOTHING",
        2, p);
}

int intake_store_erase(PGconn *conn, intake_owner_t *o, const char *id, bool *erased)
{
    const char *p[] = {id};
    PGresult *r = intake_store_exec(
        conn, o,
        "WITH a AS (UPDATE erasure_request SET done_at = now() WHERE id = $1 AND approved_at IS NOT NULL"
        "   AND done_at IS NULL AND stopped_at IS NULL AND run_at <= now() RETURNING case_id),"
        " dup AS (UPDATE cases SET duplicate_of = NULL WHERE duplicate_of IN (SELECT case_id FROM a)),"
        " notes AS (DELETE FROM case_note WHERE case_id IN (SELECT case_id FROM a)),"
        " steps AS (DELETE FROM case_event WHERE case_id IN (SELECT case_id FROM a)),"
        " agencies AS (DELETE FROM case_agency WHERE case_id IN (SELECT case_id FROM a)),"
        " keys AS (DELETE FROM idempotency WHERE case_id IN (SELECT case_id FROM a)),"
        " c AS (DELETE FROM cases WHERE id IN (SELECT case_id FROM a) RETURNING id)"
        " SELECT count(*) FROM c",
        1, p);
    if (!r)
        return PK_EDB;
    *erased = atoi(PQgetvalue(r, 0, 0)) == 1;
    PQclear(r);
    return 0;
}

/* Numbers what committed since the last read (one reader at a time, on
 * every instance: the lock), then reads from `after`. */
static const char s_feed_number[] = "WITH m AS (SELECT coalesce(max(feed_seq), 0) AS base FROM case_event),"
                                    " n AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM case_event"
                                    "   WHERE feed_seq IS NULL ORDER BY id LIMIT 5000)"
                                    " UPDATE case_event e SET feed_seq = m.base + n.rn FROM n, m WHERE e.id = n.id";
static const char s_feed_read[] =
    "SELECT e.feed_seq AS seq, e.case_id, e.kind, e.state, e.reason_code, e.actor_kind, e.actor_id, " PK_SQL_UTC_US(
        "e.at") " AS at, CASE WHEN " INTAKE_SQL_VISIT_LIVE " THEN x.companion_id END AS companion_id,"
                " (SELECT string_agg(ca.agency_code, ',') FROM case_agency ca"
                "   WHERE ca.case_id = e.case_id AND " INTAKE_SQL_REFERRAL_LIVE
                " AND ca.created_at <= e.at) AS agencies"
                " FROM case_event e JOIN cases x ON x.id = e.case_id"
                " WHERE e.feed_seq > $1::bigint ORDER BY e.feed_seq LIMIT $2::int";

int intake_store_feed(PGconn *conn, intake_owner_t *o, long long after, int limit, pk_arena_t **arena,
                      Pelukan__V1__Feed *out)
{
    if (intake_store_run(conn, o, "SELECT pg_advisory_xact_lock(hashtext('intake.feed'))", 0, NULL) != 0 ||
        intake_store_run(conn, o, s_feed_number, 0, NULL) != 0)
        return PK_EDB;
    PGresult *r = intake_store_exec(conn, o, "SELECT coalesce(max(feed_seq), 0) FROM case_event", 0, NULL);
    if (!r)
        return PK_EDB;
    out->head = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (after < 0)
        return 0;
    char a[24], lim[16];
    snprintf(a, sizeof a, "%lld", after);
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {a, lim};
    return s_read_all(o, intake_store_exec(conn, o, s_feed_read, 2, p), &pelukan__v1__feed__entry__descriptor, arena,
                      (ProtobufCMessage ***)&out->entries, &out->n_entries);
}

int intake_store_set_safety(PGconn *conn, intake_owner_t *o, const char *reporter_id, const ProtobufCBinaryData *sealed)
{
    char *hex = pk_pg_bytea(sealed->data, sealed->len);
    const char *p[] = {reporter_id, hex};
    int rc = intake_store_run(conn, o, "UPDATE reporter SET safety_sealed = $2::bytea WHERE id = $1", 2, p);
    free(hex);
    return rc;
}

/* ---- a reporter's report (intake_submit.c) ---------------------------------------- */

/* The report's one statement ($1 reporter, $2 key, $3 case id, $4 wrapped
 * key, $5 sealed personal data, $6-$19 the report's codes, $20 topic, $21
 * envelope, $22 sealed contact safety, $23 ticket, $24 reports per day,
 * $25 her session's token hash): only while her session holds, the key
 * claims the request; only then the case, its first timeline step and its
 * event; a retry gets the first answer. Reports that arrive together share
 * one commit (group commit). Shared with the benchmark that measures
 * PostgreSQL alone on it (tests/bench/bench_intake.c). */
/* clang-format off */
const char intake_sql_report_submit[] =
    "WITH her AS (SELECT EXISTS (SELECT 1 FROM session WHERE token_hash = $25 AND reporter_id = $1"
    "   AND expires_at > now() AND idle_until > now()) AS holds),"
    " lim AS (SELECT CASE WHEN $24::int = 0 THEN false ELSE (SELECT count(*) FROM (SELECT 1 FROM cases"
    "   WHERE reporter_id = $1 AND created_at > now() - interval '1 day' LIMIT $24::int) x) >= $24::int END"
    "   AS over),"
    " k AS (INSERT INTO idempotency (reporter_id, key, case_id) SELECT $1, $2, $3"
    "   WHERE (SELECT holds FROM her) AND NOT (SELECT over FROM lim)"
    "   ON CONFLICT DO NOTHING RETURNING case_id),"
    " c AS (INSERT INTO cases (id, ticket, reporter_id, state, wrapped_key, personal_sealed, reporter_kind,"
    "   witness_relation, victim_sex, victim_age_band, child, disability, violence_forms, place_type,"
    "   perpetrator_relation, incident_at, incident_approx, kecamatan_code, desa_code, urgent)"
    "   SELECT $3, $23, $1, 'submitted',"
    "   $4::bytea, $5::bytea, $6, NULLIF($7, ''), NULLIF($8, ''), NULLIF($9, ''), $10, $11, $12::text[],"
    "   NULLIF($13, ''), NULLIF($14, ''), to_timestamp(NULLIF($15, '0')::bigint), $16, NULLIF($17, ''),"
    "   NULLIF($18, ''), $19 FROM k RETURNING id, ticket, created_at, state),"
    " e AS (INSERT INTO case_event (case_id, state, actor_kind) SELECT id, 'submitted', 'reporter' FROM c),"
    " o AS (" PK_OUTBOX_INSERT_SELECT("$20", "id", "$21") " FROM c),"
    " s AS (UPDATE reporter SET safety_sealed = $22::bytea WHERE id = $1 AND $22::bytea IS NOT NULL"
    "   AND EXISTS (SELECT 1 FROM c))"
    " SELECT id, ticket, " PK_SQL_UTC("created_at") ", true, state FROM c"
    " UNION ALL SELECT x.id, x.ticket, " PK_SQL_UTC("x.created_at") ", false, 'submitted'"
    "   FROM idempotency i JOIN cases x ON x.id = i.case_id"
    "   WHERE (SELECT holds FROM her) AND i.reporter_id = $1 AND i.key = $2 AND NOT EXISTS (SELECT 1 FROM k)"
    " UNION ALL SELECT '', '', '', false, 'limited' WHERE (SELECT holds FROM her) AND (SELECT over FROM lim)"
    "   AND NOT EXISTS (SELECT 1 FROM idempotency i WHERE i.reporter_id = $1 AND i.key = $2)"
    " UNION ALL SELECT '', '', '', false, 'no_session' WHERE NOT (SELECT holds FROM her)";
/* clang-format on */

/* The statement's parameters of `row` (the bytea ones in `hex`, which the
 * caller frees; the others in the arena or the row). */
static void s_submit_params(const intake_owner_t *o, const intake_report_row_t *row, pk_arena_t **arena,
                            const char *p[INTAKE_REPORT_PARAMS], char *hex[3])
{
    const Pelukan__V1__SubmitReport *s = row->report;
    const Pelukan__V1__ReportSubmitted *codes = s->codes;
    size_t cap = 3;
    for (size_t i = 0; i < codes->n_violence_forms; i++)
        cap += strlen(codes->violence_forms[i]) + 1;
    char *forms = pk_arena_alloc(arena, cap), *f = forms;
    *f++ = '{';
    for (size_t i = 0; i < codes->n_violence_forms; i++)
        f += sprintf(f, "%s%s", i ? "," : "", codes->violence_forms[i]);
    strcpy(f, "}");
    char *incident = pk_arena_alloc(arena, 24), *per_day = pk_arena_alloc(arena, 16);
    snprintf(incident, 24, "%lld", (long long)s->incident_at);
    snprintf(per_day, 16, "%d", o->reports_per_day);
    hex[0] = pk_pg_bytea(s->wrapped_key.data, s->wrapped_key.len);
    hex[1] = pk_pg_bytea(s->personal_sealed.data, s->personal_sealed.len);
    hex[2] = row->safety_len ? pk_pg_bytea(row->safety, row->safety_len) : NULL;
    const char *v[INTAKE_REPORT_PARAMS] = {row->reporter_id,
                                           s->idempotency_key,
                                           row->case_id,
                                           hex[0],
                                           hex[1],
                                           codes->reporter_kind,
                                           s->witness_relation,
                                           codes->victim_sex,
                                           codes->victim_age_band,
                                           codes->child_victim ? "t" : "f",
                                           s->disability ? "t" : "f",
                                           forms,
                                           codes->place_type,
                                           codes->perpetrator_relation,
                                           incident,
                                           s->incident_approx ? "t" : "f",
                                           codes->kecamatan_code,
                                           codes->desa_code,
                                           codes->urgent ? "t" : "f",
                                           row->topic,
                                           row->envelope_hex,
                                           hex[2],
                                           row->ticket,
                                           per_day,
                                           s->token_hash};
    memcpy(p, v, sizeof v);
}

static void s_receipt(const PGresult *r, pk_arena_t **arena, Pelukan__V1__ReportReceipt *out)
{
    if (PQntuples(r) != 1) {
        out->outcome = PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_IN_PROGRESS;
        return;
    }
    const char *state = PQgetvalue(r, 0, 4);
    if (strcmp(state, "limited") == 0) {
        out->outcome = PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_LIMITED;
        return;
    }
    if (strcmp(state, "no_session") == 0) {
        out->outcome = PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_NO_SESSION;
        return;
    }
    out->outcome = pk_pg_bool(r, 0, 3) ? PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_CREATED
                                       : PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_REPLAYED;
    out->case_id = intake_store_text(arena, r, 0, 0);
    out->ticket = intake_store_text(arena, r, 0, 1);
    out->created_at = intake_store_text(arena, r, 0, 2);
    out->state = intake_store_text(arena, r, 0, 4);
}

int intake_store_submit_many(PGconn *conn, intake_owner_t *o, const intake_report_row_t *const *rows, int n,
                             pk_arena_t **arena, Pelukan__V1__ReportReceipt *const *out)
{
    const char **p = pk_malloc((size_t)n * INTAKE_REPORT_PARAMS * sizeof *p);
    char **hex = pk_malloc((size_t)n * 3 * sizeof *hex);
    PGresult **r = pk_malloc((size_t)n * sizeof *r);
    for (int i = 0; i < n; i++)
        s_submit_params(o, rows[i], arena, p + (size_t)i * INTAKE_REPORT_PARAMS, hex + (size_t)i * 3);
    int rc = pk_pg_exec_many(&o->stmts, conn, o->log, intake_sql_report_submit, INTAKE_REPORT_PARAMS, p, n, r);
    for (int i = 0; rc == 0 && i < n; i++) {
        s_receipt(r[i], arena, out[i]);
        PQclear(r[i]);
    }
    for (int i = 0; i < 3 * n; i++)
        free(hex[i]);
    free(p);
    free(hex);
    free(r);
    return rc;
}
