/* intake_accounts.c -- the case owner's answer to ManageAccount: the staff
 * accounts admins and supervisors manage, listed, made, disabled, unlocked
 * and given a new password, each change a StaffAccountChanged event in its
 * transaction (security review N1). From the HTTP edge only, as the staff
 * member it vouches for; a password arrives hashed (services/edge/edge_accounts.c).
 * The statements are intake_store.c's. */
#include <stdio.h>
#include <string.h>

#include "intake.h"
#include "intake_case.h"
#include "intake_desk.h"
#include "intake_store.h"
#include "pelukan/bus.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

#define S_STEP(name)   PELUKAN__V1__MANAGE_ACCOUNT__STEP__STEP_##name
#define S_CHANGE(name) PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_##name

static Pelukan__V1__StaffAccount *s_account(intake_owner_t *o, Pelukan__V1__CommandReply *reply, const char *id)
{
    Pelukan__V1__StaffAccount *a = pk_arena_alloc(&o->mem, sizeof *a);
    pelukan__v1__staff_account__init(a);
    a->id = pk_arena_strdup(&o->mem, id);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_STAFF_ACCOUNT;
    reply->staff_account = a;
    return a;
}

/* The change as an event, by the request's staff member. */
static int s_changed(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req, const char *target,
                     const char *role, Pelukan__V1__StaffAccountChanged__Change change)
{
    Pelukan__V1__StaffAccountChanged ev = PELUKAN__V1__STAFF_ACCOUNT_CHANGED__INIT;
    ev.staff_id = (char *)target;
    ev.role = (char *)role;
    ev.change = change;
    return pk_rpc_event(conn, o->log, "intake", req, "", &ev.base);
}

static int s_list(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                  Pelukan__V1__CommandReply *reply)
{
    Pelukan__V1__StaffAccounts *list = pk_arena_alloc(&o->mem, sizeof *list);
    pelukan__v1__staff_accounts__init(list);
    if (intake_store_staff_list(conn, o, &o->mem, list) != 0)
        return PK_EDB;
    for (size_t i = 0; i < list->n_items; i++)
        list->items[i]->managed = intake_role_manages(req->actor->role, list->items[i]->role);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_STAFF_ACCOUNTS;
    reply->staff_accounts = list;
    return PK_RPC_READ_ONLY;
}

static int s_create(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                    Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__ManageAccount *m = req->manage_account;
    if (!intake_role_manages(req->actor->role, m->role))
        return PK_RPC_FORBIDDEN(reply, "role_not_managed");
    if (!m->password_hash[0])
        return PK_RPC_INVALID(reply, "password");
    char id[PK_ID_HEX_LEN + 1];
    pk_id_new(id);
    bool made = false;
    if (intake_store_staff_create(conn, o, m, id, req->actor->id, &made) != 0)
        return PK_EDB;
    if (!made)
        return PK_RPC_CONFLICT(reply, "login_taken");
    if (s_changed(conn, o, req, id, m->role, S_CHANGE(CREATED)) != 0)
        return PK_EDB;
    pk_log_write(o->log, PK_LOG_INFO, req->correlation_id, "staff %s (%s) made by staff %s", id, m->role,
                 req->actor->id);
    s_account(o, reply, id);
    return 0;
}

/* A change to one account the actor manages: disabled, unlocked or reset. */
static int s_change(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                    Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__ManageAccount *m = req->manage_account;
    const char *id = m->staff_id, *by = req->actor->id;
    char role[16];
    int rc = pk_id_ok(id) ? intake_store_staff_role(conn, o, id, role) : PK_ENOENT;
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "not_found");
    if (rc != 0)
        return rc;
    if (!intake_role_manages(req->actor->role, role))
        return PK_RPC_FORBIDDEN(reply, "role_not_managed");
    if (m->step == S_STEP(RESET) && !m->password_hash[0])
        return PK_RPC_INVALID(reply, "password");
    Pelukan__V1__StaffAccount *a = s_account(o, reply, id);
    const char *what = m->step == S_STEP(DISABLE) ? "disabled" : m->step == S_STEP(UNLOCK) ? "unlocked" : "reset";
    rc = m->step == S_STEP(DISABLE)  ? intake_store_staff_disable(conn, o, id)
         : m->step == S_STEP(UNLOCK) ? intake_store_staff_unlock(conn, o, id, by)
                                     : intake_store_staff_reset(conn, o, id, m->password_hash, by);
    if (rc == 0)
        rc = s_changed(conn, o, req, id, role,
                       m->step == S_STEP(DISABLE)  ? S_CHANGE(DISABLED)
                       : m->step == S_STEP(UNLOCK) ? S_CHANGE(UNLOCKED)
                                                   : S_CHANGE(PASSWORD_RESET));
    if (rc != 0)
        return PK_EDB;
    a->disabled = m->step == S_STEP(DISABLE);
    a->unlocked = m->step == S_STEP(UNLOCK);
    a->reset = m->step == S_STEP(RESET);
    pk_log_write(o->log, PK_LOG_INFO, req->correlation_id, "staff %s %s by staff %s", id, what, by);
    return 0;
}

int intake_accounts_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                            Pelukan__V1__CommandReply *reply)
{
    if (!intake_actor_is(req, "admin") && !intake_actor_is(req, "supervisor"))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    switch (req->manage_account->step) {
    case S_STEP(LIST):
        return s_list(conn, o, req, reply);
    case S_STEP(CREATE):
        return s_create(conn, o, req, reply);
    case S_STEP(DISABLE):
    case S_STEP(UNLOCK):
    case S_STEP(RESET):
        return s_change(conn, o, req, reply);
    default:
        return PK_RPC_INVALID(reply, "step");
    }
}
