/* audit_seal.c -- sealed entries of the audit log (see audit_seal.h). */
#include "audit_seal.h"

#include <stdio.h>
#include <string.h>

static const uint8_t s_marker[3] = {0x00, 'S', 0x01};

static void s_context(char *out, size_t cap, const uint8_t *case_id, size_t case_len)
{
    snprintf(out, cap, "audit:%.*s", (int)case_len, (const char *)case_id);
}

size_t audit_sealed_size(const char *case_id, size_t len)
{
    return AUDIT_SEAL_HEADER + strlen(case_id) + len + PK_SEAL_OVERHEAD;
}

size_t audit_seal(const uint8_t key[PK_DATAKEY_BYTES], const char *case_id, const uint8_t *env, size_t len,
                  uint8_t *out)
{
    size_t case_len = strlen(case_id);
    memcpy(out, s_marker, sizeof s_marker);
    out[3] = (uint8_t)case_len;
    memcpy(out + AUDIT_SEAL_HEADER, case_id, case_len);
    char ctx[300];
    s_context(ctx, sizeof ctx, (const uint8_t *)case_id, case_len);
    pk_seal(key, ctx, env, len, out + AUDIT_SEAL_HEADER + case_len);
    return AUDIT_SEAL_HEADER + case_len + len + PK_SEAL_OVERHEAD;
}

bool audit_sealed(const uint8_t *stored, size_t len, const uint8_t **case_id, size_t *case_len)
{
    if (len < AUDIT_SEAL_HEADER || memcmp(stored, s_marker, sizeof s_marker) != 0 ||
        len < AUDIT_SEAL_HEADER + (size_t)stored[3] + PK_SEAL_OVERHEAD)
        return false;
    *case_id = stored + AUDIT_SEAL_HEADER;
    *case_len = stored[3];
    return true;
}

int audit_unseal(const uint8_t key[PK_DATAKEY_BYTES], const uint8_t *stored, size_t len, uint8_t *out,
                 size_t *out_len)
{
    const uint8_t *case_id;
    size_t case_len;
    if (!audit_sealed(stored, len, &case_id, &case_len))
        return PK_ECRYPTO;
    char ctx[300];
    s_context(ctx, sizeof ctx, case_id, case_len);
    size_t off = AUDIT_SEAL_HEADER + case_len;
    if (pk_open(key, ctx, stored + off, len - off, out) != 0)
        return PK_ECRYPTO;
    *out_len = len - off - PK_SEAL_OVERHEAD;
    return 0;
}
