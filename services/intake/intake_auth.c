/* intake_auth.c -- reporter registration: one-time codes by phone and
 * sessions. The code reaches the phone through the notification service
 * by command; at rest it is only a keyed hash. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_call.h"
#include "pelukan/util.h"

/* ---- authentication --------------------------------------------------- */

static void s_auth_done(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES];
    char context[64];
    if (PQntuples(r) == 1)
        snprintf(context, sizeof context, "reporter:%s", PQgetvalue(r, 0, 0));
    if (PQntuples(r) != 1 || pk_pg_bytea_get(r, 0, 1, wrapped, sizeof wrapped) != PK_WRAPPED_KEY_BYTES ||
        pk_datakey_unwrap(c->in->keys, context, wrapped, sizeof wrapped, c->reporter_key) != 0) {
        intake_error(c->req, 401, "unauthorized", "Sesi tidak berlaku, silakan masuk lagi", NULL);
        intake_call_free(c);
        return;
    }
    snprintf(c->reporter_id, sizeof c->reporter_id, "%s", PQgetvalue(r, 0, 0));
    c->next(c);
}

/* Checks "Authorization: Bearer <token>", then continues with `next`. */
void intake_authenticate(intake_call_t *c, void (*next)(intake_call_t *c))
{
    const char *h = pk_http_header(c->req, "authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0 || strlen(h + 7) != 64 || strspn(h + 7, "0123456789abcdef") != 64) {
        intake_error(c->req, 401, "unauthorized", "Masuk terlebih dahulu", NULL);
        intake_call_free(c);
        return;
    }
    char hash[65];
    intake_token_hash(h + 7, hash);
    c->next = next;
    const char *p[] = {hash};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn,
                  "SELECT s.reporter_id, r.wrapped_key FROM session s JOIN reporter r ON r.id = s.reporter_id "
                  "WHERE s.token_hash = $1 AND s.expires_at > now()",
                  1, p);
    pk_db_txn_submit(txn, s_auth_done, c);
}

/* The keyed hash a one-time code is stored as: bound to the phone's blind
 * index, so a code is worth nothing for another phone. */
static void s_code_hash(const pk_keyring_t *keys, const char *phone_index, const char *code, char out[65])
{
    char material[160];
    snprintf(material, sizeof material, "%s:%s", phone_index, code);
    pk_blind_index(keys, "otp", material, strlen(material), out);
    sodium_memzero(material, sizeof material);
}

/* ---- POST /v1/auth/otp ------------------------------------------------ */

