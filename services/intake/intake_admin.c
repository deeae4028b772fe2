/* intake_admin.c -- the admin's case workflow: the queue, a case's detail
 * (personal data opened only with a stated purpose, each opening an event
 * before anything is shown), the confirmation call, verification,
 * rejection, duplicates and internal notes. Every step is a timeline entry
 * and an event with its actor, in the transaction that makes it. */
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
static const char *const s_reject_reasons[] = {"false_report", "spam", "out_of_scope", "other", NULL};

static void s_not_found(intake_call_t *c)
{
    intake_error(c->req, 404, "not_found", "Kasus tidak ditemukan", NULL);
    intake_call_free(c);
}

static void s_invalid_transition(intake_call_t *c, const char *from, const char *to)
{
    char msg[160];
    snprintf(msg, sizeof msg, "Kasus berstatus %s; tidak bisa menjadi %s", from, to);
    intake_error(c->req, 409, "invalid_transition", msg, json_pack("{s:s, s:s}", "state", from, "to", to));
    intake_call_free(c);
}

/* The body's fields other than `allowed` are errors. */
static bool s_only(intake_call_t *c, const char *const *allowed)
{
    json_t *errors = intake_strict_body(c, allowed);
    return errors && !intake_invalid(c, errors, "Data tidak valid");
}

static const char *s_str(intake_call_t *c, const char *field, size_t max)
{
    const char *v = json_string_value(json_object_get(c->body, field));
    return v && *v && pk_utf8_chars(v) <= max ? v : NULL;
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

/* ---- state changes ------------------------------------------------------------ */

/* What a step writes besides the state change. */
typedef struct intake_step {
    const char *to;          /* new state, or NULL for a call / note only */
    const char *reason_code; /* of the state change */
    const char *kind;        /* timeline entry of a call or note */
    const char *outcome;     /* a call's outcome */
    char *note_hex;          /* sealed text, or NULL */
    char duplicate_of[PK_ID_HEX_LEN + 1];
    bool reached;
} s_step_t;

static void s_step_done(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    s_step_t *st = c->step;
    c->step = NULL;
    if (status != 0) {
        intake_db_error(c, txn, status);
    } else if (PQntuples(pk_db_txn_result(txn, 0)) != 1) {
        intake_error(c->req, 409, "state_changed", "Status kasus baru saja berubah, muat ulang", NULL);
    } else {
        pk_relay_kick(pk_service_relay(c->in->svc));
        const PGresult *r = pk_db_txn_result(txn, 0);
        intake_json(c->req, 200,
                    json_pack("{s:s, s:s, s:i}", "case_id", c->case_id, "state", PQgetvalue(r, 0, 0), "call_attempts",
                              atoi(PQgetvalue(r, 0, 1))));
    }
    free(st->note_hex);
    free(st);
    intake_call_free(c);
}

/* Writes the step in one transaction, guarded by the state read before:
 * a concurrent change makes it a 409, never a lost update. */
/* The step's state change as an event (hex NULL when it moves nothing). */
static void s_step_state_event(intake_call_t *c, const s_step_t *st, char topic[128], char **hex)
{
    if (!st->to)
        return;
    Pelukan__V1__Envelope env;
    Pelukan__V1__Actor actor;
    uint8_t eid[16];
    intake_staff_envelope(c, c->case_id, &env, eid, &actor);
    Pelukan__V1__CaseStateChanged ch = PELUKAN__V1__CASE_STATE_CHANGED__INIT;
    ch.from_state = intake_state_enum(c->from_state);
    ch.to_state = intake_state_enum(st->to);
    ch.reason_code = (char *)(st->reason_code ? st->reason_code : "");
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_STATE_CHANGED;
    env.case_state_changed = &ch;
    pk_outbox_params(&env, topic, hex);
}

/* What else the step records as an event: a confirmation call's outcome or
 * the case it duplicates (hex NULL when neither). */
static void s_step_other_event(intake_call_t *c, const s_step_t *st, char topic[128], char **hex)
{
    if (!st->outcome && !st->duplicate_of[0])
        return;
    Pelukan__V1__Envelope env;
    Pelukan__V1__Actor actor;
    uint8_t eid[16];
    intake_staff_envelope(c, c->case_id, &env, eid, &actor);
    Pelukan__V1__ConfirmationCallRecorded call = PELUKAN__V1__CONFIRMATION_CALL_RECORDED__INIT;
    Pelukan__V1__CaseMarkedDuplicate dup = PELUKAN__V1__CASE_MARKED_DUPLICATE__INIT;
    if (st->outcome) {
        call.outcome = (char *)st->outcome;
        env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_CONFIRMATION_CALL_RECORDED;
        env.confirmation_call_recorded = &call;
    } else {
        dup.duplicate_of_case_id = (char *)st->duplicate_of;
        env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_MARKED_DUPLICATE;
        env.case_marked_duplicate = &dup;
    }
    pk_outbox_params(&env, topic, hex);
}

/* The step, its timeline entries, its note and its events in one
 * statement, only if the case is still in the state it was read in. The
 * call's attempt number is known only in the transaction: the event is
 * written with the count before it and the reply carries the new one. */
static const char s_step_sql[] =
    "WITH u AS (UPDATE cases SET state = coalesce(NULLIF($3, ''), state), updated_at = now(),"
    "   call_attempts = call_attempts + CASE WHEN $7 <> '' THEN 1 ELSE 0 END,"
    "   call_reached = call_reached OR $9::boolean, duplicate_of = coalesce(NULLIF($10, ''), duplicate_of)"
    "   WHERE id = $1 AND state = $2 RETURNING id, state, call_attempts),"
    " e1 AS (INSERT INTO case_event (case_id, kind, state, reason_code, actor_kind, actor_id)"
    "   SELECT id, 'state', state, NULLIF($4, ''), 'staff', $5 FROM u WHERE $3 <> ''),"
    " e2 AS (INSERT INTO case_event (case_id, kind, state, reason_code, actor_kind, actor_id)"
    "   SELECT id, $6, $2, NULLIF($7, ''), 'staff', $5 FROM u WHERE $6 <> ''),"
    " n AS (INSERT INTO case_note (case_id, staff_id, kind, outcome, body_sealed)"
    "   SELECT id, $5, $6, NULLIF($7, ''), $8::bytea FROM u WHERE $6 <> ''),"
    " o1 AS (" PK_OUTBOX_INSERT_SELECT("$11", "id", "$12") " FROM u WHERE $12::bytea IS NOT NULL),"
                                                           " o2 AS (" PK_OUTBOX_INSERT_SELECT(
                                                               "$13", "id",
                                                               "$14") " FROM u WHERE $14::bytea IS NOT NULL)"
                                                                      " SELECT state, call_attempts FROM u";

static void s_step_write(intake_call_t *c, s_step_t *st)
{
    char topic[128], topic2[128], *hex = NULL, *hex2 = NULL;
    s_step_state_event(c, st, topic, &hex);
    s_step_other_event(c, st, topic2, &hex2);
    const char *p[] = {c->case_id,
                       c->from_state,
                       st->to ? st->to : "",
                       st->reason_code ? st->reason_code : "",
                       c->staff_id,
                       st->kind ? st->kind : "",
                       st->outcome ? st->outcome : "",
                       st->note_hex,
                       st->reached ? "t" : "f",
                       st->duplicate_of,
                       hex ? topic : "",
                       hex,
                       hex2 ? topic2 : "",
                       hex2};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, s_step_sql, 14, p);
    free(hex);
    free(hex2);
    c->step = st;
    pk_db_txn_submit(txn, s_step_done, c);
}

