/* audit.h -- the audit service's settings, shared with pelukanctl. */
#ifndef AUDIT_H
#define AUDIT_H

#include "pelukan/config.h"

extern const pk_config_def_t audit_settings[];

/* Reads a 32-byte Ed25519 seed (64 hex digits) and derives the key pair.
 * Returns 0 or PK_EKEY / PK_EIO. */
int audit_signing_key_load(const char *path, unsigned char pk[32], unsigned char sk[64]) PK_MUST_CHECK;

#endif
