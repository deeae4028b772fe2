/* intake_visits.c -- the companion's duty and profile (PUT
 * /v1/companion/status), which needs her name from intake's staff table
 * before it goes to dispatch, and the answer of a command that returns a
 * visit. Her visits and their steps are rows of the route table
 * (edge/edge_routes.c); the admin's side is intake_dispatch.c. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/edge_forward.h"
#include "intake_call.h"
#include "intake_case.h"
#include "intake_dispatch.h"
#include "pelukan/util.h"

#define S_TIMEOUT_MS 1000
#define S_RETRIES    2

typedef Pelukan__V1__CommandRequest s_req_t;
typedef Pelukan__V1__CommandReply s_reply_t;

void intake_visit_answer(int rc, const s_reply_t *reply, void *arg)
{
    intake_forward_answer(arg, "dispatch", rc, reply, "visit", NULL, INTAKE_SHAPE_VISIT);
}

/* ---- PUT /v1/companion/status ------------------------------------------------------- */

static void s_status_done(int rc, const s_reply_t *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "dispatch", rc, reply))
        return;
    const Pelukan__V1__Companion *m =
        reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_COMPANION ? reply->companion : NULL;
    intake_json(c->req, 200,
                m ? json_pack("{s:s, s:s, s:b, s:i}", "companion_id", m->companion_id, "badge", m->badge, "on_duty",
                              m->on_duty, "load", (int)m->load)
                  : json_object());
    intake_call_free(c);
}

static void s_status_named(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    /* The reporter sees only the first name. */
    char first[64] = "";
    if (PQntuples(r) == 1)
        intake_first_name(PQgetvalue(r, 0, 0), first, sizeof first);
    json_t *errors = json_object();
    size_t nl, nk;
    const char **langs = intake_strings(c->body, "languages", 10, &nl, errors);
    const char **kecs = intake_strings(c->body, "kecamatan_codes", 60, &nk, errors);
    if (intake_invalid(c, errors, "Data tidak valid")) {
        free(langs);
        free(kecs);
        return;
    }
    s_req_t req;
    Pelukan__V1__Actor actor;
    intake_cmd_init(c, &req, &actor, NULL);
    Pelukan__V1__SetCompanion s = PELUKAN__V1__SET_COMPANION__INIT;
    s.first_name = first;
    s.on_duty = json_is_true(json_object_get(c->body, "on_duty"));
    const char *sex = json_string_value(json_object_get(c->body, "sex"));
    s.sex = (char *)(sex ? sex : "");
    s.languages = (char **)langs;
    s.n_languages = nl;
    s.kecamatan_codes = (char **)kecs;
    s.n_kecamatan_codes = nk;
    /* What the body leaves out is kept: going on duty does not wipe the
     * coverage an admin set. */
    s.set_profile = json_object_get(c->body, "sex") || json_object_get(c->body, "languages") ||
                    json_object_get(c->body, "kecamatan_codes");
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SET_COMPANION;
    req.set_companion = &s;
    pk_rpc_uv_call(intake_dispatch_rpc(c->in->dispatch), &req, S_TIMEOUT_MS, S_RETRIES, s_status_done, c);
    free(langs);
    free(kecs);
}

void intake_dispatch_status(intake_call_t *c)
{
    static const char *const keys[] = {"on_duty", "sex", "languages", "kecamatan_codes", NULL};
    json_t *errors = intake_strict_body(c, keys);
    if (!errors)
        return;
    bool on;
    intake_bool_field(c->body, "on_duty", true, &on, errors);
    json_t *sex = json_object_get(c->body, "sex");
    if (sex && !json_is_null(sex) &&
        (!json_is_string(sex) ||
         (strcmp(json_string_value(sex), "F") != 0 && strcmp(json_string_value(sex), "M") != 0)))
        json_object_set_new(errors, "sex", json_string("F atau M"));
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    const char *p[] = {c->staff_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "SELECT display_name FROM staff WHERE id = $1", 1, p);
    pk_db_txn_submit(txn, s_status_named, c);
}
