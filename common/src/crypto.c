/* crypto.c -- keys and sealed fields on libsodium. */
#include "pelukan/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pelukan/util.h"

#define S_FORMAT_V1 0x01

/* Sub-keys derived from the master key with crypto_kdf: one for wrapping
 * data keys, one for blind indexes. The master key itself is not kept. */
struct pk_keyring {
    uint8_t *wrap_key;  /* sodium_malloc'd, 32 bytes */
    uint8_t *index_key; /* sodium_malloc'd, 32 bytes */
};

int pk_crypto_init(void)
{
    return sodium_init() < 0 ? PK_ECRYPTO : 0;
}

void pk_id_random(uint8_t out[PK_ID_BYTES])
{
    randombytes_buf(out, PK_ID_BYTES);
}

void pk_id_new(char out[PK_ID_HEX_LEN + 1])
{
    uint8_t raw[PK_ID_BYTES];
    pk_id_random(raw);
    pk_hex(raw, sizeof raw, out);
}

bool pk_id_ok(const char *s)
{
    return s && strlen(s) == PK_ID_HEX_LEN && strspn(s, "0123456789abcdef") == PK_ID_HEX_LEN;
}

pk_keyring_t *pk_keyring_from_bytes(const uint8_t master[32])
{
    pk_keyring_t *self = pk_calloc(1, sizeof *self);
    self->wrap_key = sodium_malloc(32);
    self->index_key = sodium_malloc(32);
    if (!self->wrap_key || !self->index_key)
        abort(); /* the allocation policy: out of (locked) memory aborts */
    crypto_kdf_derive_from_key(self->wrap_key, 32, 1, "pkwrap01", master);
    crypto_kdf_derive_from_key(self->index_key, 32, 2, "pkindx01", master);
    return self;
}

pk_keyring_t *pk_keyring_load(const char *path, int *err)
{
    char *text = NULL;
    size_t len = 0;
    if (pk_read_file(path, &text, &len) != 0) {
        *err = PK_EIO;
        return NULL;
    }
    uint8_t master[32];
    size_t bin_len = 0;
    int ok;
    if (len == 32) {
        memcpy(master, text, 32);
        ok = 1;
    } else {
        while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
            text[--len] = '\0';
        ok = len == 64 && sodium_hex2bin(master, sizeof master, text, len, NULL, &bin_len, NULL) == 0 && bin_len == 32;
    }
    sodium_memzero(text, len);
    free(text);
    if (!ok) {
        *err = PK_EKEY;
        return NULL;
    }
    pk_keyring_t *self = pk_keyring_from_bytes(master);
    sodium_memzero(master, sizeof master);
    return self;
}

void pk_keyring_destroy(pk_keyring_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sodium_free((*self_p)->wrap_key);
    sodium_free((*self_p)->index_key);
    free(*self_p);
    *self_p = NULL;
}

int pk_keyring_generate_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return PK_EIO;
    uint8_t master[32];
    char hex[65];
    randombytes_buf(master, sizeof master);
    sodium_bin2hex(hex, sizeof hex, master, sizeof master);
    sodium_memzero(master, sizeof master);
    hex[64] = '\n';
    ssize_t n = write(fd, hex, 65);
    sodium_memzero(hex, sizeof hex);
    int rc = close(fd);
    return n == 65 && rc == 0 ? 0 : PK_EIO;
}

/* [version][nonce][ciphertext+tag], with `context` as associated data. */
static void s_seal(const uint8_t *key, const char *context, const void *plain, size_t len, uint8_t *out)
{
    out[0] = S_FORMAT_V1;
    uint8_t *nonce = out + 1;
    randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen, plain,
                                               len, (const uint8_t *)context, context ? strlen(context) : 0, NULL,
                                               nonce, key);
}

static int s_open(const uint8_t *key, const char *context, const uint8_t *sealed, size_t sealed_len, uint8_t *out)
{
    if (sealed_len < PK_SEAL_OVERHEAD || sealed[0] != S_FORMAT_V1)
        return PK_ECRYPTO;
    const uint8_t *nonce = sealed + 1;
    const uint8_t *c = nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    unsigned long long plen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            out, &plen, NULL, c, sealed_len - 1 - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
            (const uint8_t *)context, context ? strlen(context) : 0, nonce, key) != 0)
        return PK_ECRYPTO;
    return 0;
}

void pk_datakey_new(const pk_keyring_t *kr, const char *context, uint8_t key[PK_DATAKEY_BYTES],
                    uint8_t wrapped[PK_WRAPPED_KEY_BYTES])
{
    crypto_aead_xchacha20poly1305_ietf_keygen(key);
    s_seal(kr->wrap_key, context, key, PK_DATAKEY_BYTES, wrapped);
}

int pk_datakey_unwrap(const pk_keyring_t *kr, const char *context, const uint8_t *wrapped, size_t wrapped_len,
                      uint8_t key[PK_DATAKEY_BYTES])
{
    if (wrapped_len != PK_WRAPPED_KEY_BYTES)
        return PK_ECRYPTO;
    return s_open(kr->wrap_key, context, wrapped, wrapped_len, key);
}

void pk_seal(const uint8_t key[PK_DATAKEY_BYTES], const char *context, const void *plain, size_t len, uint8_t *out)
{
    s_seal(key, context, plain, len, out);
}

int pk_open(const uint8_t key[PK_DATAKEY_BYTES], const char *context, const uint8_t *sealed, size_t sealed_len,
            uint8_t *out)
{
    return s_open(key, context, sealed, sealed_len, out);
}

void pk_blind_index(const pk_keyring_t *kr, const char *domain, const void *data, size_t len,
                    char out[PK_BLIND_INDEX_HEX_LEN + 1])
{
    crypto_generichash_state st;
    uint8_t digest[32];
    crypto_generichash_init(&st, kr->index_key, 32, sizeof digest);
    /* Length-prefix the domain so ("ab","c") and ("a","bc") differ. */
    uint8_t dlen = (uint8_t)strlen(domain);
    crypto_generichash_update(&st, &dlen, 1);
    crypto_generichash_update(&st, (const uint8_t *)domain, dlen);
    crypto_generichash_update(&st, data, len);
    crypto_generichash_final(&st, digest, sizeof digest);
    sodium_bin2hex(out, PK_BLIND_INDEX_HEX_LEN + 1, digest, sizeof digest);
}

int pk_password_hash(const char *password, char out[PK_PASSWORD_HASH_MAX])
{
    _Static_assert(PK_PASSWORD_HASH_MAX >= crypto_pwhash_STRBYTES, "hash buffer too small");
    if (crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return PK_ECRYPTO;
    return 0;
}

int pk_password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? 0 : PK_ECRYPTO;
}

int pk_memcmp_ct(const void *a, const void *b, size_t len)
{
    return sodium_memcmp(a, b, len) == 0 ? 0 : -1;
}
