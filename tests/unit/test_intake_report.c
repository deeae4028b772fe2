/* test_intake_report.c -- phone numbers and report validation, no I/O. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../services/intake/intake_report.h"
#include "pelukan/account.h"

Test(intake_phone, common_forms_normalise_to_e164)
{
    const char *ok[][2] = {{"081234567890", "+6281234567890"},
                           {"6281234567890", "+6281234567890"},
                           {"+62 812-3456-7890", "+6281234567890"},
                           {"(0812) 3456.7890", "+6281234567890"},
                           {"0811234567", "+62811234567"}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char out[24];
        cr_assert_eq(pk_phone_normalize(ok[i][0], out), 0, "%s", ok[i][0]);
        cr_assert_str_eq(out, ok[i][1]);
    }
    const char *bad[] = {"",
                         "0212345678" /* landline */,
                         "+6581234567",
                         "0812",
                         "08123456789012345",
                         "0812abc4567",
                         "++6281234567890",
                         "62 21 555 1234"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[24];
        cr_assert_eq(pk_phone_normalize(bad[i], out), PK_EINVAL, "%s", bad[i]);
    }
}

Test(intake_time, iso_8601_with_zone)
{
    int64_t t;
    cr_assert_eq(intake_parse_time("2026-11-27T20:00:00+07:00", &t), 0);
    /* 2026-11-27 13:00:00 UTC */
    cr_assert_eq(t, 1795784400, "got %lld", (long long)t);
}

Test(intake_time, rejects_garbage_and_impossible_dates)
{
    int64_t t;
    cr_assert_eq(intake_parse_time("2026-11-27T13:00Z", &t), 0);
    cr_assert_eq(t, 1795784400, "got %lld", (long long)t);
    cr_assert_neq(intake_parse_time("2026-02-31T10:00:00Z", &t), 0);
    cr_assert_neq(intake_parse_time("yesterday", &t), 0);
    cr_assert_neq(intake_parse_time("2026-11-27T20:00:00", &t), 0, "a zone is required");
    cr_assert_neq(intake_parse_time("2026-11-27T20:00:00+07:00junk", &t), 0);
    cr_assert_neq(intake_parse_time("2026-11-27T20:00:00.+07:00", &t), 0, "a dot needs digits");
    cr_assert_neq(intake_parse_time("2026-11-27T20:00:00+0700", &t), 0, "RFC 3339 offsets have a colon");
    cr_assert_neq(intake_parse_time("2026-11-27 20:00:00Z", &t), 0);
}

/* Contract review item 8: every RFC 3339 date-time the contract allows. */
Test(intake_time, rfc3339_fractions_offsets_and_lower_case)
{
    const char *same[] = {"2026-11-27T13:00:00.123Z", "2026-11-27T20:00:00.5+07:00", "2026-11-27t13:00:00z",
                          "2026-11-27T13:00:00.123456789Z", "2026-11-27T08:30:00-04:30"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        int64_t t = 0;
        cr_assert_eq(intake_parse_time(same[i], &t), 0, "%s", same[i]);
        cr_assert_eq(t, 1795784400, "%s: got %lld", same[i], (long long)t);
    }
}

static intake_catalog_t *cat;

static void s_setup(void)
{
    cat = intake_catalog_new();
    intake_catalog_add(cat, "desa", "32.06.24.2001", "Cikunten");
    intake_catalog_add(cat, "violence_form", "fisik", "Fisik");
    intake_catalog_add(cat, "violence_form", "seksual", "Seksual");
    intake_catalog_add(cat, "relation", "tetangga", "Tetangga");
    intake_catalog_add(cat, "place_type", "rumah_tangga", "Rumah Tangga");
    intake_catalog_add(cat, "age_band", "13-17", "13-17");
    intake_catalog_add(cat, "safe_channel", "sms", "SMS");
    intake_catalog_add(cat, "kecamatan", "32.06.24", "Singaparna");
}

static void s_teardown(void)
{
    intake_catalog_destroy(&cat);
}

TestSuite(intake_report, .init = s_setup, .fini = s_teardown);

static json_t *s_errors_for(const char *text)
{
    json_error_t e;
    json_t *body = json_loads(text, 0, &e);
    cr_assert_not_null(body, "%s", e.text);
    json_t *errors = json_object();
    intake_report_t r;
    int rc = intake_report_parse(body, cat, 1795900000, &r, errors);
    if (rc == 0)
        intake_report_clear(&r);
    json_decref(body);
    return errors;
}

