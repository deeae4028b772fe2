/* audit_seal.h -- entries of the audit log that belong to a case are kept
 * sealed under that case's key, so that erasing the case (CaseErased:
 * the key is deleted) leaves the chain whole but unreadable for that case
 * (security review M10). The chain hashes the stored bytes, sealed or not.
 *
 * A sealed entry: 0x00 'S' 0x01, the case id's length (one byte) and the
 * case id in clear (the log's case_id column is checked against it), then
 * pk_seal() of the envelope under the case key with context
 * "audit:<case id>". 0x00 never starts a protobuf message, so a stored
 * entry is either an envelope or sealed, never ambiguous. */
#ifndef AUDIT_SEAL_H
#define AUDIT_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pelukan/crypto.h"

#define AUDIT_SEAL_HEADER 4 /* marker (3) and the case id's length (1) */

/* The bytes a sealed envelope of `len` bytes takes for `case_id`. */
size_t audit_sealed_size(const char *case_id, size_t len);
/* Seals `env` into `out` (audit_sealed_size bytes); returns that size. */
size_t audit_seal(const uint8_t key[PK_DATAKEY_BYTES], const char *case_id, const uint8_t *env, size_t len,
                  uint8_t *out);
/* True when `stored` is a sealed entry; then its case id (not
 * NUL-terminated) is at *case_id for *case_len bytes. */
bool audit_sealed(const uint8_t *stored, size_t len, const uint8_t **case_id, size_t *case_len);
/* Opens a sealed entry into `out` (at least `len` bytes); 0 and the
 * envelope's length, or PK_ECRYPTO (forged, or not this key). */
int audit_unseal(const uint8_t key[PK_DATAKEY_BYTES], const uint8_t *stored, size_t len, uint8_t *out,
                 size_t *out_len) PK_MUST_CHECK;

#endif
