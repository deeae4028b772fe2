/* edge_login.c -- a staff member's password, on the edge: the login and
 * the password change. The edge checks the body, throttles by client and
 * account, and runs Argon2id on its thread pool within the password slots
 * (edge_password.c), never in the case owner's workers (issue 24,
 * decision 1). The owner keeps the accounts (intake_login.c): it claims
 * each check before it runs (ClaimPassword: the try counted, the lock-out
 * its event), opens the session of a right password (OpenSession) and
 * keeps a new one (SetPassword). */
#include "edge_login.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../intake/intake_case.h"
#include "edge_call.h"
#include "edge_forward.h"
#include "edge_password.h"
#include "edge_throttle.h"
#include "pelukan/util.h"

#define S_TOKEN_PREFIX  "stf_"
#define S_DEVICE_PREFIX "dev_"

/* A login in flight: the checks it holds of its client's and its
 * account's (edge_throttle.c), its new session's token, and the device it
 * came from. */
typedef struct {
    edge_call_t c;
    char throttle_client[48];
    char throttle_account[72];
    char token[72];        /* "stf_" + 64 hex, once the password is right */
    char device_hash[65];  /* its known-device token, hashed */
    char device_token[72]; /* ... the token itself (or a new one, at a login without one) */
    bool device_through;   /* ... which let it through its account's lock-out */
} s_login_t;

static void s_login_clear(edge_call_t *c)
{
    s_login_t *l = (s_login_t *)c;
    if (l->throttle_client[0])
        intake_throttle_done(c->in->throttle, l->throttle_client);
    if (l->throttle_account[0])
        intake_throttle_done(c->in->account_throttle, l->throttle_account);
    sodium_memzero(l->token, sizeof l->token);
    sodium_memzero(l->device_token, sizeof l->device_token);
}

/* An Argon2id hash (the same limits as pk_password_hash) of 32 random
 * bytes nobody kept: an unknown, disabled or locked account is checked
 * against it, so that it costs what a known one costs and tells nothing
 * (security review M3). Kept as text rather than made at start-up, which
 * would cost 64 MiB of peak memory. */
static const char s_nobody_hash[] = "$argon2id$v=19$m=65536,t=2,p=1$QxJ1wXu8ktmvYXrQAXzOaw$"
                                    "FOSA1fNVqTdG2tT3Ig3YGldPolkZmZcaZz2onZfC9w4";

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

/* Asks the owner to claim a check of `login`'s password (a login, as the
 * edge's SYSTEM actor "login") or of the staff member's own (login NULL).
 * A claim counts a try and its answer (a hash) is not stored, so it is
 * sent once, with the time its copies had: a copy that came after the
 * first had run (its answer still on the way) counted the try again. A
 * copy that comes while the first runs is dropped by the owner (test
 * staff::the_lock_out_holds...). An answer lost is a 503: she tries again. */
static void s_claim(edge_call_t *c, const char *login, pk_rpc_uv_done_fn done)
{
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    Pelukan__V1__ClaimPassword cp = PELUKAN__V1__CLAIM_PASSWORD__INIT;
    if (login) {
        intake_cmd_system(c, &req, &actor, "login");
        cp.login = (char *)login;
        cp.device_hash = ((s_login_t *)c)->device_hash;
    } else {
        intake_cmd_init(c, &req, &actor, NULL);
    }
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_CLAIM_PASSWORD;
    req.claim_password = &cp;
    pk_rpc_uv_call(c->in->owner, &req, INTAKE_OWNER_TIMEOUT_MS * (INTAKE_OWNER_RETRIES + 1), 0, done, c);
}

/* The claim's account (or none) into the call; the hash to check against. */
static const char *s_claimed(edge_call_t *c, const Pelukan__V1__PasswordClaim *claim, bool *through)
{
    if (!claim->staff_id[0])
        return s_nobody_hash; /* unknown, disabled or locked: as costly as a known login */
    snprintf(c->staff_id, sizeof c->staff_id, "%s", claim->staff_id);
    snprintf(c->staff_role, sizeof c->staff_role, "%s", claim->role);
    snprintf(c->staff_agency, sizeof c->staff_agency, "%s", claim->agency_code);
    c->role_bit = intake_role_bit(c->staff_role);
    if (through)
        *through = claim->through;
    return claim->password_hash;
}

/* The claim answered: its hash checked on the thread pool, then wiped;
 * whether a known device got through a lock-out into `through` (a login's). */
