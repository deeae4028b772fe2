/* edge_otp.c -- reporter registration on the edge: a one-time code by
 * phone, then a session. The edge holds the phone and the code; the case
 * owner keeps only keyed hashes of them (intake_code.c): the phone's blind
 * index, the code's hash bound to it, and the client and request the code
 * belongs to. The code reaches the phone through the notification service
 * by command.
 *
 * No oracle (review H2): a wrong, expired, absent or locked code gets the
 * same answer, after the same one transaction. No lock-out by probing:
 * a client's wrong codes count against its own budget and against the
 * phone's budget for other clients, never against the reporter's own
 * code. Guesses are bounded over days (M9): per phone and day, codes are
 * limited (OTP_PER_PHONE_DAY) and so are wrong codes per client and per
 * phone (OTP_FAILS_PER_CLIENT_DAY, OTP_FAILS_PER_PHONE_DAY). */
#include "edge_otp.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_call.h"
#include "edge_forward.h"
#include "pelukan/account.h"
#include "pelukan/netaddr.h"
#include "pelukan/util.h"

/* A code asked for or tried: her phone, and the code and the request's id
 * (asked) or her new session's token (tried). */
typedef struct {
    edge_call_t c;
    char phone[24];
    char code[8];
    char request_id[PK_ID_HEX_LEN + 1];
    char token[72];
    bool holder; /* tried with its request's id: its refusals may say why */
} s_otp_t;

static void s_otp_clear(edge_call_t *c)
{
    s_otp_t *o = (s_otp_t *)c;
    sodium_memzero(o->phone, sizeof o->phone);
    sodium_memzero(o->code, sizeof o->code);
    sodium_memzero(o->token, sizeof o->token);
}

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
static void s_client_index(const edge_t *in, pk_http_req_t *req, char out[65])
{
    char bucket[PK_ADDR_TEXT_MAX];
    pk_client_bucket(pk_http_client(req), bucket);
    pk_blind_index(in->keys, "client", bucket, strlen(bucket), out);
}

/* ---- POST /v1/auth/otp ------------------------------------------------- */

static void s_otp_done(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    const s_otp_t *o = arg;
    edge_t *in = c->in;
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    const Pelukan__V1__CodeRequested *r = reply->code_requested;
    if (r->phone_alert) {
        /* Many clients asking for one phone's codes: staff look (N4). */
        pk_metric_add(in->m_otp_phone_alert, 1);
        intake_log_warn(c, "codes for one phone asked by many clients today (over %d): an attack or a mistake",
                        in->otp_phone_alert_day);
    }
    if (!r->allowed) {
        char retry[16];
        snprintf(retry, sizeof retry, "%d", r->retry_after_s);
        pk_metric_add(in->m_rejected, 1);
        pk_http_add_header(c->req, "Retry-After", retry);
        intake_error(c->req, 429, "too_many_requests", "Terlalu banyak permintaan kode, coba lagi nanti", NULL);
    } else {
        intake_notify_otp(in->notify, o->phone, o->code);
        if (in->dev_print_otp)
            intake_log_warn(c, "DEVELOPMENT: one-time code %s (PELUKAN_INTAKE_DEV_PRINT_OTP is on)", o->code);
        intake_json(
            c->req, 202,
            json_pack("{s:s, s:i, s:s}", "status", "sent", "expires_in", in->otp_ttl_s, "request_id", o->request_id));
    }
    edge_call_free(c);
}

/* A request of registration with its JSON body; NULL when the body was
 * refused (answered). */
static s_otp_t *s_otp_new(pk_http_req_t *req, void *arg)
{
    s_otp_t *o = edge_call_new_as(arg, req, sizeof *o, s_otp_clear);
    if ((o->c.body = intake_body(req)))
        return o;
    edge_call_free(&o->c);
    return NULL;
}

void intake_otp_request(pk_http_req_t *req, void *arg)
{
    s_otp_t *o = s_otp_new(req, arg);
    if (!o)
        return;
    edge_call_t *c = &o->c;
    edge_t *in = c->in;
    /* A field besides the phone is named as what is wrong, not the phone
     * (contracts review D1). */
    static const char *const only_phone[] = {"phone", NULL};
    json_t *extra = json_object();
    intake_only_fields(c->body, only_phone, extra);
    if (intake_invalid(c, extra, "Data tidak valid"))
        return;
    json_t *phone = json_object_get(c->body, "phone");
    if (!json_is_string(phone) || pk_phone_normalize(json_string_value(phone), o->phone) != 0) {
        intake_error(req, 422, "invalid_phone", "Nomor HP tidak valid",
                     json_pack("{s:s}", "phone", "gunakan nomor seluler Indonesia, mis. 0812xxxxxxxx"));
        edge_call_free(c);
        return;
    }
    char phone_index[65], client_index[65], code_hash[65], holder[65];
    pk_blind_index(in->keys, "phone", o->phone, strlen(o->phone), phone_index);
    s_client_index(in, req, client_index);
    /* The request id: only the app that asked holds it (N4). */
    pk_id_new(o->request_id);
    pk_blind_index(in->keys, "otp-request", o->request_id, strlen(o->request_id), holder);
    /* Six digits, uniformly drawn; kept only as a keyed hash. */
    snprintf(o->code, sizeof o->code, "%06u", randombytes_uniform(1000000));
    s_code_hash(in->keys, phone_index, o->code, code_hash);
    Pelukan__V1__RequestCode code = PELUKAN__V1__REQUEST_CODE__INIT;
    code.phone_index = phone_index;
    code.client_index = client_index;
    code.holder_index = holder;
    code.code_hash = code_hash;
    intake_forward_system(c, INTAKE_TO_OWNER, "registration", &code.base, s_otp_done);
}

