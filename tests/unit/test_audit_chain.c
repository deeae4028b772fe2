/* test_audit_chain.c -- chain hashes and checkpoint messages, no I/O. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "../../services/audit/audit_chain.h"

Test(audit_chain, every_input_changes_the_hash)
{
    cr_assert_geq(sodium_init(), 0);
    uint8_t prev[32] = {0}, a[32], b[32];
    const uint8_t env[] = {1, 2, 3};
    audit_chain_hash(prev, 1, "intake", 7, 1, env, sizeof env, a);
    audit_chain_hash(prev, 1, "intake", 7, 1, env, sizeof env, b);
    cr_assert_arr_eq(a, b, 32, "deterministic");
    audit_chain_hash(prev, 2, "intake", 7, 1, env, sizeof env, b);
    cr_assert_arr_neq(a, b, 32, "gseq");
    audit_chain_hash(prev, 1, "intak", 7, 1, env, sizeof env, b);
    cr_assert_arr_neq(a, b, 32, "producer");
    audit_chain_hash(prev, 1, "intake", 8, 1, env, sizeof env, b);
    cr_assert_arr_neq(a, b, 32, "epoch");
    audit_chain_hash(prev, 1, "intake", 7, 2, env, sizeof env, b);
    cr_assert_arr_neq(a, b, 32, "seq");
    audit_chain_hash(prev, 1, "intake", 7, 1, env, 2, b);
    cr_assert_arr_neq(a, b, 32, "envelope");
    prev[31] = 1;
    audit_chain_hash(prev, 1, "intake", 7, 1, env, sizeof env, b);
    cr_assert_arr_neq(a, b, 32, "previous hash");
}

Test(audit_chain, checkpoint_signatures_bind_every_field)
{
    cr_assert_geq(sodium_init(), 0);
    unsigned char pk[32], sk[64], sig[64];
    crypto_sign_keypair(pk, sk);
    uint8_t head[32] = {9}, msg[128], other[128];
    uint8_t root[32] = {7};
    size_t len = audit_checkpoint_message(42, head, root, 1000, msg);
    cr_assert_eq(len, 27 + 8 + 32 + 32 + 8);
    crypto_sign_detached(sig, NULL, msg, len, sk);
    cr_assert_eq(crypto_sign_verify_detached(sig, msg, len, pk), 0);
    audit_checkpoint_message(43, head, root, 1000, other);
    cr_assert_neq(crypto_sign_verify_detached(sig, other, len, pk), 0, "another sequence");
    audit_checkpoint_message(42, head, root, 1001, other);
    cr_assert_neq(crypto_sign_verify_detached(sig, other, len, pk), 0, "another time");
    root[0] = 6;
    audit_checkpoint_message(42, head, root, 1000, other);
    cr_assert_neq(crypto_sign_verify_detached(sig, other, len, pk), 0, "another tree root");
    root[0] = 7;
    head[0] = 8;
    audit_checkpoint_message(42, head, root, 1000, other);
    cr_assert_neq(crypto_sign_verify_detached(sig, other, len, pk), 0, "another head");
    cr_assert_eq(audit_checkpoint_message(42, head, NULL, 1000, other), 27 + 8 + 32 + 8, "v1 has no root");
    cr_assert_neq(memcmp(other, msg, 27), 0, "v1 and v2 are told apart by their tag");
}
