/* intake_store_login.c -- the case owner's statements about how a staff
 * member gets in: a password check claimed before the edge runs it, the
 * session a right password opens, a password changed; and how a reporter
 * gets in: a code asked for and tried (intake_store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_store.h"
#include "pelukan/crypto.h"
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
        " SELECT " PK_SQL_UTC("s.expires_at") " AS expires_at, t.login, t.display_name,"
                                              " t.must_change_password AS password_change_required"
                                              " FROM s, staff t WHERE t.id = $1",
        3, p);
    return intake_store_read_one(o, r, &out->base, arena);
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

/* ---- a reporter's registration -------------------------------------------------- */

/* May a code be sent: $1 phone, $2 client, $3 phone window s, $4 client
 * window s, $5 per phone and client, $6 per client, $7 code hash, $8 ttl
 * s, $9 per phone and client and day, $10 overall per hour (the SMS
 * budget), $11 the code's holder (the request id's index), $12 the
 * per-phone alert ceiling a day. The phone's limits count one client's
 * requests only (security review N4: a stranger cannot spend the
 * victim's); the phone's own ceiling alerts instead of blocking. One row:
 * allowed, retry after, over the phone's ceiling. */
static const char S_REQUEST_SQL[] =
    "WITH c AS (SELECT"
    "   (SELECT count(*) FROM otp_request WHERE phone_index = $1 AND client_index = $2"
    "     AND at > now() - make_interval(secs => $3)) AS by_phone,"
    "   (SELECT count(*) FROM otp_request WHERE phone_index = $1 AND client_index = $2"
    "     AND at > now() - interval '1 day') AS by_phone_day,"
    "   (SELECT count(*) FROM otp_request WHERE phone_index = $1 AND at > now() - interval '1 day') AS phone_all,"
    "   (SELECT count(*) FROM otp_request WHERE client_index = $2"
    "     AND at > now() - make_interval(secs => $4)) AS by_client,"
    "   (SELECT count(*) FROM otp_request WHERE at > now() - interval '1 hour') AS overall),"
    " ok AS (SELECT by_phone < $5::int AND by_client < $6::int AND by_phone_day < $9::int"
    "   AND overall < $10::int AS allowed, phone_all >= $12::int AS alert,"
    "   CASE WHEN by_phone_day >= $9::int THEN 86400 WHEN by_phone >= $5::int THEN $3::int"
    "     WHEN by_client >= $6::int THEN $4::int ELSE 600 END AS retry FROM c),"
    " r AS (INSERT INTO otp_request (phone_index, client_index) SELECT $1, $2 FROM ok WHERE allowed),"
    " o AS (INSERT INTO otp (phone_index, client_index, request_index, code_hash, expires_at)"
    "   SELECT $1, $2, $11, $7, now() + make_interval(secs => $8) FROM ok WHERE allowed"
    "   ON CONFLICT (phone_index, client_index) DO UPDATE SET code_hash = EXCLUDED.code_hash,"
    "   request_index = EXCLUDED.request_index, expires_at = EXCLUDED.expires_at, attempts = 0,"
    "   created_at = now())"
    " SELECT allowed, retry AS retry_after_s, alert AS phone_alert FROM ok";

/* The decimal text of each of `n` numbers, in `out`. */
static void s_ints(char (*out)[16], const int *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out[i], sizeof out[i], "%d", v[i]);
}

int intake_store_code_request(PGconn *conn, intake_owner_t *o, const Pelukan__V1__RequestCode *rq,
                              Pelukan__V1__CodeRequested *out)
{
    const intake_registration_t *l = &o->otp;
    const int v[] = {l->phone_window_s, l->client_window_s, l->per_phone, l->per_client,
                     l->ttl_s,          l->per_phone_day,   l->per_hour,  l->phone_alert_day};
    char n[8][16];
    s_ints(n, v, 8);
    const char *p[] = {rq->phone_index,
                       rq->client_index,
                       n[0],
                       n[1],
                       n[2],
                       n[3],
                       rq->code_hash,
                       n[4],
                       n[5],
                       n[6],
                       rq->holder_index,
                       n[7]};
    return intake_store_read_one(o, intake_store_exec(conn, o, S_REQUEST_SQL, 12, p), &out->base, NULL);
}

/* $1 phone, $2 client, $3 attempts per code, $4 wrong codes per client
 * and day, $5 wrong codes per phone and day from other clients, $6 the
 * code's holder: the index of the request id the code was asked with, or
 * without one the client's (security review N4: a code is bound to its
 * request, not to an address, which changes on mobile data; strangers'
 * guesses count against their own budget and the phone's, never against
 * the holder's code). Counts this try as a failure (undone on success)
 * and returns the failure's id with each code hash this try may be
 * compared with: none when over budget. Tries of one phone take turns
 * (the advisory lock before it): the budget is read and the try counted
 * before any comparison. */
