/* intake_admin.c -- the admin's case workflow: the queue, a case's detail
 * (personal data opened only with a stated purpose, each opening an event
 * before anything is shown). The steps on a case are the case owner's
 * (intake_desk.c). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intake_call.h"
#include "intake_case.h"
#include "intake_staff.h"
#include "pelukan/util.h"

/* Which cases a staff member sees: admins and supervisors all, a companion
 * those assigned to them, an agency user those whose referral to its
 * agency it accepted.
 * Parameters $V1 role, $V2 staff id, $V3 agency code (use S_SEES(n) with
 * the position of the first). */
#define S_SEES(a, b, c)                                                                                                \
    "($" a " IN ('admin', 'supervisor') OR ($" a " = 'companion' AND x.companion_id = $" b " AND " S_VISIT_LIVE ") OR" \
    " ($" a " = 'agency' AND EXISTS (SELECT 1 FROM case_agency ca WHERE ca.case_id = x.id"                             \
    "   AND ca.agency_code = NULLIF($" c ", '') AND " S_REFERRAL_LIVE ")))"

/* Access that ends (security review N12): a companion's some hours after
 * the visit completed, an agency's some hours after its referral closed. */
#define S_VISIT_LIVE    INTAKE_SQL_VISIT_LIVE
#define S_REFERRAL_LIVE INTAKE_SQL_REFERRAL_LIVE

/* The one-day promise (../shared/domain.md): a report is handled, that
 * is referred, within a day of being sent. Its clock runs in these states
 * (a declined referral must be referred again); S_DUE is when it ends, or
 * NULL once the promise is kept or the case is over. */
#define S_PROMISE_RUNS "x.state IN " INTAKE_SQL_PROMISE_STATES
#define S_DUE          "CASE WHEN " S_PROMISE_RUNS " THEN " PK_SQL_UTC("(x.created_at + interval '1 day')") " END"
#define S_FINAL        "x.state IN " INTAKE_SQL_FINAL_STATES
#define S_OVERDUE      S_PROMISE_RUNS " AND x.created_at < now() - interval '1 day'"

static const char *const s_purposes[] = {"confirmation_call", "verification",  "case_review",
                                         "follow_up",         "legal_request", NULL};
static void s_not_found(intake_call_t *c)
{
    intake_error(c->req, 404, "not_found", "Kasus tidak ditemukan", NULL);
    intake_call_free(c);
}

/* ---- GET /v1/staff/cases ----------------------------------------------------- */

/* A companion's request that the reporter be reached, waiting until an
 * admin says it was answered (intake_reach.c): two columns from `col`. */
#define S_REACH "x.reach_reason, " PK_SQL_UTC("x.reach_requested_at")

static json_t *s_reach(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return json_null();
    return json_pack("{s:s, s:s}", "reason_code", PQgetvalue(r, row, col), "at", PQgetvalue(r, row, col + 1));
}

static void s_queue_done(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    json_t *items = json_array();
    const PGresult *n = pk_db_txn_result(txn, 1);
    long total = atol(PQgetvalue(n, 0, 0));
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *forms = json_loads(PQgetvalue(r, i, 5), 0, NULL);
        json_t *item =
            json_pack("{s:s, s:s, s:s, s:b, s:b, s:s?, s:o, s:s, s:i, s:b}", "case_id", PQgetvalue(r, i, 0), "ticket",
                      PQgetvalue(r, i, 1), "state", PQgetvalue(r, i, 2), "urgent", pk_pg_bool(r, i, 3), "child",
                      pk_pg_bool(r, i, 4), "kecamatan_code", PQgetisnull(r, i, 6) ? NULL : PQgetvalue(r, i, 6),
                      "violence_forms", forms ? forms : json_array(), "created_at", PQgetvalue(r, i, 7),
                      "call_attempts", atoi(PQgetvalue(r, i, 8)), "call_reached", pk_pg_bool(r, i, 9));
        json_object_set_new(item, "due_at", PQgetisnull(r, i, 10) ? json_null() : json_string(PQgetvalue(r, i, 10)));
        json_object_set_new(item, "reach_request", s_reach(r, i, 11));
        json_array_append_new(items, item);
    }
    const char *page = pk_http_query(c->req, "page"), *per = pk_http_query(c->req, "per_page");
    intake_json(c->req, 200,
                json_pack("{s:o, s:i, s:i, s:I, s:I, s:I}", "cases", items, "page", page ? atoi(page) : 1, "per_page",
                          per ? atoi(per) : 25, "total", (json_int_t)total, "overdue",
                          (json_int_t)atol(PQgetvalue(n, 0, 1)), "urgent_open", (json_int_t)atol(PQgetvalue(n, 0, 2))));
    intake_call_free(c);
}