static void s_check(edge_call_t *c, int rc, const Pelukan__V1__CommandReply *reply, const char *field,
                    intake_pw_done_fn checked, bool *through)
{
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    const Pelukan__V1__PasswordClaim *claim =
        reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_PASSWORD_CLAIM ? reply->password_claim : NULL;
    if (!claim) {
        intake_error(c->req, 503, "unavailable", "Layanan sedang tidak tersedia, coba lagi", NULL);
        edge_call_free(c);
        return;
    }
    intake_pw(c, s_claimed(c, claim, through), json_string_value(json_object_get(c->body, field)), checked);
    sodium_memzero(claim->password_hash, strlen(claim->password_hash));
}

/* ---- POST /v1/staff/login -------------------------------------------------- */

static void s_session_made(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    const s_login_t *l = arg;
    if (rc == 0 && reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_NOT_FOUND) {
        intake_error(c->req, 401, "invalid_credentials", "Nama pengguna atau kata sandi salah", NULL);
        edge_call_free(c); /* disabled between the check and the session */
        return;
    }
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    const Pelukan__V1__StaffSession *s = reply->staff_session;
    intake_json(c->req, 200,
                json_pack("{s:s, s:s, s:b, s:s, s:{s:s, s:s, s:s, s:s, s:s?}}", "token", l->token, "expires_at",
                          s->expires_at, "password_change_required", s->password_change_required, "device",
                          l->device_token, "staff", "id", c->staff_id, "login", s->login, "display_name",
                          s->display_name, "role", c->staff_role, "agency_code",
                          c->staff_agency[0] ? c->staff_agency : NULL));
    edge_call_free(c);
}

static void s_login_checked(edge_call_t *c, int rc, const char *hash)
{
    (void)hash;
    s_login_t *l = (s_login_t *)c;
    intake_wipe_passwords(c->body);
    if (!c->staff_id[0] || rc != 0) {
        /* Unknown, disabled, locked or wrong: one answer (the try was
         * counted before the check). */
        if (c->staff_id[0])
            intake_log_warn(c, "staff login failed: wrong password for staff %s%s", c->staff_id,
                            l->device_through ? " (from a known device, through a lock-out)" : "");
        intake_error(c->req, 401, "invalid_credentials", "Nama pengguna atau kata sandi salah", NULL);
        edge_call_free(c);
        return;
    }
    if (l->device_through)
        intake_log_info(c, "staff %s signed in from a known device through a lock-out", c->staff_id);
    s_new_token(S_TOKEN_PREFIX, l->token);
    if (!l->device_token[0]) {
        s_new_token(S_DEVICE_PREFIX, l->device_token);
        intake_token_hash(l->device_token, l->device_hash);
    }
    char th[65];
    intake_token_hash(l->token, th);
    Pelukan__V1__OpenSession os = PELUKAN__V1__OPEN_SESSION__INIT;
    os.token_hash = th;
    os.device_hash = l->device_hash;
    intake_forward_send(c, INTAKE_TO_OWNER, NULL, &os.base, s_session_made);
}

static void s_login_claimed(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    s_check(arg, rc, reply, "password", s_login_checked, &((s_login_t *)arg)->device_through);
}

/* Answers 429 (with Retry-After) when `throttle` has no check left for
 * `key`; else the check is the call's until it is freed (into `held`). */
static bool s_throttled(edge_call_t *c, intake_throttle_t *throttle, const char *key, char *held, size_t cap,
                        const char *message)
{
    int wait = intake_throttle_take(throttle, key);
    if (!wait) {
        snprintf(held, cap, "%s", key);
        return false;
    }
    char secs[16];
    snprintf(secs, sizeof secs, "%d", wait);
    pk_http_add_header(c->req, "Retry-After", secs);
    intake_error(c->req, 429, "too_many_logins", message, NULL);
    edge_call_free(c);
    return true;
}

