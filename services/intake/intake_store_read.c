/* intake_store_read.c -- the read model's statements: the case owner's
 * reads for the desk, the queue and one case (the commands are
 * intake_cases.c), and what other services' events do to a case
 * (intake_readmodel.c) (intake_store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_case.h"
#include "intake_store.h"
#include "pelukan/bus.h"
#include "pelukan/db.h"
#include "pelukan/error.h"
#include "pelukan/pbrow.h"

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
#define S_ROW                                                                                                          \
    "x.id AS \"row.case_id\", x.ticket AS \"row.ticket\", x.state AS \"row.state\", x.urgent AS \"row.urgent\","       \
    " x.child AS \"row.child\", x.violence_forms AS \"row.violence_forms\", x.kecamatan_code AS "                      \
    "\"row.kecamatan_code\","                                                                                          \
    " " PK_SQL_UTC("x.created_at") " AS \"row.created_at\", x.call_attempts AS \"row.call_attempts\","                 \
                                   " x.call_reached AS \"row.call_reached\", " S_DUE " AS \"row.due_at\","             \
                                   " x.reach_reason AS \"row.reach_request.reason_code\","                             \
                                   " " PK_SQL_UTC("x.reach_requested_at") " AS \"row.reach_request.at\""

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
static const char s_timeline_sql[] = "SELECT e.kind, e.state, e.reason_code, e.actor_kind, e.actor_id, " PK_SQL_UTC(
    "e.at") " AS at FROM case_event e JOIN cases x ON x.id = e.case_id WHERE e.case_id = $1 AND " S_SEES("2", "3",
                                                                                                         "4") " ORDER "
                                                                                                              "BY "
                                                                                                              "e.id";

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

/* ---- the reference data, for the edge (intake_reference.c) ---- */

/* The codes a request may use, by kind. */
#define S_CODES_SQL                                                                                                    \
    "SELECT kind, code, label_id FROM category"                                                                        \
    " UNION ALL SELECT 'kecamatan', code, name FROM region WHERE level = 'kecamatan'"                                  \
    " UNION ALL SELECT 'desa', code, name FROM region WHERE level IN ('desa', 'kelurahan')"

/* {"<kind>": [{code, label_id, label_en, plain_id?, plain_en?}, ...], ...},
 * each list in the order the apps show it. */
#define S_CATALOG_SQL                                                                                                  \
    "SELECT json_object_agg(kind, items ORDER BY kind)::text FROM (SELECT kind, json_agg(jsonb_strip_nulls("           \
    "  jsonb_build_object('code', code, 'label_id', label_id, 'label_en', label_en, 'label_su', label_su,"             \
    "  'plain_id', plain_id, 'plain_en', plain_en, 'plain_su', plain_su)) ORDER BY position, code) AS items"           \
    " FROM category GROUP BY kind) k"

/* {"kecamatan": [{code, name, desa: [{code, name}, ...]}, ...]}, by code. */
#define S_REGIONS_SQL                                                                                                  \
    "SELECT json_build_object('kecamatan', json_agg(json_build_object('code', k.code, 'name', k.name,"                 \
    "  'desa', (SELECT coalesce(json_agg(json_build_object('code', d.code, 'name', d.name) ORDER BY d.code),"          \
    "  '[]'::json) FROM region d WHERE d.parent_code = k.code)) ORDER BY k.code))::text"                               \
    " FROM region k WHERE k.level = 'kecamatan'"

int intake_store_reference(PGconn *conn, const pk_log_t *log, PGresult **codes, PGresult **catalog, PGresult **regions)
{
    *codes = pk_pg_exec(conn, log, S_CODES_SQL, 0, NULL);
    *catalog = *codes ? pk_pg_exec(conn, log, S_CATALOG_SQL, 0, NULL) : NULL;
    *regions = *catalog ? pk_pg_exec(conn, log, S_REGIONS_SQL, 0, NULL) : NULL;
    if (*regions && PQntuples(*catalog) == 1 && PQntuples(*regions) == 1)
        return 0;
    PQclear(*codes);
    PQclear(*catalog);
    PQclear(*regions);
    *codes = *catalog = *regions = NULL;
    return PK_EDB;
}

PGresult *intake_store_states_named(PGconn *conn, const pk_log_t *log)
{
    return pk_pg_exec(conn, log, "SELECT code FROM category WHERE kind = 'case_state'", 0, NULL);
}
