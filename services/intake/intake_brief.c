/* intake_brief.c -- the companion's case brief (issue 22 §3), answered by
 * the case owner (GetBrief): what she needs to walk in informed, opened
 * like any personal data, the opening recorded in the transaction that
 * answers (a timeline entry and CaseDataAccessed, purpose companion_visit):
 * the address or landmark the reporter typed, the desa; the victim's sex,
 * age band, child or not; the kinds of violence; the perpetrator's
 * relation; urgent or not; the reporter's safe hours and whether someone
 * else may read her phone. Never the victim's name, the reporter's number
 * or her account of what happened. Only to the companion of the case,
 * while her access lasts (N12). The statements are intake_store.c's. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "intake.h"
#include "intake_desk.h"
#include "intake_seal.h"
#include "intake_store.h"
#include "pelukan/rpc.h"

/* A sealed JSON value opened with the key `wrapped` wraps under `ctx`. */
static json_t *s_open(intake_owner_t *o, const char *ctx, const uint8_t *wrapped, bool known, const char *what,
                      const uint8_t *sealed, size_t len)
{
    uint8_t key[PK_DATAKEY_BYTES];
    json_t *v = NULL;
    if (known && sealed && pk_datakey_unwrap(o->keys, ctx, wrapped, PK_WRAPPED_KEY_BYTES, key) == 0)
        v = intake_open_sealed(key, ctx, what, sealed, len);
    sodium_memzero(key, sizeof key);
    return v;
}

static char *s_str(intake_owner_t *o, const json_t *obj, const char *field)
{
    const char *v = json_string_value(json_object_get(obj, field));
    return pk_arena_strdup(&o->mem, v ? v : "");
}

int intake_brief_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                         Pelukan__V1__CommandReply *reply)
{
    static char *fields[] = {"address",    "desa",           "victim", "violence_forms", "perpetrator_relation",
                             "safe_hours", "phone_monitored"};
    if (!intake_actor_is(req, "companion"))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    intake_brief_row_t row;
    int rc =
        pk_id_ok(req->case_id) ? intake_store_brief(conn, o, req->case_id, req->actor->id, &o->mem, &row) : PK_ENOENT;
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "case_not_found");
    /* The opening first, in the transaction that answers. */
    if (rc != 0 || intake_store_access(conn, o, req->case_id, "companion_visit", req->actor->id) != 0 ||
        pk_rpc_record_opening(conn, o->log, "intake", req, req->case_id, "companion_visit", NULL, fields,
                              PK_ARRAY_LEN(fields)) != 0)
        return PK_EDB;
    char case_ctx[64], rep_ctx[64];
    snprintf(case_ctx, sizeof case_ctx, "case:%s", row.case_id);
    snprintf(rep_ctx, sizeof rep_ctx, "reporter:%s", row.reporter_id);
    json_t *personal =
        s_open(o, case_ctx, row.case_key, row.case_key_known, "personal", row.personal, row.personal_len);
    json_t *safety = s_open(o, rep_ctx, row.reporter_key, row.reporter_key_known, "safety", row.safety, row.safety_len);
    Pelukan__V1__Brief *b = pk_arena_alloc(&o->mem, sizeof *b);
    *b = row.plain;
    b->address = s_str(o, personal, "address");
    b->safe_hours = s_str(o, safety, "safe_hours");
    b->safe_channel = s_str(o, safety, "safe_channel");
    b->phone_monitored = json_is_true(json_object_get(safety, "phone_monitored"));
    json_decref(personal);
    json_decref(safety);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_BRIEF;
    reply->brief = b;
    return PK_RPC_IDEMPOTENT; /* committed with its opening; the reply (personal data) not stored */
}