/* Reads the case's state (and what a step needs), then `then`. */
typedef void (*s_then_fn)(intake_call_t *c, const PGresult *r, s_step_t *st);

typedef struct intake_read {
    s_then_fn then;
    s_step_t *st;
} s_read_t;

static void s_state_read(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    s_read_t *rd = c->read;
    c->read = NULL;
    s_then_fn then = rd->then;
    s_step_t *st = rd->st;
    free(rd);
    if (!intake_db_ok(c, txn, status)) {
        free(st->note_hex);
        free(st);
        return;
    }
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (PQntuples(r) != 1) {
        free(st->note_hex);
        free(st);
        s_not_found(c);
        return;
    }
    snprintf(c->from_state, sizeof c->from_state, "%s", PQgetvalue(r, 0, 0));
    then(c, r, st);
}

static void s_read_case(intake_call_t *c, s_step_t *st, s_then_fn then)
{
    snprintf(c->case_id, sizeof c->case_id, "%s", pk_http_param(c->req, 0));
    s_read_t *rd = pk_calloc(1, sizeof *rd);
    rd->then = then;
    rd->st = st;
    c->read = rd;
    const char *p[] = {c->case_id, c->staff_role, c->staff_id, c->staff_agency};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn,
                  "SELECT x.state, x.call_reached, x.wrapped_key, r.wrapped_key, r.safety_sealed, r.id"
                  " FROM cases x JOIN reporter r ON r.id = x.reporter_id WHERE x.id = $1 AND " S_SEES("2", "3", "4"),
                  4, p);
    pk_db_txn_submit(txn, s_state_read, c);
}

