/* notify_webpush.c -- Web Push (issue 22 §3: a new visit announced on the
 * companion's phone, an urgent report on the desk of the admin on duty,
 * where the browser has it; SMS otherwise). The message is encrypted for
 * the browser's subscription (RFC 8291, content coding aes128gcm of RFC
 * 8188: an ephemeral P-256 key, ECDH with the browser's key, HKDF-SHA256
 * with its auth secret, AES-128-GCM) and the push service is shown who
 * sends it (VAPID, RFC 8292: an ES256 JWT signed with the deployment's
 * key). The push service sees only ciphertext; the text names nothing
 * personal anyway. OpenSSL does the P-256 and AES-128 libsodium lacks;
 * libsodium does the HMAC and the randomness. */
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify_webpush.h"

#define S_RECORD_SIZE 4096u

struct notify_vapid {
    EVP_PKEY *key;
    char public_b64[96]; /* the uncompressed public point, base64url */
    char subject[128];
};

static void s_b64url(const uint8_t *in, size_t len, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static long s_unb64url(const char *in, uint8_t *out, size_t cap)
{
    size_t n = 0;
    if (sodium_base642bin(out, cap, in, strlen(in), NULL, &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    return (long)n;
}

/* The uncompressed point (65 bytes) of a P-256 key. */
static bool s_public_point(EVP_PKEY *key, uint8_t out[65])
{
    size_t n = 0;
    return EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", out, 65, &n) == 1 && n == 65;
}

notify_vapid_t *notify_vapid_load(const char *pem_path, const char *subject)
{
    FILE *f = fopen(pem_path, "r");
    if (!f)
        return NULL;
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    uint8_t pub[65];
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || !s_public_point(key, pub)) {
        EVP_PKEY_free(key);
        return NULL;
    }
    notify_vapid_t *v = pk_calloc(1, sizeof *v);
    v->key = key;
    s_b64url(pub, sizeof pub, v->public_b64, sizeof v->public_b64);
    snprintf(v->subject, sizeof v->subject, "%s", subject);
    return v;
}

const char *notify_vapid_public(const notify_vapid_t *v)
{
    return v->public_b64;
}

void notify_vapid_free(notify_vapid_t **v_p)
{
    if (!*v_p)
        return;
    EVP_PKEY_free((*v_p)->key);
    free(*v_p);
    *v_p = NULL;
}

/* "scheme://host[:port]" of an endpoint: the JWT's audience. */
static bool s_origin(const char *endpoint, char *out, size_t cap)
{
    const char *p = strstr(endpoint, "://");
    if (!p)
        return false;
    size_t n = (size_t)(p + 3 - endpoint) + strcspn(p + 3, "/?#");
    if (n + 1 > cap)
        return false;
    memcpy(out, endpoint, n);
    out[n] = '\0';
    return true;
}

bool notify_vapid_header(const notify_vapid_t *v, const char *endpoint, char *out, size_t cap)
{
    char aud[256], claims[512], header_b64[64], claims_b64[700], input[800];
    if (!s_origin(endpoint, aud, sizeof aud))
        return false;
    s_b64url((const uint8_t *)"{\"typ\":\"JWT\",\"alg\":\"ES256\"}", 27, header_b64, sizeof header_b64);
    int cn = snprintf(claims, sizeof claims, "{\"aud\":\"%s\",\"exp\":%lld,\"sub\":\"%s\"}", aud,
                      (long long)time(NULL) + 12 * 3600, v->subject);
    if (cn <= 0 || (size_t)cn >= sizeof claims)
        return false;
    s_b64url((const uint8_t *)claims, (size_t)cn, claims_b64, sizeof claims_b64);
    snprintf(input, sizeof input, "%s.%s", header_b64, claims_b64);
    /* ES256: the DER signature's r and s as 32 bytes each (RFC 7518 §3.4). */
    uint8_t der[80], raw[64];
    size_t dn = sizeof der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, v->key) == 1 &&
              EVP_DigestSign(md, der, &dn, (const uint8_t *)input, strlen(input)) == 1;
    EVP_MD_CTX_free(md);
    if (!ok)
        return false;
    const uint8_t *dp = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &dp, (long)dn);
    if (!sig)
        return false;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(sig, &r, &s);
    ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    if (!ok)
        return false;
    char sig_b64[100];
    s_b64url(raw, sizeof raw, sig_b64, sizeof sig_b64);
    int n = snprintf(out, cap, "vapid t=%s.%s, k=%s", input, sig_b64, v->public_b64);
    return n > 0 && (size_t)n < cap;
}

/* HKDF-SHA256 with one block of output (all this coding needs). */
static void s_hkdf(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len, const uint8_t *info,
                   size_t info_len, uint8_t out[32])
{
    uint8_t prk[32];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, salt, salt_len);
    crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
    crypto_auth_hmacsha256_final(&st, prk);
    static const uint8_t one = 1;
    crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
    crypto_auth_hmacsha256_update(&st, info, info_len);
    crypto_auth_hmacsha256_update(&st, &one, 1);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(prk, sizeof prk);
}

