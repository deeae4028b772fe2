/* test_crypto.c -- data keys, sealed fields, blind index, passwords. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pelukan/crypto.h"

static pk_keyring_t *kr;

static void s_setup(void)
{
    cr_assert_eq(pk_crypto_init(), 0);
    uint8_t master[32];
    memset(master, 7, sizeof master);
    kr = pk_keyring_from_bytes(master);
}

static void s_teardown(void)
{
    pk_keyring_destroy(&kr);
}

TestSuite(crypto, .init = s_setup, .fini = s_teardown);

Test(crypto, ids_are_random_hex)
{
    char a[PK_ID_HEX_LEN + 1], b[PK_ID_HEX_LEN + 1];
    pk_id_new(a);
    pk_id_new(b);
    cr_assert_eq(strlen(a), 32);
    cr_assert_eq(strspn(a, "0123456789abcdef"), 32);
    cr_assert_str_neq(a, b);
}

Test(crypto, datakey_wraps_and_is_bound_to_its_case)
{
    uint8_t key[PK_DATAKEY_BYTES], wrapped[PK_WRAPPED_KEY_BYTES], back[PK_DATAKEY_BYTES];
    pk_datakey_new(kr, "case:1", key, wrapped);
    cr_assert_eq(pk_datakey_unwrap(kr, "case:1", wrapped, sizeof wrapped, back), 0);
    cr_assert_arr_eq(key, back, sizeof key);
    cr_assert_eq(pk_datakey_unwrap(kr, "case:2", wrapped, sizeof wrapped, back), PK_ECRYPTO);
    wrapped[30] ^= 1;
    cr_assert_eq(pk_datakey_unwrap(kr, "case:1", wrapped, sizeof wrapped, back), PK_ECRYPTO);

    uint8_t other_master[32] = {1};
    pk_keyring_t *other = pk_keyring_from_bytes(other_master);
    wrapped[30] ^= 1;
    cr_assert_eq(pk_datakey_unwrap(other, "case:1", wrapped, sizeof wrapped, back), PK_ECRYPTO);
    pk_keyring_destroy(&other);
}

Test(crypto, sealed_field_round_trip_and_tamper)
{
    uint8_t key[PK_DATAKEY_BYTES], wrapped[PK_WRAPPED_KEY_BYTES];
    pk_datakey_new(kr, "case:9", key, wrapped);
    const char *phone = "+6281234567890";
    size_t n = strlen(phone);
    uint8_t sealed[64], plain[64];
    pk_seal(key, "case:9:phone", phone, n, sealed);
    cr_assert_null(memmem(sealed, n + PK_SEAL_OVERHEAD, "81234567890", 11), "plaintext must not show");
    cr_assert_eq(pk_open(key, "case:9:phone", sealed, n + PK_SEAL_OVERHEAD, plain), 0);
    cr_assert_arr_eq(plain, phone, n);
    cr_assert_eq(pk_open(key, "case:9:address", sealed, n + PK_SEAL_OVERHEAD, plain), PK_ECRYPTO);
    cr_assert_eq(pk_open(key, "case:9:phone", sealed, 10, plain), PK_ECRYPTO);
    sealed[n + PK_SEAL_OVERHEAD - 1] ^= 0x80;
    cr_assert_eq(pk_open(key, "case:9:phone", sealed, n + PK_SEAL_OVERHEAD, plain), PK_ECRYPTO);
}

Test(crypto, blind_index_is_keyed_and_domain_separated)
{
    char a[65], b[65], c[65];
    pk_blind_index(kr, "phone", "+628111", 7, a);
    pk_blind_index(kr, "phone", "+628111", 7, b);
    pk_blind_index(kr, "email", "+628111", 7, c);
    cr_assert_str_eq(a, b);
    cr_assert_str_neq(a, c);
    uint8_t master[32] = {2};
    pk_keyring_t *other = pk_keyring_from_bytes(master);
    pk_blind_index(other, "phone", "+628111", 7, c);
    cr_assert_str_neq(a, c);
    pk_keyring_destroy(&other);
}

Test(crypto, password_hash_verifies_only_the_password)
{
    char hash[PK_PASSWORD_HASH_MAX];
    cr_assert_eq(pk_password_hash("correct horse", hash), 0);
    cr_assert_eq(strncmp(hash, "$argon2id$", 10), 0);
    cr_assert_eq(pk_password_verify(hash, "correct horse"), 0);
    cr_assert_eq(pk_password_verify(hash, "correct horsE"), PK_ECRYPTO);
}

Test(crypto, keyring_file_formats)
{
    char dir[] = "/tmp/pk-crypto-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/master.key", dir);
    cr_assert_eq(pk_keyring_generate_file(path), 0);
    cr_assert_eq(pk_keyring_generate_file(path), PK_EIO, "never overwrites a key");
    int err = 0;
    pk_keyring_t *k = pk_keyring_load(path, &err);
    cr_assert_not_null(k);
    pk_keyring_destroy(&k);

    FILE *f = fopen(path, "w");
    fputs("not a key\n", f);
    fclose(f);
    cr_assert_null(pk_keyring_load(path, &err));
    cr_assert_eq(err, PK_EKEY);
    unlink(path);
    cr_assert_null(pk_keyring_load(path, &err));
    cr_assert_eq(err, PK_EIO);
    rmdir(dir);
}
