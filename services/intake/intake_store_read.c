/* intake_store_read.c -- the case owner's reads for the desk: the queue
 * and one case (intake_store.h; the commands are intake_cases.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_case.h"
#include "intake_store.h"
#include "pelukan/db.h"
#include "pelukan/error.h"

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

/* A case's row as the queue and the case page show it: columns 0..12. */
#define S_ROW                                                                                                          \
    "x.id, x.ticket, x.state, x.urgent, x.child, array_to_string(x.violence_forms, ','), "                             \
    "x.kecamatan_code, " PK_SQL_UTC("x.created_at") ", x.call_attempts, x.call_reached, " S_DUE                        \
                                                    ", x.reach_reason, " PK_SQL_UTC("x.reach_requested_at")

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

/* Row `i` of `r` (S_ROW's columns) into `row`, strings in the arena. */
static void s_row(pk_arena_t **arena, const PGresult *r, int i, Pelukan__V1__CaseRow *row)
{
    pelukan__v1__case_row__init(row);
    row->case_id = intake_store_text(arena, r, i, 0);
    row->ticket = intake_store_text(arena, r, i, 1);
    row->state = intake_store_text(arena, r, i, 2);
    row->urgent = pk_pg_bool(r, i, 3);
    row->child = pk_pg_bool(r, i, 4);
    row->violence_forms = intake_store_codes(arena, r, i, 5, &row->n_violence_forms);
    row->kecamatan_code = intake_store_text(arena, r, i, 6);
    row->created_at = intake_store_text(arena, r, i, 7);
    row->call_attempts = atoi(PQgetvalue(r, i, 8));
    row->call_reached = pk_pg_bool(r, i, 9);
    row->due_at = intake_store_text(arena, r, i, 10);
    if (!PQgetisnull(r, i, 11)) {
        row->reach_request = pk_arena_alloc(arena, sizeof *row->reach_request);
        pelukan__v1__case_row__reach_request__init(row->reach_request);
        row->reach_request->reason_code = intake_store_text(arena, r, i, 11);
        row->reach_request->at = intake_store_text(arena, r, i, 12);
    }
}

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
    int n = PQntuples(r);
    out->cases = pk_arena_alloc(arena, sizeof *out->cases * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        out->cases[i] = pk_arena_alloc(arena, sizeof *out->cases[i]);
        s_row(arena, r, i, out->cases[i]);
    }
    out->n_cases = (size_t)n;
    PQclear(r);
    if (!(r = intake_store_exec(conn, o, s_queue_count_sql, 11, p)))
        return PK_EDB;
    out->total = atoll(PQgetvalue(r, 0, 0));
    out->overdue = atoll(PQgetvalue(r, 0, 1));
    out->urgent_open = atoll(PQgetvalue(r, 0, 2));
    PQclear(r);
    return 0;
}

/* ---- one case ----------------------------------------------------------------- */

/* The case (S_ROW, then its sealed parts and what is not personal, from
 * column 13) if $2-$4 see it, or if an agency is asked to take it ($5). */
static const char s_case_sql[] =
    "SELECT " S_ROW ", x.wrapped_key, x.personal_sealed, r.wrapped_key, r.phone_sealed, r.id, r.safety_sealed,"
    " x.referral_consent, array_to_string(x.consented_agencies, ','), array_to_string(x.recommended_agencies, ','),"
    " array_to_string(x.needs, ','), x.reporter_kind, x.witness_relation, x.victim_sex, x.victim_age_band,"
    " x.disability, x.place_type, x.perpetrator_relation,"
    " to_char(x.incident_at AT TIME ZONE 'Asia/Jakarta', 'YYYY-MM-DD'), x.incident_approx, x.desa_code,"
    " x.immediate_danger, x.situation_confirmed, x.guardian_situation,"
    " array_to_string(x.recommended_services, ',')"
    " FROM cases x JOIN reporter r ON r.id = x.reporter_id WHERE x.id = $1 AND (" S_SEES(
        "2", "3",
        "4") " OR ($2 = 'agency' AND $5::boolean AND EXISTS (SELECT 1 FROM case_agency ca WHERE ca.case_id = x.id"
             " AND ca.agency_code = NULLIF($4, '') AND ca.state = 'sent')))";
static const char s_timeline_sql[] = "SELECT e.kind, e.state, e.reason_code, e.actor_kind, e.actor_id, " PK_SQL_UTC(
    "e.at") " FROM case_event e JOIN cases x ON x.id = e.case_id WHERE e.case_id = $1 AND " S_SEES("2", "3",
                                                                                                   "4") " ORDER BY "
                                                                                                        "e.id";

