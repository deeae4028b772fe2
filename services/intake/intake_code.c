/* intake_code.c -- the case owner's answers to a reporter's registration,
 * asked by the edge (services/edge/edge_otp.c) as its SYSTEM actor "registration".
 * The edge holds the phone and the code and sends only their keyed hashes
 * (and, for a reporter who may be new, her key wrapped and her phone
 * sealed with it): nothing the owner keeps or answers is personal data.
 * - RequestCode: may a code be sent, under the limits (review N4); if so
 *   its hash is kept.
 * - VerifyCode: the try counted before it is compared, then, on a match,
 *   the phone's codes used up, the reporter registered if new (with her
 *   ReporterRegistered event) and a session opened, all in one
 *   transaction; no oracle (H2): every refusal is one outcome, but for the
 *   holder of the code, who may be told hers expired or had its tries.
 * The statements are intake_store_people.c's. */
#include <string.h>

#include "intake.h"
#include "intake_desk.h"
#include "intake_store.h"
#include "pelukan/bus.h"
#include "pelukan/crypto.h"
#include "pelukan/rpc.h"

#define S_OUTCOME(name) PELUKAN__V1__CODE_VERIFIED__OUTCOME__OUTCOME_##name

static bool s_hash_ok(const char *h)
{
    return strlen(h) == 64 && strspn(h, "0123456789abcdef") == 64;
}

static int s_request(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                     Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__RequestCode *rq = req->request_code;
    if (!s_hash_ok(rq->phone_index) || !s_hash_ok(rq->client_index) || !s_hash_ok(rq->holder_index) ||
        !s_hash_ok(rq->code_hash))
        return PK_RPC_INVALID(reply, "code_hash");
    Pelukan__V1__CodeRequested *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__code_requested__init(out);
    if (intake_store_code_request(conn, o, rq, out) != 0)
        return PK_EDB;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_CODE_REQUESTED;
    reply->code_requested = out;
    return 0;
}

/* A new reporter: her event, by herself. */
static int s_registered(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req, const char *id)
{
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    pk_envelope_init(&env, eid, "intake", "", req->correlation_id);
    actor.kind = PELUKAN__V1__ACTOR__KIND__KIND_REPORTER;
    actor.id = (char *)id;
    env.actor = &actor;
    Pelukan__V1__ReporterRegistered rr = PELUKAN__V1__REPORTER_REGISTERED__INIT;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REPORTER_REGISTERED;
    env.reporter_registered = &rr;
    return pk_outbox_add(conn, o->log, &env) == 0 ? 0 : PK_EDB;
}

static int s_verify(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                    Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__VerifyCode *v = req->verify_code;
    if (!s_hash_ok(v->phone_index) || !s_hash_ok(v->client_index) || !s_hash_ok(v->holder_index) ||
        !s_hash_ok(v->code_hash) || !s_hash_ok(v->token_hash))
        return PK_RPC_INVALID(reply, "code_hash");
    if (!pk_id_ok(v->reporter_id) || v->wrapped_key.len != PK_WRAPPED_KEY_BYTES || v->phone_sealed.len == 0 ||
        v->phone_sealed.len > 128)
        return PK_RPC_INVALID(reply, "reporter_id");
    Pelukan__V1__CodeVerified *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__code_verified__init(out);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_CODE_VERIFIED;
    reply->code_verified = out;
    char failure_id[24], why[16];
    bool matched, registered;
    if (intake_store_code_try(conn, o, v, failure_id, &matched) != 0)
        return PK_EDB;
    if (!matched) {
        if (intake_store_code_refused(conn, o, v, why) != 0)
            return PK_EDB;
        out->outcome = strcmp(why, "expired") == 0     ? S_OUTCOME(EXPIRED)
                       : strcmp(why, "exhausted") == 0 ? S_OUTCOME(EXHAUSTED)
                                                       : S_OUTCOME(INVALID);
        return 0; /* the try stays counted */
    }
    if (intake_store_code_session(conn, o, v, failure_id, &o->mem, out, &registered) != 0 ||
        (registered && s_registered(conn, o, req, out->reporter_id) != 0))
        return PK_EDB;
    out->outcome = S_OUTCOME(SESSION);
    return 0;
}

int intake_code_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply)
{
    if (req->actor->kind != PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM || strcmp(req->actor->id, "registration") != 0)
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    return req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_REQUEST_CODE ? s_request(conn, o, req, reply)
                                                                                   : s_verify(conn, o, req, reply);
}