static bool s_bool_param(const char *v)
{
    return !v || strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
}

/* The queue's filters: $1 state ("open": not finished), $2 urgent, $3
 * kecamatan, $4 child, $10 kind of violence, $11 ticket; what the caller
 * sees ($5-$7). */
#define S_QUEUE_WHERE                                                                                                  \
    "($1 = '' OR x.state = $1 OR ($1 = 'open' AND NOT " S_FINAL ")) AND ($2 = '' OR x.urgent = ($2 = 'true'))"         \
    " AND ($3 = '' OR x.kecamatan_code = $3) AND ($4 = '' OR x.child = ($4 = 'true'))"                                 \
    " AND ($10 = '' OR $10 = ANY (x.violence_forms)) AND ($11 = '' OR x.ticket = upper($11))"                          \
    " AND " S_SEES("5", "6", "7")

/* The queue's filters as the desk sends them; NULL when not given. */
typedef struct {
    const char *state, *urgent, *kec, *child, *form, *ticket;
    int page, per;
} s_queue_filter_t;

/* Reads and checks the filters; the errors (field -> message) in `errors`. */
static void s_queue_filter(intake_call_t *c, s_queue_filter_t *f, json_t *errors)
{
    const char *page_s = pk_http_query(c->req, "page"), *per_s = pk_http_query(c->req, "per_page");
    *f = (s_queue_filter_t){pk_http_query(c->req, "state"),
                            pk_http_query(c->req, "urgent"),
                            pk_http_query(c->req, "kecamatan"),
                            pk_http_query(c->req, "child"),
                            pk_http_query(c->req, "violence_form"),
                            pk_http_query(c->req, "ticket"),
                            page_s ? atoi(page_s) : 1,
                            per_s ? atoi(per_s) : 25};
    if (f->state && strcmp(f->state, "open") != 0 && !intake_state_known(f->state))
        json_object_set_new(errors, "state", json_string("status tidak dikenal"));
    if (!s_bool_param(f->urgent))
        json_object_set_new(errors, "urgent", json_string("true atau false"));
    if (!s_bool_param(f->child))
        json_object_set_new(errors, "child", json_string("true atau false"));
    if (f->kec && !intake_catalog_has(c->in->catalog, "kecamatan", f->kec))
        json_object_set_new(errors, "kecamatan", json_string("kode kecamatan tidak dikenal"));
    if (f->form && !intake_catalog_has(c->in->catalog, "violence_form", f->form))
        json_object_set_new(errors, "violence_form", json_string("bentuk kekerasan tidak dikenal"));
    if (f->ticket && !intake_ticket_ok(f->ticket))
        json_object_set_new(errors, "ticket", json_string("nomor laporan seperti PK-7KQ4-M9XD"));
    if (f->page < 1 || f->page > 100000)
        json_object_set_new(errors, "page", json_string("1 atau lebih"));
    if (f->per < 1 || f->per > 100)
        json_object_set_new(errors, "per_page", json_string("1 sampai 100"));
}

/* Ordered by the promise: urgent cases whose clock runs pinned on top,
 * then the others whose clock runs (overdue first, then by time left),
 * then open cases whose promise was kept (newest first), then the
 * finished ones. The counts are of the cases the filter selects. */
static const char s_queue_sql[] =
    "SELECT x.id, x.ticket, x.state, x.urgent, x.child, array_to_json(x.violence_forms)::text,"
    " x.kecamatan_code, " PK_SQL_UTC("x.created_at") ", x.call_attempts, x.call_reached, " S_DUE ", " S_REACH
                                                     " FROM cases x WHERE " S_QUEUE_WHERE
                                                     " ORDER BY CASE WHEN " S_PROMISE_RUNS
                                                     " THEN CASE WHEN x.urgent THEN 0 ELSE 1 END WHEN " S_FINAL
                                                     " THEN 3 ELSE 2 END,"
                                                     " CASE WHEN " S_PROMISE_RUNS
                                                     " THEN x.created_at END, x.created_at DESC, x.id"
                                                     " LIMIT $8::int OFFSET $9::bigint";
