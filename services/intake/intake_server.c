/* intake_server.c -- the reporter API: registration by phone code, reports,
 * and the reporter's own views. Handlers validate, then write through the
 * non-blocking database client; an answer goes out only after COMMIT. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "intake_http.h"
#include "pelukan/util.h"

#define S_FINAL_STATES "('closed','rejected','duplicate','withdrawn')"

/* One request in flight: what the handler knows between its steps. */
typedef struct s_call {
    intake_t *in;
    pk_http_req_t *req;
    char reporter_id[PK_ID_HEX_LEN + 1];
    uint8_t reporter_key[PK_DATAKEY_BYTES];
    void (*next)(struct s_call *c);
    char phone[24];
    char token[65];
    char case_id[PK_ID_HEX_LEN + 1];
    char from_state[16];
    json_t *body;
} s_call_t;

static s_call_t *s_call_new(intake_t *in, pk_http_req_t *req)
{
    s_call_t *c = pk_calloc(1, sizeof *c);
    c->in = in;
    c->req = req;
    pk_metric_add(in->m_requests, 1);
    return c;
}

static void s_call_free(s_call_t *c)
{
    sodium_memzero(c->reporter_key, sizeof c->reporter_key);
    sodium_memzero(c->phone, sizeof c->phone);
    json_decref(c->body);
    free(c);
}

/* "\x<hex>" for a bytea parameter. Caller frees. */
static char *s_bytea(const uint8_t *data, size_t len)
{
    char *out = pk_malloc(2 * len + 3);
    out[0] = '\\';
    out[1] = 'x';
    pk_hex(data, len, out + 2);
    return out;
}

/* Decodes a bytea column in text format ("\x..."). Returns its length or -1. */
static long s_bytea_get(const PGresult *res, int row, int col, uint8_t *out, size_t cap)
{
    const char *v = PQgetvalue(res, row, col);
    size_t bin = 0;
    if (strncmp(v, "\\x", 2) != 0 || sodium_hex2bin(out, cap, v + 2, strlen(v + 2), NULL, &bin, NULL) != 0)
        return -1;
    return (long)bin;
}

static void s_db_error(s_call_t *c, pk_db_txn_t *txn, int status)
{
    pk_log_error(c->in->log, "%s %s: database %s (SQLSTATE %s), answered 503", pk_http_method(c->req),
                 pk_http_path(c->req), status == PK_EDBCONN ? "connection lost" : "error",
                 pk_db_txn_sqlstate(txn));
    pk_http_add_header(c->req, "Retry-After", "2");
    intake_error(c->req, 503, "unavailable", "Layanan sedang sibuk, coba lagi sebentar", NULL);
}

static void s_token_hash(const char *token, char out[65])
{
    uint8_t d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const uint8_t *)token, strlen(token));
    pk_hex(d, sizeof d, out);
}

/* ---- authentication --------------------------------------------------- */

static void s_auth_done(pk_db_txn_t *txn, int status, void *arg)
{
    s_call_t *c = arg;
    if (status != 0) {
        s_db_error(c, txn, status);
        s_call_free(c);
        return;
    }
    const PGresult *r = pk_db_txn_result(txn, 0);
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES];
    char context[64];
    if (PQntuples(r) == 1)
        snprintf(context, sizeof context, "reporter:%s", PQgetvalue(r, 0, 0));
    if (PQntuples(r) != 1 || s_bytea_get(r, 0, 1, wrapped, sizeof wrapped) != PK_WRAPPED_KEY_BYTES ||
        pk_datakey_unwrap(c->in->keys, context, wrapped, sizeof wrapped, c->reporter_key) != 0) {
        intake_error(c->req, 401, "unauthorized", "Sesi tidak berlaku, silakan masuk lagi", NULL);
        s_call_free(c);
        return;
    }
    snprintf(c->reporter_id, sizeof c->reporter_id, "%s", PQgetvalue(r, 0, 0));
    c->next(c);
}

