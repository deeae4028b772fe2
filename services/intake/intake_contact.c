/* intake_contact.c -- intake answers commands, each from its one peer:
 * GetContact (notification; here), GetPlace (dispatch; intake_place.c)
 * and, from intake's own HTTP edge (or its timer, vouched for alike), the
 * desk's CaseStep (intake_desk.c), EraseCase (intake_erasure.c) and
 * ManageAccount (intake_accounts.c), Duty (intake_duty.c), OpenNotes
 * (intake_notes.c), GetBrief (intake_brief.c), a reporter's ListReports
 * and GetReport (intake_reporter.c), and the live streams' CheckSessions
 * and ReadFeed (intake_feed.c), and the desk's ListCases and GetCase
 * (intake_cases.c), a staff member's Push subscription and a logout
 * (intake_subscription.c), and a staff member's password checks, sessions
 * and password changes (intake_login.c), and a reporter's registration
 * (intake_code.c). The
 * contacts it owns: a case's reporter (phone and safety choices, opened
 * with the reporter's key at the moment notification needs them, each
 * opening an event), a staff member's e-mail (and mobile, for an admin on
 * duty), or every active e-mail of a role. The reply is never stored: it
 * holds the phone. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "intake_desk.h"
#include "intake_seal.h"
#include "intake_store.h"
#include "pelukan/util.h"

void intake_command_done(Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_owner_t *o = arg;
    if (reply && reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_CONTACT && reply->contact->phone_e164)
        sodium_memzero(reply->contact->phone_e164, strlen(reply->contact->phone_e164));
    if (reply && reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_PLACE && reply->place->location) {
        sodium_memzero(&reply->place->location->lat, sizeof reply->place->location->lat);
        sodium_memzero(&reply->place->location->lon, sizeof reply->place->location->lon);
    }
    if (reply && reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_CASE_VIEW && reply->case_view->personal) {
        Pelukan__V1__CaseView__Personal *p = reply->case_view->personal;
        sodium_memzero(p->report_json, strlen(p->report_json));
        sodium_memzero(p->reporter_phone, strlen(p->reporter_phone));
        sodium_memzero(p->contact_safety_json, strlen(p->contact_safety_json));
    }
    if (reply && reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_PASSWORD_CLAIM)
        sodium_memzero(reply->password_claim->password_hash, strlen(reply->password_claim->password_hash));
    pk_arena_free(&o->mem);
}

intake_owner_t intake_owner_of(const intake_t *in)
{
    return (intake_owner_t){.log = in->log, .keys = in->keys, .cfg = &in->cfg};
}

static void *s_worker(void *state, int i)
{
    intake_t *in = state;
    in->owners[i] = intake_owner_of(in);
    return &in->owners[i];
}

/* A password's claim is answered as idempotent, never stored (rpc.h): it
 * holds a hash. */
static bool s_idempotent(const Pelukan__V1__CommandRequest *req)
{
    return req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_CLAIM_PASSWORD;
}

/* Reporters' reports commit themselves (rpc.h), each pipeline of
 * intake_submit.c one implicit transaction: their sessions, then every
 * report (her Idempotency-Key makes a repeat harmless). */
static bool s_commits_itself(const Pelukan__V1__CommandRequest *req)
{
    return req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUBMIT_REPORTS;
}

void intake_command_server(void *state, pk_rpc_server_config_t *cfg)
{
    intake_t *in = state;
    cfg->workers = in->cfg.nowners;
    cfg->worker_arg = s_worker;
    /* With three or more, the last answers only queries: every staff
     * request's session (ResolveSession) and the desk's lists, which steps
     * waiting on a case's lock then never hold up. */
    cfg->query_workers = in->cfg.nowners >= 3 ? 1 : 0;
    cfg->is_idempotent = s_idempotent;
    cfg->commits_itself = s_commits_itself;
}