/* A boolean column that may be NULL (an optional field). */
static protobuf_c_boolean s_maybe(const PGresult *r, int col, protobuf_c_boolean *has)
{
    *has = !PQgetisnull(r, 0, col);
    return *has && pk_pg_bool(r, 0, col);
}

static void s_identification(pk_arena_t **arena, const PGresult *r, Pelukan__V1__CaseView *v)
{
    if (PQgetisnull(r, 0, 19))
        return; /* before the report is in */
    Pelukan__V1__CaseView__Identification *id = pk_arena_alloc(arena, sizeof *id);
    pelukan__v1__case_view__identification__init(id);
    id->referral_consent = pk_pg_bool(r, 0, 19);
    id->consented_agencies = intake_store_codes(arena, r, 0, 20, &id->n_consented_agencies);
    id->recommended_agencies = intake_store_codes(arena, r, 0, 21, &id->n_recommended_agencies);
    id->needs = intake_store_codes(arena, r, 0, 22, &id->n_needs);
    id->immediate_danger = s_maybe(r, 33, &id->immediate_danger_said);
    id->situation_confirmed = s_maybe(r, 34, &id->situation_confirmed_said);
    id->guardian_situation = intake_store_text(arena, r, 0, 35);
    id->recommended_services = intake_store_codes(arena, r, 0, 36, &id->n_recommended_services);
    v->identification = id;
}

static void s_answers(pk_arena_t **arena, const PGresult *r, Pelukan__V1__CaseView *v)
{
    Pelukan__V1__CaseView__Answers *a = pk_arena_alloc(arena, sizeof *a);
    pelukan__v1__case_view__answers__init(a);
    a->reporter_kind = intake_store_text(arena, r, 0, 23);
    a->reporter_relation = intake_store_text(arena, r, 0, 24);
    a->victim_sex = intake_store_text(arena, r, 0, 25);
    a->victim_age_band = intake_store_text(arena, r, 0, 26);
    a->disability = s_maybe(r, 27, &a->disability_said);
    a->place_type = intake_store_text(arena, r, 0, 28);
    a->perpetrator_relation = intake_store_text(arena, r, 0, 29);
    a->incident_date = intake_store_text(arena, r, 0, 30);
    a->incident_approximate = s_maybe(r, 31, &a->incident_approximate_said);
    a->desa_code = intake_store_text(arena, r, 0, 32);
    v->answers = a;
}

static int s_timeline(PGconn *conn, intake_owner_t *o, const char *const *p, pk_arena_t **arena,
                      Pelukan__V1__CaseView *v)
{
    PGresult *t = intake_store_exec(conn, o, s_timeline_sql, 4, p);
    if (!t)
        return PK_EDB;
    int n = PQntuples(t);
    v->timeline = pk_arena_alloc(arena, sizeof *v->timeline * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        Pelukan__V1__CaseView__Step *s = v->timeline[i] = pk_arena_alloc(arena, sizeof *s);
        pelukan__v1__case_view__step__init(s);
        s->kind = intake_store_text(arena, t, i, 0);
        s->state = intake_store_text(arena, t, i, 1);
        s->reason_code = intake_store_text(arena, t, i, 2);
        s->actor_kind = intake_store_text(arena, t, i, 3);
        s->actor_id = intake_store_text(arena, t, i, 4);
        s->at = intake_store_text(arena, t, i, 5);
    }
    v->n_timeline = (size_t)n;
    PQclear(t);
    return 0;
}

int intake_store_case(PGconn *conn, intake_owner_t *o, const char *case_id, const Pelukan__V1__Actor *actor,
                      const char *agency, bool asked, pk_arena_t **arena, intake_case_row_t *out)
{
    const char *p[] = {case_id, actor->role, actor->id, agency, asked ? "t" : "f"};
    PGresult *r = intake_store_exec(conn, o, s_case_sql, 5, p);
    if (!r)
        return PK_EDB;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return PK_ENOENT;
    }
    memset(out, 0, sizeof *out);
    pelukan__v1__case_view__init(&out->view);
    out->view.row = pk_arena_alloc(arena, sizeof *out->view.row);
    s_row(arena, r, 0, out->view.row);
    out->case_key = intake_store_blob(arena, r, 13, &out->case_key_len);
    out->personal = intake_store_blob(arena, r, 14, &out->personal_len);
    out->reporter_key = intake_store_blob(arena, r, 15, &out->reporter_key_len);
    out->phone = intake_store_blob(arena, r, 16, &out->phone_len);
    snprintf(out->reporter_id, sizeof out->reporter_id, "%s", PQgetvalue(r, 0, 17));
    out->safety = intake_store_blob(arena, r, 18, &out->safety_len);
    s_identification(arena, r, &out->view);
    s_answers(arena, r, &out->view);
    PQclear(r);
    return s_timeline(conn, o, p, arena, &out->view);
}
