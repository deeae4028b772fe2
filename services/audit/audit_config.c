/* audit_config.c -- the audit's settings and its signing key. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "pelukan/util.h"

#ifndef PK_DEFAULT_VAR_DIR
#define PK_DEFAULT_VAR_DIR "var"
#endif

const pk_config_def_t audit_settings[] = {
    {"PELUKAN_AUDIT_SIGNING_KEY_FILE", PK_CFG_FILE, PK_DEFAULT_VAR_DIR "/keys/audit-signing.key",
     "Ed25519 seed (64 hex digits) that signs checkpoints", NULL, 0, 0},
    {"PELUKAN_AUDIT_CHECKPOINT_S", PK_CFG_INT, "60", "seconds between signed checkpoints of the log head", NULL, 1,
     86400},
    {"PELUKAN_AUDIT_OWNER_DB_URL", PK_CFG_SECRET, "",
     "libpq conninfo of the role that owns the audit schema and runs its migrations; empty: PELUKAN_DB_URL as role "
     "audit_owner",
     NULL, 0, 0},
    {"PELUKAN_AUDIT_CHECKPOINT_ENTRIES", PK_CFG_INT, "10000",
     "entries after which a checkpoint is signed without waiting for PELUKAN_AUDIT_CHECKPOINT_S", NULL, 1, 100000000},
    PK_CONFIG_END,
};

int audit_signing_key_load(const char *path, unsigned char pk[32], unsigned char sk[64])
{
    char *text = NULL;
    size_t len = 0;
    if (pk_read_file(path, &text, &len) != 0)
        return PK_EIO;
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        text[--len] = '\0';
    unsigned char seed[32];
    size_t bin = 0;
    int ok = len == 64 && sodium_hex2bin(seed, sizeof seed, text, len, NULL, &bin, NULL) == 0 && bin == 32;
    sodium_memzero(text, len);
    free(text);
    if (!ok)
        return PK_EKEY;
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof seed);
    return 0;
}
