/* intake_store_login.c -- the case owner's statements about how a staff
 * member gets in: a password check claimed before the edge runs it, the
 * session a right password opens, a password changed (intake_store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_store.h"
#include "pelukan/db.h"
#include "pelukan/error.h"

/* A password check is claimed before it runs (security review H4): one
 * statement counts the try and, at the limit, locks the account, so that
 * parallel tries cannot get more checks than the limit; a right password
 * then clears the count. An account that is locked or disabled yields no
 * row (the edge checks a hash nobody knows instead: the same answer after
 * the same work, M3). $1 the staff id (a password change, L6), $2 the
 * limit, $3 the lock in seconds. Returns the account, its hash, whether
 * this try locked it, and false (no device gets through). */
static const char S_CLAIM_BY_ID_SQL[] =
    "WITH s AS (SELECT id, CASE WHEN locked_until <= now() THEN 0 ELSE failed_logins END + 1 AS n FROM staff"
    "   WHERE id = $1 AND NOT disabled AND (locked_until IS NULL OR locked_until <= now()) FOR UPDATE)"
    " UPDATE staff t SET failed_logins = s.n,"
    "   locked_until = CASE WHEN s.n >= $2::int THEN now() + make_interval(secs => $3::int) END"
    " FROM s WHERE t.id = s.id RETURNING t.id, t.role, coalesce(t.agency_code, ''), t.password_hash,"
    "   t.locked_until IS NOT NULL, false";

/* A login's claim (security review N6): as S_CLAIM_BY_ID_SQL by login ($1),
 * except that a device that signed in to the account before ($4: its
 * token's hash) gets through the account's lock-out with its own budget of
 * wrong tries (claimed the same way, before the check), so that a
 * stranger's wrong passwords keep the stranger out, not the owner. The
 * last column says it got through a lock. */
static const char S_CLAIM_LOGIN_SQL[] =
    "WITH s AS (SELECT t.id, CASE WHEN t.locked_until <= now() THEN 0 ELSE t.failed_logins END + 1 AS n,"
    "   coalesce(t.locked_until > now(), false) AS through FROM staff t"
    "   LEFT JOIN staff_device d ON d.staff_id = t.id AND d.token_hash = $4 AND d.failures < $2::int"
    "   WHERE t.login = $1 AND NOT t.disabled"
    "   AND (t.locked_until IS NULL OR t.locked_until <= now() OR d.staff_id IS NOT NULL) FOR UPDATE OF t),"
    " d AS (UPDATE staff_device SET failures = failures + 1 FROM s"
    "   WHERE s.through AND staff_device.staff_id = s.id AND staff_device.token_hash = $4)"
    " UPDATE staff t SET failed_logins = CASE WHEN s.through THEN t.failed_logins ELSE s.n END,"
    "   locked_until = CASE WHEN s.through THEN t.locked_until"
    "     WHEN s.n >= $2::int THEN now() + make_interval(secs => $3::int) END"
    " FROM s WHERE t.id = s.id RETURNING t.id, t.role, coalesce(t.agency_code, ''), t.password_hash,"
    "   t.locked_until IS NOT NULL AND NOT s.through, s.through";

int intake_store_claim(PGconn *conn, intake_owner_t *o, const char *login, const char *staff_id,
                       const char *device_hash, pk_arena_t **arena, Pelukan__V1__PasswordClaim *out, bool *locked)
{
    char max[16], lock[16];
    snprintf(max, sizeof max, "%d", o->staff_max_failures);
    snprintf(lock, sizeof lock, "%d", o->staff_lock_s);
    const char *p[] = {login[0] ? login : staff_id, max, lock, device_hash};
    PGresult *r = login[0] ? intake_store_exec(conn, o, S_CLAIM_LOGIN_SQL, 4, p)
                           : intake_store_exec(conn, o, S_CLAIM_BY_ID_SQL, 3, p);
    if (!r)
        return PK_EDB;
    *locked = false;
    if (PQntuples(r) == 1) {
        out->staff_id = intake_store_text(arena, r, 0, 0);
        out->role = intake_store_text(arena, r, 0, 1);
        out->agency_code = intake_store_text(arena, r, 0, 2);
        out->password_hash = intake_store_text(arena, r, 0, 3);
        *locked = pk_pg_bool(r, 0, 4);
        out->through = pk_pg_bool(r, 0, 5);
    }
    PQclear(r);
    return 0;
}

