/* notify_webpush.h -- Web Push: the payload encrypted for a browser's
 * subscription (RFC 8291, aes128gcm) and the sender shown to the push
 * service (VAPID, RFC 8292). */
#ifndef NOTIFY_WEBPUSH_H
#define NOTIFY_WEBPUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pelukan/util.h"

typedef struct notify_vapid notify_vapid_t;

/* The deployment's VAPID key (a P-256 private key in PEM) and its contact
 * (`subject`, "mailto:..."); NULL when unreadable. Caller owns return
 * value; free with notify_vapid_free(). */
notify_vapid_t *notify_vapid_load(const char *pem_path, const char *subject);
void notify_vapid_free(notify_vapid_t **v_p);
/* Its public key as the browser's applicationServerKey (base64url). */
const char *notify_vapid_public(const notify_vapid_t *v);
/* The Authorization header's value for a push to `endpoint`. */
bool notify_vapid_header(const notify_vapid_t *v, const char *endpoint, char *out, size_t cap);

/* `plain` encrypted for the subscription's keys (base64url, as the
 * browser gives them): the request body, *len bytes; NULL when the keys
 * are not a P-256 point and a 16-byte secret. Caller owns return value. */
uint8_t *notify_webpush_encrypt(const char *p256dh_b64, const char *auth_b64, const char *plain, size_t *len);

#endif
