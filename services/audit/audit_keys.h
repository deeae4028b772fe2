/* audit_keys.h -- the audit's case keys and the pseudonyms beside them
 * (security review N3). Every SQL statement on `case_key` and
 * `case_erased` is here.
 *
 * A case's entries are sealed under its key and named in the log by its
 * pseudonym (`ref`, 32 random hex digits), never by the case id. Erasing
 * the case deletes the row that holds the key, the pseudonym and the case
 * id together; what is left is a tombstone, the case id's keyed hash
 * (audit's index key), so an event of the case that arrives later is not
 * given a new key, and an auditor who knows the case id can still find its
 * erasure, while the log's reader without the key cannot tell which case
 * the tombstone or any pseudonym stood for. */
#ifndef AUDIT_KEYS_H
#define AUDIT_KEYS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "pelukan/crypto.h"
#include "pelukan/db.h"
#include "pelukan/log.h"

#define AUDIT_REF_LEN  PK_ID_HEX_LEN
#define AUDIT_TOMB_LEN PK_BLIND_INDEX_HEX_LEN

/* The tombstone of `case_id` (hex, NUL-terminated). */
void audit_tomb(const pk_keyring_t *keys, const char *case_id, char tomb[AUDIT_TOMB_LEN + 1]);

/* The key and pseudonym of `case_id`, made when `create`. 0, PK_ENOENT
 * (none and not `create`), PK_ECRYPTO (the case was erased) or PK_EDB. */
int audit_key_of_case(PGconn *conn, pk_pg_stmts_t *stmts, const pk_keyring_t *keys, const pk_log_t *log,
                      const char *case_id, bool create, uint8_t key[PK_DATAKEY_BYTES],
                      char ref[AUDIT_REF_LEN + 1]) PK_MUST_CHECK;

/* The key a sealed entry names (audit_sealed): by pseudonym, or by case id
 * for entries sealed before pseudonyms. 0, PK_ECRYPTO (erased) or PK_EDB. */
int audit_key_of_entry(PGconn *conn, pk_pg_stmts_t *stmts, const pk_keyring_t *keys, const pk_log_t *log,
                       const char *name, bool by_ref, uint8_t key[PK_DATAKEY_BYTES]) PK_MUST_CHECK;

/* Forgets the case's key and pseudonym and leaves its tombstone. 0 or
 * PK_EDB. */
int audit_key_erase(PGconn *conn, pk_pg_stmts_t *stmts, const pk_log_t *log, const char *case_id,
                    const char *tomb) PK_MUST_CHECK;

#endif