/* The body's login, password and known device; false when answered 422. */
static bool s_login_body(s_login_t *l)
{
    edge_call_t *c = &l->c;
    const char *login = json_string_value(json_object_get(c->body, "login"));
    if (!login || strlen(login) > 64) {
        intake_error(c->req, 422, "validation_failed", "Data tidak valid",
                     json_pack("{s:s}", "login", "wajib diisi, paling banyak 64 karakter"));
        edge_call_free(c);
        return false;
    }
    if (!intake_password_field(c, "password", false))
        return false;
    json_t *device = json_object_get(c->body, "device");
    const char *dev = json_string_value(device);
    if (device && !(dev && strlen(dev) == 68 && strncmp(dev, S_DEVICE_PREFIX, 4) == 0 &&
                    strspn(dev + 4, "0123456789abcdef") == 64)) {
        intake_error(c->req, 422, "validation_failed", "Data tidak valid",
                     json_pack("{s:s}", "device", "token perangkat dari masuk sebelumnya (dev_ dan 64 digit hex)"));
        edge_call_free(c);
        return false;
    }
    if (dev) {
        snprintf(l->device_token, sizeof l->device_token, "%s", dev);
        intake_token_hash(dev, l->device_hash);
    }
    return true;
}

void intake_staff_login(pk_http_req_t *req, void *arg)
{
    s_login_t *l = edge_call_new_as(arg, req, sizeof *l, s_login_clear);
    edge_call_t *c = &l->c;
    if (!(c->body = intake_body(req))) {
        edge_call_free(c);
        return;
    }
    if (!s_login_body(l))
        return;
    const char *login = json_string_value(json_object_get(c->body, "login"));
    /* Per client address, before a password slot is taken (review N6). */
    const char *client = pk_http_client(req);
    if (s_throttled(c, c->in->throttle, client && *client ? client : "unknown", l->throttle_client,
                    sizeof l->throttle_client,
                    "Terlalu banyak percobaan masuk dari alamat ini; coba lagi sebentar lagi"))
        return;
    /* Fair per account: one login's tries hold half the slots at most. */
    char account[72];
    snprintf(account, sizeof account, "account:%s", login);
    if (s_throttled(c, c->in->account_throttle, account, l->throttle_account, sizeof l->throttle_account,
                    "Terlalu banyak percobaan masuk untuk akun ini; coba lagi sebentar lagi"))
        return;
    if (intake_pw_slot(c))
        s_claim(c, login, s_login_claimed);
}

/* ---- POST /v1/staff/password ------------------------------------------------ */

static void s_password_set(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    c->in->sessions_epoch++; /* the streams of the ended sessions end too */
    pk_http_respond(c->req, 204, "application/json", "", 0);
    edge_call_free(c);
}

static void s_new_hashed(edge_call_t *c, int rc, const char *hash)
{
    if (!intake_pw_hashed(c, rc))
        return;
    char th[65];
    intake_token_hash(pk_http_header(c->req, "authorization") + 7, th);
    Pelukan__V1__SetPassword sp = PELUKAN__V1__SET_PASSWORD__INIT;
    sp.password_hash = (char *)hash;
    sp.token_hash = th;
    intake_forward_send(c, INTAKE_TO_OWNER, NULL, &sp.base, s_password_set);
}

static void s_current_checked(edge_call_t *c, int rc, const char *hash)
{
    (void)hash;
    if (rc != 0) {
        intake_wipe_passwords(c->body);
        intake_error(c->req, 403, "invalid_credentials", "Kata sandi lama salah", NULL);
        edge_call_free(c);
        return;
    }
    intake_pw(c, NULL, json_string_value(json_object_get(c->body, "new_password")), s_new_hashed);
}

static void s_password_claimed(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    s_check(arg, rc, reply, "current_password", s_current_checked, NULL);
}

/* The new password judged: then the current one's try is counted and
 * checked (a refused new password counts no try). */
static void s_password_judged(edge_call_t *c)
{
    s_claim(c, NULL, s_password_claimed);
}

void intake_staff_password(edge_call_t *c)
{
    if (!(c->body = intake_body(c->req))) {
        edge_call_free(c);
        return;
    }
    if (!intake_password_field(c, "current_password", false) || !intake_password_field(c, "new_password", true))
        return;
    const char *current = json_string_value(json_object_get(c->body, "current_password")),
               *fresh = json_string_value(json_object_get(c->body, "new_password"));
    if (strcmp(current, fresh) == 0) {
        intake_wipe_passwords(c->body);
        intake_error(c->req, 422, "validation_failed", "Data tidak valid",
                     json_pack("{s:s}", "new_password", "harus berbeda dari kata sandi lama"));
        edge_call_free(c);
        return;
    }
    if (intake_pw_slot(c))
        intake_pw_judge(c, "new_password", s_password_judged);
}
