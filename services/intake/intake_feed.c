/* intake_feed.c -- what the case owner answers the edge's live streams
 * (services/edge/edge_streams.c, services/edge/edge_feed.c), asked by the edge's SYSTEM
 * actor "streams": which of the streams' sessions still hold, with their
 * accounts as they are now (CheckSessions, a query), and the staff feed,
 * the case timeline numbered in the order it committed (ReadFeed: the
 * numbering is kept, the reply is not stored). Codes, states and ids;
 * never personal data. The statements are intake_store.c's. */
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "intake_desk.h"
#include "intake_store.h"
#include "pelukan/rpc.h"

#define S_READ_MAX 1000

static bool s_from_streams(const Pelukan__V1__CommandRequest *req)
{
    return req->actor->kind == PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM && strcmp(req->actor->id, "streams") == 0;
}

static int s_sessions(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CheckSessions *cs,
                      Pelukan__V1__CommandReply *reply)
{
    for (size_t i = 0; i < cs->n_token_hashes; i++)
        if (strlen(cs->token_hashes[i]) != 64 || strspn(cs->token_hashes[i], "0123456789abcdef") != 64)
            return PK_RPC_INVALID(reply, "token_hashes");
    char *hashes = pk_pg_text_array(cs->token_hashes, cs->n_token_hashes);
    Pelukan__V1__Sessions *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__sessions__init(out);
    int rc = intake_store_sessions(conn, o, hashes, &o->mem, out);
    free(hashes);
    if (rc != 0)
        return rc;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_SESSIONS;
    reply->sessions = out;
    return PK_RPC_READ_ONLY;
}

static int s_feed(PGconn *conn, intake_owner_t *o, const Pelukan__V1__ReadFeed *rf, Pelukan__V1__CommandReply *reply)
{
    Pelukan__V1__Feed *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__feed__init(out);
    int limit = rf->limit > 0 && rf->limit < S_READ_MAX ? rf->limit : S_READ_MAX;
    if (intake_store_feed(conn, o, rf->after, limit, &o->mem, out) != 0)
        return PK_EDB;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_FEED;
    reply->feed = out;
    return PK_RPC_IDEMPOTENT; /* the numbering is kept; reading again does no harm */
}

int intake_feed_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply)
{
    if (!s_from_streams(req))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    return req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_CHECK_SESSIONS
               ? s_sessions(conn, o, req->check_sessions, reply)
               : s_feed(conn, o, req->read_feed, reply);
}
