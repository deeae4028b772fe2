/* dispatch_notes.c -- the companions' identification notes of a case read
 * back (issue 22 §4): for an admin or a supervisor who states a purpose,
 * the opening recorded (CaseDataAccessed) in the transaction that answers,
 * so the answer never leaves without its record. The reply holds the
 * opened text: it is never stored as command replies are. */
#include <sodium.h>

#include "dispatch.h"

/* $1 the case: each report, when, who wrote it, the sealed notes (a
 * Note's fields by name, pk_rpc_notes_read). */
static const char S_NOTES_SQL[] = "SELECT i.id, (extract(epoch FROM i.submitted_at) * 1000000)::bigint AS at_us,"
                                  " coalesce(c.first_name || ' (' || c.badge || ')', '') AS \"by\","
                                  " i.notes_sealed AS _sealed"
                                  " FROM identification i LEFT JOIN companion c ON c.id = i.companion_id"
                                  " WHERE i.case_id = $1 ORDER BY i.submitted_at, i.id";

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
    int rc = pk_rpc_notes_read(&d->reply_mem, d->log, reply, r, opened ? key : NULL, req->case_id, "identification");
    sodium_memzero(key, sizeof key);
    PQclear(r);
    return rc == 0 ? PK_RPC_IDEMPOTENT : rc;
}