/* Checks "Authorization: Bearer <token>", then continues with `next`. */
static void s_authenticate(s_call_t *c, void (*next)(s_call_t *c))
{
    const char *h = pk_http_header(c->req, "authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0 || strlen(h + 7) != 64 || strspn(h + 7, "0123456789abcdef") != 64) {
        intake_error(c->req, 401, "unauthorized", "Masuk terlebih dahulu", NULL);
        s_call_free(c);
        return;
    }
    char hash[65];
    s_token_hash(h + 7, hash);
    c->next = next;
    const char *p[] = {hash};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn,
                  "SELECT s.reporter_id, r.wrapped_key FROM session s JOIN reporter r ON r.id = s.reporter_id "
                  "WHERE s.token_hash = $1 AND s.expires_at > now()",
                  1, p);
    pk_db_txn_submit(txn, s_auth_done, c);
}

/* ---- POST /v1/auth/otp ------------------------------------------------ */

static void s_otp_done(pk_db_txn_t *txn, int status, void *arg)
{
    s_call_t *c = arg;
    intake_t *in = c->in;
    if (status != 0) {
        s_db_error(c, txn, status);
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
    s_call_free(c);
}

static void s_otp_request(pk_http_req_t *req, void *arg)
{
    s_call_t *c = s_call_new(arg, req);
    intake_t *in = c->in;
    if (!(c->body = intake_body(req))) {
        s_call_free(c);
        return;
    }
    json_t *phone = json_object_get(c->body, "phone");
    if (json_object_size(c->body) != 1 || !json_is_string(phone) ||
        intake_phone_normalize(json_string_value(phone), c->phone) != 0) {
        intake_error(req, 422, "invalid_phone", "Nomor HP tidak valid",
                     json_pack("{s:s}", "phone", "gunakan nomor seluler Indonesia, mis. 0812xxxxxxxx"));
        s_call_free(c);
        return;
    }
    char phone_index[65], client_index[65], code_hash[65];
    pk_blind_index(in->keys, "phone", c->phone, strlen(c->phone), phone_index);
    pk_blind_index(in->keys, "client", pk_http_peer(req), strlen(pk_http_peer(req)), client_index);
    /* Six digits, uniformly drawn; kept only as a keyed hash. */
    snprintf(c->token, sizeof c->token, "%06u", randombytes_uniform(1000000));
    char material[160];
    snprintf(material, sizeof material, "%s:%s", phone_index, c->token);
    pk_blind_index(in->keys, "otp", material, strlen(material), code_hash);
    sodium_memzero(material, sizeof material);
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
    s_call_t *c = arg;
    if (status != 0) {
        s_db_error(c, txn, status);
    } else {
        const PGresult *r = pk_db_txn_result(txn, 0);
        if (strcmp(PQgetvalue(r, 0, 2), "t") == 0)
            pk_relay_kick(pk_service_relay(c->in->svc));
        intake_json(c->req, 200,
                    json_pack("{s:s, s:s, s:s}", "token", c->token, "reporter_id", PQgetvalue(r, 0, 0),
                              "expires_at", PQgetvalue(r, 0, 1)));
    }
    sodium_memzero(c->token, sizeof c->token);
    s_call_free(c);
}

/* The code matched: one transaction consumes it, registers the reporter
 * if new (with the ReporterRegistered event), and opens a session. */
static void s_open_session(s_call_t *c, const char *phone_index)
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
    s_token_hash(c->token, token_hash);
    snprintf(ttl, sizeof ttl, "%d", in->session_ttl_s);

    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    pk_envelope_init(&env, eid, "intake", NULL, pk_http_header(c->req, "x-request-id"));
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    actor.kind = PELUKAN__V1__ACTOR__KIND__ACTOR_KIND_REPORTER;
    actor.id = id;
    env.actor = &actor;
    Pelukan__V1__ReporterRegistered rr = PELUKAN__V1__REPORTER_REGISTERED__INIT;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REPORTER_REGISTERED;
    env.reporter_registered = &rr;
    char topic[128], *env_hex;
    pk_outbox_params(&env, topic, &env_hex);

    char *wrapped_hex = s_bytea(wrapped, sizeof wrapped), *sealed_hex = s_bytea(sealed, plen + PK_SEAL_OVERHEAD);
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
    s_call_t *c = arg;
    intake_t *in = c->in;
    if (status != 0) {
        s_db_error(c, txn, status);
        s_call_free(c);
        return;
    }
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (PQntuples(r) == 0) {
        intake_error(c->req, 401, "otp_not_found", "Kode tidak berlaku, minta kode baru", NULL);
    } else if (atoi(PQgetvalue(r, 0, 2)) > in->otp_max_attempts) {
        pk_metric_add(in->m_rejected, 1);
        intake_error(c->req, 429, "otp_locked", "Terlalu banyak percobaan, minta kode baru", NULL);
    } else if (strcmp(PQgetvalue(r, 0, 1), "t") == 0) {
        intake_error(c->req, 401, "otp_expired", "Kode sudah kedaluwarsa, minta kode baru", NULL);
    } else {
        char phone_index[65], material[160], hash[65];
        pk_blind_index(in->keys, "phone", c->phone, strlen(c->phone), phone_index);
        snprintf(material, sizeof material, "%s:%s", phone_index, c->token);
        pk_blind_index(in->keys, "otp", material, strlen(material), hash);
        sodium_memzero(material, sizeof material);
        if (pk_memcmp_ct(hash, PQgetvalue(r, 0, 0), 64) == 0) {
            s_open_session(c, phone_index);
            return;
        }
        int left = in->otp_max_attempts - atoi(PQgetvalue(r, 0, 2));
        intake_error(c->req, 401, "otp_invalid", "Kode salah",
                     json_pack("{s:s}", "code", left > 0 ? "kode salah" : "kode terkunci, minta kode baru"));
    }
    s_call_free(c);
}

