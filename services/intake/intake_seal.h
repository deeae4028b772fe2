/* intake_seal.h -- personal data sealed as JSON under a reporter's or a
 * case's key, with a context that names its owner and what it is: the
 * owner seals and opens what it keeps, the edge seals what a reporter
 * sends before it leaves her request. */
#ifndef INTAKE_SEAL_H
#define INTAKE_SEAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "pelukan/crypto.h"

/* Seals a JSON value under `key` with context "<owner>:<what>"; returns a
 * bytea literal. Caller frees. */
char *intake_seal_json(const uint8_t key[PK_DATAKEY_BYTES], const char *owner, const char *what, const json_t *value);
/* The same, as bytes (`len` of them). Caller frees. */
uint8_t *intake_seal_json_raw(const uint8_t key[PK_DATAKEY_BYTES], const char *owner, const char *what,
                              const json_t *value, size_t *len);
/* Opens a value sealed by intake_seal_json(); NULL when NULL, forged or
 * not JSON. Caller owns return value. */
json_t *intake_open_sealed(const uint8_t key[PK_DATAKEY_BYTES], const char *owner, const char *what,
                           const uint8_t *sealed, size_t n);

#endif
