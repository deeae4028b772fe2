/* intake_otp.c -- reporter registration: a one-time code by phone, then a
 * session. The code reaches the phone through the notification service
 * by command; at rest it is only a keyed hash, bound to the phone and to
 * the client that asked for it.
 *
 * No oracle (review H2): a wrong, expired, absent or locked code gets the
 * same answer, after the same one transaction. No lock-out by probing:
 * a client's wrong codes count against its own budget and against the
 * phone's budget for other clients, never against the reporter's own
 * code. Guesses are bounded over days (M9): per phone and day, codes are
 * limited (OTP_PER_PHONE_DAY) and so are wrong codes per client and per
 * phone (OTP_FAILS_PER_CLIENT_DAY, OTP_FAILS_PER_PHONE_DAY). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_call.h"
#include "pelukan/account.h"
#include "pelukan/netaddr.h"
#include "pelukan/util.h"

/* ---- the SQL ------------------------------------------------------------- */

/* $1 phone, $2 client, $3 phone window s, $4 client window s, $5 per
 * phone and client, $6 per client, $7 code hash, $8 ttl s, $9 per phone
 * and client and day, $10 overall per hour (the SMS budget), $11 the
 * code's holder (the request id's index), $12 the per-phone alert
 * ceiling a day. The phone's limits count one client's requests only
 * (security review N4: a stranger cannot spend the victim's); the
 * phone's own ceiling alerts instead of blocking. One row: allowed, retry
 * after, over the phone's ceiling. */
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
    " SELECT allowed, retry, alert FROM ok";

/* Verifies of one phone take turns: the budget is read and the attempt
 * counted before any comparison, atomically. */
static const char S_VERIFY_LOCK_SQL[] = "SELECT pg_advisory_xact_lock(hashtextextended('otp:' || $1, 0))";

/* $1 phone, $2 client, $3 attempts per code, $4 wrong codes per client
 * and day, $5 wrong codes per phone and day from other clients, $6 the
 * code's holder: the index of the request id the code was asked with, or
 * without one the client's (security review N4: a code is bound to its
 * request, not to an address, which changes on mobile data; strangers'
 * guesses count against their own budget and the phone's, never against
 * the holder's code). Counts this try as a failure (undone on success)
 * and returns the failure's id with each code hash this try may be
 * compared with: none when over budget. */
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

/* $1 phone, $2 new reporter id, $3 wrapped key, $4 sealed phone, $5
 * token hash, $6 session ttl s, $7 topic, $8 event, $9 the failure row of
 * this (right) try, $10 idle time s. */
static const char S_SESSION_SQL[] =
    "WITH d AS (DELETE FROM otp WHERE phone_index = $1),"
    " nf AS (DELETE FROM otp_failure WHERE id = $9::bigint),"
    " ins AS (INSERT INTO reporter (id, phone_index, wrapped_key, phone_sealed)"
    "   VALUES ($2, $1, $3::bytea, $4::bytea) ON CONFLICT (phone_index) DO NOTHING RETURNING id),"
    " who AS (SELECT coalesce((SELECT id FROM ins), (SELECT id FROM reporter WHERE phone_index = $1))"
    "   AS id),"
    " s AS (INSERT INTO session (token_hash, reporter_id, expires_at, idle_until)"
    "   SELECT $5, id, now() + make_interval(secs => $6), now() + make_interval(secs => $10) FROM who"
    "   RETURNING expires_at),"
    " ev AS (" PK_OUTBOX_INSERT_SELECT("$7", "NULL", "$8") " WHERE EXISTS (SELECT 1 FROM ins))"
                                                           " SELECT (SELECT id FROM who), (SELECT " PK_SQL_UTC(
                                                               "expires_at") " FROM s), EXISTS (SELECT 1 FROM ins)";

/* ---- helpers --------------------------------------------------------------- */

/* The keyed hash a one-time code is stored as: bound to the phone's blind
 * index, so a code is worth nothing for another phone. */
static void s_code_hash(const pk_keyring_t *keys, const char *phone_index, const char *code, char out[65])
{
    char material[160];
    snprintf(material, sizeof material, "%s:%s", phone_index, code);
    pk_blind_index(keys, "otp", material, strlen(material), out);
    sodium_memzero(material, sizeof material);
}

