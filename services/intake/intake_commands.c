/* intake_commands.c -- the case owner's commands: one table says, for each,
 * which peer may send it, which function answers it (one transaction, one
 * straight-line function: intake_desk.h) and how the command server runs
 * it. The HTTP edge sends most of them, for a person it vouches for or as
 * its own SYSTEM actor; notification asks for contacts (GetContact) and
 * dispatch for a case's place (GetPlace). Also the server's workers, each
 * with its intake_owner_t, and the wiping of what a reply held. */
#include <sodium.h>
#include <string.h>

#include "intake.h"
#include "intake_desk.h"
#include "pelukan/util.h"

typedef int (*s_command_fn)(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                            Pelukan__V1__CommandReply *reply);

#define S_QUERY          1u /* reads only: the query worker may answer it (rpc.h) */
#define S_QUERY_NO_CASE  2u /* ... when it names no case (a staff member's contact, not a reporter's) */
#define S_NOT_STORED     4u /* answered as idempotent, its reply never stored: it holds a hash */
#define S_COMMITS_ITSELF 8u /* its pipelines are their own transactions (intake_submit.c) */

static int s_ping(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                  Pelukan__V1__CommandReply *reply)
{
    (void)conn, (void)o;
    return pk_rpc_pong(req, reply);
}

/* Purge is the owner's clock's alone (intake_clock.c), sent by no peer. */
static int s_clock_only(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply)
{
    (void)conn, (void)o, (void)req;
    return PK_RPC_FORBIDDEN(reply, "forbidden");
}

#define S_(name) PELUKAN__V1__COMMAND_REQUEST__COMMAND_##name

/* `from`: "edge", a person (or SYSTEM actor) the HTTP edge vouches for
 * (the bus policy lets only the edge vouch); another name, that peer's
 * SYSTEM actor (the server binds every other peer's commands to it); "",
 * any peer. */
static const struct {
    Pelukan__V1__CommandRequest__CommandCase command;
    const char *from;
    s_command_fn answer;
    unsigned flags;
} s_commands[] = {
    {S_(CASE_STEP), "edge", intake_desk_step, 0},
    {S_(ERASE_CASE), "edge", intake_erasure_command, 0},
    {S_(MANAGE_ACCOUNT), "edge", intake_accounts_command, 0},
    {S_(DUTY), "edge", intake_duty_command, 0},
    {S_(LIST_REPORTS), "edge", intake_reporter_command, S_QUERY},
    {S_(GET_REPORT), "edge", intake_reporter_command, S_QUERY},
    {S_(OPEN_NOTES), "edge", intake_notes_command, 0},
    {S_(GET_BRIEF), "edge", intake_brief_command, 0},
    {S_(END_SESSION), "edge", intake_session_command, 0},
    {S_(PUSH), "edge", intake_subscription_command, 0},
    {S_(LIST_CASES), "edge", intake_cases_command, S_QUERY},
    {S_(GET_CASE), "edge", intake_cases_command, 0},
    {S_(CHECK_SESSIONS), "edge", intake_feed_command, S_QUERY},
    {S_(READ_FEED), "edge", intake_feed_command, 0},
    {S_(CLAIM_PASSWORD), "edge", intake_login_command, S_NOT_STORED},
    {S_(OPEN_SESSION), "edge", intake_login_command, 0},
    {S_(SET_PASSWORD), "edge", intake_login_command, 0},
    {S_(RESOLVE_SESSION), "edge", intake_login_command, S_QUERY},
    {S_(SET_SAFETY), "edge", intake_safety_command, 0},
    {S_(REQUEST_CODE), "edge", intake_code_command, 0},
    {S_(VERIFY_CODE), "edge", intake_code_command, 0},
    {S_(SUBMIT_REPORTS), "edge", intake_submit_command, S_COMMITS_ITSELF},
    {S_(GET_REFERENCE), "edge", intake_reference_command, S_QUERY},
    {S_(GET_CONTACT), "notification", intake_contact_command, S_QUERY_NO_CASE},
    {S_(GET_PLACE), "dispatch", intake_place_get, 0},
    {S_(PING), "", s_ping, S_QUERY},
    {S_(PURGE), "", s_clock_only, 0},
};

static unsigned s_flags(const Pelukan__V1__CommandRequest *req)
{
    for (size_t i = 0; i < PK_ARRAY_LEN(s_commands); i++)
        if (s_commands[i].command == req->command_case)
            return s_commands[i].flags;
    return 0;
}

/* Whether the request comes from `from` (see s_commands). */
static bool s_from(const Pelukan__V1__CommandRequest *req, const char *from)
{
    const Pelukan__V1__Actor *a = req->actor;
    if (!from[0])
        return true;
    if (strcmp(from, "edge") == 0)
        return a && a->vouched_by && strcmp(a->vouched_by, "edge") == 0 && a->id && a->id[0];
    return a && a->kind == PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM && strcmp(a->id, from) == 0;
}

int intake_command(PGconn *conn, const Pelukan__V1__CommandRequest *req, Pelukan__V1__CommandReply *reply, void *arg)
{
    for (size_t i = 0; i < PK_ARRAY_LEN(s_commands); i++)
        if (s_commands[i].command == req->command_case)
            return s_from(req, s_commands[i].from) ? s_commands[i].answer(conn, arg, req, reply)
                                                   : PK_RPC_FORBIDDEN(reply, "not_for_this_peer");
    reply->status = PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID;
    reply->error_code = "unknown_command";
    return PK_RPC_READ_ONLY;
}

bool intake_command_is_query(const Pelukan__V1__CommandRequest *req)
{
    unsigned f = s_flags(req);
    return (f & S_QUERY) || ((f & S_QUERY_NO_CASE) && !req->case_id[0]);
}

static bool s_not_stored(const Pelukan__V1__CommandRequest *req)
{
    return s_flags(req) & S_NOT_STORED;
}

static bool s_commits_itself(const Pelukan__V1__CommandRequest *req)
{
    return s_flags(req) & S_COMMITS_ITSELF;
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

void intake_command_server(void *state, pk_rpc_server_config_t *cfg)
{
    intake_t *in = state;
    cfg->workers = in->cfg.nowners;
    cfg->worker_arg = s_worker;
    /* With three or more, the last answers only queries: every staff
     * request's session (ResolveSession) and the desk's lists, which steps
     * waiting on a case's lock then never hold up. */
    cfg->query_workers = in->cfg.nowners >= 3 ? 1 : 0;
    cfg->is_idempotent = s_not_stored;
    cfg->commits_itself = s_commits_itself;
}

/* What a reply held that is personal or secret is wiped once it is sent. */
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
