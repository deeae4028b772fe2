/* intake_contact.c -- GetContact, from notification: the contacts the
 * case owner keeps. A case's reporter (phone and safety choices, opened
 * with the reporter's key at the moment notification needs them, each
 * opening an event), a staff member's e-mail (and mobile, for an admin on
 * duty), or every active e-mail of a role. The reply is never stored: it
 * holds the phone. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "intake_desk.h"
#include "intake_seal.h"
#include "intake_store.h"
#include "pelukan/util.h"

static int s_staff(PGconn *conn, intake_owner_t *o, const Pelukan__V1__GetContact *g, Pelukan__V1__CommandReply *reply)
{
    Pelukan__V1__Contact *c = pk_arena_alloc(&o->mem, sizeof *c);
    pelukan__v1__contact__init(c);
    if (intake_store_staff_contact(conn, o, g->staff_id, g->role, &o->mem, c) != 0)
        return PK_EDB;
    c->locale = "id";
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_CONTACT;
    reply->contact = c;
    return PK_RPC_READ_ONLY;
}

/* The reporter's phone and safety choices, opened with her key. */
static Pelukan__V1__Contact *s_reporter_open(intake_owner_t *o, const intake_reporter_row_t *row, const uint8_t *key,
                                             const char *ctx, const char *phone_ctx)
{
    Pelukan__V1__Contact *c = pk_arena_alloc(&o->mem, sizeof *c);
    pelukan__v1__contact__init(c);
    char *phone = pk_arena_alloc(&o->mem, row->phone_len + 1);
    if (row->phone_len > PK_SEAL_OVERHEAD && row->phone_len <= 128 &&
        pk_open(key, phone_ctx, row->phone, row->phone_len, (uint8_t *)phone) == 0)
        c->phone_e164 = phone;
    json_t *safety = intake_open_sealed(key, ctx, "safety", row->safety, row->safety_len);
    const char *hours = json_string_value(json_object_get(safety, "safe_hours"));
    const char *channel = json_string_value(json_object_get(safety, "safe_channel"));
    c->safe_hours = pk_arena_strdup(&o->mem, hours ? hours : "");
    c->safe_channel = pk_arena_strdup(&o->mem, channel ? channel : "");
    c->phone_monitored = json_is_true(json_object_get(safety, "phone_monitored"));
    c->locale = "id";
    json_decref(safety);
    return c;
}

/* The opening is recorded, with the message it serves (N11). */
static int s_reporter_opened(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req)
{
    char *fields[] = {"reporter_phone", "contact_safety"};
    char ref[96];
    snprintf(ref, sizeof ref, "message:%s:%s", req->get_contact->message_id, req->get_contact->template_code);
    return pk_rpc_record_opening(conn, o->log, "intake", req, req->case_id, "notification", ref, fields, 2);
}

static int s_reporter(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                      Pelukan__V1__CommandReply *reply)
{
    intake_reporter_row_t row;
    int rc = intake_store_case_reporter(conn, o, req->case_id, &o->mem, &row);
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "case_not_found");
    if (rc != 0)
        return rc;
    char ctx[80], phone_ctx[96];
    snprintf(ctx, sizeof ctx, "reporter:%s", row.reporter_id);
    snprintf(phone_ctx, sizeof phone_ctx, "%s:phone", ctx);
    uint8_t key[PK_DATAKEY_BYTES];
    if (!row.key_known || pk_datakey_unwrap(o->keys, ctx, row.key, sizeof row.key, key) != 0)
        return PK_RPC_NOT_FOUND(reply, "contact_erased");
    Pelukan__V1__Contact *c = s_reporter_open(o, &row, key, ctx, phone_ctx);
    sodium_memzero(key, sizeof key);
    if (s_reporter_opened(conn, o, req) != 0)
        return PK_EDB;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_CONTACT;
    reply->contact = c;
    return PK_RPC_IDEMPOTENT; /* committed, and the reply (a phone) not stored */
}

/* GetContact: notification asks, to send a message. */
int intake_contact_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                           Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__GetContact *g = req->get_contact;
    if (g->staff_id[0] || g->role[0])
        return s_staff(conn, o, g, reply);
    /* A reporter's phone is opened to send one of the reporter's messages,
     * named with its id, and for nothing else (security review N11). */
    static const char *const reporter_templates[] = {"case_update", "case_update_safe", NULL};
    if (strcmp(g->purpose_code, "notification") != 0)
        return PK_RPC_INVALID(reply, "purpose_code");
    if (!pk_code_in(g->template_code, reporter_templates))
        return PK_RPC_INVALID(reply, "template_code");
    if (!pk_id_ok(g->message_id))
        return PK_RPC_INVALID(reply, "message_id");
    return s_reporter(conn, o, req, reply);
}
