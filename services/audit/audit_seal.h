/* audit_seal.h -- entries of the audit log that belong to a case are kept
 * sealed under that case's key, so that erasing the case (CaseErased:
 * the key is deleted) leaves the chain whole but unreadable for that case
 * (security review M10). The chain hashes the stored bytes, sealed or not.
 *
 * A sealed entry: a marker of three bytes, the length of the key's name
 * (one byte) and the name in clear (the log's case_ref column is checked
 * against it), then pk_seal() of the envelope under the case key with
 * context "audit:<name>". 0x00 never starts a protobuf message, so a
 * stored entry is either an envelope or sealed, never ambiguous.
 *
 * Version 2 (0x00 'S' 0x02) names the key by the case's pseudonym: a
 * random reference kept beside the key (audit_keys.h) and deleted with it,
 * so once the case is erased nothing in the log leads back to the case
 * (security review N3). Version 1 (0x00 'S' 0x01), written before, names
 * it by the case id; it is still read. */
#ifndef AUDIT_SEAL_H
#define AUDIT_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pelukan/crypto.h"

#define AUDIT_SEAL_HEADER 4 /* marker (3) and the name's length (1) */

/* The bytes a sealed envelope of `len` bytes takes under the key `ref`. */
size_t audit_sealed_size(const char *ref, size_t len);
/* Seals `env` into `out` (audit_sealed_size bytes, version 2); returns
 * that size. */
size_t audit_seal(const uint8_t key[PK_DATAKEY_BYTES], const char *ref, const uint8_t *env, size_t len, uint8_t *out);
/* True when `stored` is a sealed entry; then the key's name (not
 * NUL-terminated) is at *name for *name_len bytes, and *by_ref says
 * whether it is a pseudonym (version 2) or a case id (version 1). */
bool audit_sealed(const uint8_t *stored, size_t len, const uint8_t **name, size_t *name_len, bool *by_ref);
/* Opens a sealed entry into `out` (at least `len` bytes); 0 and the
 * envelope's length, or PK_ECRYPTO (forged, or not this key). */
int audit_unseal(const uint8_t key[PK_DATAKEY_BYTES], const uint8_t *stored, size_t len, uint8_t *out,
                 size_t *out_len) PK_MUST_CHECK;

#endif
