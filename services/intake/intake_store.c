/* intake_store.c -- the case owner's statements (intake_store.h), in two
 * files by subject. This one: a case, as the desk, its companion, the
 * agencies and the clock move it and as the desk reads it (the queue, the
 * case page, the feed), and what other services' events do to it (the
 * read model). intake_store_people.c: the people, how they get in, and
 * what a reporter sends and reads of her own. No other file of the owner
 * holds SQL (tools/shape/measure.py counts them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_case.h"
#include "intake_store.h"
#include "pelukan/bus.h"
#include "pelukan/crypto.h"
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

/* The first column of the statement's first row as text ("" when no row). */
static int s_first(PGconn *conn, intake_owner_t *o, const char *sql, int n, const char *const *p, char out[24])
{
    PGresult *r = intake_store_exec(conn, o, sql, n, p);
    if (!r)
        return PK_EDB;
    snprintf(out, 24, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return 0;
}

int intake_store_flag(PGconn *conn, intake_owner_t *o, const char *sql, int n, const char *const *p, bool *out)
{
    char v[24];
    int rc = s_first(conn, o, sql, n, p, v);
    *out = rc == 0 && strcmp(v, "t") == 0;
    return rc;
}

int intake_store_count(PGconn *conn, intake_owner_t *o, const char *sql, int n, const char *const *p, int *out)
{
    char v[24];
    int rc = s_first(conn, o, sql, n, p, v);
    *out = rc == 0 ? atoi(v) : 0;
    return rc;
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

int intake_store_read_all(intake_owner_t *o, PGresult *r, const ProtobufCMessageDescriptor *desc, pk_arena_t **arena,
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
    return intake_store_flag(conn, o, "SELECT true FROM cases WHERE id = $1 AND ($2 = '' OR reporter_id = $2)", 2, p,
                             exists);
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
    /* clang-format off */
    PGresult *r = intake_store_exec(conn, o,
        "SELECT n.kind, coalesce(n.outcome, ''), n.body_sealed, " PK_SQL_UTC("n.created_at") ", s.display_name"
        " FROM case_note n JOIN staff s ON s.id = n.staff_id WHERE n.case_id = $1 ORDER BY n.id", 1, p);
    /* clang-format on */
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
        conn, o, "SELECT coalesce(kecamatan_code, ''), wrapped_key, personal_sealed, state FROM cases WHERE id = $1", 1,
        p, &r);
    if (found != 0)
        return found;
    memset(out, 0, sizeof *out);
    snprintf(out->kecamatan_code, sizeof out->kecamatan_code, "%s", PQgetvalue(r, 0, 0));
    out->case_key_known = pk_pg_bytea_get(r, 0, 1, out->case_key, sizeof out->case_key) == PK_WRAPPED_KEY_BYTES;
    out->personal = intake_store_blob(arena, r, 2, &out->personal_len);
    snprintf(out->state, sizeof out->state, "%s", PQgetvalue(r, 0, 3));
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
    return intake_store_flag(conn, o,
                             "WITH u AS (UPDATE cases SET reach_reason = NULL, reach_requested_at = NULL"
                             "   WHERE id = $1 AND reach_reason IS NOT NULL RETURNING id, state)"
                             " INSERT INTO case_event (case_id, kind, state, actor_kind, actor_id)"
                             " SELECT id, 'reach_done', state, 'staff', $2 FROM u RETURNING true",
                             2, p, answered);
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
    return intake_store_flag(
        conn, o,
        "WITH a AS (UPDATE erasure_request SET done_at = now() WHERE id = $1 AND approved_at IS NOT NULL"
        "   AND done_at IS NULL AND stopped_at IS NULL AND run_at <= now() RETURNING case_id),"
        " dup AS (UPDATE cases SET duplicate_of = NULL WHERE duplicate_of IN (SELECT case_id FROM a)),"
        " notes AS (DELETE FROM case_note WHERE case_id IN (SELECT case_id FROM a)),"
        " steps AS (DELETE FROM case_event WHERE case_id IN (SELECT case_id FROM a)),"
        " agencies AS (DELETE FROM case_agency WHERE case_id IN (SELECT case_id FROM a)),"
        " keys AS (DELETE FROM idempotency WHERE case_id IN (SELECT case_id FROM a)),"
        " c AS (DELETE FROM cases WHERE id IN (SELECT case_id FROM a) RETURNING id)"
        " SELECT count(*) = 1 FROM c",
        1, p, erased);
}

/* ---- the staff feed (intake_feed.c) ---------------------------------------------- */

/* Numbers what committed since the last read (one reader at a time, on
 * every instance: the lock), then reads from `after`. */
static const char s_feed_number[] = "WITH m AS (SELECT coalesce(max(feed_seq), 0) AS base FROM case_event),"
                                    " n AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM case_event"
                                    "   WHERE feed_seq IS NULL ORDER BY id LIMIT 5000)"
                                    " UPDATE case_event e SET feed_seq = m.base + n.rn FROM n, m WHERE e.id = n.id";
/* clang-format off */
static const char s_feed_read[] =
    "SELECT e.feed_seq AS seq, e.case_id, e.kind, e.state, e.reason_code, e.actor_kind, e.actor_id, "
    PK_SQL_UTC_US("e.at") " AS at, CASE WHEN " INTAKE_SQL_VISIT_LIVE " THEN x.companion_id END AS companion_id,"
    " (SELECT string_agg(ca.agency_code, ',') FROM case_agency ca WHERE ca.case_id = e.case_id"
    "   AND " INTAKE_SQL_REFERRAL_LIVE " AND ca.created_at <= e.at) AS agencies"
    " FROM case_event e JOIN cases x ON x.id = e.case_id WHERE e.feed_seq > $1::bigint ORDER BY e.feed_seq LIMIT $2::int";
/* clang-format on */

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
    return intake_store_read_all(o, intake_store_exec(conn, o, s_feed_read, 2, p),
                                 &pelukan__v1__feed__entry__descriptor, arena, (ProtobufCMessage ***)&out->entries,
                                 &out->n_entries);
}

