/* audit_merkle.h -- the Merkle tree over the audit log, as in Certificate
 * Transparency (RFC 9162 §2.1), without I/O.
 *
 * Leaf i (0-based) is entry gseq = i + 1; its leaf hash is
 * SHA-256(0x00 || chain hash of the entry), an interior node is
 * SHA-256(0x01 || left || right). The chain hash already covers the
 * entry's bytes, so an inclusion proof needs the entry, the previous
 * chain hash and the audit path. A checkpoint signs the root of the tree
 * over every entry up to its sequence. */
#ifndef AUDIT_MERKLE_H
#define AUDIT_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_MERKLE_MAX_PATH 64

typedef uint8_t audit_hash_t[32];

/* The compact state of a growing tree: the roots of its perfect subtrees,
 * largest first (one per set bit of n). Enough to append and to compute
 * the root; 8 + 32 * popcount(n) bytes when serialized. */
typedef struct {
    uint64_t n;
    int len;
    audit_hash_t node[AUDIT_MERKLE_MAX_PATH];
} audit_merkle_t;

void audit_merkle_leaf(const uint8_t chain_hash[32], uint8_t out[32]);
void audit_merkle_node(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]);

void audit_merkle_init(audit_merkle_t *t);
/* Appends one leaf given its chain hash. */
void audit_merkle_append(audit_merkle_t *t, const uint8_t chain_hash[32]);
/* MTH of the leaves appended so far (SHA-256 of nothing when empty). */
void audit_merkle_root(const audit_merkle_t *t, uint8_t out[32]);
/* Serialized form, for storing with a checkpoint. Returns the length
 * written (at most 8 + 64 * 32). */
size_t audit_merkle_save(const audit_merkle_t *t, uint8_t *out);
/* Returns false when `data` is not a valid serialized state. */
bool audit_merkle_load(audit_merkle_t *t, const uint8_t *data, size_t len);

/* Proof generation from all leaf hashes (as made by audit_merkle_leaf),
 * O(n). `path` receives at most AUDIT_MERKLE_MAX_PATH hashes; the count is
 * returned, or -1 when the arguments are out of range. */
void audit_merkle_mth(const audit_hash_t *leaves, uint64_t n, uint8_t out[32]);
int audit_merkle_inclusion_proof(const audit_hash_t *leaves, uint64_t n, uint64_t index, audit_hash_t *path);
int audit_merkle_consistency_proof(const audit_hash_t *leaves, uint64_t old_n, uint64_t n, audit_hash_t *path);

/* Verification (RFC 9162 §2.1.3.2 and §2.1.4.2). */
bool audit_merkle_verify_inclusion(const uint8_t leaf_hash[32], uint64_t index, uint64_t n, const audit_hash_t *path,
                                   int count, const uint8_t root[32]);
bool audit_merkle_verify_consistency(uint64_t old_n, uint64_t n, const uint8_t old_root[32], const uint8_t root[32],
                                     const audit_hash_t *path, int count);

#endif
