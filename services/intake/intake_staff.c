/* intake_staff.c -- staff sessions: password login (Argon2id on the thread
 * pool: intake_password.c), expiring sessions, lock-out after repeated
 * failures, logout, password change, and each account change as an event.
 * The accounts an admin manages: intake_accounts.c. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_call.h"
#include "intake_case.h"
#include "intake_password.h"
#include "intake_report.h"
#include "intake_staff.h"
#include "pelukan/account.h"
#include "pelukan/bus.h"
#include "pelukan/util.h"

#define S_TOKEN_PREFIX "stf_"

/* A password check is claimed before it runs (security review H4): one
 * statement counts the try and, at the limit, locks the account, so that
 * parallel tries cannot get more checks than the limit; a right password
 * then clears the count. An account that is locked or disabled yields no
 * row and is checked against a hash nobody knows: the same answer after
 * the same work as a wrong password (M3). The key ($1) is the login
 * (S_CLAIM_BY_LOGIN) or the staff id (S_CLAIM_BY_ID, password changes:
 * L6); $2 the limit, $3 the lock in seconds. */
#define S_CLAIM(key)                                                                                                   \
    "WITH s AS (SELECT id, CASE WHEN locked_until <= now() THEN 0 ELSE failed_logins END + 1 AS n FROM staff"          \
    "   WHERE " key " = $1 AND NOT disabled AND (locked_until IS NULL OR locked_until <= now()) FOR UPDATE)"           \
    " UPDATE staff t SET failed_logins = s.n,"                                                                         \
    "   locked_until = CASE WHEN s.n >= $2::int THEN now() + make_interval(secs => $3::int) END"                       \
    " FROM s WHERE t.id = s.id RETURNING t.id, t.role, coalesce(t.agency_code, ''), t.password_hash,"                  \
    "   t.locked_until IS NOT NULL"
static const char S_CLAIM_BY_ID[] = S_CLAIM("id");
static const char S_CLEAR_SQL[] = "UPDATE staff SET failed_logins = 0, locked_until = NULL WHERE id = $1";

/* A login's claim (security review N6): as S_CLAIM, except that a device
 * that signed in to the account before ($4: its token's hash) gets through
 * the account's lock-out with its own budget of wrong tries (claimed the
 * same way, before the check), so that a stranger's wrong passwords keep
 * the stranger out, not the owner. Returns as S_CLAIM, then whether it got
 * through a lock. */
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

/* A right password: the count is cleared (not a lock a known device got
 * through), the device (the token it sent, or a new one: $2 its hash) is
 * known to the account from now on with its budget full, and at most the
 * S_DEVICES most recent devices of the account are kept. One token serves
 * every account signed in from the browser, so it names no one. */
#define S_DEVICES "5"
static const char S_LOGIN_CLEAR_SQL[] =
    "UPDATE staff SET failed_logins = 0, locked_until = NULL"
    " WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now())";
static const char S_DEVICE_SQL[] =
    "INSERT INTO staff_device (staff_id, token_hash) VALUES ($1, $2)"
    " ON CONFLICT (staff_id, token_hash) DO UPDATE SET failures = 0, last_seen = now()";
static const char S_DEVICE_PRUNE_SQL[] =
    "DELETE FROM staff_device WHERE staff_id = $1 AND token_hash NOT IN"
    " (SELECT token_hash FROM staff_device WHERE staff_id = $1 ORDER BY last_seen DESC LIMIT " S_DEVICES ")";
#define S_DEVICE_PREFIX "dev_"

/* An Argon2id hash (the same limits as pk_password_hash) of 32 random
 * bytes nobody kept: an unknown or disabled login is checked against it,
 * so that it costs what a known one costs and tells nothing. Kept as text
 * rather than made at start-up, which would cost 64 MiB of peak memory. */
static const char s_nobody_hash[] = "$argon2id$v=19$m=65536,t=2,p=1$QxJ1wXu8ktmvYXrQAXzOaw$"
                                    "FOSA1fNVqTdG2tT3Ig3YGldPolkZmZcaZz2onZfC9w4";

/* ---- authentication ------------------------------------------------------ */

