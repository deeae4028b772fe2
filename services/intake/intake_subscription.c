/* intake_subscription.c -- what a person does with her own sessions and
 * subscriptions, answered by the case owner: a staff member's Web Push
 * subscription (Push: one per account, the latest; read, set or dropped;
 * the edge checks it first, services/edge/edge_push.c; notification finds it with the
 * staff member's contact), a logout (EndSession: this session, or every
 * one of a reporter's), and a reporter's safety choices (SetSafety, sealed
 * by the edge with her key). The statements are intake_store_people.c's
 * and intake_store.c's. */
#include <string.h>

#include "intake.h"
#include "intake_desk.h"
#include "intake_store.h"
#include "pelukan/rpc.h"

int intake_subscription_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                                Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__Push *push = req->push;
    if (!intake_actor_is_staff(req))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    if (push->step == PELUKAN__V1__PUSH__STEP__STEP_SET && (!push->endpoint[0] || !push->p256dh[0] || !push->auth[0]))
        return PK_RPC_INVALID(reply, "endpoint");
    Pelukan__V1__PushStatus *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__push_status__init(out);
    bool subscribed;
    if (intake_store_push(conn, o, req->actor->id, push, &subscribed) != 0)
        return PK_EDB;
    out->subscribed = subscribed;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_PUSH_STATUS;
    reply->push_status = out;
    return push->step == PELUKAN__V1__PUSH__STEP__STEP_READ ? PK_RPC_READ_ONLY : 0;
}

int intake_session_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                           Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__EndSession *e = req->end_session;
    bool reporter = req->actor->kind == PELUKAN__V1__ACTOR__KIND__KIND_REPORTER;
    bool all = e->step == PELUKAN__V1__END_SESSION__STEP__STEP_ALL;
    if (e->step == PELUKAN__V1__END_SESSION__STEP__STEP_UNSPECIFIED || (all && !reporter))
        return PK_RPC_INVALID(reply, "step");
    if (strlen(e->token_hash) != 64)
        return PK_RPC_INVALID(reply, "token_hash");
    Pelukan__V1__SessionsEnded *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__sessions_ended__init(out);
    int ended;
    if (intake_store_end_sessions(conn, o, !reporter, req->actor->id, e->token_hash, all, &ended) != 0)
        return PK_EDB;
    out->ended = ended;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_SESSIONS_ENDED;
    reply->sessions_ended = out;
    return 0;
}

int intake_safety_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                          Pelukan__V1__CommandReply *reply)
{
    const ProtobufCBinaryData *sealed = &req->set_safety->safety_sealed;
    if (req->actor->kind != PELUKAN__V1__ACTOR__KIND__KIND_REPORTER)
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    if (sealed->len <= PK_SEAL_OVERHEAD || sealed->len > 512)
        return PK_RPC_INVALID(reply, "safety_sealed");
    return intake_store_set_safety(conn, o, req->actor->id, sealed) == 0 ? 0 : PK_EDB;
}
