/* edge_cases.c -- the desk's queue and case page: the edge checks the
 * filters and the purpose, asks the case owner (ListCases, GetCase:
 * intake_cases.c) as the staff member, and shows the answer. Personal data
 * is only in a case asked with a purpose, whose opening the owner recorded
 * before it answered. */
#include "edge_cases.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../intake/intake_case.h"
#include "edge_call.h"
#include "edge_feed.h"
#include "edge_forward.h"
#include "pelukan/util.h"

typedef Pelukan__V1__CommandReply s_reply_t;

/* ---- GET /v1/staff/cases ----------------------------------------------------- */

static bool s_bool_param(const char *v)
{
    return !v || strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
}

/* Reads and checks the filters; the errors (field -> message) in `errors`. */
static void s_filter(edge_call_t *c, Pelukan__V1__ListCases *f, json_t *errors)
{
    const char *page = pk_http_query(c->req, "page"), *per = pk_http_query(c->req, "per_page");
    const char *state = pk_http_query(c->req, "state"), *urgent = pk_http_query(c->req, "urgent");
    const char *kec = pk_http_query(c->req, "kecamatan"), *child = pk_http_query(c->req, "child");
    const char *form = pk_http_query(c->req, "violence_form"), *ticket = pk_http_query(c->req, "ticket");
    f->page = page ? atoi(page) : 1;
    f->per_page = per ? atoi(per) : 25;
    f->state = (char *)(state ? state : "");
    f->urgent = (char *)(urgent ? urgent : "");
    f->kecamatan_code = (char *)(kec ? kec : "");
    f->child = (char *)(child ? child : "");
    f->violence_form = (char *)(form ? form : "");
    f->ticket = (char *)(ticket ? ticket : "");
    f->agency_code = c->staff_agency;
    if (state && strcmp(state, "open") != 0 && !intake_state_known(state))
        json_object_set_new(errors, "state", json_string("status tidak dikenal"));
    if (!s_bool_param(urgent))
        json_object_set_new(errors, "urgent", json_string("true atau false"));
    if (!s_bool_param(child))
        json_object_set_new(errors, "child", json_string("true atau false"));
    if (kec && !intake_catalog_has(c->in->catalog, "kecamatan", kec))
        json_object_set_new(errors, "kecamatan", json_string("kode kecamatan tidak dikenal"));
    if (form && !intake_catalog_has(c->in->catalog, "violence_form", form))
        json_object_set_new(errors, "violence_form", json_string("bentuk kekerasan tidak dikenal"));
    if (ticket && !intake_ticket_ok(ticket))
        json_object_set_new(errors, "ticket", json_string("nomor laporan seperti PK-7KQ4-M9XD"));
    if (f->page < 1 || f->page > 100000)
        json_object_set_new(errors, "page", json_string("1 atau lebih"));
    if (f->per_page < 1 || f->per_page > 100)
        json_object_set_new(errors, "per_page", json_string("1 sampai 100"));
}

static void s_queue_answered(int rc, const s_reply_t *reply, void *arg)
{
    edge_call_t *c = arg;
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    const Pelukan__V1__CaseQueue *q = reply->case_queue;
    Pelukan__V1__CaseQueue none = PELUKAN__V1__CASE_QUEUE__INIT;
    json_t *answer = pk_pbjson_print(q ? &q->base : &none.base, INTAKE_SHAPE_QUEUE);
    const char *page = pk_http_query(c->req, "page"), *per = pk_http_query(c->req, "per_page");
    json_object_set_new(answer, "page", json_integer(page ? atoi(page) : 1));
    json_object_set_new(answer, "per_page", json_integer(per ? atoi(per) : 25));
    intake_json(c->req, 200, answer);
    edge_call_free(c);
}

void edge_cases_queue(edge_call_t *c)
{
    Pelukan__V1__ListCases f = PELUKAN__V1__LIST_CASES__INIT;
    json_t *errors = json_object();
    s_filter(c, &f, errors);
    if (intake_invalid(c, errors, "Filter tidak valid"))
        return;
    intake_forward_send(c, INTAKE_TO_OWNER, NULL, &f.base, s_queue_answered);
}