static void s_otp_verify(pk_http_req_t *req, void *arg)
{
    s_call_t *c = s_call_new(arg, req);
    if (!(c->body = intake_body(req))) {
        s_call_free(c);
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
        s_call_free(c);
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

/* ---- POST /v1/reports -------------------------------------------------- */

static void s_report_done(const PGresult *r, int status, const char *sqlstate, void *arg)
{
    s_call_t *c = arg;
    if (status != 0) {
        pk_log_error(c->in->log, "POST /v1/reports: database %s (SQLSTATE %s), answered 503",
                     status == PK_EDBCONN ? "connection lost" : status == PK_ECLOSED ? "closing" : "error", sqlstate);
        pk_http_add_header(c->req, "Retry-After", "2");
        intake_error(c->req, 503, "unavailable", "Layanan sedang sibuk, coba lagi sebentar", NULL);
        s_call_free(c);
        return;
    }
    if (PQntuples(r) != 1) {
        /* A concurrent retry with the same key has not committed yet. */
        intake_error(c->req, 409, "request_in_progress", "Laporan yang sama sedang diproses, coba lagi", NULL);
        s_call_free(c);
        return;
    }
    bool created = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
    if (created) {
        pk_metric_add(c->in->m_reports, 1);
        pk_relay_kick(pk_service_relay(c->in->svc));
    } else {
        pk_http_add_header(c->req, "Idempotent-Replayed", "true");
    }
    intake_json(c->req, 201,
                json_pack("{s:s, s:s, s:s, s:s}", "case_id", PQgetvalue(r, 0, 0), "ticket", PQgetvalue(r, 0, 1),
                          "state", PQgetvalue(r, 0, 4), "created_at", PQgetvalue(r, 0, 2)));
    s_call_free(c);
}

static char *s_text_array(const intake_report_t *rep)
{
    size_t cap = 16;
    for (int i = 0; i < rep->nforms; i++)
        cap += strlen(rep->forms[i]) + 3;
    char *out = pk_malloc(cap);
    size_t n = 0;
    out[n++] = '{';
    for (int i = 0; i < rep->nforms; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "," : "", rep->forms[i]);
    out[n++] = '}';
    out[n] = '\0';
    return out;
}

static void s_report_write(s_call_t *c)
{
    intake_t *in = c->in;
    const char *key = pk_http_header(c->req, "idempotency-key");
    if (!key || !*key || strlen(key) > 128) {
        intake_error(c->req, 400, "idempotency_key_required",
                     "Header Idempotency-Key wajib diisi (1-128 karakter), agar laporan tidak terkirim dua kali",
                     NULL);
        s_call_free(c);
        return;
    }
    intake_report_t rep;
    json_t *fields = json_object();
    if (intake_report_parse(c->body, in->catalog, (int64_t)(pk_now_us() / 1000000u), &rep, fields) != 0) {
        intake_error(c->req, 422, "validation_failed", "Data laporan tidak valid", fields);
        s_call_free(c);
        return;
    }
    json_decref(fields);
    pk_id_new(c->case_id);
    char context[64];
    snprintf(context, sizeof context, "case:%s", c->case_id);
    uint8_t dkey[PK_DATAKEY_BYTES], wrapped[PK_WRAPPED_KEY_BYTES];
    pk_datakey_new(in->keys, context, dkey, wrapped);
    if (rep.safety)
        json_object_set(rep.personal, "contact_safety", rep.safety);
    char *personal = json_dumps(rep.personal, JSON_COMPACT);
    size_t plen = strlen(personal);
    uint8_t *sealed = pk_malloc(plen + PK_SEAL_OVERHEAD);
    char seal_ctx[96];
    snprintf(seal_ctx, sizeof seal_ctx, "%s:personal", context);
    pk_seal(dkey, seal_ctx, personal, plen, sealed);
    sodium_memzero(personal, plen);
    free(personal);
    sodium_memzero(dkey, sizeof dkey);

    /* The reporter's safety choices, sealed with the reporter's key. */
    char *safety_hex = NULL;
    if (rep.safety) {
        char *s = json_dumps(rep.safety, JSON_COMPACT);
        size_t sl = strlen(s);
        uint8_t *ss = pk_malloc(sl + PK_SEAL_OVERHEAD);
        char sctx[80];
        snprintf(sctx, sizeof sctx, "reporter:%s:safety", c->reporter_id);
        pk_seal(c->reporter_key, sctx, s, sl, ss);
        safety_hex = s_bytea(ss, sl + PK_SEAL_OVERHEAD);
        sodium_memzero(s, sl);
        free(s);
        free(ss);
    }

    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    pk_envelope_init(&env, eid, "intake", c->case_id, pk_http_header(c->req, "x-request-id"));
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    actor.kind = PELUKAN__V1__ACTOR__KIND__ACTOR_KIND_REPORTER;
    actor.id = c->reporter_id;
    env.actor = &actor;
    Pelukan__V1__ReportSubmitted rs = PELUKAN__V1__REPORT_SUBMITTED__INIT;
    char *forms[INTAKE_MAX_FORMS];
    for (int i = 0; i < rep.nforms; i++)
        forms[i] = rep.forms[i];
    rs.reporter_kind = rep.reporter_kind;
    rs.n_violence_forms = (size_t)rep.nforms;
    rs.violence_forms = forms;
    rs.place_type = rep.place_type;
    rs.kecamatan_code = rep.kecamatan;
    rs.desa_code = rep.desa;
    rs.urgent = rep.urgent;
    rs.child_victim = rep.child;
    rs.victim_age_band = rep.age_band;
    rs.victim_sex = rep.victim_sex;
    rs.perpetrator_relation = rep.perpetrator_relation;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REPORT_SUBMITTED;
    env.report_submitted = &rs;
    char topic[128], *env_hex;
    pk_outbox_params(&env, topic, &env_hex);

    char *wrapped_hex = s_bytea(wrapped, sizeof wrapped), *sealed_hex = s_bytea(sealed, plen + PK_SEAL_OVERHEAD);
    char *forms_text = s_text_array(&rep);
    char incident[24];
    snprintf(incident, sizeof incident, "%lld", (long long)rep.incident_at);
    const char *p[] = {c->reporter_id,
                       key,
                       c->case_id,
                       wrapped_hex,
                       sealed_hex,
                       rep.reporter_kind,
                       rep.witness_relation,
                       rep.victim_sex,
                       rep.age_band,
                       rep.child ? "t" : "f",
                       rep.disability ? "t" : "f",
                       forms_text,
                       rep.place_type,
                       rep.perpetrator_relation,
                       incident,
                       rep.incident_approx ? "t" : "f",
                       rep.kecamatan,
                       rep.desa,
                       rep.urgent ? "t" : "f",
                       topic,
                       env_hex,
                       safety_hex};
    /* One statement: the key claims the request; only then the case, its
     * first timeline step and its event; a retry gets the first answer.
     * Reports that arrive together share one commit (group commit). */
    pk_db_group_add(
        in->groups[in->next_group++ % INTAKE_WRITERS],
        "WITH k AS (INSERT INTO idempotency (reporter_id, key, case_id) VALUES ($1, $2, $3)"
        "   ON CONFLICT DO NOTHING RETURNING case_id),"
        " c AS (INSERT INTO cases (id, ticket, reporter_id, state, wrapped_key, personal_sealed, reporter_kind,"
        "   witness_relation, victim_sex, victim_age_band, child, disability, violence_forms, place_type,"
        "   perpetrator_relation, incident_at, incident_approx, kecamatan_code, desa_code, urgent)"
        "   SELECT $3, 'PK-' || lpad(((nextval('ticket_seq') * 7919) % 1000003)::text, 6, '0'), $1, 'submitted',"
        "   $4::bytea, $5::bytea, $6, NULLIF($7, ''), NULLIF($8, ''), NULLIF($9, ''), $10, $11, $12::text[],"
        "   NULLIF($13, ''), NULLIF($14, ''), to_timestamp(NULLIF($15, '0')::bigint), $16, NULLIF($17, ''),"
        "   NULLIF($18, ''), $19 FROM k RETURNING id, ticket, created_at, state),"
        " e AS (INSERT INTO case_event (case_id, state, actor_kind) SELECT id, 'submitted', 'reporter' FROM c),"
        " o AS (INSERT INTO outbox (topic, case_id, envelope) SELECT $20, id, $21::bytea FROM c),"
        " s AS (UPDATE reporter SET safety_sealed = $22::bytea WHERE id = $1 AND $22::bytea IS NOT NULL"
        "   AND EXISTS (SELECT 1 FROM c))"
        " SELECT id, ticket, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), true, state"
        " FROM c"
        " UNION ALL SELECT x.id, x.ticket, to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        "   false, 'submitted' FROM idempotency i JOIN cases x ON x.id = i.case_id"
        "   WHERE i.reporter_id = $1 AND i.key = $2 AND NOT EXISTS (SELECT 1 FROM k)",
        22, p, s_report_done, c);
    free(wrapped_hex);
    free(sealed_hex);
    free(forms_text);
    free(env_hex);
    free(safety_hex);
    free(sealed);
    intake_report_clear(&rep);
}

static void s_report_create(pk_http_req_t *req, void *arg)
{
    s_call_t *c = s_call_new(arg, req);
    if (!(c->body = intake_body(req))) {
        s_call_free(c);
        return;
    }
    s_authenticate(c, s_report_write);
}

/* ---- the reporter's own views --------------------------------------------- */

static void s_list_done(pk_db_txn_t *txn, int status, void *arg)
{
    s_call_t *c = arg;
    if (status != 0) {
        s_db_error(c, txn, status);
        s_call_free(c);
        return;
    }
    const PGresult *r = pk_db_txn_result(txn, 0);
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s}", "case_id", PQgetvalue(r, i, 0), "ticket",
                                               PQgetvalue(r, i, 1), "state", PQgetvalue(r, i, 2), "created_at",
                                               PQgetvalue(r, i, 3)));
    intake_json(c->req, 200, json_pack("{s:o}", "reports", items));
    s_call_free(c);
}