static const char s_queue_count_sql[] = "SELECT count(*), count(*) FILTER (WHERE " S_OVERDUE "),"
                                        " count(*) FILTER (WHERE " S_PROMISE_RUNS " AND x.urgent)"
                                        /* every parameter typed, though the page is not used here */
                                        " FROM cases x WHERE " S_QUEUE_WHERE " AND $8::int > 0 AND $9::bigint >= 0";

void intake_admin_queue(intake_call_t *c)
{
    s_queue_filter_t f;
    json_t *errors = json_object();
    s_queue_filter(c, &f, errors);
    if (intake_invalid(c, errors, "Filter tidak valid"))
        return;
    char limit[16], offset[24];
    snprintf(limit, sizeof limit, "%d", f.per);
    snprintf(offset, sizeof offset, "%ld", (long)(f.page - 1) * f.per);
    const char *p[] = {f.state ? f.state : "",
                       f.urgent ? f.urgent : "",
                       f.kec ? f.kec : "",
                       f.child ? f.child : "",
                       c->staff_role,
                       c->staff_id,
                       c->staff_agency,
                       limit,
                       offset,
                       f.form ? f.form : "",
                       f.ticket ? f.ticket : ""};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, s_queue_sql, 11, p);
    pk_db_txn_add(txn, s_queue_count_sql, 11, p);
    pk_db_txn_submit(txn, s_queue_done, c);
}

/* ---- GET /v1/staff/cases/{id}[?purpose=] ------------------------------------- */


static json_t *s_timeline(const PGresult *t)
{
    json_t *timeline = json_array();
    for (int i = 0; i < PQntuples(t); i++)
        json_array_append_new(
            timeline, json_pack("{s:s, s:s, s:s?, s:s, s:s?, s:s}", "kind", PQgetvalue(t, i, 0), "state",
                                PQgetvalue(t, i, 1), "reason_code", PQgetisnull(t, i, 2) ? NULL : PQgetvalue(t, i, 2),
                                "actor_kind", PQgetvalue(t, i, 3), "actor_id",
                                PQgetisnull(t, i, 4) ? NULL : PQgetvalue(t, i, 4), "at", PQgetvalue(t, i, 5)));
    return timeline;
}

/* Opens the sealed data of the case row in `r` (columns 9..12). */
static json_t *s_personal(intake_call_t *c, const PGresult *r)
{
    char case_ctx[64], rep_ctx[64];
    snprintf(case_ctx, sizeof case_ctx, "case:%s", PQgetvalue(r, 0, 0));
    snprintf(rep_ctx, sizeof rep_ctx, "reporter:%s", PQgetvalue(r, 0, 13));
    uint8_t ck[PK_DATAKEY_BYTES], rk[PK_DATAKEY_BYTES];
    json_t *out = json_object();
    if (intake_unwrap(c, case_ctx, r, 0, 9, ck) == 0) {
        json_t *personal = intake_open_json(ck, case_ctx, "personal", r, 0, 10);
        json_object_set_new(out, "report", personal ? personal : json_null());
    }
    if (intake_unwrap(c, rep_ctx, r, 0, 11, rk) == 0) {
        int len = PQgetlength(r, 0, 12);
        uint8_t *sealed = pk_malloc((size_t)len + 1);
        long n = pk_pg_bytea_get(r, 0, 12, sealed, (size_t)len + 1);
        char phone[64] = "", ctx[80];
        snprintf(ctx, sizeof ctx, "%s:phone", rep_ctx);
        if (n > PK_SEAL_OVERHEAD && (size_t)n - PK_SEAL_OVERHEAD < sizeof phone &&
            pk_open(rk, ctx, sealed, (size_t)n, (uint8_t *)phone) == 0)
            json_object_set_new(out, "reporter_phone", json_string(phone));
        sodium_memzero(phone, sizeof phone);
        free(sealed);
        json_t *safety = intake_open_json(rk, rep_ctx, "safety", r, 0, 14);
        json_object_set_new(out, "contact_safety", safety ? safety : json_object());
    }
    sodium_memzero(ck, sizeof ck);
    sodium_memzero(rk, sizeof rk);
    return out;
}