/* ---- the desk's queue (intake_cases.c) ------------------------------------------ */

/* Which cases a staff member sees: admins and supervisors all, a companion
 * those assigned to her while her visit lasts, an agency user those whose
 * referral to its agency it accepted (security review N12: access that
 * ends). Parameters $a role, $b staff id, $c agency code. */
#define S_SEES(a, b, c)                                                                                                \
    "($" a " IN ('admin', 'supervisor') OR ($" a " = 'companion' AND x.companion_id = $" b                             \
    " AND " INTAKE_SQL_VISIT_LIVE ") OR ($" a " = 'agency' AND EXISTS (SELECT 1 FROM case_agency ca"                   \
    " WHERE ca.case_id = x.id AND ca.agency_code = NULLIF($" c ", '') AND " INTAKE_SQL_REFERRAL_LIVE ")))"

/* The one-day promise (../shared/domain.md): a report is handled, that
 * is referred, within a day of being sent. Its clock runs in these states
 * (a declined referral must be referred again); S_DUE is when it ends, or
 * NULL once the promise is kept or the case is over. */
#define S_PROMISE_RUNS "x.state IN " INTAKE_SQL_PROMISE_STATES
#define S_DUE          "CASE WHEN " S_PROMISE_RUNS " THEN " PK_SQL_UTC("(x.created_at + interval '1 day')") " END"
#define S_FINAL        "x.state IN " INTAKE_SQL_FINAL_STATES
#define S_OVERDUE      S_PROMISE_RUNS " AND x.created_at < now() - interval '1 day'"

/* A case's row as the queue and the case page show it: a CaseRow, the
 * case page's "row" (pelukan/pbrow.h). */
/* clang-format off */
#define S_ROW                                                                                                          \
    "x.id AS \"row.case_id\", x.ticket AS \"row.ticket\", x.state AS \"row.state\", x.urgent AS \"row.urgent\","       \
    " x.child AS \"row.child\", x.violence_forms AS \"row.violence_forms\", x.kecamatan_code AS \"row.kecamatan_code\"," \
    " " PK_SQL_UTC("x.created_at") " AS \"row.created_at\", x.call_attempts AS \"row.call_attempts\","                 \
    " x.call_reached AS \"row.call_reached\", " S_DUE " AS \"row.due_at\", x.reach_reason AS"                          \
    " \"row.reach_request.reason_code\", " PK_SQL_UTC("x.reach_requested_at") " AS \"row.reach_request.at\""
/* clang-format on */

/* The queue's filters: $1 state ("open": not finished), $2 urgent, $3
 * kecamatan, $4 child, $10 kind of violence, $11 ticket; what the caller
 * sees ($5-$7). */
#define S_QUEUE_WHERE                                                                                                  \
    "($1 = '' OR x.state = $1 OR ($1 = 'open' AND NOT " S_FINAL ")) AND ($2 = '' OR x.urgent = ($2 = 'true'))"         \
    " AND ($3 = '' OR x.kecamatan_code = $3) AND ($4 = '' OR x.child = ($4 = 'true'))"                                 \
    " AND ($10 = '' OR $10 = ANY (x.violence_forms)) AND ($11 = '' OR x.ticket = upper($11))"                          \
    " AND " S_SEES("5", "6", "7")