/* The client's limit bucket (an IPv6 /64), as a keyed hash. */
static void s_client_index(const intake_t *in, pk_http_req_t *req, char out[65])
{
    char bucket[PK_ADDR_TEXT_MAX];
    pk_client_bucket(pk_http_client(req), bucket);
    pk_blind_index(in->keys, "client", bucket, strlen(bucket), out);
}

static void s_int(char *buf, size_t len, int v)
{
    snprintf(buf, len, "%d", v);
}

/* ---- POST /v1/auth/otp ------------------------------------------------- */

static void s_otp_done(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    intake_t *in = c->in;
    if (status != 0) {
        intake_db_error(c, txn, status);
    } else {
        const PGresult *r = pk_db_txn_result(txn, 0);
        if (pk_pg_bool(r, 0, 2)) {
            /* Many clients asking for one phone's codes: staff look (N4). */
            pk_metric_add(in->m_otp_phone_alert, 1);
            intake_log_warn(c, "codes for one phone asked by many clients today (over %d): an attack or a mistake",
                            in->otp_phone_alert_day);
        }
        if (!pk_pg_bool(r, 0, 0)) {
            pk_metric_add(in->m_rejected, 1);
            pk_http_add_header(c->req, "Retry-After", PQgetvalue(r, 0, 1));
            intake_error(c->req, 429, "too_many_requests", "Terlalu banyak permintaan kode, coba lagi nanti", NULL);
        } else {
            intake_notify_otp(in->notify, c->phone, c->token);
            if (in->dev_print_otp)
                intake_log_warn(c, "DEVELOPMENT: one-time code %s (PELUKAN_INTAKE_DEV_PRINT_OTP is on)", c->token);
            intake_json(
                c->req, 202,
                json_pack("{s:s, s:i, s:s}", "status", "sent", "expires_in", in->otp_ttl_s, "request_id", c->case_id));
        }
    }
    sodium_memzero(c->token, sizeof c->token);
    intake_call_free(c);
}

void intake_otp_request(pk_http_req_t *req, void *arg)
{
    intake_call_t *c = intake_call_new(arg, req);
    intake_t *in = c->in;
    if (!(c->body = intake_body(req))) {
        intake_call_free(c);
        return;
    }
    /* A field besides the phone is named as what is wrong, not the phone
     * (contracts review D1). */
    static const char *const only_phone[] = {"phone", NULL};
    json_t *extra = json_object();
    intake_only_fields(c->body, only_phone, extra);
    if (intake_invalid(c, extra, "Data tidak valid"))
        return;
    json_t *phone = json_object_get(c->body, "phone");
    if (!json_is_string(phone) || pk_phone_normalize(json_string_value(phone), c->phone) != 0) {
        intake_error(req, 422, "invalid_phone", "Nomor HP tidak valid",
                     json_pack("{s:s}", "phone", "gunakan nomor seluler Indonesia, mis. 0812xxxxxxxx"));
        intake_call_free(c);
        return;
    }
    char phone_index[65], client_index[65], code_hash[65], holder[65];
    pk_blind_index(in->keys, "phone", c->phone, strlen(c->phone), phone_index);
    s_client_index(in, req, client_index);
    /* The request id: only the app that asked holds it (N4). */
    pk_id_new(c->case_id);
    pk_blind_index(in->keys, "otp-request", c->case_id, strlen(c->case_id), holder);
    /* Six digits, uniformly drawn; kept only as a keyed hash. */
    snprintf(c->token, sizeof c->token, "%06u", randombytes_uniform(1000000));
    s_code_hash(in->keys, phone_index, c->token, code_hash);
    char pw[16], cw[16], pm[16], cm[16], ttl[16], pd[16], all[16];
    s_int(pw, sizeof pw, in->otp_phone_window_s);
    s_int(cw, sizeof cw, in->otp_client_window_s);
    s_int(pm, sizeof pm, in->otp_per_phone);
    s_int(cm, sizeof cm, in->otp_per_client);
    s_int(ttl, sizeof ttl, in->otp_ttl_s);
    s_int(pd, sizeof pd, in->otp_per_phone_day);
    s_int(all, sizeof all, in->otp_per_hour);
    char alert[16];
    s_int(alert, sizeof alert, in->otp_phone_alert_day);
    const char *p[] = {phone_index, client_index, pw, cw, pm, cm, code_hash, ttl, pd, all, holder, alert};
    pk_db_txn_t *txn = pk_db_txn_new(in->db);
    pk_db_txn_add(txn, S_REQUEST_SQL, 12, p);
    pk_db_txn_submit(txn, s_otp_done, c);
}