typedef struct {
    intake_call_t *c;
    unsigned roles;
    void (*next)(intake_call_t *c);
} s_auth_t;

static void s_staff_auth_done(pk_db_txn_t *txn, int status, void *arg)
{
    s_auth_t *a = arg;
    intake_call_t *c = a->c;
    unsigned roles = a->roles;
    void (*next)(intake_call_t * c) = a->next;
    free(a);
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (PQntuples(r) != 1) {
        intake_error(c->req, 401, "unauthorized", "Sesi tidak berlaku, silakan masuk lagi", NULL);
        intake_call_free(c);
        return;
    }
    snprintf(c->staff_id, sizeof c->staff_id, "%s", PQgetvalue(r, 0, 0));
    snprintf(c->staff_role, sizeof c->staff_role, "%s", PQgetvalue(r, 0, 1));
    snprintf(c->staff_agency, sizeof c->staff_agency, "%s", PQgetvalue(r, 0, 2));
    snprintf(c->staff_name, sizeof c->staff_name, "%s", PQgetvalue(r, 0, 4));
    c->role_bit = intake_role_bit(c->staff_role);
    if (!(c->role_bit & roles)) {
        intake_error(c->req, 403, "forbidden", "Peran Anda tidak berhak atas tindakan ini",
                     json_pack("{s:s}", "role", c->staff_role));
        intake_call_free(c);
        return;
    }
    /* A password someone else set (a reset) opens nothing but its change
     * (security review N1). */
    const char *pattern = c->route ? c->route->pattern : "";
    if (pk_pg_bool(r, 0, 3) && strcmp(pattern, "/v1/staff/password") != 0 && strcmp(pattern, "/v1/staff/logout") != 0) {
        intake_error(c->req, 403, "password_change_required",
                     "Kata sandi Anda diatur ulang oleh orang lain: ganti dulu dengan kata sandi Anda sendiri", NULL);
        intake_call_free(c);
        return;
    }
    next(c);
}

/* The token after "Bearer stf_", or NULL. */
static const char *s_staff_token(pk_http_req_t *req)
{
    const char *h = pk_http_header(req, "authorization");
    size_t plen = strlen(S_TOKEN_PREFIX);
    if (!h || strncmp(h, "Bearer " S_TOKEN_PREFIX, 7 + plen) != 0)
        return NULL;
    const char *t = h + 7;
    return strlen(t + plen) == 64 && strspn(t + plen, "0123456789abcdef") == 64 ? t : NULL;
}

bool intake_staff_token_hash(pk_http_req_t *req, char out[65])
{
    const char *token = s_staff_token(req);
    if (token)
        intake_token_hash(token, out);
    return token != NULL;
}

void intake_staff_authenticate(intake_call_t *c, unsigned roles, void (*next)(intake_call_t *c))
{
    const char *token = s_staff_token(c->req);
    if (!token) {
        intake_error(c->req, 401, "unauthorized", "Masuk sebagai petugas terlebih dahulu", NULL);
        intake_call_free(c);
        return;
    }
    char hash[65];
    intake_token_hash(token, hash);
    s_auth_t *a = pk_calloc(1, sizeof *a);
    *a = (s_auth_t){c, roles, next};
    const char *p[] = {hash};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(
        txn,
        "SELECT s.id, s.role, coalesce(s.agency_code, ''), s.must_change_password, s.display_name FROM staff_session x"
        " JOIN staff s ON s.id = x.staff_id WHERE x.token_hash = $1 AND x.expires_at > now() AND NOT s.disabled",
        1, p);
    pk_db_txn_submit(txn, s_staff_auth_done, a);
}

void intake_staff_envelope(const intake_call_t *c, const char *case_id, Pelukan__V1__Envelope *env, uint8_t eid[16],
                           Pelukan__V1__Actor *actor)
{
    pk_envelope_init(env, eid, "intake", case_id, pk_http_request_id(c->req));
    pelukan__v1__actor__init(actor);
    actor->kind =
        c->role_bit == INTAKE_AGENCY ? PELUKAN__V1__ACTOR__KIND__KIND_AGENCY : PELUKAN__V1__ACTOR__KIND__KIND_STAFF;
    actor->id = (char *)c->staff_id;
    actor->role = (char *)c->staff_role;
    env->actor = actor;
}