/* Seals a note's text with the case's key (column 2 of the state read). */
static char *s_seal_note(intake_call_t *c, const PGresult *r, const char *text, const char *override_reason)
{
    char ctx[64];
    snprintf(ctx, sizeof ctx, "case:%s", c->case_id);
    uint8_t key[PK_DATAKEY_BYTES];
    if (intake_unwrap(c, ctx, r, 0, 2, key) != 0)
        return NULL;
    json_t *v = json_pack("{s:s?, s:s?}", "text", text, "override_reason", override_reason);
    char *hex = intake_seal_json(key, ctx, "note", v);
    json_decref(v);
    sodium_memzero(key, sizeof key);
    return hex;
}

static void s_transition_then(intake_call_t *c, const PGresult *r, s_step_t *st)
{
    if (!intake_transition_allowed(c->from_state, st->to)) {
        const char *to = st->to; /* the table's (intake_case.c) */
        free(st->note_hex);
        free(st);
        s_invalid_transition(c, c->from_state, to);
        return;
    }
    /* Verifying a report needs a confirmation call that reached someone. */
    if (strcmp(st->to, intake_step_to(INTAKE_STEP_VERIFY)) == 0 && !pk_pg_bool(r, 0, 1)) {
        free(st);
        intake_error(c->req, 409, "call_required",
                     "Catat dulu panggilan konfirmasi yang tersambung sebelum memverifikasi", NULL);
        intake_call_free(c);
        return;
    }
    s_step_write(c, st);
}

/* POST /v1/staff/cases/{id}/verify */
void intake_admin_verify(intake_call_t *c)
{
    static const char *const allowed[] = {NULL};
    if (!s_only(c, allowed))
        return;
    s_step_t *st = pk_calloc(1, sizeof *st);
    st->to = intake_step_to(INTAKE_STEP_VERIFY);
    st->reason_code = "confirmation_call";
    s_read_case(c, st, s_transition_then);
}

/* POST /v1/staff/cases/{id}/reject {reason_code, notes?} */
void intake_admin_reject(intake_call_t *c)
{
    static const char *const allowed[] = {"reason_code", "notes", NULL};
    if (!s_only(c, allowed))
        return;
    const char *reason = s_str(c, "reason_code", 32);
    if (!pk_code_in(reason, s_reject_reasons)) {
        (void)intake_invalid(c, json_pack("{s:s}", "reason_code", "false_report, spam, out_of_scope atau other"),
                             "Data tidak valid");
        return;
    }
    s_step_t *st = pk_calloc(1, sizeof *st);
    st->to = intake_step_to(INTAKE_STEP_REJECT);
    st->reason_code = pk_code_in(reason, s_reject_reasons) ? reason : "other";
    s_read_case(c, st, s_transition_then);
}

static void s_duplicate_checked(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    s_step_t *st = c->step;
    c->step = NULL;
    if (!intake_db_ok(c, txn, status)) {
        free(st);
        return;
    }
    if (PQntuples(pk_db_txn_result(txn, 0)) != 1) {
        free(st);
        (void)intake_invalid(c, json_pack("{s:s}", "of", "kasus asal tidak ditemukan"), "Data tidak valid");
        return;
    }
    s_read_case(c, st, s_transition_then);
}

/* POST /v1/staff/cases/{id}/duplicate {of} */
void intake_admin_duplicate(intake_call_t *c)
{
    static const char *const allowed[] = {"of", NULL};
    if (!s_only(c, allowed))
        return;
    const char *of = s_str(c, "of", PK_ID_HEX_LEN);
    if (!of || strcmp(of, pk_http_param(c->req, 0)) == 0) {
        (void)intake_invalid(c, json_pack("{s:s}", "of", "wajib: kasus lain yang sama"), "Data tidak valid");
        return;
    }
    s_step_t *st = pk_calloc(1, sizeof *st);
    st->to = intake_step_to(INTAKE_STEP_DUPLICATE);
    st->reason_code = "duplicate";
    snprintf(st->duplicate_of, sizeof st->duplicate_of, "%s", of);
    c->step = st;
    const char *p[] = {of};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "SELECT id FROM cases WHERE id = $1", 1, p);
    pk_db_txn_submit(txn, s_duplicate_checked, c);
}

/* ---- the confirmation call ----------------------------------------------------- */

