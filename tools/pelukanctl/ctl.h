/* ctl.h -- what the commands of pelukanctl share. */
#ifndef PELUKANCTL_H
#define PELUKANCTL_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pelukan/busauth.h"
#include "pelukan/config.h"
#include "pelukan/log.h"
#include "pelukan/v1/envelope.pb-c.h"

typedef struct {
    pk_config_t *cfg;    /* read as the audit service would */
    pk_log_t *log;       /* warnings to stderr */
    pk_bus_keys_t *keys; /* the bus key pair of "ctl", for commands that use the bus */
} ctl_t;

/* Exit codes: 0 success, 1 the check failed (verify, check-proof), 2 usage,
 * configuration, connection or input error. */
#define CTL_OK     0
#define CTL_FAILED 1
#define CTL_ERROR  2

/* Connects as the audit role (PELUKAN_DB_URL / PELUKAN_AUDIT_DB_URL), or
 * prints why not and returns NULL. */
PGconn *ctl_db(const ctl_t *ctl);

/* The checkpoint signing key: `hex` (64 digits) when given, else derived
 * from PELUKAN_AUDIT_SIGNING_KEY_FILE. Prints why not and returns false. */
bool ctl_public_key(const ctl_t *ctl, const char *hex, uint8_t pk[32]);

/* pelukanctl bus keygen DIR NAME...: new CURVE key pairs. */
int ctl_bus_keygen(const ctl_t *ctl, int argc, char **argv);

/* One event as one line: human-readable, or one JSON object; `gseq` 0
 * (a live event, not yet in the audit log) is left out. */
void ctl_print_entry(FILE *out, uint64_t gseq, const char *producer, uint64_t epoch, uint64_t seq,
                     const Pelukan__V1__Envelope *env, bool json);

int ctl_audit_verify(const ctl_t *ctl, int argc, char **argv);
int ctl_audit_prove(const ctl_t *ctl, int argc, char **argv);
int ctl_audit_check_proof(const ctl_t *ctl, int argc, char **argv);
int ctl_audit_replay(const ctl_t *ctl, int argc, char **argv);
/* The log positions of a case's entries, asked of the archive (only it
 * knows the case's pseudonym, security review N3). *gseqs is the caller's
 * to free. CTL_OK or CTL_ERROR. */
int ctl_audit_case_entries(const ctl_t *ctl, const char *case_id, uint64_t **gseqs, size_t *n);
int ctl_audit_access(const ctl_t *ctl, int argc, char **argv);
int ctl_watch(const ctl_t *ctl, int argc, char **argv);
int ctl_staff_add(const ctl_t *ctl, int argc, char **argv);
int ctl_staff_list(const ctl_t *ctl, int argc, char **argv);
int ctl_staff_disable(const ctl_t *ctl, int argc, char **argv);

#endif
