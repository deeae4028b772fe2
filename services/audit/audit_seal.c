/* audit_seal.c -- sealed entries of the audit log (see audit_seal.h). */
#include "audit_seal.h"

#include <stdio.h>
#include <string.h>

static const uint8_t s_marker_v1[3] = {0x00, 'S', 0x01}, s_marker_v2[3] = {0x00, 'S', 0x02};

static void s_context(char *out, size_t cap, const uint8_t *name, size_t name_len)
{
    snprintf(out, cap, "audit:%.*s", (int)name_len, (const char *)name);
}

size_t audit_sealed_size(const char *ref, size_t len)
{
    return AUDIT_SEAL_HEADER + strlen(ref) + len + PK_SEAL_OVERHEAD;
}

size_t audit_seal(const uint8_t key[PK_DATAKEY_BYTES], const char *ref, const uint8_t *env, size_t len, uint8_t *out)
{
    size_t ref_len = strlen(ref);
    memcpy(out, s_marker_v2, sizeof s_marker_v2);
    out[3] = (uint8_t)ref_len;
    memcpy(out + AUDIT_SEAL_HEADER, ref, ref_len);
    char ctx[300];
    s_context(ctx, sizeof ctx, (const uint8_t *)ref, ref_len);
    pk_seal(key, ctx, env, len, out + AUDIT_SEAL_HEADER + ref_len);
    return AUDIT_SEAL_HEADER + ref_len + len + PK_SEAL_OVERHEAD;
}

bool audit_sealed(const uint8_t *stored, size_t len, const uint8_t **name, size_t *name_len, bool *by_ref)
{
    if (len < AUDIT_SEAL_HEADER || len < AUDIT_SEAL_HEADER + (size_t)stored[3] + PK_SEAL_OVERHEAD)
        return false;
    if (memcmp(stored, s_marker_v2, sizeof s_marker_v2) == 0)
        *by_ref = true;
    else if (memcmp(stored, s_marker_v1, sizeof s_marker_v1) == 0)
        *by_ref = false;
    else
        return false;
    *name = stored + AUDIT_SEAL_HEADER;
    *name_len = stored[3];
    return true;
}

int audit_unseal(const uint8_t key[PK_DATAKEY_BYTES], const uint8_t *stored, size_t len, uint8_t *out,
                 size_t *out_len)
{
    const uint8_t *name;
    size_t name_len;
    bool by_ref;
    if (!audit_sealed(stored, len, &name, &name_len, &by_ref))
        return PK_ECRYPTO;
    char ctx[300];
    s_context(ctx, sizeof ctx, name, name_len);
    size_t off = AUDIT_SEAL_HEADER + name_len;
    if (pk_open(key, ctx, stored + off, len - off, out) != 0)
        return PK_ECRYPTO;
    *out_len = len - off - PK_SEAL_OVERHEAD;
    return 0;
}