bool intake_command_is_query(const Pelukan__V1__CommandRequest *req)
{
    return (req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CONTACT && !req->case_id[0]) ||
           req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_REPORTS ||
           req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_REPORT ||
           req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_CHECK_SESSIONS ||
           req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_RESOLVE_SESSION ||
           req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_CASES ||
           req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_REFERENCE ||
           req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING;
}

static int s_staff(PGconn *conn, intake_owner_t *o, const Pelukan__V1__GetContact *g, Pelukan__V1__CommandReply *reply)
{
    Pelukan__V1__Contact *c = pk_arena_alloc(&o->mem, sizeof *c);
    pelukan__v1__contact__init(c);
    if (intake_store_staff_contact(conn, o, g->staff_id, g->role, &o->mem, c) != 0)
        return PK_EDB;
    c->locale = "id";
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_CONTACT;
    reply->contact = c;
    return PK_RPC_READ_ONLY;
}

/* The reporter's phone and safety choices, opened with her key. */
static Pelukan__V1__Contact *s_reporter_open(intake_owner_t *o, const intake_reporter_row_t *row, const uint8_t *key,
                                             const char *ctx, const char *phone_ctx)
{
    Pelukan__V1__Contact *c = pk_arena_alloc(&o->mem, sizeof *c);
    pelukan__v1__contact__init(c);
    char *phone = pk_arena_alloc(&o->mem, row->phone_len + 1);
    if (row->phone_len > PK_SEAL_OVERHEAD && row->phone_len <= 128 &&
        pk_open(key, phone_ctx, row->phone, row->phone_len, (uint8_t *)phone) == 0)
        c->phone_e164 = phone;
    json_t *safety = intake_open_sealed(key, ctx, "safety", row->safety, row->safety_len);
    const char *hours = json_string_value(json_object_get(safety, "safe_hours"));
    const char *channel = json_string_value(json_object_get(safety, "safe_channel"));
    c->safe_hours = pk_arena_strdup(&o->mem, hours ? hours : "");
    c->safe_channel = pk_arena_strdup(&o->mem, channel ? channel : "");
    c->phone_monitored = json_is_true(json_object_get(safety, "phone_monitored"));
    c->locale = "id";
    json_decref(safety);
    return c;
}

/* The opening is recorded, with the message it serves (N11). */
static int s_reporter_opened(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req)
{
    char *fields[] = {"reporter_phone", "contact_safety"};
    char ref[96];
    snprintf(ref, sizeof ref, "message:%s:%s", req->get_contact->message_id, req->get_contact->template_code);
    return pk_rpc_record_opening(conn, o->log, "intake", req, req->case_id, "notification", ref, fields, 2);
}

static int s_reporter(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                      Pelukan__V1__CommandReply *reply)
{
    intake_reporter_row_t row;
    int rc = intake_store_case_reporter(conn, o, req->case_id, &o->mem, &row);
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "case_not_found");
    if (rc != 0)
        return rc;
    char ctx[80], phone_ctx[96];
    snprintf(ctx, sizeof ctx, "reporter:%s", row.reporter_id);
    snprintf(phone_ctx, sizeof phone_ctx, "%s:phone", ctx);
    uint8_t key[PK_DATAKEY_BYTES];
    if (!row.key_known || pk_datakey_unwrap(o->keys, ctx, row.key, sizeof row.key, key) != 0)
        return PK_RPC_NOT_FOUND(reply, "contact_erased");
    Pelukan__V1__Contact *c = s_reporter_open(o, &row, key, ctx, phone_ctx);
    sodium_memzero(key, sizeof key);
    if (s_reporter_opened(conn, o, req) != 0)
        return PK_EDB;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_CONTACT;
    reply->contact = c;
    return PK_RPC_IDEMPOTENT; /* committed, and the reply (a phone) not stored */
}

