/* intake_push.c -- a staff member's browser subscribes to Web Push (issue
 * 22 §3): the app asks for the deployment's public key, subscribes with
 * the browser's push service and gives the subscription (the endpoint and
 * the keys the message is encrypted for); notification finds it with the
 * staff member's contact (GetContact) and pushes where it can, texting
 * otherwise. One subscription per account, the latest; removed when the
 * app unsubscribes or logs out. Every statement is here. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "edge/edge_json.h"
#include "intake.h"
#include "intake_call.h"
#include "intake_staff.h"

/* $1 the staff member. */
static const char S_READ_SQL[] = "SELECT count(*) > 0 FROM staff_push WHERE staff_id = $1";
/* $1 the staff member, $2 endpoint, $3 p256dh, $4 auth. */
static const char S_SET_SQL[] =
    "INSERT INTO staff_push (staff_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (staff_id) DO UPDATE SET endpoint = $2, p256dh = $3, auth = $4, created_at = now()";
static const char S_DROP_SQL[] = "DELETE FROM staff_push WHERE staff_id = $1";

static void s_answer(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, pk_db_txn_count(txn) - 1);
    const char *key = c->in->push_public_key;
    intake_json(c->req, 200,
                json_pack("{s:s?, s:b}", "public_key", *key ? key : NULL, "subscribed", pk_pg_bool(r, 0, 0)));
    intake_call_free(c);
}

static void s_submit(intake_call_t *c, const char *sql, int n, const char *const *p)
{
    const char *me[] = {c->staff_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    if (sql)
        pk_db_txn_add(txn, sql, n, p);
    pk_db_txn_add(txn, S_READ_SQL, 1, me);
    pk_db_txn_submit(txn, s_answer, c);
}

/* GET /v1/staff/push: the key to subscribe with (null: push is off here)
 * and whether this account has a subscription. */
void intake_push_get(intake_call_t *c)
{
    s_submit(c, NULL, 0, NULL);
}

/* A base64url string that decodes to exactly `bytes` bytes. */
static bool s_key_ok(const json_t *v, size_t bytes)
{
    const char *s = json_string_value(v);
    uint8_t buf[80];
    size_t n = 0;
    return s && strlen(s) < 120 &&
           sodium_base642bin(buf, sizeof buf, s, strlen(s), NULL, &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
               0 &&
           n == bytes && (bytes != 65 || buf[0] == 4);
}

/* PUT /v1/staff/push: the browser's PushSubscription as toJSON() gives it,
 * {endpoint, expirationTime, keys: {p256dh, auth}}. */
void intake_push_set(intake_call_t *c)
{
    static const char *const allowed[] = {"endpoint", "expirationTime", "keys", NULL};
    json_t *errors = intake_strict_body(c, allowed);
    if (!errors)
        return;
    const char *endpoint = json_string_value(json_object_get(c->body, "endpoint"));
    json_t *keys = json_object_get(c->body, "keys");
    if (!endpoint || strlen(endpoint) > 1024 ||
        (strncmp(endpoint, "https://", 8) != 0 && strncmp(endpoint, "http://", 7) != 0))
        json_object_set_new(errors, "endpoint", json_string("alamat https:// dari layanan push browser"));
    if (!s_key_ok(json_object_get(keys, "p256dh"), 65))
        json_object_set_new(errors, "keys.p256dh", json_string("kunci P-256 browser (base64url)"));
    if (!s_key_ok(json_object_get(keys, "auth"), 16))
        json_object_set_new(errors, "keys.auth", json_string("rahasia 16 byte (base64url)"));
    if (intake_invalid(c, errors, "Langganan pemberitahuan tidak valid"))
        return;
    if (!*c->in->push_public_key) {
        intake_error(c->req, 409, "push_disabled", "Pemberitahuan push tidak aktif di layanan ini", NULL);
        intake_call_free(c);
        return;
    }
    const char *p[] = {c->staff_id, endpoint, json_string_value(json_object_get(keys, "p256dh")),
                       json_string_value(json_object_get(keys, "auth"))};
    s_submit(c, S_SET_SQL, 4, p);
}

/* DELETE /v1/staff/push */
void intake_push_drop(intake_call_t *c)
{
    static const char *const none[] = {NULL};
    json_t *errors = intake_strict_body(c, none);
    if (!errors || intake_invalid(c, errors, "Data tidak valid"))
        return;
    const char *p[] = {c->staff_id};
    s_submit(c, S_DROP_SQL, 1, p);
}