/* Ordered by the promise: urgent cases whose clock runs pinned on top,
 * then the others whose clock runs (overdue first, then by time left),
 * then open cases whose promise was kept (newest first), then the
 * finished ones. The counts are of the cases the filter selects. */
static const char s_queue_sql[] =
    "SELECT " S_ROW " FROM cases x WHERE " S_QUEUE_WHERE " ORDER BY CASE WHEN " S_PROMISE_RUNS
    " THEN CASE WHEN x.urgent THEN 0 ELSE 1 END WHEN " S_FINAL " THEN 3 ELSE 2 END,"
    " CASE WHEN " S_PROMISE_RUNS " THEN x.created_at END, x.created_at DESC, x.id"
    " LIMIT $8::int OFFSET $9::bigint";
static const char s_queue_count_sql[] = "SELECT count(*), count(*) FILTER (WHERE " S_OVERDUE "),"
                                        " count(*) FILTER (WHERE " S_PROMISE_RUNS " AND x.urgent)"
                                        /* every parameter typed, though the page is not used here */
                                        " FROM cases x WHERE " S_QUEUE_WHERE " AND $8::int > 0 AND $9::bigint >= 0";

int intake_store_queue(PGconn *conn, intake_owner_t *o, const Pelukan__V1__ListCases *f,
                       const Pelukan__V1__Actor *actor, pk_arena_t **arena, Pelukan__V1__CaseQueue *out)
{
    char limit[16], offset[24];
    snprintf(limit, sizeof limit, "%d", f->per_page);
    snprintf(offset, sizeof offset, "%ld", (long)(f->page - 1) * f->per_page);
    const char *p[] = {f->state, f->urgent, f->kecamatan_code, f->child, actor->role, actor->id, f->agency_code,
                       limit,    offset,    f->violence_form,  f->ticket};
    PGresult *r = intake_store_exec(conn, o, s_queue_sql, 11, p);
    if (!r)
        return PK_EDB;
    bool read = pk_pbrow_read_all(&pelukan__v1__case_row__descriptor, r, "row.", arena,
                                  (ProtobufCMessage ***)&out->cases, &out->n_cases, NULL, 0);
    PQclear(r);
    if (!read)
        return PK_EDB;
    if (!(r = intake_store_exec(conn, o, s_queue_count_sql, 11, p)))
        return PK_EDB;
    out->total = atoll(PQgetvalue(r, 0, 0));
    out->overdue = atoll(PQgetvalue(r, 0, 1));
    out->urgent_open = atoll(PQgetvalue(r, 0, 2));
    PQclear(r);
    return 0;
}

/* ---- one case ----------------------------------------------------------------- */

/* The case (S_ROW, its sealed parts, which the caller opens, and what is
 * not personal) if $2-$4 see it, or if an agency is asked to take it ($5).
 * What the identification says is shown once it is in. */
static const char s_case_sql[] =
    "SELECT " S_ROW ", x.wrapped_key AS _case_key, x.personal_sealed AS _personal,"
    " r.wrapped_key AS _reporter_key, r.phone_sealed AS _phone, r.id AS _reporter_id,"
    " r.safety_sealed AS _safety, x.referral_consent AS \"identification.referral_consent\","
    " CASE WHEN x.referral_consent IS NOT NULL THEN x.consented_agencies END AS \"identification.consented_agencies\","
    " CASE WHEN x.referral_consent IS NOT NULL THEN x.recommended_agencies END AS "
    "\"identification.recommended_agencies\","
    " CASE WHEN x.referral_consent IS NOT NULL THEN x.needs END AS \"identification.needs\","
    " CASE WHEN x.referral_consent IS NOT NULL THEN x.immediate_danger END AS \"identification.immediate_danger\","
    " CASE WHEN x.referral_consent IS NOT NULL THEN x.immediate_danger IS NOT NULL END AS "
    "\"identification.immediate_danger_said\","
    " CASE WHEN x.referral_consent IS NOT NULL THEN x.situation_confirmed END AS "
    "\"identification.situation_confirmed\","
    " CASE WHEN x.referral_consent IS NOT NULL THEN x.situation_confirmed IS NOT NULL END AS "
    "\"identification.situation_confirmed_said\","
    " CASE WHEN x.referral_consent IS NOT NULL THEN x.guardian_situation END AS \"identification.guardian_situation\","
    " CASE WHEN x.referral_consent IS NOT NULL THEN x.recommended_services END AS "
    "\"identification.recommended_services\","
    " x.reporter_kind AS \"answers.reporter_kind\", x.witness_relation AS \"answers.reporter_relation\","
    " x.victim_sex AS \"answers.victim_sex\", x.victim_age_band AS \"answers.victim_age_band\","
    " x.disability AS \"answers.disability\", x.disability IS NOT NULL AS \"answers.disability_said\","
    " x.place_type AS \"answers.place_type\", x.perpetrator_relation AS \"answers.perpetrator_relation\","
    " to_char(x.incident_at AT TIME ZONE 'Asia/Jakarta', 'YYYY-MM-DD') AS \"answers.incident_date\","
    " x.incident_approx AS \"answers.incident_approximate\","
    " x.incident_approx IS NOT NULL AS \"answers.incident_approximate_said\", x.desa_code AS \"answers.desa_code\""
    " FROM cases x JOIN reporter r ON r.id = x.reporter_id WHERE x.id = $1 AND (" S_SEES(
        "2", "3",
        "4") " OR ($2 = 'agency' AND $5::boolean AND EXISTS (SELECT 1 FROM case_agency ca WHERE ca.case_id = x.id"
             " AND ca.agency_code = NULLIF($4, '') AND ca.state = 'sent')))";