/* The ECDH secret of our ephemeral key and the browser's point. */
static bool s_ecdh(EVP_PKEY *mine, const uint8_t peer_point[65], uint8_t out[32])
{
    EVP_PKEY *peer = EVP_PKEY_new();
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    bool ok = false;
    EVP_PKEY *tmp = NULL;
    if (pc && EVP_PKEY_paramgen_init(pc) == 1 &&
        EVP_PKEY_CTX_set_ec_paramgen_curve_nid(pc, NID_X9_62_prime256v1) == 1 && EVP_PKEY_paramgen(pc, &tmp) == 1 &&
        EVP_PKEY_copy_parameters(peer, tmp) == 1 && EVP_PKEY_set1_encoded_public_key(peer, peer_point, 65) == 1) {
        EVP_PKEY_CTX *dc = EVP_PKEY_CTX_new(mine, NULL);
        size_t n = 32;
        ok = dc && EVP_PKEY_derive_init(dc) == 1 && EVP_PKEY_derive_set_peer(dc, peer) == 1 &&
             EVP_PKEY_derive(dc, out, &n) == 1 && n == 32;
        EVP_PKEY_CTX_free(dc);
    }
    EVP_PKEY_free(tmp);
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_free(peer);
    return ok;
}

uint8_t *notify_webpush_encrypt(const char *p256dh_b64, const char *auth_b64, const char *plain, size_t *len)
{
    uint8_t ua[65], auth[16];
    if (s_unb64url(p256dh_b64, ua, sizeof ua) != 65 || ua[0] != 4 || s_unb64url(auth_b64, auth, sizeof auth) != 16)
        return NULL;
    EVP_PKEY *eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    uint8_t as[65], ecdh[32];
    if (!eph || !s_public_point(eph, as) || !s_ecdh(eph, ua, ecdh)) {
        EVP_PKEY_free(eph);
        return NULL;
    }
    EVP_PKEY_free(eph);
    /* RFC 8291 §3.4: the input keying material from the ECDH secret and
     * the auth secret, bound to both public keys. */
    uint8_t key_info[14 + 65 + 65], ikm[32], salt[16];
    memcpy(key_info, "WebPush: info", 14); /* with its terminating zero */
    memcpy(key_info + 14, ua, 65);
    memcpy(key_info + 79, as, 65);
    s_hkdf(auth, sizeof auth, ecdh, sizeof ecdh, key_info, sizeof key_info, ikm);
    sodium_memzero(ecdh, sizeof ecdh);
    randombytes_buf(salt, sizeof salt);
    uint8_t cek[32], nonce[32];
    s_hkdf(salt, sizeof salt, ikm, sizeof ikm, (const uint8_t *)"Content-Encoding: aes128gcm", 28, cek);
    s_hkdf(salt, sizeof salt, ikm, sizeof ikm, (const uint8_t *)"Content-Encoding: nonce", 24, nonce);
    sodium_memzero(ikm, sizeof ikm);
    /* One record: the text, the last-record delimiter 2, the tag. */
    size_t plen = strlen(plain);
    if (plen + 1 + 16 > S_RECORD_SIZE) {
        sodium_memzero(cek, sizeof cek);
        return NULL;
    }
    size_t head = 16 + 4 + 1 + 65, total = head + plen + 1 + 16;
    uint8_t *out = pk_malloc(total), *rec = pk_malloc(plen + 1);
    memcpy(out, salt, 16);
    out[16] = (uint8_t)(S_RECORD_SIZE >> 24), out[17] = (uint8_t)(S_RECORD_SIZE >> 16);
    out[18] = (uint8_t)(S_RECORD_SIZE >> 8), out[19] = (uint8_t)S_RECORD_SIZE;
    out[20] = 65;
    memcpy(out + 21, as, 65);
    memcpy(rec, plain, plen);
    rec[plen] = 2;
    EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;
    bool ok = cc && EVP_EncryptInit_ex(cc, EVP_aes_128_gcm(), NULL, NULL, NULL) == 1 &&
              EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
              EVP_EncryptInit_ex(cc, NULL, NULL, cek, nonce) == 1 &&
              EVP_EncryptUpdate(cc, out + head, &n1, rec, (int)(plen + 1)) == 1 &&
              EVP_EncryptFinal_ex(cc, out + head + n1, &n2) == 1 &&
              EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_GET_TAG, 16, out + head + plen + 1) == 1;
    EVP_CIPHER_CTX_free(cc);
    sodium_memzero(cek, sizeof cek);
    sodium_memzero(rec, plen + 1);
    free(rec);
    if (!ok) {
        free(out);
        return NULL;
    }
    *len = total;
    return out;
}
