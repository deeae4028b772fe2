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
    json_decref(c->body);
    json_decref(c->answer);
    free(c);
}

char *intake_seal_json(const uint8_t key[PK_DATAKEY_BYTES], const char *owner, const char *what, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT);
    size_t len = strlen(text);
    uint8_t *sealed = pk_malloc(len + PK_SEAL_OVERHEAD);
    char context[128];
    snprintf(context, sizeof context, "%s:%s", owner, what);
    pk_seal(key, context, text, len, sealed);
    char *hex = pk_pg_bytea(sealed, len + PK_SEAL_OVERHEAD);
    sodium_memzero(text, len);
    free(text);
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

json_t *intake_open_json(const uint8_t key[PK_DATAKEY_BYTES], const char *owner, const char *what, const PGresult *r,
                         int row, int col)
{
    int len = PQgetisnull(r, row, col) ? 0 : PQgetlength(r, row, col);
    if (len <= 0)
        return NULL;
    /* bytea in text form: decode, then open. */
    uint8_t *sealed = pk_malloc((size_t)len);
    long n = pk_pg_bytea_get(r, row, col, sealed, (size_t)len);
    json_t *value = n > 0 ? intake_open_sealed(key, owner, what, sealed, (size_t)n) : NULL;
    free(sealed);
    return value;
}

int intake_unwrap(const intake_call_t *c, const char *context, const PGresult *r, int row, int col,
                  uint8_t key[PK_DATAKEY_BYTES])
{
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES];
    if (PQgetisnull(r, row, col) || pk_pg_bytea_get(r, row, col, wrapped, sizeof wrapped) != PK_WRAPPED_KEY_BYTES)
        return PK_EKEY;
    return pk_datakey_unwrap(c->in->keys, context, wrapped, sizeof wrapped, key);
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

void intake_db_error(intake_call_t *c, pk_db_txn_t *txn, int status)
{
    intake_log_error(c, "%s %s: database %s (SQLSTATE %s), answered 503", pk_http_method(c->req), pk_http_path(c->req),
                     status == PK_EDBCONN ? "connection lost" : "error", pk_db_txn_sqlstate(txn));
    pk_http_add_header(c->req, "Retry-After", "2");
    intake_error(c->req, 503, "unavailable", "Layanan sedang sibuk, coba lagi sebentar", NULL);
}

void intake_token_hash(const char *token, char out[65])
{
    uint8_t d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const uint8_t *)token, strlen(token));
    pk_hex(d, sizeof d, out);
}

bool intake_db_ok(intake_call_t *c, pk_db_txn_t *txn, int status)
{
    if (status == 0)
        return true;
    intake_db_error(c, txn, status);
    intake_call_free(c);
    return false;
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

void intake_no_content(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    pk_http_respond(c->req, 204, "application/json", "", 0);
    intake_call_free(c);
}

/* Adds to `txn` what an opening writes: the timeline entry and the
 * CaseDataAccessed event, by staff member `staff_id` as `role`. */
static void s_opening_add(pk_db_txn_t *txn, const char *case_id, const char *purpose, const char *const *fields,
                          size_t nfields, const char *staff_id, const char *role, const char *correlation_id)
{
    Pelukan__V1__Envelope env;
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    uint8_t eid[16];
    pk_envelope_init(&env, eid, "intake", case_id, correlation_id);
    actor.kind = strcmp(role, "agency") == 0 ? PELUKAN__V1__ACTOR__KIND__KIND_AGENCY
                                             : PELUKAN__V1__ACTOR__KIND__KIND_STAFF;
    actor.id = (char *)staff_id;
    actor.role = (char *)role;
    env.actor = &actor;
    Pelukan__V1__CaseDataAccessed acc = PELUKAN__V1__CASE_DATA_ACCESSED__INIT;
    acc.purpose_code = (char *)purpose;
    acc.n_fields = nfields;
    acc.fields = (char **)fields;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_DATA_ACCESSED;
    env.case_data_accessed = &acc;
    char topic[128], *env_hex;
    pk_outbox_params(&env, topic, &env_hex);
    const char *p[] = {case_id, purpose, staff_id}, *q[] = {topic, case_id, env_hex};
    pk_db_txn_add(txn, INTAKE_SQL_ACCESS_EVENT, 3, p);
    pk_db_txn_add(txn, PK_OUTBOX_INSERT_SQL, 3, q);
    free(env_hex);
}

void intake_record_opening(intake_call_t *c, const char *purpose, const char *const *fields, size_t nfields,
                           pk_db_txn_fn done)
{
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    s_opening_add(txn, c->case_id, purpose, fields, nfields, c->staff_id, c->staff_role, pk_http_request_id(c->req));
    pk_db_txn_submit(txn, done, c);
}

/* What waits for an opening to commit: the rows read, and the answer. */
typedef struct intake_opened {
    PGresult *rows[INTAKE_OPENED_ROWS];
    size_t n;
    intake_opened_fn answer;
} s_opened_t;

static void s_opened(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    s_opened_t *o = c->opened;
    c->opened = NULL;
    if (status == 0) {
        pk_relay_kick(pk_service_relay(c->in->svc));
        intake_json(c->req, 200, o->answer(c, (const PGresult *const *)o->rows));
    } else {
        intake_db_error(c, txn, status);
    }
    for (size_t i = 0; i < o->n; i++)
        PQclear(o->rows[i]);
    free(o);
    intake_call_free(c);
}

void intake_answer_opened(intake_call_t *c, pk_db_txn_t *txn, const char *purpose, const char *const *fields,
                          size_t nfields, intake_opened_fn answer)
{
    s_opened_t *o = pk_calloc(1, sizeof *o);
    int n = pk_db_txn_count(txn);
    for (int i = 0; i < n && o->n < INTAKE_OPENED_ROWS; i++)
        o->rows[o->n++] = pk_db_txn_take_result(txn, i);
    o->answer = answer;
    c->opened = o;
    intake_record_opening(c, purpose, fields, nfields, s_opened);
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