static void s_otp_done(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    intake_t *in = c->in;
    if (status != 0) {
        intake_db_error(c, txn, status);
    } else {
        const PGresult *r = pk_db_txn_result(txn, 0);
        bool allowed = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
        if (!allowed) {
            bool by_phone = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
            char retry[16];
            snprintf(retry, sizeof retry, "%d", by_phone ? in->otp_phone_window_s : in->otp_client_window_s);
            pk_metric_add(in->m_rejected, 1);
            pk_http_add_header(c->req, "Retry-After", retry);
            intake_error(c->req, 429, "too_many_requests", "Terlalu banyak permintaan kode, coba lagi nanti", NULL);
        } else {
            intake_notify_otp(in->notify, c->phone, c->token);
            if (in->dev_print_otp)
                pk_log_warn(in->log, "DEVELOPMENT: one-time code %s (PELUKAN_INTAKE_DEV_PRINT_OTP is on)", c->token);
            intake_json(c->req, 202, json_pack("{s:s, s:i}", "status", "sent", "expires_in", in->otp_ttl_s));
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
    json_t *phone = json_object_get(c->body, "phone");
    if (json_object_size(c->body) != 1 || !json_is_string(phone) ||
        intake_phone_normalize(json_string_value(phone), c->phone) != 0) {
        intake_error(req, 422, "invalid_phone", "Nomor HP tidak valid",
                     json_pack("{s:s}", "phone", "gunakan nomor seluler Indonesia, mis. 0812xxxxxxxx"));
        intake_call_free(c);
        return;
    }
    char phone_index[65], client_index[65], code_hash[65];
    pk_blind_index(in->keys, "phone", c->phone, strlen(c->phone), phone_index);
    pk_blind_index(in->keys, "client", pk_http_peer(req), strlen(pk_http_peer(req)), client_index);
    /* Six digits, uniformly drawn; kept only as a keyed hash. */
    snprintf(c->token, sizeof c->token, "%06u", randombytes_uniform(1000000));
    s_code_hash(in->keys, phone_index, c->token, code_hash);
    char pw[16], cw[16], pm[16], cm[16], ttl[16];
    snprintf(pw, sizeof pw, "%d", in->otp_phone_window_s);
    snprintf(cw, sizeof cw, "%d", in->otp_client_window_s);
    snprintf(pm, sizeof pm, "%d", in->otp_per_phone);
    snprintf(cm, sizeof cm, "%d", in->otp_per_client);
    snprintf(ttl, sizeof ttl, "%d", in->otp_ttl_s);
    const char *p[] = {phone_index, client_index, pw, cw, pm, cm, code_hash, ttl};
    pk_db_txn_t *txn = pk_db_txn_new(in->db);
    pk_db_txn_add(txn,
                  "WITH c AS (SELECT"
                  "   (SELECT count(*) FROM otp_request WHERE phone_index = $1"
                  "     AND at > now() - make_interval(secs => $3)) AS by_phone,"
                  "   (SELECT count(*) FROM otp_request WHERE client_index = $2"
                  "     AND at > now() - make_interval(secs => $4)) AS by_client),"
                  " ok AS (SELECT by_phone < $5::int AND by_client < $6::int AS allowed,"
                  "        by_phone >= $5::int AS phone_limited FROM c),"
                  " r AS (INSERT INTO otp_request (phone_index, client_index) SELECT $1, $2 FROM ok WHERE allowed),"
                  " o AS (INSERT INTO otp (phone_index, code_hash, expires_at)"
                  "   SELECT $1, $7, now() + make_interval(secs => $8) FROM ok WHERE allowed"
                  "   ON CONFLICT (phone_index) DO UPDATE SET code_hash = EXCLUDED.code_hash,"
                  "   expires_at = EXCLUDED.expires_at, attempts = 0, created_at = now())"
                  " SELECT allowed, phone_limited FROM ok",
                  8, p);
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
        if (strcmp(PQgetvalue(r, 0, 2), "t") == 0)
            pk_relay_kick(pk_service_relay(c->in->svc));
        intake_json(c->req, 200,
                    json_pack("{s:s, s:s, s:s}", "token", c->token, "reporter_id", PQgetvalue(r, 0, 0), "expires_at",
                              PQgetvalue(r, 0, 1)));
    }
    sodium_memzero(c->token, sizeof c->token);
    intake_call_free(c);
}

/* The code matched: one transaction consumes it, registers the reporter
 * if new (with the ReporterRegistered event), and opens a session. */
static void s_open_session(intake_call_t *c, const char *phone_index)
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
    char token_hash[65], ttl[16];
    intake_token_hash(c->token, token_hash);
    snprintf(ttl, sizeof ttl, "%d", in->session_ttl_s);

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
    const char *p[] = {phone_index, id, wrapped_hex, sealed_hex, token_hash, ttl, topic, env_hex};
    pk_db_txn_t *txn = pk_db_txn_new(in->db);
    pk_db_txn_add(txn,
                  "WITH d AS (DELETE FROM otp WHERE phone_index = $1),"
                  " ins AS (INSERT INTO reporter (id, phone_index, wrapped_key, phone_sealed)"
                  "   VALUES ($2, $1, $3::bytea, $4::bytea) ON CONFLICT (phone_index) DO NOTHING RETURNING id),"
                  " who AS (SELECT coalesce((SELECT id FROM ins), (SELECT id FROM reporter WHERE phone_index = $1))"
                  "   AS id),"
                  " s AS (INSERT INTO session (token_hash, reporter_id, expires_at)"
                  "   SELECT $5, id, now() + make_interval(secs => $6) FROM who RETURNING expires_at),"
                  " ev AS (INSERT INTO outbox (topic, envelope) SELECT $7, $8::bytea WHERE EXISTS (SELECT 1 FROM ins))"
                  " SELECT (SELECT id FROM who), (SELECT to_char(expires_at AT TIME ZONE 'UTC',"
                  "   'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM s), EXISTS (SELECT 1 FROM ins)",
                  8, p);
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
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (PQntuples(r) == 0) {
        intake_error(c->req, 401, "otp_not_found", "Kode tidak berlaku, minta kode baru", NULL);
    } else if (atoi(PQgetvalue(r, 0, 2)) > in->otp_max_attempts) {
        pk_metric_add(in->m_rejected, 1);
        intake_error(c->req, 429, "otp_locked", "Terlalu banyak percobaan, minta kode baru", NULL);
    } else if (strcmp(PQgetvalue(r, 0, 1), "t") == 0) {
        intake_error(c->req, 401, "otp_expired", "Kode sudah kedaluwarsa, minta kode baru", NULL);
    } else {
        char phone_index[65], hash[65];
        pk_blind_index(in->keys, "phone", c->phone, strlen(c->phone), phone_index);
        s_code_hash(in->keys, phone_index, c->token, hash);
        if (pk_memcmp_ct(hash, PQgetvalue(r, 0, 0), 64) == 0) {
            s_open_session(c, phone_index);
            return;
        }
        int left = in->otp_max_attempts - atoi(PQgetvalue(r, 0, 2));
        intake_error(c->req, 401, "otp_invalid", "Kode salah",
                     json_pack("{s:s}", "code", left > 0 ? "kode salah" : "kode terkunci, minta kode baru"));
    }
    intake_call_free(c);
}

void intake_otp_verify(pk_http_req_t *req, void *arg)
{
    intake_call_t *c = intake_call_new(arg, req);
    if (!(c->body = intake_body(req))) {
        intake_call_free(c);
        return;
    }
    json_t *fields = json_object();
    json_t *phone = json_object_get(c->body, "phone"), *code = json_object_get(c->body, "code");
    if (!json_is_string(phone) || intake_phone_normalize(json_string_value(phone), c->phone) != 0)
        json_object_set_new(fields, "phone", json_string("nomor HP tidak valid"));
    if (!json_is_string(code) || json_string_length(code) != 6 || strspn(json_string_value(code), "0123456789") != 6)
        json_object_set_new(fields, "code", json_string("kode terdiri dari 6 angka"));
    if (json_object_size(c->body) != 2 && json_object_size(fields) == 0)
        json_object_set_new(fields, "body", json_string("hanya phone dan code"));
    if (json_object_size(fields) > 0) {
        intake_error(req, 422, "validation_failed", "Data tidak valid", fields);
        intake_call_free(c);
        return;
    }
    json_decref(fields);
    snprintf(c->token, sizeof c->token, "%s", json_string_value(code));
    char phone_index[65];
    pk_blind_index(c->in->keys, "phone", c->phone, strlen(c->phone), phone_index);
    const char *p[] = {phone_index};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    /* Every try counts, right or wrong, before the comparison. */
    pk_db_txn_add(txn,
                  "UPDATE otp SET attempts = attempts + 1 WHERE phone_index = $1"
                  " RETURNING code_hash, expires_at < now(), attempts",
                  1, p);
    pk_db_txn_submit(txn, s_verify_done, c);
}
