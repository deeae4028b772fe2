/* edge_reports.c -- a reporter's own routes that are not rows: GET
 * /v1/reports/{id}, one of her reports as she sees it, from the case owner (GetReport), and, when an agency took
 * it, the agency's name and how to reach it from referral's directory
 * (issue 22 §4; when referral does not answer, its code only: the report
 * is shown all the same); and PUT /v1/me/contact-safety, her safety
 * choices, checked and sealed with her key, then kept by the case owner
 * (SetSafety). Her report: edge_submit.c; her other routes are rows. */
#include "edge_reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../intake/intake_seal.h"
#include "edge_call.h"
#include "edge_forward.h"
#include "edge_session.h"

/* Her report as she will see it, while referral names its agency. */
typedef struct {
    edge_call_t c;
    json_t *answer;
} s_view_t;

static void s_view_clear(edge_call_t *c)
{
    json_decref(((s_view_t *)c)->answer);
}

static void s_agency_named(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    s_view_t *view = arg;
    json_t *agency = json_object_get(view->answer, "agency");
    const char *code = json_string_value(json_object_get(agency, "code"));
    for (size_t i = 0;
         rc == 0 && reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_AGENCIES && i < reply->agencies->n_items;
         i++) {
        const Pelukan__V1__Agency *ag = reply->agencies->items[i];
        if (code && strcmp(ag->code, code) == 0) {
            json_object_set_new(agency, "name", json_string(ag->name));
            json_object_set_new(agency, "contact", json_string(ag->contact));
        }
    }
    json_t *answer = view->answer;
    view->answer = NULL;
    intake_json(c->req, 200, answer);
    edge_call_free(c);
}

static void s_got(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    const Pelukan__V1__ReportView *v = reply->report_view;
    json_t *answer = v ? pk_pbjson_print(&v->base, "case_id ticket state created_at timeline{state at}") : NULL;
    if (!answer) { /* another result than a report: never */
        intake_error(c->req, 500, "internal", "Terjadi kesalahan", NULL);
        edge_call_free(c);
        return;
    }
    if (!v->agency_code[0]) {
        json_object_set_new(answer, "agency", json_null());
        intake_json(c->req, 200, answer);
        edge_call_free(c);
        return;
    }
    json_object_set_new(answer, "agency", json_pack("{s:s}", "code", v->agency_code));
    ((s_view_t *)c)->answer = answer;
    Pelukan__V1__ListAgencies la = PELUKAN__V1__LIST_AGENCIES__INIT;
    intake_forward_send(c, INTAKE_TO_REFERRAL, NULL, &la.base, s_agency_named);
}

static void s_get(edge_call_t *c)
{
    Pelukan__V1__GetReport gr = PELUKAN__V1__GET_REPORT__INIT;
    intake_forward_send(c, INTAKE_TO_OWNER, pk_http_param(c->req, 0), &gr.base, s_got);
}

void intake_report_get(pk_http_req_t *req, void *arg)
{
    s_view_t *view = edge_call_new_as(arg, req, sizeof *view, s_view_clear);
    intake_authenticate(&view->c, s_get);
}

/* ---- PUT /v1/me/contact-safety ---------------------------------------------- */

static void s_safety_kept(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    pk_http_respond(c->req, 204, "application/json", "", 0);
    edge_call_free(c);
}

static void s_safety_write(edge_call_t *c)
{
    json_t *fields = json_object();
    if (intake_safety_check(c->body, c->in->catalog, "", fields) != 0) {
        intake_error(c->req, 422, "validation_failed", "Data tidak valid", fields);
        edge_call_free(c);
        return;
    }
    json_decref(fields);
    char owner[64];
    snprintf(owner, sizeof owner, "reporter:%s", c->reporter_id);
    size_t len;
    uint8_t *sealed = intake_seal_json_raw(c->reporter_key, owner, "safety", c->body, &len);
    Pelukan__V1__SetSafety set = PELUKAN__V1__SET_SAFETY__INIT;
    set.safety_sealed = (ProtobufCBinaryData){len, sealed};
    intake_forward_send(c, INTAKE_TO_OWNER, NULL, &set.base, s_safety_kept);
    free(sealed);
}

void intake_contact_safety(pk_http_req_t *req, void *arg)
{
    edge_call_t *c = edge_call_new(arg, req);
    if (!(c->body = intake_body(req))) {
        edge_call_free(c);
        return;
    }
    intake_authenticate(c, s_safety_write);
}
