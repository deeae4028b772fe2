/* audit.h -- the audit service's settings, shared with pelukanctl. */
#ifndef AUDIT_H
#define AUDIT_H

#include "pelukan/busauth.h"
#include "pelukan/config.h"
#include "pelukan/crypto.h"
#include "pelukan/log.h"
#include "pelukan/metrics.h"

extern const pk_config_def_t audit_settings[];

/* Reads a 32-byte Ed25519 seed (64 hex digits) and derives the key pair.
 * Returns 0 or PK_EKEY / PK_EIO. */
int audit_signing_key_load(const char *path, unsigned char pk[32], unsigned char sk[64]) PK_MUST_CHECK;

/* The archive: a ROUTER on `endpoint` (PELUKAN_AUDIT_ARCHIVE) answering
 * ArchiveRequest (proto/pelukan/v1/bus.proto) from the log, in its own
 * thread and database session. Caller owns return value. */
typedef struct audit_archive audit_archive_t;
/* The archive's ROUTER is a CURVE server ("audit.archive") with `keys`;
 * it opens sealed entries with the case keys that `case_keys` (audit's
 * master key) unwraps, and sends an erased case's entries as envelopes
 * that name nothing. Both must outlive it. */
audit_archive_t *audit_archive_new(const char *endpoint, const char *conninfo, const pk_log_t *log,
                                   pk_metrics_t *metrics, const pk_bus_keys_t *keys, const pk_keyring_t *case_keys);
void audit_archive_destroy(audit_archive_t **self_p);

#endif