/* ---- POST /v1/auth/otp/verify ------------------------------------------ */

static void s_verified(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    const s_otp_t *o = arg;
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    const Pelukan__V1__CodeVerified *v = reply->code_verified;
    if (v->outcome == PELUKAN__V1__CODE_VERIFIED__OUTCOME__OUTCOME_SESSION) {
        intake_json(c->req, 200,
                    json_pack("{s:s, s:s, s:s}", "token", o->token, "reporter_id", v->reporter_id, "expires_at",
                              v->expires_at));
    } else {
        pk_metric_add(c->in->m_rejected, 1);
        /* To the app holding the request id only (nobody else knows it): a
         * refusal for another reason than a wrong code says so (N4). */
        if (o->holder && v->outcome == PELUKAN__V1__CODE_VERIFIED__OUTCOME__OUTCOME_EXPIRED)
            intake_error(c->req, 401, "otp_expired", "Kode ini sudah kedaluwarsa. Minta kode baru", NULL);
        else if (o->holder && v->outcome == PELUKAN__V1__CODE_VERIFIED__OUTCOME__OUTCOME_EXHAUSTED)
            intake_error(c->req, 401, "otp_attempts_exhausted",
                         "Terlalu banyak kode salah untuk kode ini. Minta kode baru", NULL);
        else
            intake_error(c->req, 401, "otp_invalid",
                         "Kode salah atau sudah tidak berlaku. Periksa lagi, atau minta kode baru", NULL);
    }
    edge_call_free(c);
}

/* The body's phone, code and request id (into the call); false when
 * answered 422. */
static bool s_verify_body(s_otp_t *o)
{
    edge_call_t *c = &o->c;
    json_t *fields = json_object();
    json_t *phone = json_object_get(c->body, "phone"), *code = json_object_get(c->body, "code"),
           *request = json_object_get(c->body, "request_id");
    if (!json_is_string(phone) || pk_phone_normalize(json_string_value(phone), o->phone) != 0)
        json_object_set_new(fields, "phone", json_string("nomor HP tidak valid"));
    if (!json_is_string(code) || json_string_length(code) != 6 || strspn(json_string_value(code), "0123456789") != 6)
        json_object_set_new(fields, "code", json_string("kode terdiri dari 6 angka"));
    if (request && !(json_is_string(request) && pk_id_ok(json_string_value(request))))
        json_object_set_new(fields, "request_id", json_string("request_id dari permintaan kode"));
    if (json_object_size(c->body) != 2u + (request != NULL) && json_object_size(fields) == 0)
        json_object_set_new(fields, "body", json_string("hanya phone, code dan request_id"));
    o->holder = request != NULL;
    return !intake_invalid(c, fields, "Data tidak valid");
}

/* The reporter she would be if the phone is new: an id, a key (wrapped)
 * and her phone sealed with it; the owner keeps them only if so. */
static void s_new_reporter(const s_otp_t *o, char id[PK_ID_HEX_LEN + 1], uint8_t wrapped[PK_WRAPPED_KEY_BYTES],
                           uint8_t sealed[64])
{
    char context[64], seal_ctx[80];
    pk_id_new(id);
    snprintf(context, sizeof context, "reporter:%s", id);
    uint8_t key[PK_DATAKEY_BYTES];
    pk_datakey_new(o->c.in->keys, context, key, wrapped);
    snprintf(seal_ctx, sizeof seal_ctx, "%s:phone", context);
    pk_seal(key, seal_ctx, o->phone, strlen(o->phone), sealed);
    sodium_memzero(key, sizeof key);
}

void intake_otp_verify(pk_http_req_t *req, void *arg)
{
    s_otp_t *o = s_otp_new(req, arg);
    if (!o || !s_verify_body(o))
        return;
    edge_call_t *c = &o->c;
    edge_t *in = c->in;
    const char *request = json_string_value(json_object_get(c->body, "request_id"));
    char phone_index[65], client_index[65], holder[65], code_hash[65], token_hash[65];
    pk_blind_index(in->keys, "phone", o->phone, strlen(o->phone), phone_index);
    s_client_index(in, req, client_index);
    if (request)
        pk_blind_index(in->keys, "otp-request", request, strlen(request), holder);
    else
        memcpy(holder, client_index, sizeof holder); /* an app of before request ids: its address */
    s_code_hash(in->keys, phone_index, json_string_value(json_object_get(c->body, "code")), code_hash);
    /* The session's token, given only if the code matches. */
    uint8_t tok[32];
    randombytes_buf(tok, sizeof tok);
    pk_hex(tok, sizeof tok, o->token);
    sodium_memzero(tok, sizeof tok);
    intake_token_hash(o->token, token_hash);
    char id[PK_ID_HEX_LEN + 1];
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES], sealed[64];
    s_new_reporter(o, id, wrapped, sealed);
    Pelukan__V1__VerifyCode v = PELUKAN__V1__VERIFY_CODE__INIT;
    v.phone_index = phone_index;
    v.client_index = client_index;
    v.holder_index = holder;
    v.code_hash = code_hash;
    v.reporter_id = id;
    v.wrapped_key = (ProtobufCBinaryData){sizeof wrapped, wrapped};
    v.phone_sealed = (ProtobufCBinaryData){strlen(o->phone) + PK_SEAL_OVERHEAD, sealed};
    v.token_hash = token_hash;
    intake_forward_system(c, INTAKE_TO_OWNER, "registration", &v.base, s_verified);
}
