/* intake_call.c -- what the steps of an API request share. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/edge_json.h"
#include "intake.h"
#include "intake_call.h"
#include "intake_store.h"
#include "pelukan/util.h"

intake_call_t *intake_call_new(intake_t *in, pk_http_req_t *req)
{
    intake_call_t *c = pk_calloc(1, sizeof *c);
    c->in = in;
    c->req = req;
    pk_metric_add(in->m_requests, 1);
    return c;
}

/* Passwords in a body are wiped before it is freed. */
void intake_wipe_passwords(json_t *body)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strstr(key, "password") && json_is_string(v))
            sodium_memzero((char *)json_string_value(v), strlen(json_string_value(v)));
    }
}

void intake_call_free(intake_call_t *c)
{
    if (c->pw_slot)
        c->in->pw_busy--;
    if (c->throttle_client[0])
        intake_throttle_done(c->in->throttle, c->throttle_client);
    if (c->throttle_account[0])
        intake_throttle_done(c->in->account_throttle, c->throttle_account);
    sodium_memzero(c->reporter_key, sizeof c->reporter_key);
    sodium_memzero(c->phone, sizeof c->phone);
    sodium_memzero(c->token, sizeof c->token);
    sodium_memzero(c->device_token, sizeof c->device_token);
    intake_wipe_passwords(c->body); /* whichever way the request ended */
    json_decref(c->body);
    json_decref(c->answer);
    free(c);
}

uint8_t *intake_seal_json_raw(const uint8_t key[PK_DATAKEY_BYTES], const char *owner, const char *what,
                              const json_t *value, size_t *len)
{
    char *text = json_dumps(value, JSON_COMPACT);
    size_t n = strlen(text);
    uint8_t *sealed = pk_malloc(n + PK_SEAL_OVERHEAD);
    char context[128];
    snprintf(context, sizeof context, "%s:%s", owner, what);
    pk_seal(key, context, text, n, sealed);
    sodium_memzero(text, n);
    free(text);
    *len = n + PK_SEAL_OVERHEAD;
    return sealed;
}

char *intake_seal_json(const uint8_t key[PK_DATAKEY_BYTES], const char *owner, const char *what, const json_t *value)
{
    size_t len;
    uint8_t *sealed = intake_seal_json_raw(key, owner, what, value, &len);
    char *hex = pk_pg_bytea(sealed, len);
    free(sealed);
    return hex;
}

json_t *intake_open_sealed(const uint8_t key[PK_DATAKEY_BYTES], const char *owner, const char *what,
                           const uint8_t *sealed, size_t n)
{
    if (n <= PK_SEAL_OVERHEAD)
        return NULL;
    char context[128];
    snprintf(context, sizeof context, "%s:%s", owner, what);
    size_t plen = n - PK_SEAL_OVERHEAD;
    uint8_t *plain = pk_malloc(plen + 1);
    json_t *value = NULL;
    if (pk_open(key, context, sealed, n, plain) == 0)
        value = json_loadb((const char *)plain, plen, JSON_REJECT_DUPLICATES, NULL);
    sodium_memzero(plain, plen);
    free(plain);
    return value;
}

/* Starts an intake event caused by reporter `reporter_id` in this request. */
void intake_envelope(const intake_call_t *c, const char *reporter_id, const char *case_id, Pelukan__V1__Envelope *env,
                     uint8_t eid[16], Pelukan__V1__Actor *actor)
{
    pk_envelope_init(env, eid, "intake", case_id, pk_http_request_id(c->req));
    pelukan__v1__actor__init(actor);
    actor->kind = PELUKAN__V1__ACTOR__KIND__KIND_REPORTER;
    actor->id = (char *)reporter_id;
    env->actor = actor;
}

void intake_token_hash(const char *token, char out[65])
{
    uint8_t d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const uint8_t *)token, strlen(token));
    pk_hex(d, sizeof d, out);
}

bool intake_invalid(intake_call_t *c, json_t *errors, const char *message)
{
    if (json_object_size(errors) == 0) {
        json_decref(errors);
        return false;
    }
    intake_error(c->req, 422, "validation_failed", message, errors);
    intake_call_free(c);
    return true;
}

json_t *intake_json_strings(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

void intake_first_name(const char *display_name, char *out, size_t cap)
{
    size_t n = strcspn(display_name, " ");
    snprintf(out, cap, "%.*s", (int)(n < cap - 1 ? n : cap - 1), display_name);
}