/* ---- account changes as events (security review N1) ---------------------------- */

/* The StaffAccountChanged event of `target` (role `role`) by `actor`, as a
 * statement of `txn`. */
static void s_change_event_add(pk_db_txn_t *txn, Pelukan__V1__Envelope *env, const char *target, const char *role,
                               Pelukan__V1__StaffAccountChanged__Change change)
{
    Pelukan__V1__StaffAccountChanged ev = PELUKAN__V1__STAFF_ACCOUNT_CHANGED__INIT;
    ev.staff_id = (char *)target;
    ev.role = (char *)role;
    ev.change = change;
    env->payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_STAFF_ACCOUNT_CHANGED;
    env->staff_account_changed = &ev;
    char topic[128], *hex;
    pk_outbox_params(env, topic, &hex);
    const char *p[] = {topic, "", hex};
    pk_db_txn_add(txn, PK_OUTBOX_INSERT_SQL, 3, p);
    free(hex);
}

static void s_locked_out_done(pk_db_txn_t *txn, int status, void *arg)
{
    (void)txn;
    if (status != 0)
        pk_log_warn(((intake_t *)arg)->log, "the lock-out event was not recorded: %s", pk_strerror(status));
}

/* Wrong passwords locked `staff_id` out: an event by intake itself (its
 * owner is told by e-mail, from it). */
static void s_locked_out(intake_t *in, const char *staff_id, const char *role)
{
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    pk_envelope_init(&env, eid, "intake", "", NULL);
    actor.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    actor.id = "intake";
    env.actor = &actor;
    pk_db_txn_t *txn = pk_db_txn_new(in->db);
    s_change_event_add(txn, &env, staff_id, role, PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_LOCKED_OUT);
    pk_db_txn_submit(txn, s_locked_out_done, in);
    pk_log_warn(in->log, "staff %s locked out after wrong passwords", staff_id);
}

/* Claims a password check of the account `key` names (see S_CLAIM; a
 * login's with its device, S_CLAIM_LOGIN_SQL). */
static void s_claim(intake_call_t *c, const char *sql, const char *key, pk_db_txn_fn done)
{
    char max[16], lock[16];
    snprintf(max, sizeof max, "%d", c->in->staff_max_failures);
    snprintf(lock, sizeof lock, "%d", c->in->staff_lock_s);
    const char *p[] = {key, max, lock, c->device_hash};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, sql, sql == S_CLAIM_LOGIN_SQL ? 4 : 3, p);
    pk_db_txn_submit(txn, done, c);
}

/* ---- POST /v1/staff/login -------------------------------------------------- */

static void s_session_made(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 1);
    json_t *device = json_string(c->device_token);
    intake_json(c->req, 200,
                json_pack("{s:s, s:s, s:b, s:o, s:{s:s, s:s, s:s, s:s, s:s?}}", "token", c->token, "expires_at",
                          PQgetvalue(r, 0, 0), "password_change_required", pk_pg_bool(r, 0, 3), "device", device,
                          "staff", "id", c->staff_id, "login", PQgetvalue(r, 0, 1), "display_name", PQgetvalue(r, 0, 2),
                          "role", c->staff_role, "agency_code", c->staff_agency[0] ? c->staff_agency : NULL));
    sodium_memzero(c->token, sizeof c->token);
    sodium_memzero(c->device_token, sizeof c->device_token);
    intake_call_free(c);
}

/* A new random token "<prefix><64 hex>" into `out`. */
static void s_new_token(const char *prefix, char *out)
{
    uint8_t raw[32];
    randombytes_buf(raw, sizeof raw);
    size_t plen = strlen(prefix);
    memcpy(out, prefix, plen);
    pk_hex(raw, sizeof raw, out + plen);
    sodium_memzero(raw, sizeof raw);
}