#define S_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static void s_list_query(s_call_t *c)
{
    const char *p[] = {c->reporter_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn,
                  "SELECT id, ticket, state, " S_TS("created_at") " FROM cases WHERE reporter_id = $1"
                  " ORDER BY created_at DESC, id LIMIT 200",
                  1, p);
    pk_db_txn_submit(txn, s_list_done, c);
}

static void s_report_list(pk_http_req_t *req, void *arg)
{
    s_authenticate(s_call_new(arg, req), s_list_query);
}

static void s_get_done(pk_db_txn_t *txn, int status, void *arg)
{
    s_call_t *c = arg;
    if (status != 0) {
        s_db_error(c, txn, status);
        s_call_free(c);
        return;
    }
    const PGresult *r = pk_db_txn_result(txn, 0), *t = pk_db_txn_result(txn, 1);
    if (PQntuples(r) != 1) {
        intake_error(c->req, 404, "not_found", "Laporan tidak ditemukan", NULL);
        s_call_free(c);
        return;
    }
    json_t *timeline = json_array();
    for (int i = 0; i < PQntuples(t); i++)
        json_array_append_new(timeline, json_pack("{s:s, s:s}", "state", PQgetvalue(t, i, 0), "at",
                                                  PQgetvalue(t, i, 1)));
    intake_json(c->req, 200,
                json_pack("{s:s, s:s, s:s, s:s, s:o}", "case_id", PQgetvalue(r, 0, 0), "ticket", PQgetvalue(r, 0, 1),
                          "state", PQgetvalue(r, 0, 2), "created_at", PQgetvalue(r, 0, 3), "timeline", timeline));
    s_call_free(c);
}