/* ---- POST /v1/auth/otp/verify ------------------------------------------ */

static void s_session_done(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (status != 0) {
        intake_db_error(c, txn, status);
    } else {
        const PGresult *r = pk_db_txn_result(txn, 0);
        if (pk_pg_bool(r, 0, 2))
            pk_relay_kick(pk_service_relay(c->in->svc));
        intake_json(c->req, 200,
                    json_pack("{s:s, s:s, s:s}", "token", c->token, "reporter_id", PQgetvalue(r, 0, 0), "expires_at",
                              PQgetvalue(r, 0, 1)));
    }
    sodium_memzero(c->token, sizeof c->token);
    intake_call_free(c);
}

/* The code matched: one transaction consumes the phone's codes, undoes
 * this try's failure, registers the reporter if new (with the
 * ReporterRegistered event), and opens a session. */
static void s_open_session(intake_call_t *c, const char *phone_index, const char *failure_id)
{
    intake_t *in = c->in;
    char id[PK_ID_HEX_LEN + 1], context[64];
    pk_id_new(id);
    snprintf(context, sizeof context, "reporter:%s", id);
    uint8_t key[PK_DATAKEY_BYTES], wrapped[PK_WRAPPED_KEY_BYTES];
    pk_datakey_new(in->keys, context, key, wrapped);
    size_t plen = strlen(c->phone);
    uint8_t sealed[64];
    char seal_ctx[80];
    snprintf(seal_ctx, sizeof seal_ctx, "%s:phone", context);
    pk_seal(key, seal_ctx, c->phone, plen, sealed);
    sodium_memzero(key, sizeof key);
    uint8_t tok[32];
    randombytes_buf(tok, sizeof tok);
    pk_hex(tok, sizeof tok, c->token);
    char token_hash[65], ttl[16], idle[16];
    intake_token_hash(c->token, token_hash);
    s_int(ttl, sizeof ttl, in->session_ttl_s);
    s_int(idle, sizeof idle, in->session_idle_s);

    Pelukan__V1__Envelope env;
    Pelukan__V1__Actor actor;
    uint8_t eid[16];
    intake_envelope(c, id, NULL, &env, eid, &actor);
    Pelukan__V1__ReporterRegistered rr = PELUKAN__V1__REPORTER_REGISTERED__INIT;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REPORTER_REGISTERED;
    env.reporter_registered = &rr;
    char topic[128], *env_hex;
    pk_outbox_params(&env, topic, &env_hex);
    char *wrapped_hex = pk_pg_bytea(wrapped, sizeof wrapped),
         *sealed_hex = pk_pg_bytea(sealed, plen + PK_SEAL_OVERHEAD);
    const char *p[] = {phone_index, id, wrapped_hex, sealed_hex, token_hash, ttl, topic, env_hex, failure_id, idle};
    pk_db_txn_t *txn = pk_db_txn_new(in->db);
    pk_db_txn_add(txn, S_SESSION_SQL, 10, p);
    free(wrapped_hex);
    free(sealed_hex);
    free(env_hex);
    pk_db_txn_submit(txn, s_session_done, c);
}