/* GetContact: notification asks, to send a message. */
static int s_get_contact(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                         Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__GetContact *g = req->get_contact;
    if (g->staff_id[0] || g->role[0])
        return s_staff(conn, o, g, reply);
    /* A reporter's phone is opened to send one of the reporter's messages,
     * named with its id, and for nothing else (security review N11). */
    static const char *const reporter_templates[] = {"case_update", "case_update_safe", NULL};
    if (strcmp(g->purpose_code, "notification") != 0)
        return PK_RPC_INVALID(reply, "purpose_code");
    if (!pk_code_in(g->template_code, reporter_templates))
        return PK_RPC_INVALID(reply, "template_code");
    if (!pk_id_ok(g->message_id))
        return PK_RPC_INVALID(reply, "message_id");
    return s_reporter(conn, o, req, reply);
}

/* The command from its one peer: the server bound the actor of a command
 * from any peer but the edge to that peer (kind SYSTEM, id its name). */
static bool s_from(const Pelukan__V1__CommandRequest *req, const char *peer)
{
    return req->actor && req->actor->kind == PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM && strcmp(req->actor->id, peer) == 0;
}

/* A person the HTTP edge vouches for (the bus policy lets only the edge). */
static bool s_from_edge(const Pelukan__V1__CommandRequest *req)
{
    return req->actor && req->actor->vouched_by && strcmp(req->actor->vouched_by, "edge") == 0 && req->actor->id &&
           req->actor->id[0];
}

typedef int (*s_command_fn)(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                            Pelukan__V1__CommandReply *reply);

/* The commands only intake's own edge may send (for a person it vouches
 * for, or as its own SYSTEM actor), and who answers each. */
static const struct {
    Pelukan__V1__CommandRequest__CommandCase command;
    s_command_fn answer;
} s_edge_commands[] = {
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_CASE_STEP, intake_desk_step},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_ERASE_CASE, intake_erasure_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_MANAGE_ACCOUNT, intake_accounts_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_DUTY, intake_duty_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_REPORTS, intake_reporter_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_REPORT, intake_reporter_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_OPEN_NOTES, intake_notes_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_BRIEF, intake_brief_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_END_SESSION, intake_session_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_PUSH, intake_subscription_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_CASES, intake_cases_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CASE, intake_cases_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_CHECK_SESSIONS, intake_feed_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_READ_FEED, intake_feed_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_CLAIM_PASSWORD, intake_login_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_OPEN_SESSION, intake_login_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_SET_PASSWORD, intake_login_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_RESOLVE_SESSION, intake_login_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_SET_SAFETY, intake_safety_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_REQUEST_CODE, intake_code_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_VERIFY_CODE, intake_code_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUBMIT_REPORTS, intake_submit_command},
    {PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_REFERENCE, intake_reference_command},
};

int intake_command(PGconn *conn, const Pelukan__V1__CommandRequest *req, Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_owner_t *o = arg;
    for (size_t i = 0; i < PK_ARRAY_LEN(s_edge_commands); i++)
        if (s_edge_commands[i].command == req->command_case)
            return s_from_edge(req) ? s_edge_commands[i].answer(conn, o, req, reply)
                                    : PK_RPC_FORBIDDEN(reply, "not_for_this_peer");
    switch (req->command_case) {
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CONTACT:
        return s_from(req, "notification") ? s_get_contact(conn, o, req, reply)
                                           : PK_RPC_FORBIDDEN(reply, "not_for_this_peer");
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_PLACE:
        return s_from(req, "dispatch") ? intake_place_get(conn, o, req, reply)
                                       : PK_RPC_FORBIDDEN(reply, "not_for_this_peer");
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING:
        return pk_rpc_pong(req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_PURGE:
        return PK_RPC_FORBIDDEN(reply, "forbidden"); /* the owner's clock's alone (intake_clock.c) */
    default:
        reply->status = PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID;
        reply->error_code = "unknown_command";
        return PK_RPC_READ_ONLY;
    }
}
