/* intake_duty.c -- admins on duty (issue 22 §1), answered by the case
 * owner (Duty): an urgent report reaches every admin on duty by SMS as well
 * as by e-mail. An admin says she is on duty, with her mobile number, and
 * off duty; the desk shows who is. Each change is a StaffAccountChanged
 * event (ON_DUTY, OFF_DUTY), from which notification keeps whom to text.
 * The statements are intake_store.c's. */
#include <string.h>

#include "intake.h"
#include "intake_desk.h"
#include "intake_store.h"
#include "pelukan/account.h"
#include "pelukan/bus.h"
#include "pelukan/rpc.h"

/* Her own change as an event. */
static int s_changed(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req, bool on_duty)
{
    Pelukan__V1__StaffAccountChanged ev = PELUKAN__V1__STAFF_ACCOUNT_CHANGED__INIT;
    ev.staff_id = req->actor->id;
    ev.role = req->actor->role;
    ev.change = on_duty ? PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_ON_DUTY
                        : PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_OFF_DUTY;
    return pk_rpc_event(conn, o->log, "intake", req, "", &ev.base);
}

/* Sets her duty: the number is asked whenever she goes on duty (the
 * alerts go to the number she carries that day). */
static int s_set(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                 Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__Duty *d = req->duty;
    char phone[24] = "";
    if (!intake_actor_is(req, "admin"))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    if ((d->on_duty && !d->phone[0]) || (d->phone[0] && pk_phone_normalize(d->phone, phone) != 0))
        return PK_RPC_INVALID(reply, "phone");
    if (intake_store_duty_set(conn, o, req->actor->id, d->on_duty, phone) != 0 ||
        s_changed(conn, o, req, d->on_duty) != 0)
        return PK_EDB;
    return 0;
}

int intake_duty_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply)
{
    bool set = req->duty->step == PELUKAN__V1__DUTY__STEP__STEP_SET;
    if (!intake_actor_is(req, "admin") && !intake_actor_is(req, "supervisor"))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    int rc = set ? s_set(conn, o, req, reply) : 0;
    if (rc != 0 || reply->status)
        return rc;
    Pelukan__V1__DutyStatus *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__duty_status__init(out);
    rc = intake_store_duty(conn, o, req->actor->id, &o->mem, out);
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "not_found");
    if (rc != 0)
        return rc;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_DUTY_STATUS;
    reply->duty_status = out;
    return set ? 0 : PK_RPC_READ_ONLY;
}
