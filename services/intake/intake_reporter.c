/* intake_reporter.c -- the case owner's answers to a reporter about her
 * own reports (ListReports, GetReport), from the HTTP edge for the reporter
 * it vouches for. Her withdrawal is a step on the case (CaseStep WITHDRAW,
 * intake_desk.c). The statements are intake_store.c's. */
#include "intake.h"
#include "intake_desk.h"
#include "intake_store.h"
#include "pelukan/rpc.h"

/* GetReport: one of hers. */
static int s_report(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                    Pelukan__V1__CommandReply *reply)
{
    Pelukan__V1__ReportView *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__report_view__init(out);
    int rc =
        pk_id_ok(req->case_id) ? intake_store_report(conn, o, req->case_id, req->actor->id, &o->mem, out) : PK_ENOENT;
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "not_found");
    if (rc != 0)
        return rc;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_REPORT_VIEW;
    reply->report_view = out;
    return PK_RPC_READ_ONLY;
}

int intake_reporter_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                            Pelukan__V1__CommandReply *reply)
{
    if (req->actor->kind != PELUKAN__V1__ACTOR__KIND__KIND_REPORTER)
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    if (req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_REPORT)
        return s_report(conn, o, req, reply);
    Pelukan__V1__Reports *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__reports__init(out);
    if (intake_store_reports(conn, o, req->actor->id, &o->mem, out) != 0)
        return PK_EDB;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_REPORTS;
    reply->reports = out;
    return PK_RPC_READ_ONLY;
}
