/* audit_chain.h -- the hash chain and checkpoint signatures of the audit
 * log, without I/O: the service and the verifier compute the same bytes. */
#ifndef AUDIT_CHAIN_H
#define AUDIT_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_BYTES 32
#define AUDIT_SIG_BYTES  64
#define AUDIT_PK_BYTES   32

/* hash = SHA-256(prev || int8(gseq) || producer || 0 || int8(epoch) ||
 * int8(seq) || envelope), integers big-endian. */
void audit_chain_hash(const uint8_t prev[AUDIT_HASH_BYTES], uint64_t gseq, const char *producer, uint64_t epoch,
                      uint64_t seq, const uint8_t *envelope, size_t envelope_len, uint8_t out[AUDIT_HASH_BYTES]);

/* The bytes a checkpoint signs: v2 = "pelukan-audit-checkpoint-v2" ||
 * int8(gseq) || head || tree_root || int8(signed_at_us); with `tree_root`
 * NULL, the v1 message of checkpoints older than the Merkle tree (no
 * root). Returns the length written to `out`. */
size_t audit_checkpoint_message(uint64_t gseq, const uint8_t head[AUDIT_HASH_BYTES],
                                const uint8_t tree_root[AUDIT_HASH_BYTES], uint64_t signed_at_us, uint8_t out[128]);

#endif
