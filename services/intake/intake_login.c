/* intake_login.c -- the case owner's answers on how a staff member gets in.
 * The edge checks and hashes passwords on its own thread pool
 * (services/edge/edge_login.c), never in the owner's workers (issue 24, decision
 * 1); the owner keeps the accounts:
 * - ClaimPassword: a try counted before the edge checks it, at the limit
 *   the account locked and the lock-out an event by intake itself; the
 *   account's hash is the answer, never stored;
 * - OpenSession: a right password's session, and the device it came from;
 * - SetPassword: a password changed by its owner, her other sessions
 *   ended;
 * - ResolveSession: a staff member's session, or a reporter's (and
 *   whether the case her route names is hers), checked on each request by
 *   the edge as its SYSTEM actor "sessions".
 * The statements are intake_store_people.c's. */
#include <string.h>

#include "intake.h"
#include "intake_desk.h"
#include "intake_store.h"
#include "pelukan/bus.h"
#include "pelukan/rpc.h"

/* Wrong passwords locked the account: an event by intake itself (the
 * account's owner is told by e-mail, from it), in the claim's
 * transaction. */
static int s_locked_out(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                        const Pelukan__V1__PasswordClaim *claim)
{
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    pk_envelope_init(&env, eid, "intake", "", req->correlation_id);
    actor.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    actor.id = "intake";
    env.actor = &actor;
    Pelukan__V1__StaffAccountChanged ev = PELUKAN__V1__STAFF_ACCOUNT_CHANGED__INIT;
    ev.staff_id = claim->staff_id;
    ev.role = claim->role;
    ev.change = PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_LOCKED_OUT;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_STAFF_ACCOUNT_CHANGED;
    env.staff_account_changed = &ev;
    if (pk_outbox_add(conn, o->log, &env) != 0)
        return PK_EDB;
    pk_log_write(o->log, PK_LOG_WARN, req->correlation_id, "staff %s locked out after wrong passwords",
                 claim->staff_id);
    return 0;
}

/* A login's claim comes from the edge's SYSTEM actor "login" (nobody is
 * signed in yet); a password change's, from the staff member herself. */
static int s_claim(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                   Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__ClaimPassword *cp = req->claim_password;
    bool login = req->actor->kind == PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM && strcmp(req->actor->id, "login") == 0;
    if (!login && !intake_actor_is_staff(req))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    if (login != (cp->login[0] != '\0') || strlen(cp->login) > 64)
        return PK_RPC_INVALID(reply, "login");
    if (cp->device_hash[0] && strlen(cp->device_hash) != 64)
        return PK_RPC_INVALID(reply, "device_hash");
    Pelukan__V1__PasswordClaim *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__password_claim__init(out);
    bool locked;
    if (intake_store_claim(conn, o, cp->login, login ? "" : req->actor->id, cp->device_hash, &o->mem, out, &locked) !=
            0 ||
        (locked && s_locked_out(conn, o, req, out) != 0))
        return PK_EDB;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_PASSWORD_CLAIM;
    reply->password_claim = out;
    return PK_RPC_IDEMPOTENT; /* committed; the reply (a hash) not stored */
}

static int s_open(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                  Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__OpenSession *os = req->open_session;
    if (!intake_actor_is_staff(req))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    if (strlen(os->token_hash) != 64)
        return PK_RPC_INVALID(reply, "token_hash");
    if (strlen(os->device_hash) != 64)
        return PK_RPC_INVALID(reply, "device_hash");
    Pelukan__V1__StaffSession *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__staff_session__init(out);
    int rc = intake_store_open_session(conn, o, req->actor->id, os->token_hash, os->device_hash, &o->mem, out);
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "invalid_credentials");
    if (rc != 0)
        return rc;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_STAFF_SESSION;
    reply->staff_session = out;
    return 0;
}

static int s_set(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                 Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__SetPassword *sp = req->set_password;
    if (!intake_actor_is_staff(req))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    if (strncmp(sp->password_hash, "$argon2id$", 10) != 0)
        return PK_RPC_INVALID(reply, "password_hash");
    if (strlen(sp->token_hash) != 64)
        return PK_RPC_INVALID(reply, "token_hash");
    Pelukan__V1__SessionsEnded *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__sessions_ended__init(out);
    int ended;
    if (intake_store_set_password(conn, o, req->actor->id, sp->password_hash, sp->token_hash, &ended) != 0)
        return PK_EDB;
    out->ended = ended;
    pk_log_write(o->log, PK_LOG_INFO, req->correlation_id,
                 "staff %s changed the password of the account; %d other sessions ended", req->actor->id, ended);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_SESSIONS_ENDED;
    reply->sessions_ended = out;
    return 0;
}

/* A reporter's session (ResolveSession.reporter): her id and her key,
 * wrapped, while it holds, and whether the case the route names is hers.
 * Her use keeps it alive: in this query's lane (no transaction) that
 * write commits by itself, as it did when the edge read her session, and
 * running it twice does no harm. */
static int s_reporter(PGconn *conn, intake_owner_t *o, const Pelukan__V1__ResolveSession *rs,
                      Pelukan__V1__ResolvedSession *out)
{
    intake_reporter_key_t her;
    const char *hash = rs->token_hash;
    bool hers = false;
    if (intake_store_reporter_sessions(conn, o, &hash, 1, &her) != 0 ||
        (her.found && rs->case_id[0] && intake_store_case_exists(conn, o, rs->case_id, her.id, &hers) != 0))
        return PK_EDB;
    out->case_hers = hers;
    if (her.found) {
        out->holds = true;
        out->id = pk_arena_strdup(&o->mem, her.id);
        out->wrapped_key.data = pk_arena_alloc(&o->mem, sizeof her.wrapped);
        out->wrapped_key.len = sizeof her.wrapped;
        memcpy(out->wrapped_key.data, her.wrapped, sizeof her.wrapped);
    }
    return 0;
}

static int s_resolve(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                     Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__ResolveSession *rs = req->resolve_session;
    if (req->actor->kind != PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM || strcmp(req->actor->id, "sessions") != 0)
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    if (strlen(rs->token_hash) != 64)
        return PK_RPC_INVALID(reply, "token_hash");
    if (rs->case_id[0] && (!rs->reporter || !pk_id_ok(rs->case_id)))
        return PK_RPC_INVALID(reply, "case_id");
    Pelukan__V1__ResolvedSession *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__resolved_session__init(out);
    if (rs->reporter ? s_reporter(conn, o, rs, out) : intake_store_resolve(conn, o, rs, &o->mem, out))
        return PK_EDB;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_RESOLVED_SESSION;
    reply->resolved_session = out;
    return PK_RPC_READ_ONLY; /* a query (intake_command_is_query) */
}

int intake_login_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                         Pelukan__V1__CommandReply *reply)
{
    switch (req->command_case) {
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_CLAIM_PASSWORD:
        return s_claim(conn, o, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_OPEN_SESSION:
        return s_open(conn, o, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_RESOLVE_SESSION:
        return s_resolve(conn, o, req, reply);
    default:
        return s_set(conn, o, req, reply);
    }
}
