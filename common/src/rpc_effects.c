/* rpc_effects.c -- what a command writes besides its own rows (rpc.h):
 * its events, by the command's actor, and the record of an opening of a
 * case's sealed data, committed with the answer that holds it. Every
 * service's commands use these; rpc.c is the server and the client. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "pelukan/bus.h"
#include "pelukan/db.h"
#include "pelukan/pbjson.h"
#include "pelukan/pbrow.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

void pk_envelope_for_command(Pelukan__V1__Envelope *env, uint8_t eid[16], Pelukan__V1__Actor *actor,
                             const char *producer, const Pelukan__V1__CommandRequest *req, const char *case_id)
{
    pk_envelope_init(env, eid, producer, case_id, req->correlation_id);
    pelukan__v1__actor__init(actor);
    actor->kind = req->actor ? req->actor->kind : PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    actor->id = (char *)pk_rpc_actor_id(req);
    if (req->actor && req->actor->vouched_by)
        actor->vouched_by = req->actor->vouched_by;
    env->actor = actor;
}

int pk_rpc_event(PGconn *conn, const pk_log_t *log, const char *producer, const Pelukan__V1__CommandRequest *req,
                 const char *case_id, ProtobufCMessage *ev)
{
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    Pelukan__V1__Actor actor;
    pk_envelope_for_command(&env, eid, &actor, producer, req, case_id);
    if (!pk_pbjson_set_oneof(&env.base, ev)) {
        pk_log_error(log, "%s: no event of the envelope is a %s", producer, ev->descriptor->name);
        return PK_EDB;
    }
    return pk_outbox_add(conn, log, &env) == 0 ? 0 : PK_EDB;
}

const char *const pk_rpc_note_purposes[] = {"case_review", "follow_up", "verification", "legal_request", NULL};

int pk_rpc_record_opening(PGconn *conn, const pk_log_t *log, const char *producer,
                          const Pelukan__V1__CommandRequest *req, const char *case_id, const char *purpose,
                          const char *ref, char **fields, size_t n_fields)
{
    Pelukan__V1__CaseDataAccessed acc = PELUKAN__V1__CASE_DATA_ACCESSED__INIT;
    acc.purpose_code = (char *)purpose;
    acc.ref = (char *)(ref ? ref : "");
    acc.fields = fields;
    acc.n_fields = n_fields;
    return pk_rpc_event(conn, log, producer, req, case_id, &acc.base);
}

int pk_rpc_opening_key(PGconn *conn, pk_pg_stmts_t *stmts, const pk_keyring_t *keys, const pk_log_t *log,
                       const char *producer, const Pelukan__V1__CommandRequest *req, const char *purpose,
                       const char *field, int rows, uint8_t key[PK_DATAKEY_BYTES], bool *opened)
{
    *opened = false;
    if (rows == 0)
        return 0;
    char *fields[] = {(char *)field};
    if (pk_rpc_record_opening(conn, log, producer, req, req->case_id, purpose, NULL, fields, 1) != 0)
        return PK_EDB;
    int rc = pk_pg_case_key(conn, stmts, keys, log, req->case_id, false, key);
    if (rc == PK_EDB)
        return PK_EDB;
    *opened = rc == 0;
    return 0;
}

Pelukan__V1__Notes *pk_rpc_notes_reply(pk_arena_t **arena, Pelukan__V1__CommandReply *reply, int rows)
{
    Pelukan__V1__Notes *out = pk_arena_alloc(arena, sizeof *out);
    pelukan__v1__notes__init(out);
    out->items = pk_arena_alloc(arena, sizeof *out->items * (size_t)(rows > 0 ? rows : 1));
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_NOTES;
    reply->notes = out;
    return out;
}

static void s_note_context(char *ctx, size_t cap, const char *case_id, const char *kind, const char *id)
{
    snprintf(ctx, cap, "case:%s:%s:%s:notes", case_id, kind, id);
}

int pk_rpc_note_seal(PGconn *conn, pk_pg_stmts_t *stmts, const pk_keyring_t *keys, const pk_log_t *log,
                     const char *case_id, const char *kind, const char *id, const char *text, char **sealed)
{
    *sealed = NULL;
    if (!text[0])
        return 0;
    uint8_t key[PK_DATAKEY_BYTES];
    int rc = pk_pg_case_key(conn, stmts, keys, log, case_id, true, key);
    if (rc != 0)
        return rc;
    char ctx[160];
    s_note_context(ctx, sizeof ctx, case_id, kind, id);
    *sealed = pk_pg_sealed(key, ctx, text, strlen(text));
    sodium_memzero(key, sizeof key);
    return 0;
}

int pk_rpc_notes_read(pk_arena_t **arena, const pk_log_t *log, Pelukan__V1__CommandReply *reply, const PGresult *r,
                      const uint8_t *key, const char *case_id, const char *kind)
{
    int rows = PQntuples(r), sealed = PQfnumber(r, "_sealed");
    Pelukan__V1__Notes *out = pk_rpc_notes_reply(arena, reply, rows);
    for (int i = 0; i < rows; i++) {
        Pelukan__V1__Note *n = pk_arena_alloc(arena, sizeof *n);
        pelukan__v1__note__init(n);
        char bad[64];
        if (!pk_pbrow_read(&n->base, r, i, NULL, arena, bad, sizeof bad)) {
            pk_log_error(log, "%s notes: the column %s fills no field of a note", kind, bad);
            return PK_EDB;
        }
        char ctx[160];
        s_note_context(ctx, sizeof ctx, case_id, kind, n->id);
        char *text = key && sealed >= 0 ? pk_pg_opened_text(arena, r, i, sealed, key, ctx) : NULL;
        n->text_known = text != NULL;
        n->text = text ? text : "";
        out->items[out->n_items++] = n;
    }
    return 0;
}
