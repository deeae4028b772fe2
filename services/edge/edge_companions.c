/* edge_companions.c -- a companion's profile: who covers which
 * kecamatan, their sex and languages (issue 22 §2), set by an admin; her
 * duty, set by herself (PUT /v1/companion/status) and read after a reload.
 * Dispatch owns these; the edge names her from her account (the staff
 * member's own, from her session; another's, from the case owner's list)
 * and forwards. The admin's list of companions and her visits are rows of the
 * route table (edge_routes.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_companions.h"
#include "edge_forward.h"

/* Sends her profile (and duty), read into `set`, to dispatch; answers
 * with `done`. The reporter sees only her first name. */
static void s_send(edge_call_t *c, Pelukan__V1__SetCompanion *set, const char *name, pk_rpc_uv_done_fn done)
{
    char first[64];
    intake_first_name(name, first, sizeof first);
    set->first_name = first;
    intake_forward_send(c, INTAKE_TO_DISPATCH, NULL, &set->base, done);
}

/* ---- PUT /v1/staff/accounts/{id}/companion ----------------------------------------- */

static void s_set(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_forward_answer(arg, "dispatch", rc, reply, "companion", NULL, INTAKE_SHAPE_COMPANION);
}

/* The companion's account among the staff (ManageAccount LIST, the case
 * owner's): her name, when she is a companion still. */
static void s_account_read(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    const Pelukan__V1__StaffAccount *a = NULL;
    for (size_t i = 0; reply->staff_accounts && i < reply->staff_accounts->n_items && !a; i++) {
        const Pelukan__V1__StaffAccount *x = reply->staff_accounts->items[i];
        if (strcmp(x->id, pk_http_param(c->req, 0)) == 0 && strcmp(x->role, "companion") == 0 && !x->disabled)
            a = x;
    }
    if (!a) {
        intake_error(c->req, 404, "not_found", "Akun pendamping tidak ditemukan", NULL);
        edge_call_free(c);
        return;
    }
    Pelukan__V1__SetCompanion set = PELUKAN__V1__SET_COMPANION__INIT;
    pk_pbjson_read(c->body, &set.base, intake_rules_profile, NULL); /* checked before her account was read */
    set.companion_id = (char *)pk_http_param(c->req, 0);
    set.set_profile = true;
    s_send(c, &set, a->display_name, s_set);
    pk_pbjson_release(&set.base);
}

void intake_companions_set(edge_call_t *c)
{
    if (!intake_take_body(c))
        return;
    json_t *errors = json_object();
    Pelukan__V1__SetCompanion set = PELUKAN__V1__SET_COMPANION__INIT;
    pk_pbjson_read(c->body, &set.base, intake_rules_profile, errors);
    for (size_t i = 0; i < set.n_kecamatan_codes; i++)
        if (!intake_catalog_has(c->in->catalog, "kecamatan", set.kecamatan_codes[i]))
            json_object_set_new(errors, "kecamatan_codes", json_string("kecamatan di Kabupaten Tasikmalaya saja"));
    pk_pbjson_release(&set.base);
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    Pelukan__V1__ManageAccount list = PELUKAN__V1__MANAGE_ACCOUNT__INIT;
    list.step = PELUKAN__V1__MANAGE_ACCOUNT__STEP__STEP_LIST;
    intake_forward_send(c, INTAKE_TO_OWNER, NULL, &list.base, s_account_read);
}

/* ---- PUT /v1/companion/status ------------------------------------------------------- */

static void s_status_done(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_forward_answer(arg, "dispatch", rc, reply, "companion", NULL, INTAKE_SHAPE_DUTY);
}

/* Her kecamatan are checked by dispatch here (it names the field). */
void intake_companion_duty_set(edge_call_t *c)
{
    if (!intake_take_body(c))
        return;
    json_t *errors = json_object();
    Pelukan__V1__SetCompanion set = PELUKAN__V1__SET_COMPANION__INIT;
    pk_pbjson_read(c->body, &set.base, intake_rules_duty, errors);
    if (!intake_invalid(c, errors, "Data tidak valid")) {
        /* What the body leaves out is kept: going on duty does not wipe
         * the coverage an admin set. */
        set.set_profile = json_object_get(c->body, "sex") || json_object_get(c->body, "languages") ||
                          json_object_get(c->body, "kecamatan_codes");
        s_send(c, &set, c->staff_name, s_status_done);
    }
    pk_pbjson_release(&set.base);
}

/* ---- GET /v1/companion/status: the companion's own duty, after a reload ---------- */

static void s_own(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    if (intake_cmd_failed(c, "dispatch", rc, reply))
        return;
    const Pelukan__V1__Companions *l =
        reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_COMPANIONS ? reply->companions : NULL;
    const Pelukan__V1__Companion *m = l && l->n_items == 1 ? l->items[0] : NULL;
    /* Never on duty yet: dispatch does not know them, off duty. */
    intake_json(c->req, 200,
                json_pack("{s:s, s:s?, s:b, s:i}", "companion_id", c->staff_id, "badge", m ? m->badge : NULL, "on_duty",
                          m && m->on_duty, "load", m ? (int)m->load : 0));
    edge_call_free(c);
}

void intake_companion_own_status(edge_call_t *c)
{
    Pelukan__V1__ListCompanions lc = PELUKAN__V1__LIST_COMPANIONS__INIT;
    lc.companion_id = c->staff_id;
    intake_forward_send(c, INTAKE_TO_DISPATCH, NULL, &lc.base, s_own);
}