Test(intake_report, a_full_report_is_accepted_and_personal_fields_are_set_apart)
{
    json_error_t e;
    json_t *body = json_loads(
        "{\"reporter\":{\"kind\":\"witness\",\"relation\":\"tetangga\"},\"victim\":{\"sex\":\"F\",\"age\":14,"
        "\"name\":\"Siti\"},\"violence_forms\":[\"fisik\",\"seksual\",\"fisik\"],\"place_type\":\"rumah_tangga\","
        "\"incident\":{\"at\":\"2026-11-27T20:00:00+07:00\",\"approximate\":true},\"location\":{\"lat\":-7.35,"
        "\"lon\":108.1,\"kecamatan_code\":\"32.06.24\",\"desa_code\":\"32.06.24.2001\",\"address\":\"Jl. Melati\"},"
        "\"account\":\"teks\",\"urgent\":true,\"contact_safety\":{\"safe_channel\":\"sms\",\"safe_hours\":\"08:00-17:"
        "00\"}}",
        0, &e);
    json_t *errors = json_object();
    intake_report_t r;
    cr_assert_eq(intake_report_parse(body, cat, 1795900000, &r, errors), 0, "%s", json_dumps(errors, 0));
    cr_assert_str_eq(r.age_band, "13-17");
    cr_assert(r.child);
    cr_assert_eq(r.nforms, 2, "duplicates merged");
    cr_assert_str_eq(r.desa, "32.06.24.2001");
    cr_assert(r.has_coords && r.urgent && r.incident_approx);
    cr_assert_str_eq(json_string_value(json_object_get(r.personal, "victim_name")), "Siti");
    cr_assert_str_eq(json_string_value(json_object_get(r.personal, "address")), "Jl. Melati");
    cr_assert_str_eq(json_string_value(json_object_get(r.personal, "account")), "teks");
    cr_assert_not_null(r.safety);
    intake_report_clear(&r);
    json_decref(errors);
    json_decref(body);
}

Test(intake_report, each_bad_field_is_named)
{
    json_t *e = s_errors_for("{\"reporter\":{\"kind\":\"witness\"},\"victim\":{\"sex\":\"X\",\"age\":\"14\"},"
                             "\"violence_forms\":[\"fisik\",\"pukul\"],\"place_type\":7,"
                             "\"incident\":{\"at\":\"2027-01-01T00:00:00Z\"},"
                             "\"location\":{\"lat\":40.7,\"lon\":-74.0,\"kecamatan_code\":\"32.07.01\"},"
                             "\"urgent\":\"yes\",\"extra\":1,\"contact_safety\":{\"safe_channel\":\"pigeon\"}}");
    const char *fields[] = {"reporter.relation",
                            "victim.sex",
                            "victim.age",
                            "violence_forms",
                            "place_type",
                            "incident.at",
                            "location.lat",
                            "location.kecamatan_code",
                            "urgent",
                            "extra",
                            "contact_safety.safe_channel"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        cr_assert_not_null(json_object_get(e, fields[i]), "%s missing in %s", fields[i], json_dumps(e, 0));
    json_decref(e);
}

Test(intake_report, missing_essentials_and_contradictions)
{
    json_t *e = s_errors_for("{}");
    cr_assert_not_null(json_object_get(e, "reporter"));
    cr_assert_not_null(json_object_get(e, "victim"));
    cr_assert_not_null(json_object_get(e, "violence_forms"));
    cr_assert_not_null(json_object_get(e, "location"));
    json_decref(e);
    e = s_errors_for("{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"age\":30,\"child\":true},"
                     "\"violence_forms\":[\"fisik\"],\"location\":{\"kecamatan_code\":\"32.06.24\","
                     "\"desa_code\":\"32.06.01.2001\"}}");
    cr_assert_not_null(json_object_get(e, "victim.child"), "age 30 is not a child");
    cr_assert_not_null(json_object_get(e, "location.desa_code"), "desa outside its kecamatan");
    json_decref(e);
    e = s_errors_for("{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"age\":30},\"violence_forms\":[\"fisik\"],"
                     "\"location\":{\"kecamatan_code\":\"32.06.24\",\"desa_code\":\"32.06.24.2999\"}}");
    cr_assert_str_eq(json_string_value(json_object_get(e, "location.desa_code")), "kode tidak dikenal",
                     "a desa that does not exist: %s", json_dumps(e, 0));
    json_decref(e);
}

/* A place the district cannot reach: coordinates outside Kabupaten
 * Tasikmalaya need one of its kecamatan; inside, they stand alone. */
Test(intake_report, coordinates_outside_the_district_need_a_kecamatan)
{
#define BASE                                                                                                     \
    "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"age\":30},\"violence_forms\":[\"fisik\"],\"location\":%s}"
    char text[512];
    snprintf(text, sizeof text, BASE, "{\"lat\":-6.2,\"lon\":106.8}"); /* Jakarta */
    json_t *e = s_errors_for(text);
    cr_assert_str_eq(json_string_value(json_object_get(e, "location.lat")),
                     "di luar Kabupaten Tasikmalaya; pilih kecamatan");
    json_decref(e);
    snprintf(text, sizeof text, BASE, "{\"lat\":-6.2,\"lon\":106.8,\"kecamatan_code\":\"32.06.24\"}");
    e = s_errors_for(text);
    cr_assert_eq(json_object_size(e), 0, "with a kecamatan: %s", json_dumps(e, 0));
    json_decref(e);
    snprintf(text, sizeof text, BASE, "{\"lat\":-7.75,\"lon\":108.05}"); /* Cipatujah, on the coast */
    e = s_errors_for(text);
    cr_assert_eq(json_object_size(e), 0, "inside: %s", json_dumps(e, 0));
    json_decref(e);
#undef BASE
}

Test(report, a_code_s_words_come_from_the_catalog, .init = s_setup, .fini = s_teardown)
{
    cr_assert_str_eq(intake_catalog_label(cat, "kecamatan", "32.06.24"), "Singaparna");
    cr_assert_str_eq(intake_catalog_label(cat, "desa", "32.06.24.2001"), "Cikunten");
    cr_assert_null(intake_catalog_label(cat, "kecamatan", "32.06.99"));
    cr_assert_null(intake_catalog_label(cat, "desa", "32.06.24"), "a kind is never taken for another");
    cr_assert(intake_catalog_has(cat, "relation", "tetangga"));
}