/* A JSON array column of `r` (array_to_json), [] when NULL. */
static json_t *s_array(const PGresult *r, int col)
{
    json_t *v = PQgetisnull(r, 0, col) ? NULL : json_loads(PQgetvalue(r, 0, col), 0, NULL);
    if (json_is_array(v))
        return v;
    json_decref(v);
    return json_array();
}

static json_t *s_text(const PGresult *r, int col)
{
    return PQgetisnull(r, 0, col) ? json_null() : json_string(PQgetvalue(r, 0, col));
}

static json_t *s_flag(const PGresult *r, int col)
{
    return PQgetisnull(r, 0, col) ? json_null() : json_boolean(pk_pg_bool(r, 0, col));
}

/* What the identification report found and says about referring (columns
 * 16..19 and 31..34), or null before it is in. Codes only. */
static json_t *s_identification(const PGresult *r)
{
    if (PQgetisnull(r, 0, 16))
        return json_null();
    json_t *j = json_pack("{s:b}", "referral_consent", pk_pg_bool(r, 0, 16));
    json_object_set_new(j, "consented_agencies", s_array(r, 17));
    json_object_set_new(j, "recommended_agencies", s_array(r, 18));
    json_object_set_new(j, "needs", s_array(r, 19));
    json_object_set_new(j, "immediate_danger", s_flag(r, 31));
    json_object_set_new(j, "situation_confirmed", s_flag(r, 32));
    json_object_set_new(j, "guardian_situation", s_text(r, 33));
    json_object_set_new(j, "recommended_services", s_array(r, 34));
    return j;
}

/* Everything the reporter answered that is not personal (columns 21..30),
 * as codes: the case page says it in words in one summary. */
static json_t *s_answers(const PGresult *r)
{
    json_t *j = json_object();
    static const struct {
        const char *name;
        int col;
        bool flag;
    } cols[] = {{"reporter_kind", 21, false},   {"reporter_relation", 22, false},    {"victim_sex", 23, false},
                {"victim_age_band", 24, false}, {"disability", 25, true},            {"place_type", 26, false},
                {"perpetrator_relation", 27, false}, {"incident_date", 28, false},   {"incident_approximate", 29, true},
                {"desa_code", 30, false}};
    for (size_t i = 0; i < PK_ARRAY_LEN(cols); i++)
        json_object_set_new(j, cols[i].name, cols[i].flag ? s_flag(r, cols[i].col) : s_text(r, cols[i].col));
    return j;
}

/* The case from its row (rows[0]) and timeline (rows[1]), without
 * anything personal. */
static json_t *s_detail(const PGresult *const *rows)
{
    const PGresult *r = rows[0], *t = rows[1];
    json_t *forms = json_loads(PQgetvalue(r, 0, 5), 0, NULL);
    json_t *answer =
        json_pack("{s:s, s:s, s:s, s:b, s:b, s:o, s:s?, s:s, s:i, s:b, s:o}", "case_id", PQgetvalue(r, 0, 0), "ticket",
                  PQgetvalue(r, 0, 1), "state", PQgetvalue(r, 0, 2), "urgent", pk_pg_bool(r, 0, 3), "child",
                  pk_pg_bool(r, 0, 4), "violence_forms", forms ? forms : json_array(), "kecamatan_code",
                  PQgetisnull(r, 0, 6) ? NULL : PQgetvalue(r, 0, 6), "created_at", PQgetvalue(r, 0, 7), "call_attempts",
                  atoi(PQgetvalue(r, 0, 8)), "call_reached", pk_pg_bool(r, 0, 15), "timeline", s_timeline(t));
    json_object_set_new(answer, "identification", s_identification(r));
    json_object_set_new(answer, "answers", s_answers(r));
    json_object_set_new(answer, "due_at", PQgetisnull(r, 0, 20) ? json_null() : json_string(PQgetvalue(r, 0, 20)));
    json_object_set_new(answer, "reach_request", s_reach(r, 0, 35));
    return answer;
}

