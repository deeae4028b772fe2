/* referral_commands.c -- what the intake gateway asks of referral: the
 * directory, a new referral (consent checked per destination), the
 * agency's steps (accept, decline, follow-up, close) and the lists. Each
 * command's state change, its events (codes only) and its stored reply
 * commit together. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/codes.h"
#include "referral.h"

typedef Pelukan__V1__CommandRequest s_req_t;
typedef Pelukan__V1__CommandReply s_reply_t;

#define S_NOTES_MAX 4000

static const char *const s_reasons[] = {"identification_needs", "victim_request", "legal_obligation",
                                        "continuity_of_care",   "other",          NULL};
/* Grounds for referring without the victim's consent (UU PDP Art. 20). */
static const char *const s_legal_bases[] = {"child_protection", "vital_interest", "legal_obligation", "court_order",
                                            NULL};
static const char *const s_decline_reasons[] = {"out_of_scope", "no_capacity", "not_in_area",
                                                "duplicate",    "other",       NULL};
static const char *const s_outcomes[] = {"services_completed", "victim_withdrew", "transferred",
                                         "unreachable",        "other",           NULL};
static const char *const s_next_steps[] = {"continue_service", "refer_further", "home_visit",
                                           "court_process",    "close_case",    NULL};

void referral_command_done(Pelukan__V1__CommandReply *reply, void *arg)
{
    (void)reply;
    pk_arena_free(&((referral_t *)arg)->reply_mem);
}

bool referral_is_query(const Pelukan__V1__CommandRequest *req)
{
    return req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_AGENCIES ||
           req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_REFERRALS ||
           req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING;
}

static PGresult *s_exec(PGconn *conn, referral_t *r, const char *sql, int n, const char *const *params)
{
    return pk_pg_exec_prepared(&r->stmts, conn, r->log, sql, n, params);
}

/* The elements of a text[] in text form ("{a,b}"), copied into the arena. */
static char **s_codes(referral_t *r, const char *literal, size_t *n)
{
    size_t cap = 1;
    for (const char *c = literal; *c; c++)
        cap += *c == ',';
    char **out = pk_arena_alloc(&r->reply_mem, cap * sizeof *out);
    *n = 0;
    char *copy = pk_arena_strdup(&r->reply_mem, literal), *save = NULL;
    for (char *tok = strtok_r(copy, "{},\"", &save); tok; tok = strtok_r(NULL, "{},\"", &save))
        out[(*n)++] = tok;
    return out;
}

/* ---- the directory ------------------------------------------------------------ */

static int s_agencies(PGconn *conn, referral_t *r, s_reply_t *reply)
{
    PGresult *res = s_exec(
        conn, r, "SELECT code, name, kind, services::text, contact FROM agency WHERE active ORDER BY code", 0, NULL);
    if (!res)
        return PK_EDB;
    int n = PQntuples(res);
    Pelukan__V1__Agencies *out = pk_arena_alloc(&r->reply_mem, sizeof *out);
    pelukan__v1__agencies__init(out);
    out->items = pk_arena_alloc(&r->reply_mem, sizeof *out->items * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        Pelukan__V1__Agency *a = pk_arena_alloc(&r->reply_mem, sizeof *a);
        pelukan__v1__agency__init(a);
        a->code = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 0));
        a->name = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 1));
        a->kind = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 2));
        a->services = s_codes(r, PQgetvalue(res, i, 3), &a->n_services);
        a->contact = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 4));
        out->items[out->n_items++] = a;
    }
    PQclear(res);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_AGENCIES;
    reply->agencies = out;
    return PK_RPC_READ_ONLY;
}

/* ---- referrals as answers ------------------------------------------------------ */

