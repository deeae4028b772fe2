/* edge_push.c -- a staff member's browser subscribes to Web Push (issue
 * 22 §3): the app asks for the deployment's public key, subscribes with
 * the browser's push service and gives the subscription (the endpoint and
 * the keys the message is encrypted for); notification finds it with the
 * staff member's contact (GetContact) and pushes where it can, texting
 * otherwise. One subscription per account, the latest; removed when the
 * app unsubscribes or logs out. The edge checks the subscription; the case
 * owner keeps it (Push, intake_subscription.c). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "edge.h"
#include "edge_call.h"
#include "edge_forward.h"
#include "edge_json.h"
#include "edge_push.h"

/* The answer: the key to subscribe with (null: push is off here) and
 * whether this account has a subscription. */
static void s_answer(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    const char *key = c->in->push_public_key;
    intake_json(c->req, 200,
                json_pack("{s:s?, s:b}", "public_key", *key ? key : NULL, "subscribed",
                          reply->push_status && reply->push_status->subscribed));
    edge_call_free(c);
}

/* Asks the case owner to take the step on her subscription. */
static void s_submit(edge_call_t *c, Pelukan__V1__Push *push)
{
    intake_forward_send(c, INTAKE_TO_OWNER, NULL, &push->base, s_answer);
}

/* GET /v1/staff/push: the key to subscribe with (null: push is off here)
 * and whether this account has a subscription. */
void intake_push_get(edge_call_t *c)
{
    Pelukan__V1__Push push = PELUKAN__V1__PUSH__INIT;
    push.step = PELUKAN__V1__PUSH__STEP__STEP_READ;
    s_submit(c, &push);
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
void intake_push_set(edge_call_t *c)
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
        edge_call_free(c);
        return;
    }
    Pelukan__V1__Push push = PELUKAN__V1__PUSH__INIT;
    push.step = PELUKAN__V1__PUSH__STEP__STEP_SET;
    push.endpoint = (char *)endpoint;
    push.p256dh = (char *)json_string_value(json_object_get(keys, "p256dh"));
    push.auth = (char *)json_string_value(json_object_get(keys, "auth"));
    s_submit(c, &push);
}

/* DELETE /v1/staff/push */
void intake_push_drop(edge_call_t *c)
{
    static const char *const none[] = {NULL};
    json_t *errors = intake_strict_body(c, none);
    if (!errors || intake_invalid(c, errors, "Data tidak valid"))
        return;
    Pelukan__V1__Push push = PELUKAN__V1__PUSH__INIT;
    push.step = PELUKAN__V1__PUSH__STEP__STEP_DROP;
    s_submit(c, &push);
}