static void s_get_query(s_call_t *c)
{
    const char *p[] = {pk_http_param(c->req, 0), c->reporter_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn,
                  "SELECT id, ticket, state, " S_TS("created_at") " FROM cases WHERE id = $1 AND reporter_id = $2", 2,
                  p);
    pk_db_txn_add(txn,
                  "SELECT e.state, " S_TS("e.at") " FROM case_event e JOIN cases x ON x.id = e.case_id"
                  " WHERE e.case_id = $1 AND x.reporter_id = $2 ORDER BY e.id",
                  2, p);
    pk_db_txn_submit(txn, s_get_done, c);
}

static void s_report_get(pk_http_req_t *req, void *arg)
{
    s_authenticate(s_call_new(arg, req), s_get_query);
}

static void s_withdrawn(pk_db_txn_t *txn, int status, void *arg)
{
    s_call_t *c = arg;
    if (status != 0) {
        s_db_error(c, txn, status);
    } else if (PQntuples(pk_db_txn_result(txn, 0)) != 1) {
        intake_error(c->req, 409, "state_changed", "Status laporan baru saja berubah, muat ulang", NULL);
    } else {
        pk_relay_kick(pk_service_relay(c->in->svc));
        intake_json(c->req, 200, json_pack("{s:s, s:s}", "case_id", c->case_id, "state", "withdrawn"));
    }
    s_call_free(c);
}

