/* audit_merkle.c -- Merkle tree hashes, proofs and their verification,
 * following RFC 9162 §2.1 step by step. */
#include "audit_merkle.h"

#include <sodium.h>
#include <string.h>

#include "pelukan/util.h"

void audit_merkle_leaf(const uint8_t chain_hash[32], uint8_t out[32])
{
    crypto_hash_sha256_state st;
    const uint8_t tag = 0x00;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &tag, 1);
    crypto_hash_sha256_update(&st, chain_hash, 32);
    crypto_hash_sha256_final(&st, out);
}

void audit_merkle_node(const uint8_t left[32], const uint8_t right[32], uint8_t out[32])
{
    uint8_t buf[65];
    buf[0] = 0x01;
    memcpy(buf + 1, left, 32);
    memcpy(buf + 33, right, 32);
    crypto_hash_sha256(out, buf, sizeof buf);
}

void audit_merkle_init(audit_merkle_t *t)
{
    t->n = 0;
    t->len = 0;
}

void audit_merkle_append(audit_merkle_t *t, const uint8_t chain_hash[32])
{
    uint8_t h[32];
    audit_merkle_leaf(chain_hash, h);
    /* Like adding one to a binary counter: each carry merges two equal
     * perfect subtrees. */
    for (uint64_t k = t->n; k & 1; k >>= 1)
        audit_merkle_node(t->node[--t->len], h, h);
    memcpy(t->node[t->len++], h, 32);
    t->n++;
}

void audit_merkle_root(const audit_merkle_t *t, uint8_t out[32])
{
    if (t->len == 0) {
        crypto_hash_sha256(out, NULL, 0);
        return;
    }
    uint8_t r[32];
    memcpy(r, t->node[t->len - 1], 32);
    for (int i = t->len - 2; i >= 0; i--)
        audit_merkle_node(t->node[i], r, r);
    memcpy(out, r, 32);
}

size_t audit_merkle_save(const audit_merkle_t *t, uint8_t *out)
{
    pk_be64_put(t->n, out);
    memcpy(out + 8, t->node, (size_t)t->len * 32);
    return 8 + (size_t)t->len * 32;
}

bool audit_merkle_load(audit_merkle_t *t, const uint8_t *data, size_t len)
{
    if (len < 8)
        return false;
    uint64_t n = pk_be64_get(data);
    int bits = __builtin_popcountll(n);
    if (len != 8 + (size_t)bits * 32)
        return false;
    t->n = n;
    t->len = bits;
    memcpy(t->node, data + 8, (size_t)bits * 32);
    return true;
}

/* The largest power of two smaller than n (n > 1). */
static uint64_t s_split(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

void audit_merkle_mth(const audit_hash_t *leaves, uint64_t n, uint8_t out[32])
{
    if (n == 0) {
        crypto_hash_sha256(out, NULL, 0);
    } else if (n == 1) {
        memcpy(out, leaves[0], 32);
    } else {
        uint64_t k = s_split(n);
        uint8_t l[32], r[32];
        audit_merkle_mth(leaves, k, l);
        audit_merkle_mth(leaves + k, n - k, r);
        audit_merkle_node(l, r, out);
    }
}

/* PATH(m, D[n]): the path of the subtree below, then the sibling. */
static int s_path(const audit_hash_t *leaves, uint64_t n, uint64_t m, audit_hash_t *path)
{
    if (n <= 1)
        return 0;
    uint64_t k = s_split(n);
    int c;
    if (m < k) {
        c = s_path(leaves, k, m, path);
        audit_merkle_mth(leaves + k, n - k, path[c]);
    } else {
        c = s_path(leaves + k, n - k, m - k, path);
        audit_merkle_mth(leaves, k, path[c]);
    }
    return c + 1;
}

int audit_merkle_inclusion_proof(const audit_hash_t *leaves, uint64_t n, uint64_t index, audit_hash_t *path)
{
    if (index >= n)
        return -1;
    return s_path(leaves, n, index, path);
}

/* SUBPROOF(m, D[n], b). */
static int s_subproof(const audit_hash_t *leaves, uint64_t m, uint64_t n, bool whole, audit_hash_t *path)
{
    if (m == n) {
        if (whole)
            return 0;
        audit_merkle_mth(leaves, n, path[0]);
        return 1;
    }
    uint64_t k = s_split(n);
    int c;
    if (m <= k) {
        c = s_subproof(leaves, m, k, whole, path);
        audit_merkle_mth(leaves + k, n - k, path[c]);
    } else {
        c = s_subproof(leaves + k, m - k, n - k, false, path);
        audit_merkle_mth(leaves, k, path[c]);
    }
    return c + 1;
}

int audit_merkle_consistency_proof(const audit_hash_t *leaves, uint64_t old_n, uint64_t n, audit_hash_t *path)
{
    if (old_n == 0 || old_n > n)
        return -1;
    return s_subproof(leaves, old_n, n, true, path);
}

bool audit_merkle_verify_inclusion(const uint8_t leaf_hash[32], uint64_t index, uint64_t n, const audit_hash_t *path,
                                   int count, const uint8_t root[32])
{
    if (index >= n || count < 0 || count > AUDIT_MERKLE_MAX_PATH)
        return false;
    uint64_t fn = index, sn = n - 1;
    uint8_t r[32];
    memcpy(r, leaf_hash, 32);
    for (int i = 0; i < count; i++) {
        if (sn == 0)
            return false;
        if ((fn & 1) || fn == sn) {
            audit_merkle_node(path[i], r, r);
            if (!(fn & 1))
                while (fn != 0 && !(fn & 1)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            audit_merkle_node(r, path[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && sodium_memcmp(r, root, 32) == 0;
}

bool audit_merkle_verify_consistency(uint64_t old_n, uint64_t n, const uint8_t old_root[32], const uint8_t root[32],
                                     const audit_hash_t *path, int count)
{
    if (old_n == n)
        return count == 0 && sodium_memcmp(old_root, root, 32) == 0;
    if (old_n == 0 || old_n > n || count < 1 || count > AUDIT_MERKLE_MAX_PATH)
        return false;
    /* An exact power of two is itself a node of the new tree: the proof
     * starts from the old root. */
    audit_hash_t all[AUDIT_MERKLE_MAX_PATH + 1];
    int total = 0;
    if ((old_n & (old_n - 1)) == 0)
        memcpy(all[total++], old_root, 32);
    memcpy(all + total, path, (size_t)count * 32);
    total += count;
    uint64_t fn = old_n - 1, sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[32], sr[32];
    memcpy(fr, all[0], 32);
    memcpy(sr, all[0], 32);
    for (int i = 1; i < total; i++) {
        if (sn == 0)
            return false;
        if ((fn & 1) || fn == sn) {
            audit_merkle_node(all[i], fr, fr);
            audit_merkle_node(all[i], sr, sr);
            if (!(fn & 1))
                while (fn != 0 && !(fn & 1)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            audit_merkle_node(sr, all[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && sodium_memcmp(fr, old_root, 32) == 0 && sodium_memcmp(sr, root, 32) == 0;
}
