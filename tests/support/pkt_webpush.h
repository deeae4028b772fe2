/* pkt_webpush.h -- the browser's side of Web Push, for the tests: its
 * subscription keys, the message opened as a browser opens it (RFC 8291,
 * aes128gcm), and the sender's VAPID header checked as a push service
 * checks it (RFC 8292). Written apart from the service's code (OpenSSL's
 * HKDF here, libsodium's HMAC there) so that one cannot hide the other's
 * mistake. */
#ifndef PKT_WEBPUSH_H
#define PKT_WEBPUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    void *key;       /* EVP_PKEY: the browser's P-256 key pair */
    char p256dh[96]; /* its public point, base64url */
    char auth[32];   /* the auth secret, base64url */
    uint8_t secret[16];
} pkt_browser_t;

void pkt_browser_new(pkt_browser_t *b);
void pkt_browser_free(pkt_browser_t *b);
/* The plaintext of a push body, or NULL when it does not open. Caller
 * owns return value. */
char *pkt_webpush_open(const pkt_browser_t *b, const uint8_t *body, size_t len);

/* A VAPID key pair: the private key written to `pem_path`, the public key
 * (base64url) into `public_b64`. */
void pkt_vapid_new(const char *pem_path, char public_b64[96]);
/* Whether `authorization` ("vapid t=<jwt>, k=<key>") names `public_b64`,
 * for audience `aud`, unexpired, with a valid ES256 signature. */
bool pkt_vapid_ok(const char *authorization, const char *public_b64, const char *aud);

#endif