static Pelukan__V1__CaseState s_state_enum(const char *name)
{
    static const char *const names[] = {"",         "submitted", "verified", "assigned", "en_route",
                                        "on_site",  "assessed",  "referred", "accepted", "closed",
                                        "rejected", "duplicate", "withdrawn", "declined"};
    for (size_t i = 1; i < PK_ARRAY_LEN(names); i++) {
        if (strcmp(names[i], name) == 0)
            return (Pelukan__V1__CaseState)i;
    }
    return PELUKAN__V1__CASE_STATE__CASE_STATE_UNSPECIFIED;
}

static void s_withdraw_checked(pk_db_txn_t *txn, int status, void *arg)
{
    s_call_t *c = arg;
    if (status != 0) {
        s_db_error(c, txn, status);
        s_call_free(c);
        return;
    }
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (PQntuples(r) != 1) {
        intake_error(c->req, 404, "not_found", "Laporan tidak ditemukan", NULL);
        s_call_free(c);
        return;
    }
    snprintf(c->from_state, sizeof c->from_state, "%s", PQgetvalue(r, 0, 0));
    if (strstr(S_FINAL_STATES, c->from_state)) {
        char msg[128];
        snprintf(msg, sizeof msg, "Laporan sudah berstatus %s dan tidak bisa ditarik", c->from_state);
        intake_error(c->req, 409, "invalid_transition", msg, json_pack("{s:s}", "state", c->from_state));
        s_call_free(c);
        return;
    }
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    pk_envelope_init(&env, eid, "intake", c->case_id, pk_http_header(c->req, "x-request-id"));
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    actor.kind = PELUKAN__V1__ACTOR__KIND__ACTOR_KIND_REPORTER;
    actor.id = c->reporter_id;
    env.actor = &actor;
    Pelukan__V1__CaseStateChanged ch = PELUKAN__V1__CASE_STATE_CHANGED__INIT;
    ch.from_state = s_state_enum(c->from_state);
    ch.to_state = PELUKAN__V1__CASE_STATE__CASE_STATE_WITHDRAWN;
    ch.reason_code = "reporter_request";
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_STATE_CHANGED;
    env.case_state_changed = &ch;
    char topic[128], *env_hex;
    pk_outbox_params(&env, topic, &env_hex);
    const char *p[] = {c->case_id, c->reporter_id, c->from_state, topic, env_hex};
    pk_db_txn_t *t2 = pk_db_txn_new(c->in->db);
    pk_db_txn_add(t2,
                  "WITH u AS (UPDATE cases SET state = 'withdrawn', updated_at = now()"
                  "   WHERE id = $1 AND reporter_id = $2 AND state = $3 RETURNING id),"
                  " e AS (INSERT INTO case_event (case_id, state, reason_code, actor_kind)"
                  "   SELECT id, 'withdrawn', 'reporter_request', 'reporter' FROM u),"
                  " o AS (INSERT INTO outbox (topic, case_id, envelope) SELECT $4, id, $5::bytea FROM u)"
                  " SELECT id FROM u",
                  5, p);
    free(env_hex);
    pk_db_txn_submit(t2, s_withdrawn, c);
}