static const char S_VERIFY_SQL[] =
    "WITH f AS (SELECT"
    "   (SELECT count(*) FROM otp_failure WHERE phone_index = $1 AND client_index = $2"
    "     AND at > now() - interval '1 day') AS by_client,"
    "   (SELECT count(*) FROM otp_failure WHERE phone_index = $1 AND foreign_client"
    "     AND at > now() - interval '1 day') AS by_phone,"
    "   EXISTS (SELECT 1 FROM otp WHERE phone_index = $1 AND (client_index = $6 OR request_index = $6)"
    "     AND expires_at > now() AND attempts < $3::int) AS own),"
    " ok AS (SELECT (own OR by_client < $4::int) AND (own OR by_phone < $5::int) AS allowed, own FROM f),"
    " used AS (UPDATE otp SET attempts = attempts + 1 WHERE phone_index = $1"
    "   AND (client_index = $6 OR request_index = $6)"
    "   AND (SELECT allowed FROM ok)),"
    " fail AS (INSERT INTO otp_failure (phone_index, client_index, foreign_client)"
    "   SELECT $1, $2, NOT own FROM ok WHERE allowed RETURNING id)"
    " SELECT (SELECT id FROM fail), o.code_hash FROM otp o, ok WHERE ok.allowed AND o.phone_index = $1"
    "   AND o.expires_at > now() AND o.attempts < $3::int";

int intake_store_code_try(PGconn *conn, intake_owner_t *o, const Pelukan__V1__VerifyCode *v, char failure_id[24],
                          bool *matched)
{
    const intake_registration_t *l = &o->otp;
    const int lim[] = {l->max_attempts, l->fails_per_client_day, l->fails_per_phone_day};
    char n[3][16];
    s_ints(n, lim, 3);
    const char *p[] = {v->phone_index, v->client_index, n[0], n[1], n[2], v->holder_index};
    if (intake_store_run(conn, o, "SELECT pg_advisory_xact_lock(hashtextextended('otp:' || $1, 0))", 1, p) != 0)
        return PK_EDB;
    PGresult *r = intake_store_exec(conn, o, S_VERIFY_SQL, 6, p);
    if (!r)
        return PK_EDB;
    /* Every candidate is compared, so the time says nothing either. */
    int match = -1;
    for (int i = 0; i < PQntuples(r); i++)
        if (PQgetlength(r, i, 1) == 64 && pk_memcmp_ct(v->code_hash, PQgetvalue(r, i, 1), 64) == 0)
            match = i;
    *matched = match >= 0;
    if (*matched)
        snprintf(failure_id, 24, "%s", PQgetvalue(r, match, 0));
    PQclear(r);
    return 0;
}

