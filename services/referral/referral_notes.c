/* referral_notes.c -- the agencies' follow-up notes of a case read back
 * (issue 22 §4): for an admin or a supervisor, or for an agency user on
 * the referrals their agency accepted, who states a purpose; the opening
 * is recorded (CaseDataAccessed) in the transaction that answers. The
 * reply holds the opened text: it is never stored. */
#include <sodium.h>

#include "referral.h"

/* $1 the case, $2 an agency ('' for staff of the office): each follow-up,
 * when, the agency, the sealed notes, the referral, service and next step
 * (a Note's fields by name, pk_rpc_notes_read). */
static const char S_NOTES_SQL[] =
    "SELECT u.id, (extract(epoch FROM u.recorded_at) * 1000000)::bigint AS at_us, f.agency_code AS \"by\","
    " u.notes_sealed AS _sealed, u.referral_id, u.service_code, coalesce(u.next_step_code, '') AS next_step_code"
    " FROM follow_up u JOIN referral f ON f.id = u.referral_id WHERE f.case_id = $1"
    " AND ($2 = '' OR (f.agency_code = $2 AND f.state IN ('accepted', 'in_service', 'closed')))"
    " ORDER BY u.recorded_at, u.id";

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
    int rc = pk_rpc_notes_read(&r->reply_mem, r->log, reply, res, opened ? key : NULL, req->case_id, "follow_up");
    sodium_memzero(key, sizeof key);
    PQclear(res);
    return rc == 0 ? PK_RPC_IDEMPOTENT : rc;
}
