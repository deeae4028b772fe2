/* intake_cases.c -- the desk's reads, answered by the case owner: the
 * queue of the cases a staff member sees (ListCases, a query) and one case
 * (GetCase). With a purpose, a case's personal data is opened: the opening
 * is recorded (a timeline entry and CaseDataAccessed) in the transaction
 * that answers, before anything is decrypted, and the reply is never
 * stored. The statements are intake_store.c's. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "intake.h"
#include "intake_desk.h"
#include "intake_seal.h"
#include "intake_store.h"
#include "pelukan/rpc.h"

static const char *const s_purposes[] = {"confirmation_call", "verification",  "case_review",
                                         "follow_up",         "legal_request", NULL};

/* An agency's user (the edge names her agency in the command). */
static bool s_agency(const Pelukan__V1__CommandRequest *req)
{
    return req->actor->kind == PELUKAN__V1__ACTOR__KIND__KIND_AGENCY && strcmp(req->actor->role, "agency") == 0;
}

static int s_queue(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                   Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__ListCases *f = req->list_cases;
    if (f->page < 1 || f->page > 100000)
        return PK_RPC_INVALID(reply, "page");
    if (f->per_page < 1 || f->per_page > 100)
        return PK_RPC_INVALID(reply, "per_page");
    Pelukan__V1__CaseQueue *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__case_queue__init(out);
    if (intake_store_queue(conn, o, f, req->actor, &o->mem, out) != 0)
        return PK_EDB;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_CASE_QUEUE;
    reply->case_queue = out;
    return PK_RPC_READ_ONLY;
}

/* A sealed JSON object opened as JSON text in the arena ("" when it does
 * not open). */
static char *s_json(intake_owner_t *o, const uint8_t *key, const char *ctx, const char *what, const uint8_t *sealed,
                    size_t len)
{
    json_t *v = sealed ? intake_open_sealed(key, ctx, what, sealed, len) : NULL;
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    char *out = pk_arena_strdup(&o->mem, text ? text : "");
    if (text)
        sodium_memzero(text, strlen(text));
    free(text);
    json_decref(v);
    return out;
}

/* What the case's and the reporter's keys open. */
static Pelukan__V1__CaseView__Personal *s_personal(intake_owner_t *o, const char *case_id, const intake_case_row_t *row)
{
    Pelukan__V1__CaseView__Personal *p = pk_arena_alloc(&o->mem, sizeof *p);
    pelukan__v1__case_view__personal__init(p);
    char case_ctx[64], rep_ctx[64], phone_ctx[80];
    snprintf(case_ctx, sizeof case_ctx, "case:%s", case_id);
    snprintf(rep_ctx, sizeof rep_ctx, "reporter:%s", row->reporter_id);
    snprintf(phone_ctx, sizeof phone_ctx, "%s:phone", rep_ctx);
    uint8_t ck[PK_DATAKEY_BYTES], rk[PK_DATAKEY_BYTES];
    p->case_opened = row->case_key && pk_datakey_unwrap(o->keys, case_ctx, row->case_key, row->case_key_len, ck) == 0;
    p->report_json = p->case_opened ? s_json(o, ck, case_ctx, "personal", row->personal, row->personal_len) : "";
    p->reporter_opened =
        row->reporter_key && pk_datakey_unwrap(o->keys, rep_ctx, row->reporter_key, row->reporter_key_len, rk) == 0;
    p->reporter_phone = "";
    if (p->reporter_opened && row->phone_len > PK_SEAL_OVERHEAD && row->phone_len <= 128) {
        char *phone = pk_arena_alloc(&o->mem, row->phone_len + 1);
        if (pk_open(rk, phone_ctx, row->phone, row->phone_len, (uint8_t *)phone) == 0)
            p->reporter_phone = phone;
    }
    p->contact_safety_json = p->reporter_opened ? s_json(o, rk, rep_ctx, "safety", row->safety, row->safety_len) : "";
    sodium_memzero(ck, sizeof ck);
    sodium_memzero(rk, sizeof rk);
    return p;
}

static int s_case(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                  Pelukan__V1__CommandReply *reply)
{
    static char *fields[] = {"report", "reporter_phone", "contact_safety"};
    const char *purpose = req->get_case->purpose;
    if (purpose[0] && !pk_code_in(purpose, s_purposes))
        return PK_RPC_INVALID(reply, "purpose");
    if (purpose[0] && !intake_actor_is(req, "admin") && !intake_actor_is(req, "supervisor") && !s_agency(req))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    intake_case_row_t row;
    /* An agency asked to take the case sees it before it answers (issue 22
     * §4: nothing personal, no timeline); its personal data once it took it. */
    int rc = pk_id_ok(req->case_id) ? intake_store_case(conn, o, req->case_id, req->actor, req->get_case->agency_code,
                                                        !purpose[0], &o->mem, &row)
                                    : PK_ENOENT;
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "not_found");
    if (rc != 0)
        return rc;
    Pelukan__V1__CaseView *view = pk_arena_alloc(&o->mem, sizeof *view);
    *view = row.view;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_CASE_VIEW;
    reply->case_view = view;
    if (!purpose[0])
        return PK_RPC_READ_ONLY;
    /* The opening first, in the transaction that answers. */
    if (intake_store_access(conn, o, req->case_id, purpose, req->actor->id) != 0 ||
        pk_rpc_record_opening(conn, o->log, "intake", req, req->case_id, purpose, NULL, fields, PK_ARRAY_LEN(fields)) !=
            0)
        return PK_EDB;
    view->personal = s_personal(o, req->case_id, &row);
    return PK_RPC_IDEMPOTENT; /* committed with its opening; the reply (personal data) not stored */
}

int intake_cases_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                         Pelukan__V1__CommandReply *reply)
{
    if (!intake_actor_is(req, "admin") && !intake_actor_is(req, "supervisor") && !intake_actor_is(req, "companion") &&
        !s_agency(req))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    return req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_CASES ? s_queue(conn, o, req, reply)
                                                                                 : s_case(conn, o, req, reply);
}
