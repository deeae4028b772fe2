/* referral_notes.c -- the agencies' follow-up notes of a case read back
 * (issue 22 §4): for an admin or a supervisor, or for an agency user on
 * the referrals their agency accepted, who states a purpose; the opening
 * is recorded (CaseDataAccessed) in the transaction that answers. The
 * reply holds the opened text: it is never stored. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "referral.h"

/* $1 the case, $2 an agency ('' for staff of the office): each follow-up,
 * when, the agency, the sealed notes, the referral, service and next step. */
static const char S_NOTES_SQL[] =
    "SELECT u.id, (extract(epoch FROM u.recorded_at) * 1000000)::bigint, f.agency_code, u.notes_sealed,"
    " u.referral_id, u.service_code, coalesce(u.next_step_code, '')"
    " FROM follow_up u JOIN referral f ON f.id = u.referral_id WHERE f.case_id = $1"
    " AND ($2 = '' OR (f.agency_code = $2 AND f.state IN ('accepted', 'in_service', 'closed')))"
    " ORDER BY u.recorded_at, u.id";

static Pelukan__V1__Note *s_note(referral_t *r, const PGresult *res, int i, const uint8_t *key, const char *case_id)
{
    Pelukan__V1__Note *n = pk_arena_alloc(&r->reply_mem, sizeof *n);
    pelukan__v1__note__init(n);
    n->id = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 0));
    n->at_us = strtoull(PQgetvalue(res, i, 1), NULL, 10);
    n->by = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 2));
    n->referral_id = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 4));
    n->service_code = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 5));
    n->next_step_code = pk_arena_strdup(&r->reply_mem, PQgetvalue(res, i, 6));
    char ctx[160];
    snprintf(ctx, sizeof ctx, "case:%s:follow_up:%s:notes", case_id, n->id);
    char *text = key ? pk_pg_opened_text(&r->reply_mem, res, i, 3, key, ctx) : NULL;
    n->text_known = text != NULL;
    n->text = text ? text : "";
    return n;
}

int referral_open_notes(PGconn *conn, referral_t *r, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__OpenNotes *o = req->open_notes;
    if (!pk_code_in(o->purpose_code, pk_rpc_note_purposes))
        return PK_RPC_INVALID(reply, "purpose_code");
    const char *p[] = {req->case_id, o->agency_code};
    PGresult *res = pk_pg_exec_prepared(&r->stmts, conn, r->log, S_NOTES_SQL, 2, p);
    if (!res)
        return PK_EDB;
    int rows = PQntuples(res);
    uint8_t key[PK_DATAKEY_BYTES];
    bool opened;
    if (pk_rpc_opening_key(conn, &r->stmts, r->keys, r->log, "referral", req, o->purpose_code, "follow_up_notes", rows,
                           key, &opened) != 0) {
        PQclear(res);
        return PK_EDB;
    }
    Pelukan__V1__Notes *out = pk_rpc_notes_reply(&r->reply_mem, reply, rows);
    for (int i = 0; i < rows; i++)
        out->items[out->n_items++] = s_note(r, res, i, opened ? key : NULL, req->case_id);
    sodium_memzero(key, sizeof key);
    PQclear(res);
    return PK_RPC_IDEMPOTENT;
}