int intake_store_code_refused(PGconn *conn, intake_owner_t *o, const Pelukan__V1__VerifyCode *v, char why[16])
{
    char max[16];
    snprintf(max, sizeof max, "%d", o->otp.max_attempts);
    const char *p[] = {v->phone_index, v->holder_index, max};
    PGresult *r = intake_store_exec(
        conn, o,
        "SELECT coalesce((SELECT CASE WHEN expires_at <= now() THEN 'expired' WHEN attempts >= $3::int"
        " THEN 'exhausted' ELSE 'open' END FROM otp WHERE phone_index = $1 AND request_index = $2), 'none')",
        3, p);
    if (!r)
        return PK_EDB;
    snprintf(why, 16, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

/* $1 phone, $2 new reporter id, $3 wrapped key, $4 sealed phone, $5 token
 * hash, $6 session ttl s, $7 the failure row of this (right) try, $8 idle
 * time s: the phone's codes used up, the try's failure undone, the
 * reporter registered if new, the session opened. Returns the reporter,
 * the session's end, and whether she is new. */
static const char S_SESSION_SQL[] =
    "WITH d AS (DELETE FROM otp WHERE phone_index = $1),"
    " nf AS (DELETE FROM otp_failure WHERE id = $7::bigint),"
    " ins AS (INSERT INTO reporter (id, phone_index, wrapped_key, phone_sealed)"
    "   VALUES ($2, $1, $3::bytea, $4::bytea) ON CONFLICT (phone_index) DO NOTHING RETURNING id),"
    " who AS (SELECT coalesce((SELECT id FROM ins), (SELECT id FROM reporter WHERE phone_index = $1)) AS id),"
    " s AS (INSERT INTO session (token_hash, reporter_id, expires_at, idle_until)"
    "   SELECT $5, id, now() + make_interval(secs => $6), now() + make_interval(secs => $8) FROM who"
    "   RETURNING expires_at)"
    " SELECT (SELECT id FROM who), (SELECT " PK_SQL_UTC("expires_at") " FROM s), EXISTS (SELECT 1 FROM ins)";

int intake_store_code_session(PGconn *conn, intake_owner_t *o, const Pelukan__V1__VerifyCode *v, const char *failure_id,
                              pk_arena_t **arena, Pelukan__V1__CodeVerified *out, bool *registered)
{
    char ttl[16], idle[16];
    snprintf(ttl, sizeof ttl, "%d", o->otp.session_ttl_s);
    snprintf(idle, sizeof idle, "%d", o->otp.session_idle_s);
    char *key = pk_pg_bytea(v->wrapped_key.data, v->wrapped_key.len),
         *phone = pk_pg_bytea(v->phone_sealed.data, v->phone_sealed.len);
    const char *p[] = {v->phone_index, v->reporter_id, key, phone, v->token_hash, ttl, failure_id, idle};
    PGresult *r = intake_store_exec(conn, o, S_SESSION_SQL, 8, p);
    free(key);
    free(phone);
    if (!r)
        return PK_EDB;
    out->reporter_id = intake_store_text(arena, r, 0, 0);
    out->expires_at = intake_store_text(arena, r, 0, 1);
    *registered = pk_pg_bool(r, 0, 2);
    PQclear(r);
    return 0;
}

/* ---- every request's session ------------------------------------------------------ */

int intake_store_resolve(PGconn *conn, intake_owner_t *o, const Pelukan__V1__ResolveSession *rs, pk_arena_t **arena,
                         Pelukan__V1__ResolvedSession *out)
{
    const char *p[] = {rs->token_hash};
    PGresult *r = intake_store_exec(conn, o,
                                    "SELECT true AS holds, s.id, s.role, s.agency_code, s.display_name,"
                                    " s.must_change_password AS password_change_required"
                                    " FROM staff_session x JOIN staff s ON s.id = x.staff_id"
                                    " WHERE x.token_hash = $1 AND x.expires_at > now() AND NOT s.disabled",
                                    1, p);
    int rc = intake_store_read_one(o, r, &out->base, arena);
    return rc == PK_ENOENT ? 0 : rc;
}

/* The reporters' sessions of the token hashes in $1 (a text[]), kept
 * alive by use (at most one write a minute each), and their keys: one
 * statement for a command's reports, where one a report cost PostgreSQL
 * a plan and an executor each (make bench). */
static const char s_reporter_sessions[] =
    "WITH touch AS (UPDATE session SET idle_until = now() + make_interval(secs => $2::int)"
    "   WHERE token_hash = ANY ($1::text[]) AND expires_at > now() AND idle_until > now()"
    "   AND idle_until < now() + make_interval(secs => $2::int - 60))"
    " SELECT s.token_hash, s.reporter_id, r.wrapped_key FROM session s JOIN reporter r ON r.id = s.reporter_id"
    " WHERE s.token_hash = ANY ($1::text[]) AND s.expires_at > now() AND s.idle_until > now()";

int intake_store_reporter_sessions(PGconn *conn, intake_owner_t *o, const char *const *hashes, int n,
                                   intake_reporter_key_t *out)
{
    char idle[16], *list = pk_malloc((size_t)n * 65 + 3), *at = list;
    snprintf(idle, sizeof idle, "%d", o->otp.session_idle_s);
    *at++ = '{';
    for (int i = 0; i < n; i++) /* only a hash's form (64 hex digits) goes in the array's text: no ',' or '}' */
        if (strlen(hashes[i]) == 64 && strspn(hashes[i], "0123456789abcdef") == 64)
            at += sprintf(at, "%s%s", at - list > 1 ? "," : "", hashes[i]);
    strcpy(at, "}");
    const char *p[] = {list, idle};
    PGresult *r = intake_store_exec(conn, o, s_reporter_sessions, 2, p);
    free(list);
    if (!r)
        return PK_EDB;
    for (int i = 0; i < n; i++) {
        out[i].found = false;
        for (int row = 0; row < PQntuples(r) && !out[i].found; row++)
            if (strcmp(PQgetvalue(r, row, 0), hashes[i]) == 0 &&
                pk_pg_bytea_get(r, row, 2, out[i].wrapped, PK_WRAPPED_KEY_BYTES) == PK_WRAPPED_KEY_BYTES) {
                out[i].found = true;
                snprintf(out[i].id, sizeof out[i].id, "%s", PQgetvalue(r, row, 1));
            }
    }
    PQclear(r);
    return 0;
}
