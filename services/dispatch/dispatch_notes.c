/* dispatch_notes.c -- the companions' identification notes of a case read
 * back (issue 22 §4): for an admin or a supervisor who states a purpose,
 * the opening recorded (CaseDataAccessed) in the transaction that answers,
 * so the answer never leaves without its record. The reply holds the
 * opened text: it is never stored as command replies are. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "dispatch.h"

/* $1 the case: each report, when, who wrote it, the sealed notes. */
static const char S_NOTES_SQL[] = "SELECT i.id, (extract(epoch FROM i.submitted_at) * 1000000)::bigint,"
                                  " coalesce(c.first_name || ' (' || c.badge || ')', ''), i.notes_sealed"
                                  " FROM identification i LEFT JOIN companion c ON c.id = i.companion_id"
                                  " WHERE i.case_id = $1 ORDER BY i.submitted_at, i.id";

static Pelukan__V1__Note *s_note(dispatch_t *d, const PGresult *r, int i, const uint8_t *key, const char *case_id)
{
    Pelukan__V1__Note *n = pk_arena_alloc(&d->reply_mem, sizeof *n);
    pelukan__v1__note__init(n);
    n->id = pk_arena_strdup(&d->reply_mem, PQgetvalue(r, i, 0));
    n->at_us = strtoull(PQgetvalue(r, i, 1), NULL, 10);
    n->by = pk_arena_strdup(&d->reply_mem, PQgetvalue(r, i, 2));
    char ctx[160];
    snprintf(ctx, sizeof ctx, "case:%s:identification:%s:notes", case_id, n->id);
    char *text = key ? pk_pg_opened_text(&d->reply_mem, r, i, 3, key, ctx) : NULL;
    n->text_known = text != NULL;
    n->text = text ? text : "";
    return n;
}

int dispatch_open_notes(PGconn *conn, dispatch_t *d, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply)
{
    const char *purpose = req->open_notes->purpose_code;
    if (!pk_code_in(purpose, pk_rpc_note_purposes))
        return PK_RPC_INVALID(reply, "purpose_code");
    const char *p[] = {req->case_id};
    PGresult *r = pk_pg_exec_prepared(&d->stmts, conn, d->log, S_NOTES_SQL, 1, p);
    if (!r)
        return PK_EDB;
    int rows = PQntuples(r);
    uint8_t key[PK_DATAKEY_BYTES];
    bool opened;
    if (pk_rpc_opening_key(conn, &d->stmts, d->keys, d->log, "dispatch", req, purpose, "identification_notes", rows,
                           key, &opened) != 0) {
        PQclear(r);
        return PK_EDB;
    }
    Pelukan__V1__Notes *out = pk_rpc_notes_reply(&d->reply_mem, reply, rows);
    for (int i = 0; i < rows; i++)
        out->items[out->n_items++] = s_note(d, r, i, opened ? key : NULL, req->case_id);
    sodium_memzero(key, sizeof key);
    PQclear(r);
    return PK_RPC_IDEMPOTENT;
}
