/* test_intake_commands.c -- the case owner's command table
 * (services/intake/intake_commands.c): every command of the request,
 * sent by a peer the table does not name for it, is refused before any
 * function answers it. No database: a command that got past the table
 * would run on no connection and crash the test. The real bus and its
 * peers: tests/e2e/test_trust.c. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/intake/intake.h"
#include "pelukan/pbjson.h"

typedef Pelukan__V1__CommandReply__Status s_status_t;

/* Sends every command of CommandRequest as `actor`; the refusals counted,
 * and each answer checked: a refusal, "unknown" for a command that is not
 * the owner's, or a pong for a Ping (its status is the server's to set). `allowed` (or NULL) is the one
 * command this actor may send, which is not sent. */
static int s_every_command(Pelukan__V1__Actor *actor, int allowed)
{
    intake_t in = {0};
    intake_owner_t o = intake_owner_of(&in);
    const ProtobufCMessageDescriptor *d = &pelukan__v1__command_request__descriptor;
    int refused = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || (int)f->id == allowed)
            continue;
        Pelukan__V1__CommandRequest req = PELUKAN__V1__COMMAND_REQUEST__INIT;
        const ProtobufCMessageDescriptor *md = f->descriptor;
        ProtobufCMessage *cmd = calloc(1, md->sizeof_message);
        md->message_init(cmd);
        cr_assert(pk_pbjson_set_message(&req.base, f->name, cmd), "%s", f->name);
        req.actor = actor;
        req.case_id = "00000000000000000000000000000000";
        Pelukan__V1__CommandReply reply = PELUKAN__V1__COMMAND_REPLY__INIT;
        (void)intake_command(NULL, &req, &reply, &o);
        s_status_t st = reply.status;
        if (req.command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING) {
            cr_assert_eq(reply.result_case, PELUKAN__V1__COMMAND_REPLY__RESULT_PONG, "anyone may ping");
        } else if (st == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_FORBIDDEN) {
            refused++;
        } else {
            cr_assert_eq(st, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID, "%s: status %d", f->name, st);
            cr_assert_str_eq(reply.error_code, "unknown_command", "%s: another service's command", f->name);
        }
        free(cmd);
    }
    return refused;
}

/* The owner's commands, as the table names them: the edge's 23, GetContact,
 * GetPlace, and Purge (nobody's: the owner's clock runs it itself). */
#define S_OWNERS_COMMANDS 26

Test(intake_commands, a_stranger_reaches_no_command_of_the_owner)
{
    Pelukan__V1__Actor stranger = PELUKAN__V1__ACTOR__INIT;
    stranger.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    stranger.id = "stranger";
    cr_assert_eq(s_every_command(&stranger, -1), S_OWNERS_COMMANDS);
}

Test(intake_commands, each_peer_reaches_only_its_own)
{
    /* Notification and dispatch each one question; the edge all but those. */
    Pelukan__V1__Actor notification = PELUKAN__V1__ACTOR__INIT;
    notification.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    notification.id = "notification";
    cr_assert_eq(s_every_command(&notification, PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CONTACT),
                 S_OWNERS_COMMANDS - 1);
    Pelukan__V1__Actor dispatch = PELUKAN__V1__ACTOR__INIT;
    dispatch.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    dispatch.id = "dispatch";
    cr_assert_eq(s_every_command(&dispatch, PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_PLACE), S_OWNERS_COMMANDS - 1);
    /* A person the edge vouches for is refused another peer's question
     * (her own commands need a database: test_trust, test_staff). */
    Pelukan__V1__Actor admin = PELUKAN__V1__ACTOR__INIT;
    admin.kind = PELUKAN__V1__ACTOR__KIND__KIND_STAFF;
    admin.id = "0123456789abcdef0123456789abcdef";
    admin.role = "admin";
    admin.vouched_by = "edge";
    intake_t in = {0};
    intake_owner_t o = intake_owner_of(&in);
    int questions[] = {PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CONTACT,
                       PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_PLACE, PELUKAN__V1__COMMAND_REQUEST__COMMAND_PURGE};
    for (size_t i = 0; i < sizeof questions / sizeof *questions; i++) {
        Pelukan__V1__CommandRequest req = PELUKAN__V1__COMMAND_REQUEST__INIT;
        Pelukan__V1__GetContact gc = PELUKAN__V1__GET_CONTACT__INIT;
        req.actor = &admin;
        req.command_case = questions[i];
        req.get_contact = &gc; /* the oneof's one pointer: read by no refusal */
        Pelukan__V1__CommandReply reply = PELUKAN__V1__COMMAND_REPLY__INIT;
        (void)intake_command(NULL, &req, &reply, &o);
        cr_assert_eq(reply.status, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_FORBIDDEN, "question %zu", i);
    }
}

Test(intake_commands, queries_and_replies_never_stored_are_the_tables)
{
    Pelukan__V1__CommandRequest req = PELUKAN__V1__COMMAND_REQUEST__INIT;
    req.case_id = "";
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CONTACT;
    cr_assert(intake_command_is_query(&req), "a staff member's contact: a query");
    req.case_id = "0123456789abcdef0123456789abcdef";
    cr_assert_not(intake_command_is_query(&req), "a reporter's contact records its opening: not a query");
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_RESOLVE_SESSION;
    cr_assert(intake_command_is_query(&req));
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_CASE_STEP;
    cr_assert_not(intake_command_is_query(&req), "a step writes");
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_VISIT_STEP;
    cr_assert_not(intake_command_is_query(&req), "not the owner's command");
    intake_t in = {.cfg = {.nowners = 3}};
    pk_rpc_server_config_t cfg = {0};
    intake_command_server(&in, &cfg);
    cr_assert_eq(cfg.workers, 3);
    cr_assert_eq(cfg.query_workers, 1, "with three workers, one answers only queries");
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_CLAIM_PASSWORD;
    cr_assert(cfg.is_idempotent(&req), "a password's claim holds a hash: never stored");
    cr_assert_not(cfg.commits_itself(&req));
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUBMIT_REPORTS;
    cr_assert(cfg.commits_itself(&req), "reports commit in their own pipelines");
    cr_assert_not(cfg.is_idempotent(&req));
}
