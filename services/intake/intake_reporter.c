/* intake_reporter.c -- the case owner's answers to a reporter about her
 * own reports (ListReports), from the HTTP edge for the reporter it vouches
 * for. Her withdrawal is a step on the case (CaseStep WITHDRAW,
 * intake_desk.c). The statements are intake_store.c's. */
#include "intake.h"
#include "intake_desk.h"
#include "intake_store.h"
#include "pelukan/rpc.h"

int intake_reporter_command(PGconn *conn, intake_t *in, const Pelukan__V1__CommandRequest *req,
                            Pelukan__V1__CommandReply *reply)
{
    if (req->actor->kind != PELUKAN__V1__ACTOR__KIND__KIND_REPORTER)
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    Pelukan__V1__Reports *out = pk_arena_alloc(&in->cmd_mem, sizeof *out);
    pelukan__v1__reports__init(out);
    if (intake_store_reports(conn, in, req->actor->id, &in->cmd_mem, out) != 0)
        return PK_EDB;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_REPORTS;
    reply->reports = out;
    return PK_RPC_READ_ONLY;
}