/* clang-format off */
static const char s_timeline_sql[] =
    "SELECT e.kind, e.state, e.reason_code, e.actor_kind, e.actor_id, " PK_SQL_UTC("e.at") " AS at"
    " FROM case_event e JOIN cases x ON x.id = e.case_id WHERE e.case_id = $1 AND " S_SEES("2", "3", "4")
    " ORDER BY e.id";
/* clang-format on */

static int s_timeline(PGconn *conn, intake_owner_t *o, const char *const *p, pk_arena_t **arena,
                      Pelukan__V1__CaseView *v)
{
    PGresult *t = intake_store_exec(conn, o, s_timeline_sql, 4, p);
    if (!t)
        return PK_EDB;
    bool read = pk_pbrow_read_all(&pelukan__v1__case_view__step__descriptor, t, NULL, arena,
                                  (ProtobufCMessage ***)&v->timeline, &v->n_timeline, NULL, 0);
    PQclear(t);
    return read ? 0 : PK_EDB;
}

int intake_store_case(PGconn *conn, intake_owner_t *o, const char *case_id, const Pelukan__V1__Actor *actor,
                      const char *agency, bool asked, pk_arena_t **arena, intake_case_row_t *out)
{
    const char *p[] = {case_id, actor->role, actor->id, agency, asked ? "t" : "f"};
    PGresult *r;
    int found = intake_store_one(conn, o, s_case_sql, 5, p, &r);
    if (found != 0)
        return found;
    memset(out, 0, sizeof *out);
    pelukan__v1__case_view__init(&out->view);
    char bad[64];
    bool read = pk_pbrow_read(&out->view.base, r, 0, NULL, arena, bad, sizeof bad);
    out->case_key = intake_store_blob(arena, r, PQfnumber(r, "_case_key"), &out->case_key_len);
    out->personal = intake_store_blob(arena, r, PQfnumber(r, "_personal"), &out->personal_len);
    out->reporter_key = intake_store_blob(arena, r, PQfnumber(r, "_reporter_key"), &out->reporter_key_len);
    out->phone = intake_store_blob(arena, r, PQfnumber(r, "_phone"), &out->phone_len);
    snprintf(out->reporter_id, sizeof out->reporter_id, "%s", PQgetvalue(r, 0, PQfnumber(r, "_reporter_id")));
    out->safety = intake_store_blob(arena, r, PQfnumber(r, "_safety"), &out->safety_len);
    PQclear(r);
    if (!read) {
        pk_log_error(o->log, "the case's column %s fills no field of its view", bad);
        return PK_EDB;
    }
    return s_timeline(conn, o, p, arena, &out->view);
}

/* ---- the read model: other services' events on a case (intake_readmodel.c) ---- */

int intake_store_case_agency(PGconn *conn, const pk_log_t *log, const char *referral_id, const char *case_id,
                             const char *state, const char *agency)
{
    const char *p[] = {referral_id, case_id, state, agency};
    if (strcmp(state, "sent") == 0)
        return pk_pg_run(conn, log,
                         "INSERT INTO case_agency (referral_id, case_id, agency_code, state)"
                         " SELECT $1, id, $4, $3 FROM cases WHERE id = $2 ON CONFLICT DO NOTHING",
                         4, p);
    return pk_pg_run(conn, log,
                     "UPDATE case_agency SET state = $3,"
                     " closed_at = CASE WHEN $3 = 'closed' THEN now() ELSE closed_at END"
                     " WHERE referral_id = $1 AND case_id = $2",
                     3, p);
}