#define S_REFERRAL_COLS                                                                                                \
    "f.id, f.case_id, f.agency_code, f.services::text, f.urgent, f.reason_code, coalesce(f.legal_basis_code, ''),"     \
    " f.state, coalesce(f.decline_reason_code, ''), coalesce(f.outcome_code, ''),"                                     \
    " (extract(epoch FROM f.created_at) * 1000000)::bigint, (extract(epoch FROM f.due_at) * 1000000)::bigint,"         \
    " (SELECT count(*) FROM follow_up u WHERE u.referral_id = f.id), f.overdue_raised_at IS NOT NULL"

static Pelukan__V1__Referral *s_referral_of(referral_t *r, const PGresult *res, int i)
{
    Pelukan__V1__Referral *f = pk_arena_alloc(&r->reply_mem, sizeof *f);
    pelukan__v1__referral__init(f);
    f->referral_id = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 0));
    f->case_id = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 1));
    f->agency_code = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 2));
    f->services = s_codes(r, PQgetvalue(res, i, 3), &f->n_services);
    f->urgent = pk_pg_bool(res, i, 4);
    f->reason_code = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 5));
    f->legal_basis_code = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 6));
    f->state = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 7));
    f->decline_reason_code = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 8));
    f->outcome_code = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 9));
    f->created_at_us = strtoull(PQgetvalue(res, i, 10), NULL, 10);
    f->due_at_us = strtoull(PQgetvalue(res, i, 11), NULL, 10);
    f->follow_ups = (uint32_t)atoi(PQgetvalue(res, i, 12));
    f->overdue = pk_pg_bool(res, i, 13);
    return f;
}

static int s_reply_referral(PGconn *conn, referral_t *r, const char *id, s_reply_t *reply)
{
    const char *p[] = {id};
    PGresult *res = s_exec(conn, r, "SELECT " S_REFERRAL_COLS " FROM referral f WHERE f.id = $1", 1, p);
    if (!res)
        return PK_EDB;
    if (PQntuples(res) == 1) {
        reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_REFERRAL;
        reply->referral = s_referral_of(r, res, 0);
    }
    PQclear(res);
    return 0;
}

