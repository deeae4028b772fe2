/* intake_notes.c -- the sealed notes of a case read back (issue 22 §4),
 * answered by the case owner (OpenNotes, as dispatch and referral answer
 * it for the notes they keep): the staff's internal notes and the
 * confirmation calls' notes, written sealed under the case key, are opened
 * for an admin or a supervisor who states a purpose. The opening is
 * recorded (a timeline entry and CaseDataAccessed) in the transaction that
 * answers, and the reply, which holds the notes, is never stored. The
 * companions' identification notes and the agencies' follow-up notes stay
 * with their owners (dispatch, referral); the three routes are rows
 * (services/edge/edge_routes.c). The statements are intake_store.c's. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "intake.h"
#include "intake_desk.h"
#include "intake_seal.h"
#include "intake_store.h"
#include "pelukan/rpc.h"

/* One note as the reply shows it, opened with `key` (NULL: its key is gone). */
static Pelukan__V1__Note *s_note(intake_owner_t *o, const intake_note_row_t *row, const uint8_t *key, const char *ctx)
{
    Pelukan__V1__Note *n = pk_arena_alloc(&o->mem, sizeof *n);
    pelukan__v1__note__init(n);
    n->kind = (char *)row->kind;
    n->outcome = (char *)row->outcome;
    n->at = (char *)row->at;
    n->by = (char *)row->by;
    json_t *body = key && row->sealed_len ? intake_open_sealed(key, ctx, "note", row->sealed, row->sealed_len) : NULL;
    const char *text = json_string_value(json_object_get(body, "text"));
    const char *why = json_string_value(json_object_get(body, "override_reason"));
    n->text_known = text != NULL;
    n->text = pk_arena_strdup(&o->mem, text ? text : "");
    n->override_reason = pk_arena_strdup(&o->mem, why ? why : "");
    json_decref(body);
    return n;
}

int intake_notes_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                         Pelukan__V1__CommandReply *reply)
{
    const char *purpose = req->open_notes->purpose_code;
    if (!intake_actor_is(req, "admin") && !intake_actor_is(req, "supervisor"))
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    if (!pk_code_in(purpose, pk_rpc_note_purposes))
        return PK_RPC_INVALID(reply, "purpose_code");
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES];
    int rc = pk_id_ok(req->case_id) ? intake_store_case_key(conn, o, req->case_id, wrapped) : PK_ENOENT;
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "case_not_found");
    intake_note_row_t *rows = NULL;
    int n = 0;
    char *fields[] = {"notes"};
    /* The opening first, in the transaction that answers. */
    if (rc != 0 || intake_store_access(conn, o, req->case_id, purpose, req->actor->id) != 0 ||
        pk_rpc_record_opening(conn, o->log, "intake", req, req->case_id, purpose, NULL, fields, 1) != 0 ||
        intake_store_notes(conn, o, req->case_id, &o->mem, &rows, &n) != 0)
        return PK_EDB;
    char ctx[64];
    snprintf(ctx, sizeof ctx, "case:%s", req->case_id);
    uint8_t key[PK_DATAKEY_BYTES];
    bool opened = pk_datakey_unwrap(o->keys, ctx, wrapped, sizeof wrapped, key) == 0;
    Pelukan__V1__Notes *out = pk_rpc_notes_reply(&o->mem, reply, n);
    for (int i = 0; i < n; i++)
        out->items[out->n_items++] = s_note(o, &rows[i], opened ? key : NULL, ctx);
    sodium_memzero(key, sizeof key);
    return PK_RPC_IDEMPOTENT; /* committed with its opening; the reply (the notes) not stored */
}
