/* intake_store_people.c -- the case owner's statements about people
 * (intake_store.h; the cases' are intake_store.c): staff accounts, an
 * admin's duty and push subscription; how a staff member and a reporter
 * get in and the sessions they hold; what a reporter sends (her report,
 * her contact safety) and reads of her own reports; whom to tell; the
 * reference data; and what registration and sessions leave behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_case.h"
#include "intake_store.h"
#include "pelukan/bus.h"
#include "pelukan/crypto.h"
#include "pelukan/db.h"
#include "pelukan/error.h"
#include "pelukan/pbrow.h"

/* ---- staff accounts ----------------------------------------------------------- */

int intake_store_staff_role(PGconn *conn, intake_owner_t *o, const char *id, char role[16])
{
    const char *p[] = {id};
    PGresult *r;
    int rc = intake_store_one(conn, o, "SELECT role FROM staff WHERE id = $1 FOR UPDATE", 1, p, &r);
    if (rc != 0)
        return rc;
    snprintf(role, 16, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int intake_store_staff_list(PGconn *conn, intake_owner_t *o, pk_arena_t **arena, Pelukan__V1__StaffAccounts *out)
{
    PGresult *r = intake_store_exec(conn, o,
                                    "SELECT id, login, display_name, role, agency_code, disabled,"
                                    " coalesce(locked_until > now(), false) AS locked FROM staff ORDER BY role, login",
                                    0, NULL);
    return intake_store_read_all(o, r, &pelukan__v1__staff_account__descriptor, arena,
                                 (ProtobufCMessage ***)&out->items, &out->n_items);
}

int intake_store_staff_create(PGconn *conn, intake_owner_t *o, const Pelukan__V1__ManageAccount *m, const char *id,
                              const char *by, bool *made)
{
    const char *p[] = {id,       m->login, m->display_name, m->role, m->agency_code, m->password_hash,
                       m->email, by,       m->phone_e164};
    return intake_store_flag(
        conn, o,
        "INSERT INTO staff (id, login, display_name, role, agency_code, password_hash, email,"
        " changed_at, changed_by, phone_e164) VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6,"
        " NULLIF($7, ''), now(), $8, NULLIF($9, '')) ON CONFLICT (login) DO NOTHING RETURNING true",
        9, p, made);
}

int intake_store_staff_disable(PGconn *conn, intake_owner_t *o, const char *id)
{
    const char *p[] = {id};
    if (intake_store_run(conn, o, "UPDATE staff SET disabled = true WHERE id = $1", 1, p) != 0)
        return PK_EDB;
    return intake_store_run(conn, o, "DELETE FROM staff_session WHERE staff_id = $1", 1, p);
}

int intake_store_staff_unlock(PGconn *conn, intake_owner_t *o, const char *id, const char *by)
{
    const char *p[] = {id, by};
    return intake_store_run(
        conn, o,
        "UPDATE staff SET failed_logins = 0, locked_until = NULL, changed_at = now(), changed_by = $2"
        " WHERE id = $1",
        2, p);
}

int intake_store_staff_reset(PGconn *conn, intake_owner_t *o, const char *id, const char *hash, const char *by)
{
    const char *p[] = {id, hash, by};
    if (intake_store_run(conn, o,
                         "UPDATE staff SET password_hash = $2, password_changed_at = now(), failed_logins = 0,"
                         " locked_until = NULL, must_change_password = true, changed_at = now(), changed_by = $3"
                         " WHERE id = $1",
                         3, p) != 0)
        return PK_EDB;
    if (intake_store_run(conn, o, "DELETE FROM staff_session WHERE staff_id = $1", 1, p) != 0)
        return PK_EDB;
    return intake_store_run(conn, o, "DELETE FROM staff_device WHERE staff_id = $1", 1, p);
}

/* ---- an admin's duty ------------------------------------------------------------ */

int intake_store_duty(PGconn *conn, intake_owner_t *o, const char *id, pk_arena_t **arena, Pelukan__V1__DutyStatus *out)
{
    const char *p[] = {id};
    PGresult *r;
    int found = intake_store_one(conn, o,
                                 "SELECT on_duty, coalesce(phone_e164, ''),"
                                 " (SELECT coalesce(json_agg(display_name ORDER BY display_name), '[]') FROM staff"
                                 "   WHERE role = 'admin' AND on_duty AND NOT disabled)::text"
                                 " FROM staff WHERE id = $1",
                                 1, p, &r);
    if (found != 0)
        return found;
    out->on_duty = pk_pg_bool(r, 0, 0);
    out->phone = pk_arena_strdup(arena, PQgetvalue(r, 0, 1));
    json_t *names = json_loads(PQgetvalue(r, 0, 2), 0, NULL);
    size_t n = json_array_size(names);
    out->admins_on_duty = pk_arena_alloc(arena, sizeof(char *) * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        if (json_is_string(json_array_get(names, i)))
            out->admins_on_duty[out->n_admins_on_duty++] =
                pk_arena_strdup(arena, json_string_value(json_array_get(names, i)));
    json_decref(names);
    PQclear(r);
    return 0;
}

int intake_store_duty_set(PGconn *conn, intake_owner_t *o, const char *id, bool on_duty, const char *phone)
{
    const char *p[] = {id, on_duty ? "t" : "f", phone};
    return intake_store_run(conn, o,
                            "UPDATE staff SET on_duty = $2::boolean, phone_e164 = coalesce(NULLIF($3, ''), phone_e164)"
                            " WHERE id = $1",
                            3, p);
}

/* ---- sessions and push subscriptions ------------------------------------------- */

int intake_store_sessions(PGconn *conn, intake_owner_t *o, const char *hashes, pk_arena_t **arena,
                          Pelukan__V1__Sessions *out)
{
    const char *p[] = {hashes};
    PGresult *r =
        intake_store_exec(conn, o,
                          "SELECT token_hash, '' AS role, '' AS agency_code FROM session"
                          " WHERE token_hash = ANY($1::text[])"
                          " AND expires_at > now() AND idle_until > now()"
                          " UNION ALL SELECT x.token_hash, s.role, coalesce(s.agency_code, '') FROM staff_session x"
                          " JOIN staff s ON s.id = x.staff_id"
                          " WHERE x.token_hash = ANY($1::text[]) AND x.expires_at > now() AND NOT s.disabled",
                          1, p);
    return intake_store_read_all(o, r, &pelukan__v1__sessions__session__descriptor, arena,
                                 (ProtobufCMessage ***)&out->items, &out->n_items);
}

int intake_store_push(PGconn *conn, intake_owner_t *o, const char *staff_id, const Pelukan__V1__Push *push,
                      bool *subscribed)
{
    const char *me[] = {staff_id}, *p[] = {staff_id, push->endpoint, push->p256dh, push->auth};
    int rc = push->step == PELUKAN__V1__PUSH__STEP__STEP_SET
                 ? intake_store_run(conn, o,
                                    "INSERT INTO staff_push (staff_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)"
                                    " ON CONFLICT (staff_id) DO UPDATE SET endpoint = $2, p256dh = $3, auth = $4,"
                                    " created_at = now()",
                                    4, p)
             : push->step == PELUKAN__V1__PUSH__STEP__STEP_DROP
                 ? intake_store_run(conn, o, "DELETE FROM staff_push WHERE staff_id = $1", 1, me)
                 : 0;
    return rc != 0 ? rc
                   : intake_store_flag(conn, o, "SELECT count(*) > 0 FROM staff_push WHERE staff_id = $1", 1, me,
                                       subscribed);
}

int intake_store_end_sessions(PGconn *conn, intake_owner_t *o, bool staff, const char *who, const char *token_hash,
                              bool all, int *ended)
{
    const char *p[] = {who, token_hash, all ? "t" : "f"};
    return intake_store_count(
        conn, o,
        staff ? "WITH d AS (DELETE FROM staff_session WHERE staff_id = $1 AND (token_hash = $2 OR $3::boolean)"
                " RETURNING 1) SELECT count(*) FROM d"
              : "WITH d AS (DELETE FROM session WHERE reporter_id = $1 AND (token_hash = $2 OR $3::boolean)"
                " RETURNING 1) SELECT count(*) FROM d",
        3, p, ended);
}

int intake_store_purge(PGconn *conn, intake_owner_t *o, int keep_s, long *deleted)
{
    static const char *const sql[] = {
        "DELETE FROM otp WHERE expires_at < now()",
        "DELETE FROM otp_request WHERE at < now() - make_interval(secs => $1::int)",
        "DELETE FROM otp_failure WHERE at < now() - make_interval(secs => $1::int)",
        "DELETE FROM session WHERE expires_at < now() OR idle_until < now()",
        "DELETE FROM staff_session WHERE expires_at < now()",
    };
    char keep[16];
    snprintf(keep, sizeof keep, "%d", keep_s);
    const char *p[] = {keep};
    *deleted = 0;
    for (size_t i = 0; i < PK_ARRAY_LEN(sql); i++) {
        PGresult *r = intake_store_exec(conn, o, sql[i], i == 1 || i == 2 ? 1 : 0, p);
        if (!r)
            return PK_EDB;
        *deleted += atol(PQcmdTuples(r));
        PQclear(r);
    }
    return 0;
}

/* ---- how a staff member gets in (intake_login.c) -------------------------------- */

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
    snprintf(max, sizeof max, "%d", o->cfg->staff_max_failures);
    snprintf(lock, sizeof lock, "%d", o->cfg->staff_lock_s);
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
    snprintf(ttl, sizeof ttl, "%d", o->cfg->staff_session_ttl_s);
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
        " SELECT " PK_SQL_UTC("s.expires_at") " AS expires_at, t.login, t.display_name, t.must_change_password"
                                              " AS password_change_required FROM s, staff t WHERE t.id = $1",
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
    return intake_store_count(conn, o,
                              "WITH d AS (DELETE FROM staff_session WHERE staff_id = $1 AND token_hash <> $2"
                              " RETURNING 1) SELECT count(*) FROM d",
                              2, q, ended);
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
    const intake_registration_t *l = &o->cfg->otp;
    const int v[] = {l->phone_window_s, l->client_window_s, l->per_phone, l->per_client,
                     l->ttl_s,          l->per_phone_day,   l->per_hour,  l->phone_alert_day};
    char n[8][16];
    s_ints(n, v, 8);
    /* The statement's $1 to $12, in order. */
    /* clang-format off */
    const char *p[] = {rq->phone_index, rq->client_index, n[0], n[1], n[2], n[3],
                       rq->code_hash, n[4], n[5], n[6], rq->holder_index, n[7]};
    /* clang-format on */
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
    const intake_registration_t *l = &o->cfg->otp;
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
    snprintf(max, sizeof max, "%d", o->cfg->otp.max_attempts);
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
    snprintf(ttl, sizeof ttl, "%d", o->cfg->otp.session_ttl_s);
    snprintf(idle, sizeof idle, "%d", o->cfg->otp.session_idle_s);
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
    snprintf(idle, sizeof idle, "%d", o->cfg->otp.session_idle_s);
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

/* ---- a reporter's own reports, as she reads them -------------------------------- */

int intake_store_reports(PGconn *conn, intake_owner_t *o, const char *reporter_id, pk_arena_t **arena,
                         Pelukan__V1__Reports *out)
{
    const char *p[] = {reporter_id};
    /* clang-format off */
    PGresult *r = intake_store_exec(conn, o, "SELECT id AS case_id, ticket, state, " PK_SQL_UTC("created_at")
        " AS created_at FROM cases WHERE reporter_id = $1 ORDER BY created_at DESC, id LIMIT 200", 1, p);
    /* clang-format on */
    return intake_store_read_all(o, r, &pelukan__v1__report_summary__descriptor, arena,
                                 (ProtobufCMessage ***)&out->items, &out->n_items);
}

int intake_store_report(PGconn *conn, intake_owner_t *o, const char *case_id, const char *reporter_id,
                        pk_arena_t **arena, Pelukan__V1__ReportView *out)
{
    const char *p[] = {case_id, reporter_id};
    /* clang-format off */
    int rc = intake_store_read_one(o, intake_store_exec(conn, o,
        "SELECT id AS case_id, ticket, state, " PK_SQL_UTC("created_at") " AS created_at,"
        " (SELECT ca.agency_code FROM case_agency ca WHERE ca.case_id = x.id"
        "   AND ca.state IN ('accepted', 'closed') ORDER BY ca.created_at DESC LIMIT 1)"
        "   AS agency_code FROM cases x WHERE id = $1 AND reporter_id = $2", 2, p), &out->base, arena);
    /* clang-format on */
    if (rc != 0)
        return rc;
    PGresult *r = intake_store_exec(
        conn, o,
        "SELECT state, " PK_SQL_UTC("at") " AS at FROM case_event WHERE case_id = $1 AND kind = 'state' ORDER BY id", 1,
        p);
    return intake_store_read_all(o, r, &pelukan__v1__report_view__step__descriptor, arena,
                                 (ProtobufCMessage ***)&out->timeline, &out->n_timeline);
}

/* ---- whom to tell (intake_contact.c) ------------------------------------------- */

int intake_store_case_reporter(PGconn *conn, intake_owner_t *o, const char *case_id, pk_arena_t **arena,
                               intake_reporter_row_t *out)
{
    const char *p[] = {case_id};
    PGresult *r;
    int found = intake_store_one(conn, o,
                                 "SELECT r.id, r.wrapped_key, r.phone_sealed, r.safety_sealed FROM cases x"
                                 " JOIN reporter r ON r.id = x.reporter_id WHERE x.id = $1",
                                 1, p, &r);
    if (found != 0)
        return found;
    memset(out, 0, sizeof *out);
    snprintf(out->reporter_id, sizeof out->reporter_id, "%s", PQgetvalue(r, 0, 0));
    out->key_known = pk_pg_bytea_get(r, 0, 1, out->key, sizeof out->key) == PK_WRAPPED_KEY_BYTES;
    out->phone = intake_store_blob(arena, r, 2, &out->phone_len);
    out->safety = intake_store_blob(arena, r, 3, &out->safety_len);
    PQclear(r);
    return 0;
}

int intake_store_staff_contact(PGconn *conn, intake_owner_t *o, const char *staff_id, const char *role,
                               pk_arena_t **arena, Pelukan__V1__Contact *out)
{
    bool agency = strncmp(role, "agency:", 7) == 0;
    const char *p[] = {staff_id[0] ? staff_id : agency ? role + 7 : role};
    const char *sql = staff_id[0] ? "SELECT s.email, s.phone_e164, p.endpoint, p.p256dh, p.auth FROM staff s"
                                    " LEFT JOIN staff_push p ON p.staff_id = s.id WHERE s.id = $1 AND NOT s.disabled"
                                    " AND (s.email IS NOT NULL OR s.phone_e164 IS NOT NULL OR p.endpoint IS NOT NULL)"
                      : agency    ? "SELECT email FROM staff WHERE role = 'agency' AND agency_code = $1"
                                    " AND NOT disabled AND email IS NOT NULL ORDER BY login"
                                  : "SELECT email FROM staff WHERE role = $1 AND NOT disabled"
                                    " AND email IS NOT NULL ORDER BY login";
    PGresult *r = intake_store_exec(conn, o, sql, 1, p);
    if (!r)
        return PK_EDB;
    int n = PQntuples(r);
    out->emails = pk_arena_alloc(arena, sizeof(char *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        if (!PQgetisnull(r, i, 0))
            out->emails[out->n_emails++] = pk_arena_strdup(arena, PQgetvalue(r, i, 0));
    if (out->n_emails > 0)
        out->email = out->emails[0];
    /* One member's own mobile (an admin on duty: issue 22 §1) and her
     * browser's Web Push subscription (issue 22 §3). */
    if (staff_id[0] && n == 1 && !PQgetisnull(r, 0, 1))
        out->phone_e164 = pk_arena_strdup(arena, PQgetvalue(r, 0, 1));
    if (staff_id[0] && n == 1 && !PQgetisnull(r, 0, 2)) {
        out->push_endpoint = pk_arena_strdup(arena, PQgetvalue(r, 0, 2));
        out->push_p256dh = pk_arena_strdup(arena, PQgetvalue(r, 0, 3));
        out->push_auth = pk_arena_strdup(arena, PQgetvalue(r, 0, 4));
    }
    PQclear(r);
    return 0;
}

int intake_store_set_safety(PGconn *conn, intake_owner_t *o, const char *reporter_id, const ProtobufCBinaryData *sealed)
{
    char *hex = pk_pg_bytea(sealed->data, sealed->len);
    const char *p[] = {reporter_id, hex};
    int rc = intake_store_run(conn, o, "UPDATE reporter SET safety_sealed = $2::bytea WHERE id = $1", 2, p);
    free(hex);
    return rc;
}

/* ---- a reporter's report (intake_submit.c) ---------------------------------------- */

/* The report's one statement ($1 reporter, $2 key, $3 case id, $4 wrapped
 * key, $5 sealed personal data, $6-$19 the report's codes, $20 topic, $21
 * envelope, $22 sealed contact safety, $23 ticket, $24 reports per day,
 * $25 her session's token hash): only while her session holds, the key
 * claims the request; only then the case, its first timeline step and its
 * event; a retry gets the first answer. Reports that arrive together share
 * one commit (group commit). Shared with the benchmark that measures
 * PostgreSQL alone on it (tests/bench/bench_intake.c). */
/* clang-format off */
const char intake_sql_report_submit[] =
    "WITH her AS (SELECT EXISTS (SELECT 1 FROM session WHERE token_hash = $25 AND reporter_id = $1"
    "   AND expires_at > now() AND idle_until > now()) AS holds),"
    " lim AS (SELECT CASE WHEN $24::int = 0 THEN false ELSE (SELECT count(*) FROM (SELECT 1 FROM cases"
    "   WHERE reporter_id = $1 AND created_at > now() - interval '1 day' LIMIT $24::int) x) >= $24::int END"
    "   AS over),"
    " k AS (INSERT INTO idempotency (reporter_id, key, case_id) SELECT $1, $2, $3"
    "   WHERE (SELECT holds FROM her) AND NOT (SELECT over FROM lim)"
    "   ON CONFLICT DO NOTHING RETURNING case_id),"
    " c AS (INSERT INTO cases (id, ticket, reporter_id, state, wrapped_key, personal_sealed, reporter_kind,"
    "   witness_relation, victim_sex, victim_age_band, child, disability, violence_forms, place_type,"
    "   perpetrator_relation, incident_at, incident_approx, kecamatan_code, desa_code, urgent)"
    "   SELECT $3, $23, $1, 'submitted',"
    "   $4::bytea, $5::bytea, $6, NULLIF($7, ''), NULLIF($8, ''), NULLIF($9, ''), $10, $11, $12::text[],"
    "   NULLIF($13, ''), NULLIF($14, ''), to_timestamp(NULLIF($15, '0')::bigint), $16, NULLIF($17, ''),"
    "   NULLIF($18, ''), $19 FROM k RETURNING id, ticket, created_at, state),"
    " e AS (INSERT INTO case_event (case_id, state, actor_kind) SELECT id, 'submitted', 'reporter' FROM c),"
    " o AS (" PK_OUTBOX_INSERT_SELECT("$20", "id", "$21") " FROM c),"
    " s AS (UPDATE reporter SET safety_sealed = $22::bytea WHERE id = $1 AND $22::bytea IS NOT NULL"
    "   AND EXISTS (SELECT 1 FROM c))"
    " SELECT id, ticket, " PK_SQL_UTC("created_at") ", true, state FROM c"
    " UNION ALL SELECT x.id, x.ticket, " PK_SQL_UTC("x.created_at") ", false, 'submitted'"
    "   FROM idempotency i JOIN cases x ON x.id = i.case_id"
    "   WHERE (SELECT holds FROM her) AND i.reporter_id = $1 AND i.key = $2 AND NOT EXISTS (SELECT 1 FROM k)"
    " UNION ALL SELECT '', '', '', false, 'limited' WHERE (SELECT holds FROM her) AND (SELECT over FROM lim)"
    "   AND NOT EXISTS (SELECT 1 FROM idempotency i WHERE i.reporter_id = $1 AND i.key = $2)"
    " UNION ALL SELECT '', '', '', false, 'no_session' WHERE NOT (SELECT holds FROM her)";
/* clang-format on */

/* The statement's parameters of `row` (the bytea ones in `hex`, which the
 * caller frees; the others in the arena or the row). */
static void s_submit_params(const intake_owner_t *o, const intake_report_row_t *row, pk_arena_t **arena,
                            const char *p[INTAKE_REPORT_PARAMS], char *hex[3])
{
    const Pelukan__V1__SubmitReport *s = row->report;
    const Pelukan__V1__ReportSubmitted *codes = s->codes;
    size_t cap = 3;
    for (size_t i = 0; i < codes->n_violence_forms; i++)
        cap += strlen(codes->violence_forms[i]) + 1;
    char *forms = pk_arena_alloc(arena, cap), *f = forms;
    *f++ = '{';
    for (size_t i = 0; i < codes->n_violence_forms; i++)
        f += sprintf(f, "%s%s", i ? "," : "", codes->violence_forms[i]);
    strcpy(f, "}");
    char *incident = pk_arena_alloc(arena, 24), *per_day = pk_arena_alloc(arena, 16);
    snprintf(incident, 24, "%lld", (long long)s->incident_at);
    snprintf(per_day, 16, "%d", o->cfg->reports_per_day);
    hex[0] = pk_pg_bytea(s->wrapped_key.data, s->wrapped_key.len);
    hex[1] = pk_pg_bytea(s->personal_sealed.data, s->personal_sealed.len);
    hex[2] = row->safety_len ? pk_pg_bytea(row->safety, row->safety_len) : NULL;
    /* The statement's $1 to $25, in order. */
    /* clang-format off */
    const char *v[INTAKE_REPORT_PARAMS] = {
        row->reporter_id, s->idempotency_key, row->case_id, hex[0], hex[1],                           /* $1-$5 */
        codes->reporter_kind, s->witness_relation, codes->victim_sex, codes->victim_age_band,         /* $6-$9 */
        codes->child_victim ? "t" : "f", s->disability ? "t" : "f", forms, codes->place_type,         /* $10-$13 */
        codes->perpetrator_relation, incident, s->incident_approx ? "t" : "f", codes->kecamatan_code, /* $14-$17 */
        codes->desa_code, codes->urgent ? "t" : "f", row->topic, row->envelope_hex, hex[2],           /* $18-$22 */
        row->ticket, per_day, s->token_hash};                                                         /* $23-$25 */
    /* clang-format on */
    memcpy(p, v, sizeof v);
}

static void s_receipt(const PGresult *r, pk_arena_t **arena, Pelukan__V1__ReportReceipt *out)
{
    if (PQntuples(r) != 1) {
        out->outcome = PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_IN_PROGRESS;
        return;
    }
    const char *state = PQgetvalue(r, 0, 4);
    if (strcmp(state, "limited") == 0) {
        out->outcome = PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_LIMITED;
        return;
    }
    if (strcmp(state, "no_session") == 0) {
        out->outcome = PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_NO_SESSION;
        return;
    }
    out->outcome = pk_pg_bool(r, 0, 3) ? PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_CREATED
                                       : PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_REPLAYED;
    out->case_id = intake_store_text(arena, r, 0, 0);
    out->ticket = intake_store_text(arena, r, 0, 1);
    out->created_at = intake_store_text(arena, r, 0, 2);
    out->state = intake_store_text(arena, r, 0, 4);
}

int intake_store_submit_many(PGconn *conn, intake_owner_t *o, const intake_report_row_t *const *rows, int n,
                             pk_arena_t **arena, Pelukan__V1__ReportReceipt *const *out)
{
    const char **p = pk_malloc((size_t)n * INTAKE_REPORT_PARAMS * sizeof *p);
    char **hex = pk_malloc((size_t)n * 3 * sizeof *hex);
    PGresult **r = pk_malloc((size_t)n * sizeof *r);
    for (int i = 0; i < n; i++)
        s_submit_params(o, rows[i], arena, p + (size_t)i * INTAKE_REPORT_PARAMS, hex + (size_t)i * 3);
    int rc = pk_pg_exec_many(&o->stmts, conn, o->log, intake_sql_report_submit, INTAKE_REPORT_PARAMS, p, n, r);
    for (int i = 0; rc == 0 && i < n; i++) {
        s_receipt(r[i], arena, out[i]);
        PQclear(r[i]);
    }
    for (int i = 0; i < 3 * n; i++)
        free(hex[i]);
    free(p);
    free(hex);
    free(r);
    return rc;
}

/* ---- the reference data, for the edge (intake_reference.c) ---- */

/* The codes a request may use, by kind. */
#define S_CODES_SQL                                                                                                    \
    "SELECT kind, code, label_id FROM category"                                                                        \
    " UNION ALL SELECT 'kecamatan', code, name FROM region WHERE level = 'kecamatan'"                                  \
    " UNION ALL SELECT 'desa', code, name FROM region WHERE level IN ('desa', 'kelurahan')"

/* {"<kind>": [{code, label_id, label_en, plain_id?, plain_en?}, ...], ...},
 * each list in the order the apps show it. */
#define S_CATALOG_SQL                                                                                                  \
    "SELECT json_object_agg(kind, items ORDER BY kind)::text FROM (SELECT kind, json_agg(jsonb_strip_nulls("           \
    "  jsonb_build_object('code', code, 'label_id', label_id, 'label_en', label_en, 'label_su', label_su,"             \
    "  'plain_id', plain_id, 'plain_en', plain_en, 'plain_su', plain_su)) ORDER BY position, code) AS items"           \
    " FROM category GROUP BY kind) k"

/* {"kecamatan": [{code, name, desa: [{code, name}, ...]}, ...]}, by code. */
#define S_REGIONS_SQL                                                                                                  \
    "SELECT json_build_object('kecamatan', json_agg(json_build_object('code', k.code, 'name', k.name,"                 \
    "  'desa', (SELECT coalesce(json_agg(json_build_object('code', d.code, 'name', d.name) ORDER BY d.code),"          \
    "  '[]'::json) FROM region d WHERE d.parent_code = k.code)) ORDER BY k.code))::text"                               \
    " FROM region k WHERE k.level = 'kecamatan'"

int intake_store_reference(PGconn *conn, const pk_log_t *log, PGresult **codes, PGresult **catalog, PGresult **regions)
{
    *codes = pk_pg_exec(conn, log, S_CODES_SQL, 0, NULL);
    *catalog = *codes ? pk_pg_exec(conn, log, S_CATALOG_SQL, 0, NULL) : NULL;
    *regions = *catalog ? pk_pg_exec(conn, log, S_REGIONS_SQL, 0, NULL) : NULL;
    if (*regions && PQntuples(*catalog) == 1 && PQntuples(*regions) == 1)
        return 0;
    PQclear(*codes);
    PQclear(*catalog);
    PQclear(*regions);
    *codes = *catalog = *regions = NULL;
    return PK_EDB;
}

PGresult *intake_store_states_named(PGconn *conn, const pk_log_t *log)
{
    return pk_pg_exec(conn, log, "SELECT code FROM category WHERE kind = 'case_state'", 0, NULL);
}
