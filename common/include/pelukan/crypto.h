/* crypto.h -- libsodium helpers: ids, per-case data keys, sealed fields,
 * blind indexes, password hashes.
 *
 * Personal fields are sealed with XChaCha20-Poly1305 under a per-case data
 * key. Data keys are stored wrapped by the master key (read from a file).
 * Destroying a case's wrapped key makes its fields unreadable for good
 * (crypto-shredding). Lookups by phone use a keyed hash (blind index). */
#ifndef PELUKAN_CRYPTO_H
#define PELUKAN_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pelukan/error.h"

#define PK_ID_BYTES            16
#define PK_ID_HEX_LEN          (2 * PK_ID_BYTES) /* 32 hex digits */
#define PK_DATAKEY_BYTES       32
#define PK_WRAPPED_KEY_BYTES   (1 + 24 + 32 + 16) /* version, nonce, key, tag */
#define PK_SEAL_OVERHEAD       (1 + 24 + 16)      /* version, nonce, tag */
#define PK_BLIND_INDEX_HEX_LEN 64
#define PK_PASSWORD_HASH_MAX   128

typedef struct pk_keyring pk_keyring_t;

/* Initialises libsodium; call once before anything else here. */
int pk_crypto_init(void) PK_MUST_CHECK;

/* Fills `out` with 16 random bytes. */
void pk_id_random(uint8_t out[PK_ID_BYTES]);
/* Writes a new random id as 32 lowercase hex digits plus NUL. */
void pk_id_new(char out[PK_ID_HEX_LEN + 1]);
/* True when `s` is such an id: exactly 32 lowercase hex digits. */
bool pk_id_ok(const char *s);

/* Loads the master key from `path` (64 hex digits, optionally followed by a
 * newline, or exactly 32 raw bytes) and derives the wrapping and index keys.
 * Keys live in guarded, locked memory. On error returns NULL and sets *err
 * (PK_EKEY or PK_EIO). Caller owns return value. */
pk_keyring_t *pk_keyring_load(const char *path, int *err);
/* As pk_keyring_load, from 32 bytes in memory (tests). */
pk_keyring_t *pk_keyring_from_bytes(const uint8_t master[32]);
/* Wipes and frees the keys; accepts NULL. */
void pk_keyring_destroy(pk_keyring_t **self_p);

/* Writes a new random master key as hex to `path` with mode 0600; fails with
 * PK_EIO if the file exists. */
int pk_keyring_generate_file(const char *path) PK_MUST_CHECK;

/* Makes a new random data key and its wrapped form. `context` (for example
 * the case id) is authenticated: the wrapped key opens only with it. */
void pk_datakey_new(const pk_keyring_t *kr, const char *context, uint8_t key[PK_DATAKEY_BYTES],
                    uint8_t wrapped[PK_WRAPPED_KEY_BYTES]);
/* Unwraps a data key; PK_ECRYPTO if it was tampered with or the context differs. */
int pk_datakey_unwrap(const pk_keyring_t *kr, const char *context, const uint8_t *wrapped, size_t wrapped_len,
                      uint8_t key[PK_DATAKEY_BYTES]) PK_MUST_CHECK;

/* Seals `len` bytes of `plain` under `key`; `context` (e.g. "case:<id>:phone")
 * binds the ciphertext to its place, so it cannot be moved to another field
 * or case. `out` must hold len + PK_SEAL_OVERHEAD bytes. */
void pk_seal(const uint8_t key[PK_DATAKEY_BYTES], const char *context, const void *plain, size_t len, uint8_t *out);
/* Opens a sealed value into `out` (sealed_len - PK_SEAL_OVERHEAD bytes).
 * Returns 0, or PK_ECRYPTO when forged, moved or truncated. */
int pk_open(const uint8_t key[PK_DATAKEY_BYTES], const char *context, const uint8_t *sealed, size_t sealed_len,
            uint8_t *out) PK_MUST_CHECK;

/* Keyed hash of `data` for equality lookups without the plaintext.
 * `domain` separates uses ("phone", "email"). Writes 64 hex digits + NUL. */
void pk_blind_index(const pk_keyring_t *kr, const char *domain, const void *data, size_t len,
                    char out[PK_BLIND_INDEX_HEX_LEN + 1]);

/* Argon2id (interactive limits, ~80 ms): run it off the event loop. */
int pk_password_hash(const char *password, char out[PK_PASSWORD_HASH_MAX]) PK_MUST_CHECK;
/* Returns 0 when `password` matches `hash`, PK_ECRYPTO otherwise. */
int pk_password_verify(const char *hash, const char *password) PK_MUST_CHECK;

/* Compares in constant time; returns 0 when equal. */
int pk_memcmp_ct(const void *a, const void *b, size_t len);

#endif