/* The same with its personal data, opened once the opening committed. */
static json_t *s_detail_personal(intake_call_t *c, const PGresult *const *rows)
{
    json_t *answer = s_detail(rows);
    json_object_set_new(answer, "personal", s_personal(c, rows[0]));
    return answer;
}

static void s_detail_found(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *rows[] = {pk_db_txn_result(txn, 0), pk_db_txn_result(txn, 1)};
    if (PQntuples(rows[0]) != 1) {
        s_not_found(c);
        return;
    }
    const char *purpose = pk_http_query(c->req, "purpose");
    if (!purpose) {
        intake_json(c->req, 200, s_detail(rows)); /* takes it */
        intake_call_free(c);
        return;
    }
    /* The opening is recorded (timeline and event) and committed before
     * anything personal is decrypted. */
    snprintf(c->case_id, sizeof c->case_id, "%s", PQgetvalue(rows[0], 0, 0));
    static const char *const fields[] = {"report", "reporter_phone", "contact_safety"};
    intake_answer_opened(c, txn, purpose, fields, PK_ARRAY_LEN(fields), s_detail_personal);
}

void intake_admin_case(intake_call_t *c)
{
    const char *purpose = pk_http_query(c->req, "purpose");
    if (purpose && !pk_code_in(purpose, s_purposes)) {
        intake_error(c->req, 422, "validation_failed", "Tujuan membuka data tidak dikenal",
                     json_pack("{s:s}", "purpose",
                               "confirmation_call, verification, case_review, follow_up atau "
                               "legal_request"));
        intake_call_free(c);
        return;
    }
    if (purpose && !(c->role_bit & (INTAKE_ADMIN | INTAKE_SUPERVISOR | INTAKE_AGENCY))) {
        intake_error(c->req, 403, "forbidden", "Peran Anda tidak berhak membuka data pribadi kasus ini", NULL);
        intake_call_free(c);
        return;
    }
    /* An agency asked to take the case sees it without anything personal
     * before it answers (issue 22 §4: age band, child, kecamatan, needs,
     * danger); its timeline and personal data once it accepted. */
    const char *p[] = {pk_http_param(c->req, 0), c->staff_role, c->staff_id, c->staff_agency, purpose ? "f" : "t"};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(
        txn,
        "SELECT x.id, x.ticket, x.state, x.urgent, x.child, array_to_json(x.violence_forms)::text,"
        " x.kecamatan_code, " PK_SQL_UTC(
            "x.created_at") ", x.call_attempts, x.wrapped_key, x.personal_sealed,"
                            " r.wrapped_key, r.phone_sealed, r.id, r.safety_sealed, x.call_reached,"
                            " x.referral_consent, array_to_json(x.consented_agencies)::text,"
                            " array_to_json(x.recommended_agencies)::text, array_to_json(x.needs)::text, " S_DUE ","
                            " x.reporter_kind, x.witness_relation, x.victim_sex, x.victim_age_band, x.disability,"
                            " x.place_type, x.perpetrator_relation,"
                            " to_char(x.incident_at AT TIME ZONE 'Asia/Jakarta', 'YYYY-MM-DD'), x.incident_approx,"
                            " x.desa_code, x.immediate_danger, x.situation_confirmed, x.guardian_situation,"
                            " array_to_json(x.recommended_services)::text, " S_REACH
                            " FROM cases x JOIN reporter r ON r.id = x.reporter_id WHERE x.id = $1 AND (" S_SEES(
                                "2", "3", "4") " OR ($2 = 'agency' AND $5::boolean AND EXISTS (SELECT 1 FROM"
                                               " case_agency ca WHERE ca.case_id = x.id AND ca.agency_code ="
                                               " NULLIF($4, '') AND ca.state = 'sent')))",
        5, p);
    pk_db_txn_add(
        txn,
        "SELECT e.kind, e.state, e.reason_code, e.actor_kind, e.actor_id, " PK_SQL_UTC(
            "e.at") " FROM case_event e JOIN cases x ON x.id = e.case_id WHERE e.case_id = $1 AND " S_SEES("2", "3",
                                                                                                           "4") " ORDER"
                                                                                                                " BY "
                                                                                                                "e.id",
        4, p);
    pk_db_txn_submit(txn, s_detail_found, c);
}
