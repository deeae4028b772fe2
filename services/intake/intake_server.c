/* intake_server.c -- the reporter's safety choices, checked and sealed
 * with her key, then kept by the case owner (SetSafety). Her report:
 * edge/edge_submit.c; her views of her reports: edge/edge_reports.c. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/edge_forward.h"
#include "intake_call.h"
#include "intake_case.h"
#include "intake_dispatch.h"
#include "intake_referral.h"
#include "intake_staff.h"
#include "pelukan/util.h"

/* ---- the reporter's safety choices ------------------------------------------ */

static void s_safety_kept(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    pk_http_respond(c->req, 204, "application/json", "", 0);
    intake_call_free(c);
}

static void s_safety_write(intake_call_t *c)
{
    json_t *fields = json_object();
    if (intake_safety_check(c->body, c->in->catalog, "", fields) != 0) {
        intake_error(c->req, 422, "validation_failed", "Data tidak valid", fields);
        intake_call_free(c);
        return;
    }
    json_decref(fields);
    char owner[64];
    snprintf(owner, sizeof owner, "reporter:%s", c->reporter_id);
    size_t len;
    uint8_t *sealed = intake_seal_json_raw(c->reporter_key, owner, "safety", c->body, &len);
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    Pelukan__V1__SetSafety set = PELUKAN__V1__SET_SAFETY__INIT;
    intake_cmd_init(c, &req, &actor, NULL);
    set.safety_sealed = (ProtobufCBinaryData){len, sealed};
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SET_SAFETY;
    req.set_safety = &set;
    intake_forward_call(c, INTAKE_TO_OWNER, &req, s_safety_kept);
    free(sealed);
}

void intake_contact_safety(pk_http_req_t *req, void *arg)
{
    intake_call_t *c = intake_call_new(arg, req);
    if (!(c->body = intake_body(req))) {
        intake_call_free(c);
        return;
    }
    intake_authenticate(c, s_safety_write);
}
