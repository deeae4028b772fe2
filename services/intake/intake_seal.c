/* intake_seal.c -- see intake_seal.h. */
#include "intake_seal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/db.h"
#include "pelukan/util.h"

uint8_t *intake_seal_json_raw(const uint8_t key[PK_DATAKEY_BYTES], const char *owner, const char *what,
                              const json_t *value, size_t *len)
{
    char *text = json_dumps(value, JSON_COMPACT);
    size_t n = strlen(text);
    uint8_t *sealed = pk_malloc(n + PK_SEAL_OVERHEAD);
    char context[128];
    snprintf(context, sizeof context, "%s:%s", owner, what);
    pk_seal(key, context, text, n, sealed);
    sodium_memzero(text, n);
    free(text);
    *len = n + PK_SEAL_OVERHEAD;
    return sealed;
}

char *intake_seal_json(const uint8_t key[PK_DATAKEY_BYTES], const char *owner, const char *what, const json_t *value)
{
    size_t len;
    uint8_t *sealed = intake_seal_json_raw(key, owner, what, value, &len);
    char *hex = pk_pg_bytea(sealed, len);
    free(sealed);
    return hex;
}

json_t *intake_open_sealed(const uint8_t key[PK_DATAKEY_BYTES], const char *owner, const char *what,
                           const uint8_t *sealed, size_t n)
{
    if (n <= PK_SEAL_OVERHEAD)
        return NULL;
    char context[128];
    snprintf(context, sizeof context, "%s:%s", owner, what);
    size_t plen = n - PK_SEAL_OVERHEAD;
    uint8_t *plain = pk_malloc(plen + 1);
    json_t *value = NULL;
    if (pk_open(key, context, sealed, n, plain) == 0)
        value = json_loadb((const char *)plain, plen, JSON_REJECT_DUPLICATES, NULL);
    sodium_memzero(plain, plen);
    free(plain);
    return value;
}