/* ---- GET /v1/staff/cases/{id}[?purpose=] ------------------------------------- */

/* The personal data the keys opened: the report's personal part (null
 * when it did not open), the reporter's phone and her safety choices. */
static json_t *s_personal(const Pelukan__V1__CaseView__Personal *p)
{
    json_t *out = json_object();
    if (p->case_opened)
        json_object_set_new(out, "report", p->report_json[0] ? json_loads(p->report_json, 0, NULL) : json_null());
    if (p->reporter_opened) {
        if (p->reporter_phone[0])
            json_object_set_new(out, "reporter_phone", json_string(p->reporter_phone));
        json_t *safety = p->contact_safety_json[0] ? json_loads(p->contact_safety_json, 0, NULL) : NULL;
        json_object_set_new(out, "contact_safety", safety ? safety : json_object());
    }
    return out;
}

static void s_case_answered(int rc, const s_reply_t *reply, void *arg)
{
    edge_call_t *c = arg;
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    const Pelukan__V1__CaseView *v = reply->case_view;
    if (!v || !v->row) {
        intake_error(c->req, 404, "not_found", "Kasus tidak ditemukan", NULL);
        edge_call_free(c);
        return;
    }
    json_t *answer = pk_pbjson_print(&v->row->base, INTAKE_SHAPE_CASE_ROW);
    json_object_update_new(answer, pk_pbjson_print(&v->base, INTAKE_SHAPE_CASE));
    if (v->personal) {
        json_object_set_new(answer, "personal", s_personal(v->personal));
        edge_feed_kick(c->in->feed); /* its opening, recorded: the desk sees it now */
    }
    intake_json(c->req, 200, answer);
    edge_call_free(c);
}

const Pelukan__V1__CaseRow *edge_cases_may(edge_call_t *c, int rc, const Pelukan__V1__CommandReply *reply,
                                           bool (*may)(const char *state), const char *to, const char *why)
{
    const Pelukan__V1__CaseRow *row = rc == 0 && reply->case_view ? reply->case_view->row : NULL;
    if (!row && intake_cmd_failed(c, "intake", rc, reply))
        return NULL;
    const char *state = row ? row->state : "";
    if (!may(state)) {
        char msg[160];
        snprintf(msg, sizeof msg, "Kasus berstatus %s; %s", state, why);
        intake_error(c->req, 409, "invalid_transition", msg, json_pack("{s:s, s:s}", "state", state, "to", to));
        edge_call_free(c);
        return NULL;
    }
    snprintf(c->case_id, sizeof c->case_id, "%s", row->case_id);
    return row;
}

void edge_cases_ask(edge_call_t *c, const char *purpose, pk_rpc_uv_done_fn done)
{
    Pelukan__V1__GetCase g = PELUKAN__V1__GET_CASE__INIT;
    g.purpose = (char *)(purpose ? purpose : "");
    g.agency_code = c->staff_agency;
    intake_forward_send(c, INTAKE_TO_OWNER, pk_http_param(c->req, 0), &g.base, done);
}

void edge_cases_case(edge_call_t *c)
{
    static const char *const purposes[] = {"confirmation_call", "verification",  "case_review",
                                           "follow_up",         "legal_request", NULL};
    const char *purpose = pk_http_query(c->req, "purpose");
    if (purpose && !pk_code_in(purpose, purposes)) {
        intake_error(c->req, 422, "validation_failed", "Tujuan membuka data tidak dikenal",
                     json_pack("{s:s}", "purpose",
                               "confirmation_call, verification, case_review, follow_up atau legal_request"));
        edge_call_free(c);
        return;
    }
    if (purpose && !(c->role_bit & (INTAKE_ADMIN | INTAKE_SUPERVISOR | INTAKE_AGENCY))) {
        intake_error(c->req, 403, "forbidden", "Peran Anda tidak berhak membuka data pribadi kasus ini", NULL);
        edge_call_free(c);
        return;
    }
    edge_cases_ask(c, purpose, s_case_answered);
}