static void s_login_checked(intake_call_t *c, int rc, const char *hash)
{
    (void)hash;
    intake_t *in = c->in;
    intake_wipe_passwords(c->body);
    if (!c->staff_id[0] || rc != 0) {
        /* Unknown, disabled, locked or wrong: one answer (the try was
         * counted before the check). */
        if (c->staff_id[0])
            intake_log_warn(c, "staff login failed: wrong password for staff %s%s", c->staff_id,
                            c->device_through ? " (from a known device, through a lock-out)" : "");
        intake_error(c->req, 401, "invalid_credentials", "Nama pengguna atau kata sandi salah", NULL);
        intake_call_free(c);
        return;
    }
    if (c->device_through)
        intake_log_info(c, "staff %s signed in from a known device through a lock-out", c->staff_id);
    s_new_token(S_TOKEN_PREFIX, c->token);
    if (!c->device_token[0]) {
        s_new_token(S_DEVICE_PREFIX, c->device_token);
        intake_token_hash(c->device_token, c->device_hash);
    }
    char th[65], ttl[16];
    intake_token_hash(c->token, th);
    snprintf(ttl, sizeof ttl, "%d", in->staff_session_ttl_s);
    const char *p[] = {c->staff_id, th, ttl}, *d[] = {c->staff_id, c->device_hash};
    pk_db_txn_t *txn = pk_db_txn_new(in->db);
    pk_db_txn_add(txn, S_LOGIN_CLEAR_SQL, 1, p);
    pk_db_txn_add(txn,
                  "WITH s AS (INSERT INTO staff_session (token_hash, staff_id, expires_at)"
                  "   VALUES ($2, $1, now() + make_interval(secs => $3::int)) RETURNING expires_at)"
                  " SELECT " PK_SQL_UTC("s.expires_at") ", t.login, t.display_name, t.must_change_password"
                                                        " FROM s, staff t WHERE t.id = $1",
                  3, p);
    pk_db_txn_add(txn, S_DEVICE_SQL, 2, d);
    pk_db_txn_add(txn, S_DEVICE_PRUNE_SQL, 1, d);
    pk_db_txn_submit(txn, s_session_made, c);
}

static void s_login_found(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    const char *password = json_string_value(json_object_get(c->body, "password"));
    if (PQntuples(r) == 1) {
        snprintf(c->staff_id, sizeof c->staff_id, "%s", PQgetvalue(r, 0, 0));
        snprintf(c->staff_role, sizeof c->staff_role, "%s", PQgetvalue(r, 0, 1));
        snprintf(c->staff_agency, sizeof c->staff_agency, "%s", PQgetvalue(r, 0, 2));
        if (pk_pg_bool(r, 0, 4))
            s_locked_out(c->in, c->staff_id, c->staff_role);
        c->device_through = pk_pg_bool(r, 0, 5);
        intake_pw(c, PQgetvalue(r, 0, 3), password, s_login_checked);
    } else {
        /* Unknown, disabled or locked: checked against a hash of nothing
         * anyone knows, so that it costs as much as a known login. */
        intake_pw(c, s_nobody_hash, password, s_login_checked);
    }
}