static void s_verify_done(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    intake_t *in = c->in;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 1);
    char phone_index[65], hash[65];
    pk_blind_index(in->keys, "phone", c->phone, strlen(c->phone), phone_index);
    s_code_hash(in->keys, phone_index, c->token, hash);
    /* Every candidate is compared, so the time says nothing either. */
    int match = -1;
    for (int i = 0; i < PQntuples(r); i++)
        if (pk_memcmp_ct(hash, PQgetvalue(r, i, 1), 64) == 0)
            match = i;
    if (match >= 0) {
        s_open_session(c, phone_index, PQgetvalue(r, match, 0));
        return;
    }
    pk_metric_add(in->m_rejected, 1);
    /* To the app holding the request id only (nobody else knows it): a
     * refusal for another reason than a wrong code says so (N4). */
    const char *own = PQgetvalue(pk_db_txn_result(txn, 2), 0, 0);
    if (c->otp_holder && strcmp(own, "expired") == 0)
        intake_error(c->req, 401, "otp_expired", "Kode ini sudah kedaluwarsa. Minta kode baru", NULL);
    else if (c->otp_holder && strcmp(own, "exhausted") == 0)
        intake_error(c->req, 401, "otp_attempts_exhausted", "Terlalu banyak kode salah untuk kode ini. Minta kode baru",
                     NULL);
    else
        intake_error(c->req, 401, "otp_invalid",
                     "Kode salah atau sudah tidak berlaku. Periksa lagi, atau minta kode baru", NULL);
    intake_call_free(c);
}

void intake_otp_verify(pk_http_req_t *req, void *arg)
{
    intake_call_t *c = intake_call_new(arg, req);
    intake_t *in = c->in;
    if (!(c->body = intake_body(req))) {
        intake_call_free(c);
        return;
    }
    json_t *fields = json_object();
    json_t *phone = json_object_get(c->body, "phone"), *code = json_object_get(c->body, "code"),
           *request = json_object_get(c->body, "request_id");
    if (!json_is_string(phone) || pk_phone_normalize(json_string_value(phone), c->phone) != 0)
        json_object_set_new(fields, "phone", json_string("nomor HP tidak valid"));
    if (!json_is_string(code) || json_string_length(code) != 6 || strspn(json_string_value(code), "0123456789") != 6)
        json_object_set_new(fields, "code", json_string("kode terdiri dari 6 angka"));
    if (request && !(json_is_string(request) && pk_id_ok(json_string_value(request))))
        json_object_set_new(fields, "request_id", json_string("request_id dari permintaan kode"));
    if (json_object_size(c->body) != 2u + (request != NULL) && json_object_size(fields) == 0)
        json_object_set_new(fields, "body", json_string("hanya phone, code dan request_id"));
    if (intake_invalid(c, fields, "Data tidak valid"))
        return;
    snprintf(c->token, sizeof c->token, "%s", json_string_value(code));
    char phone_index[65], client_index[65], holder[65], max[16], per_client[16], per_phone[16];
    pk_blind_index(in->keys, "phone", c->phone, strlen(c->phone), phone_index);
    s_client_index(in, req, client_index);
    if (request)
        pk_blind_index(in->keys, "otp-request", json_string_value(request), strlen(json_string_value(request)), holder);
    else
        memcpy(holder, client_index, sizeof holder); /* an app of before request ids: its address */
    c->otp_holder = request != NULL;
    s_int(max, sizeof max, in->otp_max_attempts);
    s_int(per_client, sizeof per_client, in->otp_fails_per_client_day);
    s_int(per_phone, sizeof per_phone, in->otp_fails_per_phone_day);
    const char *p[] = {phone_index, client_index, max, per_client, per_phone, holder},
               *q[] = {phone_index, holder, max};
    pk_db_txn_t *txn = pk_db_txn_new(in->db);
    pk_db_txn_add(txn, S_VERIFY_LOCK_SQL, 1, p);
    pk_db_txn_add(txn, S_VERIFY_SQL, 6, p);
    /* The holder's own code: why it was refused, said to the holder only. */
    pk_db_txn_add(txn,
                  "SELECT coalesce((SELECT CASE WHEN expires_at <= now() THEN 'expired' WHEN attempts >= $3::int"
                  " THEN 'exhausted' ELSE 'open' END FROM otp WHERE phone_index = $1 AND request_index = $2), 'none')",
                  3, q);

    pk_db_txn_submit(txn, s_verify_done, c);
}
