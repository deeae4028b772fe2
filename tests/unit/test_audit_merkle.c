/* test_audit_merkle.c -- the Merkle tree over the audit log: the compact
 * state agrees with the recursive definition, and every inclusion and
 * consistency proof of small trees verifies, while any change to a proof,
 * an index, a size or a root makes it fail. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "../../services/audit/audit_merkle.h"

#define S_MAX 70

static audit_hash_t s_chain[300], s_leaves[300];

static void s_setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    for (int i = 0; i < 300; i++) {
        uint8_t seed = (uint8_t)i;
        crypto_hash_sha256(s_chain[i], &seed, 1);
        audit_merkle_leaf(s_chain[i], s_leaves[i]);
    }
}

TestSuite(audit_merkle, .init = s_setup);

Test(audit_merkle, compact_state_gives_the_rfc_root)
{
    audit_merkle_t t;
    audit_merkle_init(&t);
    uint8_t a[32], b[32];
    audit_merkle_root(&t, a);
    uint8_t empty[32];
    crypto_hash_sha256(empty, NULL, 0);
    cr_assert_arr_eq(a, empty, 32, "the empty tree hashes nothing");
    for (uint64_t n = 1; n <= 300; n++) {
        audit_merkle_append(&t, s_chain[n - 1]);
        audit_merkle_root(&t, a);
        audit_merkle_mth(s_leaves, n, b);
        cr_assert_arr_eq(a, b, 32, "root of %llu leaves", (unsigned long long)n);
        cr_assert_eq(t.len, __builtin_popcountll(n));
        /* Saved and loaded, it goes on the same way. */
        uint8_t buf[8 + 64 * 32];
        audit_merkle_t u;
        cr_assert(audit_merkle_load(&u, buf, audit_merkle_save(&t, buf)));
        audit_merkle_root(&u, b);
        cr_assert_arr_eq(a, b, 32);
    }
    uint8_t bad[8 + 32] = {0, 0, 0, 0, 0, 0, 0, 3};
    audit_merkle_t u;
    cr_assert_not(audit_merkle_load(&u, bad, sizeof bad), "3 leaves need two subtree roots");
}

Test(audit_merkle, every_inclusion_proof_verifies_and_no_altered_one_does)
{
    audit_hash_t path[AUDIT_MERKLE_MAX_PATH];
    for (uint64_t n = 1; n <= S_MAX; n++) {
        uint8_t root[32];
        audit_merkle_mth(s_leaves, n, root);
        for (uint64_t m = 0; m < n; m++) {
            int c = audit_merkle_inclusion_proof(s_leaves, n, m, path);
            cr_assert_geq(c, 0);
            cr_assert(audit_merkle_verify_inclusion(s_leaves[m], m, n, path, c, root), "leaf %llu of %llu",
                      (unsigned long long)m, (unsigned long long)n);
            if (n > 1) {
                cr_assert_not(audit_merkle_verify_inclusion(s_leaves[(m + 1) % n], m, n, path, c, root),
                              "another leaf");
                cr_assert_not(audit_merkle_verify_inclusion(s_leaves[m], (m + 1) % n, n, path, c, root),
                              "another index");
                cr_assert_not(audit_merkle_verify_inclusion(s_leaves[m], m, n, path, c - 1, root), "shortened");
                for (int i = 0; i < c; i++) {
                    path[i][5] ^= 1;
                    cr_assert_not(audit_merkle_verify_inclusion(s_leaves[m], m, n, path, c, root), "altered");
                    path[i][5] ^= 1;
                }
            }
        }
    }
    /* A proof does not bind the tree size by itself (leaf 0 of 3 has the
     * path of leaf 0 of 4): the checkpoint signs the size with the root. */
    cr_assert_eq(audit_merkle_inclusion_proof(s_leaves, 5, 5, path), -1);
}

Test(audit_merkle, every_consistency_proof_verifies_and_no_altered_one_does)
{
    audit_hash_t path[AUDIT_MERKLE_MAX_PATH];
    for (uint64_t n = 1; n <= S_MAX; n++) {
        uint8_t root[32];
        audit_merkle_mth(s_leaves, n, root);
        for (uint64_t m = 1; m <= n; m++) {
            uint8_t old[32];
            audit_merkle_mth(s_leaves, m, old);
            int c = audit_merkle_consistency_proof(s_leaves, m, n, path);
            cr_assert_geq(c, 0);
            cr_assert(audit_merkle_verify_consistency(m, n, old, root, path, c), "%llu -> %llu", (unsigned long long)m,
                      (unsigned long long)n);
            if (m == n)
                continue;
            uint8_t other[32];
            audit_merkle_mth(s_leaves + 1, m, other); /* a different old tree */
            cr_assert_not(audit_merkle_verify_consistency(m, n, other, root, path, c), "rewritten old tree");
            cr_assert_not(audit_merkle_verify_consistency(m, n, old, other, path, c), "another new root");
            for (int i = 0; i < c; i++) {
                path[i][0] ^= 0x80;
                cr_assert_not(audit_merkle_verify_consistency(m, n, old, root, path, c), "altered %d", i);
                path[i][0] ^= 0x80;
            }
        }
    }
    cr_assert_eq(audit_merkle_consistency_proof(s_leaves, 0, 5, path), -1);
    cr_assert_eq(audit_merkle_consistency_proof(s_leaves, 6, 5, path), -1);
}
