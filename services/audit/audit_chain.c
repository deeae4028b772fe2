/* audit_chain.c -- chain hashes and checkpoint messages. */
#include "audit_chain.h"

#include <sodium.h>
#include <string.h>

#include "pelukan/util.h"

void audit_chain_hash(const uint8_t prev[AUDIT_HASH_BYTES], uint64_t gseq, const char *producer, uint64_t epoch,
                      uint64_t seq, const uint8_t *envelope, size_t envelope_len, uint8_t out[AUDIT_HASH_BYTES])
{
    crypto_hash_sha256_state st;
    uint8_t n[8], zero = 0;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, prev, AUDIT_HASH_BYTES);
    pk_be64_put(gseq, n);
    crypto_hash_sha256_update(&st, n, 8);
    crypto_hash_sha256_update(&st, (const uint8_t *)producer, strlen(producer));
    crypto_hash_sha256_update(&st, &zero, 1);
    pk_be64_put(epoch, n);
    crypto_hash_sha256_update(&st, n, 8);
    pk_be64_put(seq, n);
    crypto_hash_sha256_update(&st, n, 8);
    crypto_hash_sha256_update(&st, envelope, envelope_len);
    crypto_hash_sha256_final(&st, out);
}

size_t audit_checkpoint_message(uint64_t gseq, const uint8_t head[AUDIT_HASH_BYTES],
                                const uint8_t tree_root[AUDIT_HASH_BYTES], uint64_t signed_at_us, uint8_t out[128])
{
    const char *tag = tree_root ? "pelukan-audit-checkpoint-v2" : "pelukan-audit-checkpoint-v1";
    size_t n = strlen(tag);
    memcpy(out, tag, n);
    pk_be64_put(gseq, out + n);
    n += 8;
    memcpy(out + n, head, AUDIT_HASH_BYTES);
    n += AUDIT_HASH_BYTES;
    if (tree_root) {
        memcpy(out + n, tree_root, AUDIT_HASH_BYTES);
        n += AUDIT_HASH_BYTES;
    }
    pk_be64_put(signed_at_us, out + n);
    return n + 8;
}
