/* edge_referral.c -- an admin's referral of an assessed case: the case
 * owner's view of it says whether it may be referred, referral checks consent per
 * destination. The agency directory, a case's referrals and the agency
 * user's steps are rows of the route table (edge_routes.c). An agency user
 * sees a case's personal data only through the case page (intake_cases.c),
 * only once their agency accepted, each opening recorded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../intake/intake_case.h"
#include "edge_call.h"
#include "edge_cases.h"
#include "edge_forward.h"
#include "edge_referral.h"
#include "pelukan/util.h"

static void s_answer_referral(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_forward_answer(arg, "referral", rc, reply, "referral", NULL, INTAKE_SHAPE_REFERRAL);
}

/* ---- POST /v1/staff/cases/{id}/referrals -------------------------------------------- */

/* The case as the admin sees it (GetCase, the case owner's): referred only
 * once the identification report is in. */
static void s_case_checked(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    if (!edge_cases_may(c, rc, reply, intake_may_refer, "referred", "rujukan menunggu laporan identifikasi"))
        return;
    Pelukan__V1__CreateReferral cr = PELUKAN__V1__CREATE_REFERRAL__INIT;
    pk_pbjson_read(c->body, &cr.base, intake_rules_referral, NULL); /* checked before the case was read */
    char id[PK_ID_HEX_LEN + 1];
    pk_id_new(id);
    cr.referral_id = id;
    intake_forward_send(c, INTAKE_TO_REFERRAL, c->case_id, &cr.base, s_answer_referral);
    pk_pbjson_release(&cr.base);
}

void intake_referral_create(edge_call_t *c)
{
    if (!intake_take_body(c))
        return;
    json_t *errors = json_object();
    Pelukan__V1__CreateReferral cr = PELUKAN__V1__CREATE_REFERRAL__INIT;
    pk_pbjson_read(c->body, &cr.base, intake_rules_referral, errors);
    if (cr.n_services == 0 && !json_object_get(errors, "services"))
        json_object_set_new(errors, "services", json_string("paling sedikit satu layanan"));
    pk_pbjson_release(&cr.base);
    if (intake_invalid(c, errors, "Rujukan tidak valid"))
        return;
    edge_cases_ask(c, NULL, s_case_checked);
}
