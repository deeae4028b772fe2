/* pkt_webpush.c -- see pkt_webpush.h. */
#include "pkt_webpush.h"

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t s_b64url_enc(const uint8_t *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = a[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = a[v & 63];
    }
    out[o] = '\0';
    return o;
}

static long s_b64url_dec(const char *in, size_t n, uint8_t *out, size_t cap)
{
    uint32_t v = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        int d = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '-'             ? 62
                : c == '_'             ? 63
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 6 | (uint32_t)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return -1;
            out[o++] = (uint8_t)(v >> bits);
        }
    }
    return (long)o;
}

static bool s_point(EVP_PKEY *k, uint8_t out[65])
{
    size_t n = 0;
    return EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, 65, &n) == 1 && n == 65;
}

static EVP_PKEY *s_from_point(const uint8_t point[65])
{
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
                           OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, 65),
                           OSSL_PARAM_construct_end()};
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *k = NULL;
    if (!c || EVP_PKEY_fromdata_init(c) != 1 || EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
        k = NULL;
    EVP_PKEY_CTX_free(c);
    return k;
}

void pkt_browser_new(pkt_browser_t *b)
{
    memset(b, 0, sizeof *b);
    b->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    uint8_t p[65];
    s_point(b->key, p);
    s_b64url_enc(p, 65, b->p256dh);
    RAND_bytes(b->secret, sizeof b->secret);
    s_b64url_enc(b->secret, sizeof b->secret, b->auth);
}

void pkt_browser_free(pkt_browser_t *b)
{
    EVP_PKEY_free(b->key);
    b->key = NULL;
}

/* HKDF-SHA256 (extract and expand) by OpenSSL's KDF. */
static bool s_hkdf(const uint8_t *salt, size_t sl, const uint8_t *ikm, size_t il, const uint8_t *info, size_t nl,
                   uint8_t *out, size_t len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
                      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, sl),
                      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, il),
                      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, nl),
                      OSSL_PARAM_construct_end()};
    bool ok = c && EVP_KDF_derive(c, out, len, p) == 1;
    EVP_KDF_CTX_free(c);
    EVP_KDF_free(kdf);
    return ok;
}

char *pkt_webpush_open(const pkt_browser_t *b, const uint8_t *body, size_t len)
{
    if (len < 21 + 65 + 17 || body[20] != 65)
        return NULL;
    const uint8_t *salt = body, *as = body + 21, *ct = body + 86;
    size_t clen = len - 86 - 16;
    EVP_PKEY *peer = s_from_point(as);
    uint8_t ecdh[32];
    size_t en = sizeof ecdh;
    EVP_PKEY_CTX *d = EVP_PKEY_CTX_new(b->key, NULL);
    bool ok = peer && d && EVP_PKEY_derive_init(d) == 1 && EVP_PKEY_derive_set_peer(d, peer) == 1 &&
              EVP_PKEY_derive(d, ecdh, &en) == 1;
    EVP_PKEY_CTX_free(d);
    EVP_PKEY_free(peer);
    uint8_t ua[65], info[14 + 130], ikm[32], cek[16], nonce[12];
    s_point(b->key, ua);
    memcpy(info, "WebPush: info", 14);
    memcpy(info + 14, ua, 65);
    memcpy(info + 79, as, 65);
    ok = ok && s_hkdf(b->secret, 16, ecdh, 32, info, sizeof info, ikm, 32) &&
         s_hkdf(salt, 16, ikm, 32, (const uint8_t *)"Content-Encoding: aes128gcm", 28, cek, 16) &&
         s_hkdf(salt, 16, ikm, 32, (const uint8_t *)"Content-Encoding: nonce", 24, nonce, 12);
    if (!ok)
        return NULL;
    uint8_t *plain = malloc(clen + 1);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;
    ok = EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, cek, nonce) == 1 &&
         EVP_DecryptUpdate(c, plain, &n1, ct, (int)clen) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(ct + clen)) == 1 &&
         EVP_DecryptFinal_ex(c, plain + n1, &n2) == 1;
    EVP_CIPHER_CTX_free(c);
    /* The last record ends with the delimiter 2, then padding zeros. */
    size_t n = (size_t)(n1 + n2);
    while (ok && n > 0 && plain[n - 1] == 0)
        n--;
    if (!ok || n == 0 || plain[n - 1] != 2) {
        free(plain);
        return NULL;
    }
    plain[n - 1] = '\0';
    return (char *)plain;
}

void pkt_vapid_new(const char *pem_path, char public_b64[96])
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    FILE *f = fopen(pem_path, "w");
    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    uint8_t p[65];
    s_point(k, p);
    s_b64url_enc(p, 65, public_b64);
    EVP_PKEY_free(k);
}

bool pkt_vapid_ok(const char *authorization, const char *public_b64, const char *aud)
{
    const char *t = strstr(authorization, "t="), *k = strstr(authorization, "k=");
    if (strncmp(authorization, "vapid ", 6) != 0 || !t || !k)
        return false;
    t += 2;
    k += 2;
    size_t tl = strcspn(t, ", "), kl = strcspn(k, ", ");
    if (kl != strlen(public_b64) || strncmp(k, public_b64, kl) != 0)
        return false;
    const char *dot1 = memchr(t, '.', tl), *dot2 = dot1 ? memchr(dot1 + 1, '.', tl - (size_t)(dot1 + 1 - t)) : NULL;
    if (!dot2)
        return false;
    char claims[600];
    long cn = s_b64url_dec(dot1 + 1, (size_t)(dot2 - dot1 - 1), (uint8_t *)claims, sizeof claims - 1);
    if (cn <= 0)
        return false;
    claims[cn] = '\0';
    json_t *j = json_loads(claims, 0, NULL);
    const char *a = json_string_value(json_object_get(j, "aud")), *sub = json_string_value(json_object_get(j, "sub"));
    json_int_t exp = json_integer_value(json_object_get(j, "exp"));
    bool ok = a && strcmp(a, aud) == 0 && sub && strncmp(sub, "mailto:", 7) == 0 && exp > time(NULL) &&
              exp <= time(NULL) + 24 * 3600;
    json_decref(j);
    uint8_t raw[64], point[65];
    ok = ok && s_b64url_dec(dot2 + 1, tl - (size_t)(dot2 + 1 - t), raw, sizeof raw) == 64 &&
         s_b64url_dec(k, kl, point, sizeof point) == 65;
    if (!ok)
        return false;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
    uint8_t *der = NULL;
    int dl = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    EVP_PKEY *pub = s_from_point(point);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ok = pub && dl > 0 && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
         EVP_DigestVerify(md, der, (size_t)dl, (const uint8_t *)t, (size_t)(dot2 - t)) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pub);
    OPENSSL_free(der);
    return ok;
}