static void s_withdraw_query(s_call_t *c)
{
    snprintf(c->case_id, sizeof c->case_id, "%s", pk_http_param(c->req, 0));
    const char *p[] = {pk_http_param(c->req, 0), c->reporter_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "SELECT state FROM cases WHERE id = $1 AND reporter_id = $2", 2, p);
    pk_db_txn_submit(txn, s_withdraw_checked, c);
}

static void s_report_withdraw(pk_http_req_t *req, void *arg)
{
    s_authenticate(s_call_new(arg, req), s_withdraw_query);
}

static void s_safety_done(pk_db_txn_t *txn, int status, void *arg)
{
    s_call_t *c = arg;
    if (status != 0)
        s_db_error(c, txn, status);
    else
        pk_http_respond(c->req, 204, "application/json", "", 0);
    s_call_free(c);
}

static void s_safety_write(s_call_t *c)
{
    json_t *fields = json_object();
    if (intake_safety_check(c->body, c->in->catalog, "", fields) != 0) {
        intake_error(c->req, 422, "validation_failed", "Data tidak valid", fields);
        s_call_free(c);
        return;
    }
    json_decref(fields);
    char *s = json_dumps(c->body, JSON_COMPACT);
    size_t sl = strlen(s);
    uint8_t *ss = pk_malloc(sl + PK_SEAL_OVERHEAD);
    char sctx[80];
    snprintf(sctx, sizeof sctx, "reporter:%s:safety", c->reporter_id);
    pk_seal(c->reporter_key, sctx, s, sl, ss);
    char *hex = s_bytea(ss, sl + PK_SEAL_OVERHEAD);
    sodium_memzero(s, sl);
    free(s);
    free(ss);
    const char *p[] = {c->reporter_id, hex};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "UPDATE reporter SET safety_sealed = $2::bytea WHERE id = $1", 2, p);
    free(hex);
    pk_db_txn_submit(txn, s_safety_done, c);
}

static void s_contact_safety(pk_http_req_t *req, void *arg)
{
    s_call_t *c = s_call_new(arg, req);
    if (!(c->body = intake_body(req))) {
        s_call_free(c);
        return;
    }
    s_authenticate(c, s_safety_write);
}

const intake_route_t intake_routes[] = {
    {"POST", "/v1/auth/otp", s_otp_request},
    {"POST", "/v1/auth/otp/verify", s_otp_verify},
    {"POST", "/v1/reports", s_report_create},
    {"GET", "/v1/reports", s_report_list},
    {"GET", "/v1/reports/*", s_report_get},
    {"POST", "/v1/reports/*/withdraw", s_report_withdraw},
    {"PUT", "/v1/me/contact-safety", s_contact_safety},
    {NULL, NULL, NULL},
};