/* A right password: the count is cleared (not a lock a known device got
 * through), the session made, the device (its token's hash) known to the
 * account from now on with its budget full, and at most the S_DEVICES
 * most recent devices of the account kept. One device token serves every
 * account signed in from the browser, so it names no one. */
#define S_DEVICES "5"

int intake_store_open_session(PGconn *conn, intake_owner_t *o, const char *staff_id, const char *token_hash,
                              const char *device_hash, pk_arena_t **arena, Pelukan__V1__StaffSession *out)
{
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", o->staff_session_ttl_s);
    const char *p[] = {staff_id, token_hash, ttl}, *d[] = {staff_id, device_hash};
    if (intake_store_run(conn, o,
                         "UPDATE staff SET failed_logins = 0, locked_until = NULL"
                         " WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now())",
                         1, p) != 0 ||
        intake_store_run(conn, o,
                         "INSERT INTO staff_device (staff_id, token_hash) VALUES ($1, $2)"
                         " ON CONFLICT (staff_id, token_hash) DO UPDATE SET failures = 0, last_seen = now()",
                         2, d) != 0 ||
        intake_store_run(conn, o,
                         "DELETE FROM staff_device WHERE staff_id = $1 AND token_hash NOT IN (SELECT token_hash"
                         " FROM staff_device WHERE staff_id = $1 ORDER BY last_seen DESC LIMIT " S_DEVICES ")",
                         1, d) != 0)
        return PK_EDB;
    PGresult *r = intake_store_exec(
        conn, o,
        "WITH s AS (INSERT INTO staff_session (token_hash, staff_id, expires_at)"
        "   SELECT $2, id, now() + make_interval(secs => $3::int) FROM staff WHERE id = $1 AND NOT disabled"
        "   RETURNING expires_at)"
        " SELECT " PK_SQL_UTC("s.expires_at") ", t.login, t.display_name, t.must_change_password"
                                              " FROM s, staff t WHERE t.id = $1",
        3, p);
    if (!r)
        return PK_EDB;
    int rc = PQntuples(r) == 1 ? 0 : PK_ENOENT;
    if (rc == 0) {
        out->expires_at = intake_store_text(arena, r, 0, 0);
        out->login = intake_store_text(arena, r, 0, 1);
        out->display_name = intake_store_text(arena, r, 0, 2);
        out->password_change_required = pk_pg_bool(r, 0, 3);
    }
    PQclear(r);
    return rc;
}

int intake_store_set_password(PGconn *conn, intake_owner_t *o, const char *staff_id, const char *hash,
                              const char *keep_token_hash, int *ended)
{
    const char *p[] = {staff_id, hash}, *q[] = {staff_id, keep_token_hash};
    if (intake_store_run(conn, o,
                         "UPDATE staff SET password_hash = $2, password_changed_at = now(),"
                         " must_change_password = false, failed_logins = 0, locked_until = NULL WHERE id = $1",
                         2, p) != 0)
        return PK_EDB;
    /* Every other session of the account ends with the old password. */
    PGresult *r = intake_store_exec(conn, o,
                                    "WITH d AS (DELETE FROM staff_session WHERE staff_id = $1 AND token_hash <> $2"
                                    " RETURNING 1) SELECT count(*) FROM d",
                                    2, q);
    if (!r)
        return PK_EDB;
    *ended = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}
