/* test_envelope.c -- envelopes and bus frame headers, without I/O. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/bus.h"
#include "pelukan/crypto.h"

Test(envelope, header_round_trip_is_big_endian)
{
    uint8_t h[PK_BUS_HEADER_BYTES];
    pk_bus_header_write(h, 0x0102030405060708ull, 42);
    cr_assert_eq(h[0], 1);
    cr_assert_eq(h[7], 8);
    cr_assert_eq(h[15], 42);
    uint64_t e, s;
    pk_bus_header_read(h, &e, &s);
    cr_assert_eq(e, 0x0102030405060708ull);
    cr_assert_eq(s, 42);
}

Test(envelope, type_name_pack_unpack_and_size_limit)
{
    cr_assert_eq(pk_crypto_init(), 0);
    Pelukan__V1__Envelope env;
    uint8_t id[16];
    pk_envelope_init(&env, id, "intake", "case-1", "req-9");
    cr_assert_str_eq(pk_envelope_type(&env), "unknown");
    Pelukan__V1__ReportSubmitted rs = PELUKAN__V1__REPORT_SUBMITTED__INIT;
    rs.kecamatan_code = "32.06.24";
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REPORT_SUBMITTED;
    env.report_submitted = &rs;
    cr_assert_str_eq(pk_envelope_type(&env), "report_submitted");
    cr_assert_gt(env.occurred_at_us, 1700000000000000ull);

    uint8_t *buf;
    size_t len;
    pk_envelope_pack(&env, &buf, &len);
    Pelukan__V1__Envelope *back = pk_envelope_unpack(buf, len, 1024);
    cr_assert_not_null(back);
    cr_assert_str_eq(back->case_id, "case-1");
    cr_assert_str_eq(back->correlation_id, "req-9");
    cr_assert_str_eq(back->report_submitted->kecamatan_code, "32.06.24");
    cr_assert_arr_eq(back->event_id.data, id, 16);
    pk_envelope_free(back);
    cr_assert_null(pk_envelope_unpack(buf, len, len - 1), "refused before decoding when too big");
    memset(buf, 0xff, len);
    cr_assert_null(pk_envelope_unpack(buf, len, 1024), "garbage does not decode");
    free(buf);
}

Test(envelope, outbox_params_name_the_topic_and_hex_the_bytes)
{
    Pelukan__V1__Envelope env;
    uint8_t id[16] = {0};
    pk_envelope_init(&env, id, "dispatch", NULL, NULL);
    Pelukan__V1__VisitAccepted va = PELUKAN__V1__VISIT_ACCEPTED__INIT;
    va.visit_id = "v1";
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_VISIT_ACCEPTED;
    env.visit_accepted = &va;
    char topic[128], *hex;
    pk_outbox_params(&env, topic, &hex);
    cr_assert_str_eq(topic, "dispatch.visit_accepted");
    cr_assert_eq(strncmp(hex, "\\x", 2), 0);
    cr_assert_eq(strlen(hex), 2 + 2 * pelukan__v1__envelope__get_packed_size(&env));
    free(hex);
}
