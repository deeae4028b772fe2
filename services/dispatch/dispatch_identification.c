/* dispatch_identification.c -- the companion's identification report
 * (SubmitIdentification): codes checked against their lists, the notes
 * sealed with the case key, the visit completed, the events (codes only). */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "pelukan/codes.h"
#include "pelukan/util.h"

typedef Pelukan__V1__CommandRequest s_req_t;
typedef Pelukan__V1__CommandReply s_reply_t;

#define S_NOTES_MAX 8000

static const char *const s_guardian[] = {
    "not_child", "with_parents", "with_relative", "guardian_is_perpetrator", "no_guardian", "institution", NULL};

/* ---- SubmitIdentification ----------------------------------------------------- */

/* The request's field at fault, or NULL: codes from their lists, a
 * consent only with the consent given, notes of a bounded size. */
static const char *s_ident_invalid(const Pelukan__V1__SubmitIdentification *s)
{
    if (!dispatch_all_in(s->needs, s->n_needs, pk_codes_need) || s->n_needs > 5)
        return "needs";
    if (!dispatch_all_in(s->recommended_services, s->n_recommended_services, pk_codes_service) ||
        s->n_recommended_services > 8)
        return "recommended_services";
    if (!dispatch_all_in(s->recommended_agencies, s->n_recommended_agencies, pk_codes_agency) ||
        s->n_recommended_agencies > 5)
        return "recommended_agencies";
    if (!dispatch_all_in(s->consented_agencies, s->n_consented_agencies, pk_codes_agency) ||
        s->n_consented_agencies > 5 || (!s->referral_consent && s->n_consented_agencies > 0))
        return "consented_agencies";
    if (!pk_code_in(s->guardian_situation, s_guardian))
        return "guardian_situation";
    size_t notes_len = strlen(s->notes);
    if (notes_len > S_NOTES_MAX || !pk_utf8_valid(s->notes, notes_len))
        return "notes";
    return NULL;
}

/* The report's row `id` of the visit of `case_id`, its notes sealed with
 * the case key. 0, a refusal already in `reply`, or PK_E*. */
static int s_ident_insert(PGconn *conn, dispatch_t *d, const s_req_t *req, s_reply_t *reply, const char *id,
                          const char *case_id)
{
    const Pelukan__V1__SubmitIdentification *s = req->submit_identification;
    char *notes;
    int rc = pk_rpc_note_seal(conn, &d->stmts, d->keys, d->log, case_id, "identification", id, s->notes, &notes);
    if (rc != 0)
        return rc == PK_ECRYPTO ? PK_RPC_CONFLICT(reply, "case_erased") : rc;
    char *needs = pk_pg_text_array(s->needs, s->n_needs),
         *svcs = pk_pg_text_array(s->recommended_services, s->n_recommended_services),
         *agcs = pk_pg_text_array(s->recommended_agencies, s->n_recommended_agencies),
         *cons = pk_pg_text_array(s->consented_agencies, s->n_consented_agencies);
    const char *p[] = {id,
                       s->visit_id,
                       case_id,
                       pk_rpc_actor_id(req),
                       s->situation_confirmed ? "t" : "f",
                       s->immediate_danger ? "t" : "f",
                       needs,
                       svcs,
                       agcs,
                       s->referral_consent ? "t" : "f",
                       cons,
                       s->guardian_situation,
                       notes};
    rc = pk_pg_run(conn, d->log,
                   "INSERT INTO identification (id, visit_id, case_id, companion_id, situation_confirmed,"
                   " immediate_danger, needs, recommended_services, recommended_agencies, referral_consent,"
                   " consented_agencies, guardian_situation, notes_sealed)"
                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::bytea)",
                   13, p);
    free(notes), free(needs), free(svcs), free(agcs), free(cons);
    return rc != 0 || dispatch_visit_end(conn, d, s->visit_id, "completed", "") != 0 ? PK_EDB : 0;
}

/* IdentificationReportSubmitted (codes only, never the notes) and
 * VisitCompleted. */
static int s_ident_events(PGconn *conn, dispatch_t *d, const s_req_t *req, const char *id, const char *case_id)
{
    const Pelukan__V1__SubmitIdentification *s = req->submit_identification;
    Pelukan__V1__IdentificationReportSubmitted ev = PELUKAN__V1__IDENTIFICATION_REPORT_SUBMITTED__INIT;
    ev.report_id = (char *)id;
    ev.visit_id = s->visit_id;
    ev.situation_confirmed = s->situation_confirmed;
    ev.immediate_danger = s->immediate_danger;
    ev.needs = s->needs, ev.n_needs = s->n_needs;
    ev.recommended_services = s->recommended_services, ev.n_recommended_services = s->n_recommended_services;
    ev.recommended_agencies = s->recommended_agencies, ev.n_recommended_agencies = s->n_recommended_agencies;
    ev.consented_agencies = s->consented_agencies, ev.n_consented_agencies = s->n_consented_agencies;
    ev.referral_consent = s->referral_consent;
    ev.guardian_situation = s->guardian_situation;
    Pelukan__V1__VisitCompleted done = PELUKAN__V1__VISIT_COMPLETED__INIT;
    done.visit_id = s->visit_id;
    if (pk_rpc_event(conn, d->log, "dispatch", req, case_id, &ev.base) != 0)
        return PK_EDB;
    return pk_rpc_event(conn, d->log, "dispatch", req, case_id, &done.base);
}

/* SubmitIdentification: by the visit's companion, on site; the visit ends. */
int dispatch_identification(PGconn *conn, dispatch_t *d, const s_req_t *req, s_reply_t *reply)
{
    const Pelukan__V1__SubmitIdentification *s = req->submit_identification;
    const char *bad = s_ident_invalid(s);
    if (bad)
        return PK_RPC_INVALID(reply, bad);
    const char *pv[] = {s->visit_id};
    PGresult *r =
        dispatch_exec(conn, d, "SELECT case_id, companion_id, state FROM visit WHERE id = $1 FOR UPDATE", 1, pv);
    if (!r)
        return PK_EDB;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return PK_RPC_NOT_FOUND(reply, "visit_not_found");
    }
    bool mine = strcmp(PQgetvalue(r, 0, 1), pk_rpc_actor_id(req)) == 0,
         on_site = strcmp(PQgetvalue(r, 0, 2), "on_site") == 0;
    char case_id[PK_ID_HEX_LEN + 1], id[PK_ID_HEX_LEN + 1];
    snprintf(case_id, sizeof case_id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!mine)
        return PK_RPC_NOT_FOUND(reply, "visit_not_found"); /* not "not yours": that would confirm it exists */
    if (!on_site)
        return PK_RPC_CONFLICT(reply, "invalid_visit_state");
    pk_id_new(id);
    int rc = s_ident_insert(conn, d, req, reply, id, case_id);
    if (rc != 0 || reply->status)
        return rc;
    rc = s_ident_events(conn, d, req, id, case_id);
    return rc ? rc : dispatch_reply_visit(conn, d, s->visit_id, reply);
}