/* Minutes after midnight in WIB (UTC+7), where the reporters live. */
static void s_call_then(intake_call_t *c, const PGresult *r, s_step_t *st)
{
    if (strcmp(c->from_state, "submitted") != 0) {
        free(st);
        char msg[128];
        snprintf(msg, sizeof msg, "Panggilan konfirmasi hanya untuk laporan baru; kasus berstatus %s", c->from_state);
        intake_error(c->req, 409, "invalid_transition", msg, json_pack("{s:s}", "state", c->from_state));
        intake_call_free(c);
        return;
    }
    /* The reporter's safety choices come before any call. */
    char rep_ctx[64];
    snprintf(rep_ctx, sizeof rep_ctx, "reporter:%s", PQgetvalue(r, 0, 5));
    uint8_t rk[PK_DATAKEY_BYTES];
    json_t *safety =
        intake_unwrap(c, rep_ctx, r, 0, 3, rk) == 0 ? intake_open_json(rk, rep_ctx, "safety", r, 0, 4) : NULL;
    sodium_memzero(rk, sizeof rk);
    const char *hours = json_string_value(json_object_get(safety, "safe_hours"));
    const char *channel = json_string_value(json_object_get(safety, "safe_channel"));
    bool monitored = json_is_true(json_object_get(safety, "phone_monitored"));
    const char *override = s_str(c, "override_reason", 500);
    bool safe = intake_safe_now(hours, pk_wib_minutes()) && !(channel && strcmp(channel, "in_app") == 0) && !monitored;
    if (!safe && !override) {
        /* The choices themselves are the reporter's personal data: shown
         * only in a recorded opening (?purpose=confirmation_call), never in
         * an error. */
        json_t *fields = json_pack("{s:s}", "contact_safety",
                                   "lihat pilihan pelapor dengan ?purpose=confirmation_call sebelum menelepon");
        json_decref(safety);
        free(st);
        intake_error(c->req, 409, "unsafe_call_time",
                     "Pelapor meminta tidak ditelepon saat ini; telepon hanya jika perlu, dan tulis alasannya", fields);
        intake_call_free(c);
        return;
    }
    json_decref(safety);
    if (!safe)
        intake_log_info(c, "case %s: call outside the reporter's safe choices, overridden by staff %s", c->case_id,
                        c->staff_id);
    st->note_hex = s_seal_note(c, r, s_str(c, "notes", 2000), safe ? NULL : override);
    if (strcmp(st->outcome, "false_report") == 0) {
        st->to = intake_step_to(INTAKE_STEP_REJECT);
        st->reason_code = "false_report";
    }
    s_step_write(c, st);
}

/* POST /v1/staff/cases/{id}/calls {outcome, notes?, override_reason?} */
void intake_admin_call(intake_call_t *c)
{
    static const char *const allowed[] = {"outcome", "notes", "override_reason", NULL};
    static const char *const outcomes[] = {"reached", "not_reached", "false_report", NULL};
    if (!s_only(c, allowed))
        return;
    const char *outcome = s_str(c, "outcome", 16);
    json_t *errors = json_object();
    if (!pk_code_in(outcome, outcomes))
        json_object_set_new(errors, "outcome", json_string("reached, not_reached atau false_report"));
    json_t *notes = json_object_get(c->body, "notes");
    if (notes && (!json_is_string(notes) || pk_utf8_chars(json_string_value(notes)) > 2000))
        json_object_set_new(errors, "notes", json_string("teks, paling banyak 2000 karakter"));
    json_t *ov = json_object_get(c->body, "override_reason");
    if (ov && (!json_is_string(ov) || !*json_string_value(ov) || pk_utf8_chars(json_string_value(ov)) > 500))
        json_object_set_new(errors, "override_reason", json_string("teks, 1 sampai 500 karakter"));
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    s_step_t *st = pk_calloc(1, sizeof *st);
    st->kind = "call";
    st->outcome = strcmp(outcome, "reached") == 0       ? "reached"
                  : strcmp(outcome, "not_reached") == 0 ? "not_reached"
                                                        : "false_report";
    st->reached = strcmp(outcome, "reached") == 0;
    s_read_case(c, st, s_call_then);
}

/* ---- internal notes ------------------------------------------------------------- */

static void s_note_then(intake_call_t *c, const PGresult *r, s_step_t *st)
{
    st->note_hex = s_seal_note(c, r, s_str(c, "text", 4000), NULL);
    s_step_write(c, st);
}

/* POST /v1/staff/cases/{id}/notes {text} */
void intake_admin_note(intake_call_t *c)
{
    static const char *const allowed[] = {"text", NULL};
    if (!s_only(c, allowed))
        return;
    if (!s_str(c, "text", 4000)) {
        (void)intake_invalid(c, json_pack("{s:s}", "text", "wajib, paling banyak 4000 karakter"), "Data tidak valid");
        return;
    }
    s_step_t *st = pk_calloc(1, sizeof *st);
    st->kind = "note";
    s_read_case(c, st, s_note_then);
}