void intake_staff_login(pk_http_req_t *req, void *arg)
{
    intake_call_t *c = intake_call_new(arg, req);
    if (!(c->body = intake_body(req))) {
        intake_call_free(c);
        return;
    }
    const char *login = json_string_value(json_object_get(c->body, "login"));
    if (!login || strlen(login) > 64) {
        intake_error(c->req, 422, "validation_failed", "Data tidak valid",
                     json_pack("{s:s}", "login", "wajib diisi, paling banyak 64 karakter"));
        intake_call_free(c);
        return;
    }
    if (!intake_password_field(c, "password", false))
        return;
    json_t *device = json_object_get(c->body, "device");
    const char *dev = json_string_value(device);
    if (device && !(dev && strlen(dev) == 68 && strncmp(dev, S_DEVICE_PREFIX, 4) == 0 &&
                    strspn(dev + 4, "0123456789abcdef") == 64)) {
        intake_error(c->req, 422, "validation_failed", "Data tidak valid",
                     json_pack("{s:s}", "device", "token perangkat dari masuk sebelumnya (dev_ dan 64 digit hex)"));
        intake_call_free(c);
        return;
    }
    if (dev) {
        snprintf(c->device_token, sizeof c->device_token, "%s", dev);
        intake_token_hash(dev, c->device_hash);
    }
    /* Per client address, before a password slot is taken (review N6). */
    const char *client = pk_http_client(req);
    if (!client || !*client)
        client = "unknown";
    int wait = intake_throttle_take(c->in->throttle, client);
    if (wait) {
        char secs[16];
        snprintf(secs, sizeof secs, "%d", wait);
        pk_http_add_header(c->req, "Retry-After", secs);
        intake_error(c->req, 429, "too_many_logins",
                     "Terlalu banyak percobaan masuk dari alamat ini; coba lagi sebentar lagi", NULL);
        intake_call_free(c);
        return;
    }
    snprintf(c->throttle_client, sizeof c->throttle_client, "%s", client);
    /* Fair per account: one login's tries hold half the slots at most. */
    char account[72];
    snprintf(account, sizeof account, "account:%s", login);
    if (intake_throttle_take(c->in->account_throttle, account)) {
        pk_http_add_header(c->req, "Retry-After", "1");
        intake_error(c->req, 429, "too_many_logins",
                     "Terlalu banyak percobaan masuk untuk akun ini; coba lagi sebentar lagi", NULL);
        intake_call_free(c);
        return;
    }
    snprintf(c->throttle_account, sizeof c->throttle_account, "%s", account);
    if (!intake_pw_slot(c))
        return;
    s_claim(c, S_CLAIM_LOGIN_SQL, login, s_login_found);
}

/* ---- POST /v1/staff/password ------------------------------------------------ */

/* Sessions ended: the live streams that lived on them end too. */
static void s_sessions_ended(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (status == 0)
        c->in->sessions_epoch++; /* the streams check their sessions at once */
    intake_no_content(txn, status, arg);
}

static void s_new_hashed(intake_call_t *c, int rc, const char *hash)
{
    if (!intake_pw_hashed(c, rc))
        return;
    char th[65];
    intake_token_hash(s_staff_token(c->req), th);
    const char *p[] = {c->staff_id, hash}, *q[] = {c->staff_id, th};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, S_CLEAR_SQL, 1, p);
    pk_db_txn_add(txn,
                  "UPDATE staff SET password_hash = $2, password_changed_at = now(), must_change_password = false"
                  " WHERE id = $1",
                  2, p);
    /* Every other session of the account ends with the old password. */
    pk_db_txn_add(txn, "DELETE FROM staff_session WHERE staff_id = $1 AND token_hash <> $2", 2, q);
    pk_db_txn_submit(txn, s_sessions_ended, c);
}

static void s_current_checked(intake_call_t *c, int rc, const char *hash)
{
    (void)hash;
    if (rc != 0) {
        intake_wipe_passwords(c->body);
        intake_error(c->req, 403, "invalid_credentials", "Kata sandi lama salah", NULL);
        intake_call_free(c);
        return;
    }
    intake_pw(c, NULL, json_string_value(json_object_get(c->body, "new_password")), s_new_hashed);
}

static void s_password_found(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (PQntuples(r) == 1 && pk_pg_bool(r, 0, 4))
        s_locked_out(c->in, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
    /* Locked by wrong tries: the same answer as a wrong password. */
    intake_pw(c, PQntuples(r) == 1 ? PQgetvalue(r, 0, 3) : s_nobody_hash,
              json_string_value(json_object_get(c->body, "current_password")), s_current_checked);
}

void intake_staff_password(intake_call_t *c)
{
    if (!(c->body = intake_body(c->req))) {
        intake_call_free(c);
        return;
    }
    if (!intake_password_field(c, "current_password", false))
        return;
    if (!intake_password_field(c, "new_password", true))
        return;
    const char *current = json_string_value(json_object_get(c->body, "current_password")),
               *fresh = json_string_value(json_object_get(c->body, "new_password"));
    if (strcmp(current, fresh) == 0) {
        intake_wipe_passwords(c->body);
        intake_error(c->req, 422, "validation_failed", "Data tidak valid",
                     json_pack("{s:s}", "new_password", "harus berbeda dari kata sandi lama"));
        intake_call_free(c);
        return;
    }
    if (intake_pw_slot(c))
        s_claim(c, S_CLAIM_BY_ID, c->staff_id, s_password_found);
}
