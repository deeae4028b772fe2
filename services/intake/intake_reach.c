/* intake_reach.c -- a companion asks the office to reach the reporter
 * (issue 22 §3), answered by the case owner (CaseStep REACH_REQUEST and
 * REACH_DONE, from intake_desk.c). The companion never holds the
 * reporter's number: she says why (a code), the case is marked on the desk,
 * every admin is told (by e-mail, and by SMS those on duty: the
 * ReporterContactRequested event), and an admin calls the reporter after
 * opening her safety choices (safe hours, channel, whether her phone is
 * read) with a purpose, then says the request was answered. Only the
 * case's companion asks, while her access lasts (N12); a request still
 * waiting is not made again. The statements are intake_store.c's. */
#include <string.h>

#include "intake.h"
#include "intake_case.h"
#include "intake_desk.h"
#include "intake_store.h"
#include "pelukan/bus.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

static Pelukan__V1__CaseStatus *s_status(intake_owner_t *o, Pelukan__V1__CommandReply *reply, const char *case_id,
                                         const char *state)
{
    Pelukan__V1__CaseStatus *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__case_status__init(out);
    out->case_id = pk_arena_strdup(&o->mem, case_id);
    out->state = pk_arena_strdup(&o->mem, state);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_CASE_STATUS;
    reply->case_status = out;
    return out;
}

static int s_request(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                     Pelukan__V1__CommandReply *reply)
{
    const char *reason = req->case_step->reason_code;
    if (!pk_code_in(reason, intake_reach_reasons))
        return PK_RPC_INVALID(reply, "reason_code");
    if (!intake_actor_is(req, "companion"))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    char state[16];
    bool waiting = false;
    int rc = intake_store_reach_case(conn, o, req->case_id, req->actor->id, state, &waiting);
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "case_not_found");
    if (rc != 0)
        return rc;
    Pelukan__V1__CaseStatus *out = s_status(o, reply, req->case_id, state);
    out->requested = true;
    out->repeated = waiting;
    if (waiting)
        return PK_RPC_READ_ONLY; /* one request waits at a time: nothing written */
    if (intake_store_reach_mark(conn, o, req->case_id, reason) != 0 ||
        intake_store_timeline(conn, o, req->case_id, "reach_request", state, reason, req->actor->id) != 0)
        return PK_EDB;
    Pelukan__V1__ReporterContactRequested ev = PELUKAN__V1__REPORTER_CONTACT_REQUESTED__INIT;
    ev.reason_code = (char *)reason;
    return pk_rpc_event(conn, o->log, "intake", req, req->case_id, &ev.base);
}

static int s_done(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                  Pelukan__V1__CommandReply *reply)
{
    if (!intake_actor_is(req, "admin"))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    bool answered = false;
    if (intake_store_reach_done(conn, o, req->case_id, req->actor->id, &answered) != 0)
        return PK_EDB;
    s_status(o, reply, req->case_id, "")->answered = answered;
    return answered ? 0 : PK_RPC_READ_ONLY;
}

int intake_reach_step(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                      Pelukan__V1__CommandReply *reply)
{
    if (!pk_id_ok(req->case_id))
        return PK_RPC_NOT_FOUND(reply, "case_not_found");
    return req->case_step->step == PELUKAN__V1__CASE_STEP__STEP__STEP_REACH_REQUEST ? s_request(conn, o, req, reply)
                                                                                    : s_done(conn, o, req, reply);
}