static int s_list(PGconn *conn, referral_t *r, const s_req_t *req, s_reply_t *reply)
{
    const char *agency = req->list_referrals->agency_code;
    const char *p[] = {agency[0] ? agency : req->case_id};
    PGresult *res = agency[0] ? s_exec(conn, r,
                                       "SELECT " S_REFERRAL_COLS " FROM referral f WHERE f.agency_code = $1"
                                       " ORDER BY f.state = 'sent' DESC, f.urgent DESC, f.created_at DESC LIMIT 200",
                                       1, p)
                              : s_exec(conn, r,
                                       "SELECT " S_REFERRAL_COLS " FROM referral f WHERE f.case_id = $1"
                                       " ORDER BY f.created_at",
                                       1, p);
    if (!res)
        return PK_EDB;
    int n = PQntuples(res);
    Pelukan__V1__Referrals *out = pk_arena_alloc(&r->reply_mem, sizeof *out);
    pelukan__v1__referrals__init(out);
    out->items = pk_arena_alloc(&r->reply_mem, sizeof *out->items * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        out->items[out->n_items++] = s_referral_of(r, res, i);
    PQclear(res);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_REFERRALS;
    reply->referrals = out;
    return PK_RPC_READ_ONLY;
}

/* ---- CreateReferral ---------------------------------------------------------------- */

/* A case deadline met by this referral: the event that says so. */
static int s_deadline_met(PGconn *conn, referral_t *r, const s_req_t *req, const char *kind)
{
    const char *p[] = {req->case_id, kind};
    PGresult *res =
        s_exec(conn, r,
               "UPDATE case_deadline SET status = 'met' WHERE case_id = $1 AND kind = $2"
               " AND status IN ('open', 'at_risk') RETURNING (extract(epoch FROM due_at) * 1000000)::bigint",
               2, p);
    if (!res)
        return PK_EDB;
    int rc = 0;
    if (PQntuples(res) == 1) {
        Pelukan__V1__DeadlineEvent ev = PELUKAN__V1__DEADLINE_EVENT__INIT;
        ev.kind = strcmp(kind, "service_one_day") == 0 ? PELUKAN__V1__DEADLINE_EVENT__KIND__KIND_SERVICE_ONE_DAY
                                                       : PELUKAN__V1__DEADLINE_EVENT__KIND__KIND_TPKS_POLICE_72H;
        ev.status = PELUKAN__V1__DEADLINE_EVENT__STATUS__STATUS_MET;
        ev.due_at_us = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
        rc = pk_rpc_event(conn, r->log, "referral", req, req->case_id, &ev.base);
        pk_metric_add(r->m_deadline_events, 1);
    }
    PQclear(res);
    return rc;
}

/* The request's field at fault, or NULL. */
static const char *s_create_invalid(const s_req_t *req)
{
    const Pelukan__V1__CreateReferral *c = req->create_referral;
    if (!req->case_id[0] || strlen(req->case_id) > PK_ID_HEX_LEN)
        return "case_id";
    if (!c->referral_id[0] || strlen(c->referral_id) > PK_ID_HEX_LEN)
        return "referral_id";
    if (!pk_code_in(c->reason_code, s_reasons))
        return "reason_code";
    if (c->legal_basis_code[0] && !pk_code_in(c->legal_basis_code, s_legal_bases))
        return "legal_basis_code";
    if (c->n_services == 0 || c->n_services > 8)
        return "services";
    for (size_t i = 0; i < c->n_services; i++)
        if (!pk_code_in(c->services[i], pk_codes_service))
            return "services";
    return NULL;
}

/* The agency, active and offering every service asked (*police: a police
 * unit, which meets the UU TPKS deadline). 0, a refusal in `reply`, or
 * PK_EDB. */
static int s_create_agency(PGconn *conn, referral_t *r, const Pelukan__V1__CreateReferral *c, s_reply_t *reply,
                           bool *police)
{
    const char *pa[] = {c->agency_code};
    PGresult *a = s_exec(conn, r, "SELECT kind, services::text FROM agency WHERE code = $1 AND active", 1, pa);
    if (!a)
        return PK_EDB;
    if (PQntuples(a) != 1) {
        PQclear(a);
        return PK_RPC_NOT_FOUND(reply, "agency_not_found");
    }
    *police = strcmp(PQgetvalue(a, 0, 0), "police") == 0;
    size_t noffered;
    char **offered = s_codes(r, PQgetvalue(a, 0, 1), &noffered);
    PQclear(a);
    for (size_t i = 0; i < c->n_services; i++) {
        bool ok = false;
        for (size_t k = 0; k < noffered && !ok; k++)
            ok = strcmp(offered[k], c->services[i]) == 0;
        if (!ok)
            return PK_RPC_INVALID(reply, "services"); /* the agency does not offer it */
    }
    return 0;
}

/* Consent for this destination, as the companion recorded it; without it
 * a legal basis. 0 (*consented said), a refusal in `reply`, or PK_EDB. */
static int s_create_consent(PGconn *conn, referral_t *r, const s_req_t *req, s_reply_t *reply, bool *consented)
{
    const Pelukan__V1__CreateReferral *c = req->create_referral;
    const char *pc[] = {req->case_id, c->agency_code};
    PGresult *k = s_exec(
        conn, r, "SELECT referral_consent AND $2 = ANY (consented_agencies) FROM consent WHERE case_id = $1", 2, pc);
    if (!k)
        return PK_EDB;
    bool known = PQntuples(k) == 1;
    *consented = known && pk_pg_bool(k, 0, 0);
    PQclear(k);
    if (!known && !c->legal_basis_code[0])
        return PK_RPC_CONFLICT(reply, "identification_pending");
    if (!*consented && !c->legal_basis_code[0])
        return PK_RPC_CONFLICT(reply, "consent_required");
    return 0;
}

/* The row, once per case and agency while one is open; false when one is. */
static int s_create_insert(PGconn *conn, referral_t *r, const s_req_t *req, bool consented, bool *inserted)
{
    const Pelukan__V1__CreateReferral *c = req->create_referral;
    char *services = pk_pg_text_array(c->services, c->n_services);
    char deadline[24];
    snprintf(deadline, sizeof deadline, "%d", r->accept_deadline_s);
    const char *p[] = {c->referral_id,
                       req->case_id,
                       c->agency_code,
                       services,
                       c->urgent ? "t" : "f",
                       c->reason_code,
                       consented ? "" : c->legal_basis_code,
                       pk_rpc_actor_id(req),
                       deadline};
    PGresult *ins = s_exec(conn, r,
                           "INSERT INTO referral (id, case_id, agency_code, services, urgent, reason_code,"
                           " legal_basis_code, state, created_by, due_at)"
                           " VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), 'sent', $8,"
                           "  now() + make_interval(secs => $9::int))"
                           " ON CONFLICT (case_id, agency_code) WHERE state IN ('sent', 'accepted', 'in_service')"
                           " DO NOTHING RETURNING id",
                           9, p);
    free(services);
    if (!ins)
        return PK_EDB;
    *inserted = PQntuples(ins) == 1;
    PQclear(ins);
    return 0;
}

/* CreateReferral: checked, consented or with a legal basis, written with
 * its event; the case's deadlines it meets are met. */
static int s_create(PGconn *conn, referral_t *r, const s_req_t *req, s_reply_t *reply)
{
    const Pelukan__V1__CreateReferral *c = req->create_referral;
    const char *bad = s_create_invalid(req);
    if (bad)
        return PK_RPC_INVALID(reply, bad);
    bool police = false, consented = false, inserted = false;
    int rc = s_create_agency(conn, r, c, reply, &police);
    if (rc == 0 && !reply->status)
        rc = s_create_consent(conn, r, req, reply, &consented);
    if (rc == 0 && !reply->status)
        rc = s_create_insert(conn, r, req, consented, &inserted);
    if (rc != 0 || reply->status)
        return rc;
    if (!inserted)
        return PK_RPC_CONFLICT(reply, "already_referred");
    Pelukan__V1__ReferralCreated ev = PELUKAN__V1__REFERRAL_CREATED__INIT;
    ev.referral_id = c->referral_id;
    ev.agency_code = c->agency_code;
    ev.services = c->services;
    ev.n_services = c->n_services;
    ev.urgent = c->urgent;
    ev.legal_basis_code = consented ? "" : c->legal_basis_code;
    if (pk_rpc_event(conn, r->log, "referral", req, req->case_id, &ev.base) != 0 ||
        s_deadline_met(conn, r, req, "service_one_day") != 0 ||
        (police && s_deadline_met(conn, r, req, "tpks_police_72h") != 0))
        return PK_EDB;
    pk_metric_add(r->m_created, 1);
    return s_reply_referral(conn, r, c->referral_id, reply);
}

/* ---- the agency's steps --------------------------------------------------------------- */

/* Locks the referral; NULL (and the reply filled) when it is not the
 * actor agency's: another agency's referral does not exist for them. */
static PGresult *s_lock(PGconn *conn, referral_t *r, const char *id, const char *agency, s_reply_t *reply)
{
    const char *p[] = {id, agency};
    PGresult *res = s_exec(conn, r,
                           "SELECT case_id, state FROM referral WHERE id = $1 AND agency_code = $2 AND $2 <> ''"
                           " FOR UPDATE",
                           2, p);
    if (res && PQntuples(res) != 1) {
        PQclear(res);
        PK_RPC_NOT_FOUND(reply, "referral_not_found");
        return NULL;
    }
    return res;
}

/* Each step of a referral: the states it starts from and what it writes
 * ($2: who accepted, why declined, or how it ended). */
static const struct {
    Pelukan__V1__ReferralStep__Step step;
    const char *const from[3];
    const char *sql;
} s_referral_steps[] = {
    {PELUKAN__V1__REFERRAL_STEP__STEP__STEP_ACCEPT,
     {"sent", NULL},
     "UPDATE referral SET state = 'accepted', accepted_at = now(), accepted_by = $2 WHERE id = $1"},
    {PELUKAN__V1__REFERRAL_STEP__STEP__STEP_DECLINE,
     {"sent", NULL},
     "UPDATE referral SET state = 'declined', decline_reason_code = $2, ended_at = now() WHERE id = $1"},
    {PELUKAN__V1__REFERRAL_STEP__STEP__STEP_CLOSE,
     {"accepted", "in_service", NULL},
     "UPDATE referral SET state = 'closed', outcome_code = $2, ended_at = now() WHERE id = $1"},
};

/* The event of a step, in `ev` (room for any of them); returns what the
 * step's statement takes as $2. */
typedef union {
    Pelukan__V1__ReferralAccepted accepted;
    Pelukan__V1__ReferralDeclined declined;
    Pelukan__V1__ReferralClosed closed;
} s_step_event_t;

static const char *s_step_event(const s_req_t *req, Pelukan__V1__Envelope *env, s_step_event_t *ev)
{
    const Pelukan__V1__ReferralStep *s = req->referral_step;
    switch (s->step) {
    case PELUKAN__V1__REFERRAL_STEP__STEP__STEP_ACCEPT:
        ev->accepted = (Pelukan__V1__ReferralAccepted)PELUKAN__V1__REFERRAL_ACCEPTED__INIT;
        ev->accepted.referral_id = s->referral_id;
        env->payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_ACCEPTED;
        env->referral_accepted = &ev->accepted;
        return pk_rpc_actor_id(req);
    case PELUKAN__V1__REFERRAL_STEP__STEP__STEP_DECLINE:
        ev->declined = (Pelukan__V1__ReferralDeclined)PELUKAN__V1__REFERRAL_DECLINED__INIT;
        ev->declined.referral_id = s->referral_id;
        ev->declined.reason_code = s->reason_code;
        env->payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_DECLINED;
        env->referral_declined = &ev->declined;
        return s->reason_code;
    default:
        ev->closed = (Pelukan__V1__ReferralClosed)PELUKAN__V1__REFERRAL_CLOSED__INIT;
        ev->closed.referral_id = s->referral_id;
        ev->closed.outcome_code = s->outcome_code;
        env->payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CLOSED;
        env->referral_closed = &ev->closed;
        return s->outcome_code;
    }
}

static int s_step(PGconn *conn, referral_t *r, const s_req_t *req, s_reply_t *reply)
{
    const Pelukan__V1__ReferralStep *s = req->referral_step;
    size_t k = 0;
    while (k < PK_ARRAY_LEN(s_referral_steps) && s_referral_steps[k].step != s->step)
        k++;
    if (k == PK_ARRAY_LEN(s_referral_steps))
        return PK_RPC_INVALID(reply, "step");
    if (s->step == PELUKAN__V1__REFERRAL_STEP__STEP__STEP_DECLINE && !pk_code_in(s->reason_code, s_decline_reasons))
        return PK_RPC_INVALID(reply, "reason_code");
    if (s->step == PELUKAN__V1__REFERRAL_STEP__STEP__STEP_CLOSE && !pk_code_in(s->outcome_code, s_outcomes))
        return PK_RPC_INVALID(reply, "outcome_code");
    PGresult *res = s_lock(conn, r, s->referral_id, s->agency_code, reply);
    if (!res)
        return reply->status ? 0 : PK_EDB;
    char case_id[PK_ID_HEX_LEN + 1];
    snprintf(case_id, sizeof case_id, "%s", PQgetvalue(res, 0, 0));
    bool ok_state = pk_code_in(PQgetvalue(res, 0, 1), s_referral_steps[k].from);
    PQclear(res);
    if (!ok_state)
        return PK_RPC_CONFLICT(reply, "invalid_referral_state");
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    Pelukan__V1__Actor actor;
    pk_envelope_for_command(&env, eid, &actor, "referral", req, case_id);
    s_step_event_t ev;
    const char *p[] = {s->referral_id, s_step_event(req, &env, &ev)};
    PGresult *u = s_exec(conn, r, s_referral_steps[k].sql, 2, p);
    if (!u)
        return PK_EDB;
    PQclear(u);
    if (pk_outbox_add(conn, r->log, &env) != 0)
        return PK_EDB;
    return s_reply_referral(conn, r, s->referral_id, reply);
}

static int s_follow_up(PGconn *conn, referral_t *r, const s_req_t *req, s_reply_t *reply)
{
    const Pelukan__V1__RecordFollowUp *f = req->record_follow_up;
    if (!pk_code_in(f->service_code, pk_codes_service))
        return PK_RPC_INVALID(reply, "service_code");
    if (f->next_step_code[0] && !pk_code_in(f->next_step_code, s_next_steps))
        return PK_RPC_INVALID(reply, "next_step_code");
    size_t notes_len = strlen(f->notes);
    if (notes_len > S_NOTES_MAX || !pk_utf8_valid(f->notes, notes_len))
        return PK_RPC_INVALID(reply, "notes");
    PGresult *res = s_lock(conn, r, f->referral_id, f->agency_code, reply);
    if (!res)
        return reply->status ? 0 : PK_EDB;
    char case_id[PK_ID_HEX_LEN + 1];
    snprintf(case_id, sizeof case_id, "%s", PQgetvalue(res, 0, 0));
    bool open = strcmp(PQgetvalue(res, 0, 1), "accepted") == 0 || strcmp(PQgetvalue(res, 0, 1), "in_service") == 0;
    PQclear(res);
    if (!open)
        return PK_RPC_CONFLICT(reply, "invalid_referral_state");
    char id[PK_ID_HEX_LEN + 1];
    pk_id_new(id);
    char *notes;
    int rc = pk_rpc_note_seal(conn, &r->stmts, r->keys, r->log, case_id, "follow_up", id, f->notes, &notes);
    if (rc != 0)
        return rc == PK_ECRYPTO ? PK_RPC_CONFLICT(reply, "case_erased") : rc;
    const char *p[] = {id, f->referral_id, f->service_code, f->next_step_code, notes, pk_rpc_actor_id(req)};
    PGresult *ins = s_exec(conn, r,
                           "WITH u AS (INSERT INTO follow_up (id, referral_id, service_code, next_step_code,"
                           "  notes_sealed, recorded_by) VALUES ($1, $2, $3, NULLIF($4, ''), $5::bytea, $6))"
                           " UPDATE referral SET state = 'in_service' WHERE id = $2",
                           6, p);
    free(notes);
    if (!ins)
        return PK_EDB;
    PQclear(ins);
    Pelukan__V1__FollowUpRecorded ev = PELUKAN__V1__FOLLOW_UP_RECORDED__INIT;
    ev.referral_id = f->referral_id;
    ev.follow_up_id = id;
    ev.service_code = f->service_code;
    if (pk_rpc_event(conn, r->log, "referral", req, case_id, &ev.base) != 0)
        return PK_EDB;
    return s_reply_referral(conn, r, f->referral_id, reply);
}

int referral_command(PGconn *conn, const Pelukan__V1__CommandRequest *req, Pelukan__V1__CommandReply *reply, void *arg)
{
    referral_t *r = arg;
    switch (req->command_case) {
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_AGENCIES:
        return s_agencies(conn, r, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_REFERRALS:
        return s_list(conn, r, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_CREATE_REFERRAL:
        return s_create(conn, r, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_REFERRAL_STEP:
        return s_step(conn, r, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_RECORD_FOLLOW_UP:
        return s_follow_up(conn, r, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_OPEN_NOTES:
        return referral_open_notes(conn, r, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING:
        return pk_rpc_pong(req, reply);
    default:
        return pk_rpc_fail(reply, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID, "unknown_command", NULL);
    }
}