int intake_store_identification(PGconn *conn, const pk_log_t *log, const char *case_id,
                                const Pelukan__V1__IdentificationReportSubmitted *s)
{
    char *consented = pk_pg_text_array(s->consented_agencies, s->n_consented_agencies);
    char *recommended = pk_pg_text_array(s->recommended_agencies, s->n_recommended_agencies);
    char *needs = pk_pg_text_array(s->needs, s->n_needs);
    char *services = pk_pg_text_array(s->recommended_services, s->n_recommended_services);
    const char *p[] = {case_id,
                       s->referral_consent ? "t" : "f",
                       consented,
                       recommended,
                       needs,
                       s->immediate_danger ? "t" : "f",
                       s->situation_confirmed ? "t" : "f",
                       s->guardian_situation,
                       services};
    int rc = pk_pg_run(conn, log,
                       "UPDATE cases SET referral_consent = $2::boolean, consented_agencies = $3::text[],"
                       " recommended_agencies = $4::text[], needs = $5::text[],"
                       " immediate_danger = $6::boolean, situation_confirmed = $7::boolean,"
                       " guardian_situation = NULLIF($8, ''), recommended_services = $9::text[] WHERE id = $1",
                       9, p);
    free(consented), free(recommended), free(needs), free(services);
    return rc;
}

int intake_store_visit_done(PGconn *conn, const pk_log_t *log, const char *case_id, bool done)
{
    const char *p[] = {case_id, done ? "t" : "f"};
    return pk_pg_run(conn, log, "UPDATE cases SET visit_done_at = CASE WHEN $2::boolean THEN now() END WHERE id = $1",
                     2, p);
}

int intake_store_referrals(PGconn *conn, const pk_log_t *log, const char *case_id, bool *open, bool *closed)
{
    const char *p[] = {case_id};
    PGresult *r = pk_pg_exec(conn, log,
                             "SELECT coalesce(bool_or(state IN ('sent', 'accepted')), false),"
                             " coalesce(bool_or(state = 'closed'), false) FROM case_agency WHERE case_id = $1",
                             1, p);
    if (!r)
        return PK_EDB;
    *open = pk_pg_bool(r, 0, 0);
    *closed = pk_pg_bool(r, 0, 1);
    PQclear(r);
    return 0;
}

int intake_store_lock_state(PGconn *conn, const pk_log_t *log, const char *case_id, char state[32])
{
    const char *p[] = {case_id};
    PGresult *r = pk_pg_exec(conn, log, "SELECT state FROM cases WHERE id = $1 FOR UPDATE", 1, p);
    if (!r)
        return PK_EDB;
    snprintf(state, 32, "%s", PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return 0;
}

/* clang-format off */
static const char s_step_sql[] =
    "WITH u AS (UPDATE cases SET state = $3, updated_at = now(),"
    "   companion_id = CASE WHEN $5::boolean THEN NULL ELSE coalesce(NULLIF($4, ''), companion_id) END,"
    "   agency_code = coalesce(NULLIF($6, ''), agency_code)"
    "   WHERE id = $1 AND $3 <> '' AND state = ANY($2::text[]) RETURNING id, state),"
    " s AS (INSERT INTO case_event (case_id, kind, state, reason_code, actor_kind, actor_id)"
    "   SELECT id, 'state', state, NULLIF($8, ''), $9, NULLIF($10, '') FROM u),"
    " k AS (UPDATE cases SET companion_id = coalesce(NULLIF($4, ''), companion_id),"
    "   agency_code = coalesce(NULLIF($6, ''), agency_code) WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM u)),"
    " o AS (" PK_OUTBOX_INSERT_SELECT("$12", "id", "$13") " FROM u WHERE $13::bytea IS NOT NULL)"
    " INSERT INTO case_event (case_id, kind, state, reason_code, actor_kind, actor_id)"
    " SELECT x.id, $11 || ':' || $7, coalesce((SELECT state FROM u), x.state), NULLIF($8, ''), $9,"
    " NULLIF($10, '') FROM cases x WHERE x.id = $1";
/* clang-format on */

int intake_store_case_step(PGconn *conn, const pk_log_t *log, const intake_step_row_t *s)
{
    const char *p[] = {s->case_id,  s->from,  s->to,          s->companion,  s->clear_companion ? "t" : "f",
                       s->agency,   s->type,  s->reason,      s->actor_kind, s->actor_id,
                       s->producer, s->topic, s->envelope_hex};
    return pk_pg_run(conn, log, s_step_sql, 13, p);
}
