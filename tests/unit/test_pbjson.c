/* test_pbjson.c -- JSON to and from protobuf-c messages by their
 * descriptors (common/src/pbjson.c), on the project's own commands. */
#include <criterion/criterion.h>
#include <string.h>

#include "pelukan/pbjson.h"
#include "pelukan/v1/commands.pb-c.h"
#include "pelukan/v1/envelope.pb-c.h"

static json_t *s_parse(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    cr_assert_not_null(j, "%s: %s", text, err.text);
    return j;
}

static void s_eq(json_t *got, const char *want)
{
    json_t *w = s_parse(want);
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
    cr_assert(json_equal(got, w), "got %s, want %s", g, want);
    free(g);
    json_decref(w);
    json_decref(got);
}

Test(pbjson, a_shape_shows_its_fields_only_with_empty_strings_as_null_where_asked)
{
    Pelukan__V1__Visit v = PELUKAN__V1__VISIT__INIT;
    v.visit_id = "v1";
    v.case_id = "c1";
    v.state = "assigned";
    v.companion_id = "secret-not-in-the-shape";
    v.assigned_at_us = 1700000000000000ull;
    s_eq(pk_pbjson_print(&v.base, "visit_id state kecamatan_code? assigned_at_us identification_id location{lat lon}"),
         "{\"visit_id\":\"v1\",\"state\":\"assigned\",\"kecamatan_code\":null,\"assigned_at_us\":1700000000000000,"
         "\"identification_id\":\"\"}");
    /* The oneof, once it holds the location, is shown with its shape. */
    Pelukan__V1__GeoPoint g = PELUKAN__V1__GEO_POINT__INIT;
    g.lat = -7.35;
    g.lon = 108.2;
    v.where_case = PELUKAN__V1__VISIT__WHERE_LOCATION;
    v.location = &g;
    s_eq(pk_pbjson_print(&v.base, "visit_id location{lat}"), "{\"visit_id\":\"v1\",\"location\":{\"lat\":-7.35}}");
}

/* The case page's rules: a message not set is null where the shape asks
 * ("name?{...}"), and a bool whose false is an answer too is null until
 * its "<name>_said" flag says it was answered. */
Test(pbjson, unset_messages_and_unsaid_answers_are_null_where_asked)
{
    Pelukan__V1__CaseView v = PELUKAN__V1__CASE_VIEW__INIT;
    Pelukan__V1__CaseView__Answers a = PELUKAN__V1__CASE_VIEW__ANSWERS__INIT;
    a.place_type = "home";
    v.answers = &a;
    s_eq(pk_pbjson_print(&v.base, "identification?{needs} personal{case_opened} answers{place_type disability?"
                                  " incident_approximate? victim_sex?}"),
         "{\"identification\":null,\"answers\":{\"place_type\":\"home\",\"disability\":null,"
         "\"incident_approximate\":null,\"victim_sex\":null}}");
    /* Said: false is shown as false, true as true. */
    a.disability_said = true;
    a.incident_approximate = true;
    a.incident_approximate_said = true;
    Pelukan__V1__CaseView__Identification id = PELUKAN__V1__CASE_VIEW__IDENTIFICATION__INIT;
    v.identification = &id;
    s_eq(
        pk_pbjson_print(&v.base, "identification?{needs immediate_danger?} answers{disability? incident_approximate?}"),
        "{\"identification\":{\"needs\":[],\"immediate_danger\":null},"
        "\"answers\":{\"disability\":false,\"incident_approximate\":true}}");
    /* Without "?", a bool with a said flag is shown as it is. */
    s_eq(pk_pbjson_print(&a.base, "incident_approximate disability"),
         "{\"incident_approximate\":true,\"disability\":false}");
}

Test(pbjson, lists_of_messages_and_of_strings)
{
    Pelukan__V1__Referral a = PELUKAN__V1__REFERRAL__INIT, b = PELUKAN__V1__REFERRAL__INIT;
    char *services[] = {"pengaduan", "kesehatan"};
    a.referral_id = "r1";
    a.services = services;
    a.n_services = 2;
    a.urgent = true;
    b.referral_id = "r2";
    Pelukan__V1__Referral *items[] = {&a, &b};
    Pelukan__V1__Referrals list = PELUKAN__V1__REFERRALS__INIT;
    list.items = items;
    list.n_items = 2;
    s_eq(pk_pbjson_print(&list.base, "items{referral_id services urgent follow_ups}"),
         "{\"items\":[{\"referral_id\":\"r1\",\"services\":[\"pengaduan\",\"kesehatan\"],\"urgent\":true,"
         "\"follow_ups\":0},{\"referral_id\":\"r2\",\"services\":[],\"urgent\":false,\"follow_ups\":0}]}");
}

Test(pbjson, without_a_shape_every_field_with_a_value_enums_by_name)
{
    Pelukan__V1__VisitStep s = PELUKAN__V1__VISIT_STEP__INIT;
    s.visit_id = "v9";
    s.step = PELUKAN__V1__VISIT_STEP__STEP__STEP_DECLINE;
    s_eq(pk_pbjson_print(&s.base, NULL), "{\"visit_id\":\"v9\",\"step\":\"STEP_DECLINE\"}");
}

Test(pbjson, a_wrong_shape_is_found_before_it_is_used)
{
    char bad[128] = "";
    const ProtobufCMessageDescriptor *d = &pelukan__v1__visit__descriptor;
    cr_assert(pk_pbjson_shape_ok(d, "visit_id location{lat lon}", bad, sizeof bad));
    cr_assert_not(pk_pbjson_shape_ok(d, "visit_id nickname", bad, sizeof bad));
    cr_assert_str_eq(bad, "Visit.nickname");
    cr_assert_not(pk_pbjson_shape_ok(d, "state{x}", bad, sizeof bad), "braces on a string");
    cr_assert_not(pk_pbjson_shape_ok(d, "location{lat", bad, sizeof bad), "unclosed");
    cr_assert_not(pk_pbjson_shape_ok(d, "visit_id,state", bad, sizeof bad), "not the grammar");
    cr_assert_not(pk_pbjson_shape_ok(d, "location{lat nope}", bad, sizeof bad));
    cr_assert_str_eq(bad, "GeoPoint.nope");
    Pelukan__V1__Visit v = PELUKAN__V1__VISIT__INIT;
    cr_assert_null(pk_pbjson_print(&v.base, "visit_id nickname"));
}

static const pk_pbjson_rule_t s_rules[] = {
    {"situation_confirmed", PK_PBJSON_BOOL, true, 0, NULL, NULL},
    {"needs", PK_PBJSON_CODES, false, 2, NULL, NULL},
    {"guardian_situation", PK_PBJSON_CODE, true, 0, "not_child jika bukan anak", NULL},
    {"notes", PK_PBJSON_TEXT, false, 3, NULL, NULL},
    {.field = NULL},
};

Test(pbjson, a_body_is_read_into_its_command)
{
    json_t *body = s_parse("{\"situation_confirmed\":true,\"needs\":[\"medical\",\"legal\"],"
                           "\"guardian_situation\":\"not_child\",\"notes\":\"\\u00e9\\u00e9\\u00e9\"}");
    Pelukan__V1__SubmitIdentification si = PELUKAN__V1__SUBMIT_IDENTIFICATION__INIT;
    json_t *errors = json_object();
    cr_assert(pk_pbjson_read(body, &si.base, s_rules, errors));
    cr_assert_eq(json_object_size(errors), 0);
    cr_assert(si.situation_confirmed);
    cr_assert_eq(si.n_needs, 2);
    cr_assert_str_eq(si.needs[1], "legal");
    cr_assert_str_eq(si.guardian_situation, "not_child");
    cr_assert_str_eq(si.notes, "\xc3\xa9\xc3\xa9\xc3\xa9", "three characters, six bytes: within 3");
    pk_pbjson_release(&si.base);
    cr_assert_null(si.needs);
    cr_assert_eq(si.n_needs, 0);
    json_decref(errors);
    json_decref(body);
}

Test(pbjson, every_wrong_field_is_named_and_nothing_else_is_taken)
{
    json_t *body = s_parse("{\"situation_confirmed\":\"yes\",\"needs\":[\"a\",\"b\",\"c\"],"
                           "\"notes\":\"abcd\",\"visit_id\":\"forged\",\"extra\":1}");
    Pelukan__V1__SubmitIdentification si = PELUKAN__V1__SUBMIT_IDENTIFICATION__INIT;
    json_t *errors = json_object();
    cr_assert_not(pk_pbjson_read(body, &si.base, s_rules, errors));
    s_eq(errors, "{\"situation_confirmed\":\"true atau false\",\"needs\":\"daftar kode\","
                 "\"guardian_situation\":\"not_child jika bukan anak\",\"notes\":\"teks\","
                 "\"visit_id\":\"tidak dikenal\",\"extra\":\"tidak dikenal\"}");
    cr_assert_str_eq(si.visit_id, "", "a field no rule names is never set");
    pk_pbjson_release(&si.base);
    json_decref(body);
}

Test(pbjson, null_is_a_wrong_value_not_a_missing_one)
{
    json_t *body = s_parse("{\"situation_confirmed\":true,\"guardian_situation\":\"not_child\",\"notes\":null,"
                           "\"needs\":null}");
    Pelukan__V1__SubmitIdentification si = PELUKAN__V1__SUBMIT_IDENTIFICATION__INIT;
    json_t *errors = json_object();
    cr_assert_not(pk_pbjson_read(body, &si.base, s_rules, errors));
    s_eq(errors, "{\"notes\":\"teks\",\"needs\":\"daftar kode\"}");
    pk_pbjson_release(&si.base);
    json_decref(body);
}

Test(pbjson, a_code_is_counted_in_characters)
{
    static const pk_pbjson_rule_t rules[] = {{"reason_code", PK_PBJSON_CODE, true, 4, NULL, NULL}, {.field = NULL}};
    Pelukan__V1__VisitStep s = PELUKAN__V1__VISIT_STEP__INIT;
    json_t *errors = json_object();
    json_t *four = s_parse("{\"reason_code\":\"\\u00e9\\u00e9\\u00e9\\u00e9\"}"); /* 8 bytes */
    cr_assert(pk_pbjson_read(four, &s.base, rules, errors));
    json_t *five = s_parse("{\"reason_code\":\"abcde\"}");
    cr_assert_not(pk_pbjson_read(five, &s.base, rules, errors));
    json_t *empty = s_parse("{\"reason_code\":\"\"}");
    json_object_clear(errors);
    cr_assert_not(pk_pbjson_read(empty, &s.base, rules, errors), "a code is never empty");
    cr_assert_str_eq(json_string_value(json_object_get(errors, "reason_code")), "wajib diisi (kode)");
    json_decref(errors);
    json_decref(four);
    json_decref(five);
    json_decref(empty);
}

Test(pbjson, a_code_from_a_list_is_one_of_it)
{
    static const char *const reasons[] = {"spam", "other", NULL};
    static const pk_pbjson_rule_t rules[] = {{"reason_code", PK_PBJSON_CODE, true, 0, "spam atau other", reasons},
                                             {.field = NULL}};
    Pelukan__V1__CaseStep s = PELUKAN__V1__CASE_STEP__INIT;
    json_t *errors = json_object();
    json_t *ok = s_parse("{\"reason_code\":\"other\"}");
    cr_assert(pk_pbjson_read(ok, &s.base, rules, errors));
    cr_assert_str_eq(s.reason_code, "other");
    json_t *wrong = s_parse("{\"reason_code\":\"because\"}");
    cr_assert_not(pk_pbjson_read(wrong, &s.base, rules, errors));
    s_eq(errors, "{\"reason_code\":\"spam atau other\"}");
    json_decref(ok);
    json_decref(wrong);
}

/* A companion's sex: F, M, or null for "not said", which must still be
 * said (required) and is then none. */
Test(pbjson, a_code_or_null_takes_null_as_none)
{
    static const char *const sexes[] = {"F", "M", NULL};
    static const pk_pbjson_rule_t rules[] = {{"sex", PK_PBJSON_CODE_OR_NULL, true, 1, "F, M atau null", sexes},
                                             {.field = NULL}};
    Pelukan__V1__SetCompanion s = PELUKAN__V1__SET_COMPANION__INIT;
    json_t *errors = json_object();
    json_t *said = s_parse("{\"sex\":\"F\"}");
    cr_assert(pk_pbjson_read(said, &s.base, rules, errors));
    cr_assert_str_eq(s.sex, "F");
    Pelukan__V1__SetCompanion none = PELUKAN__V1__SET_COMPANION__INIT;
    json_t *null = s_parse("{\"sex\":null}");
    cr_assert(pk_pbjson_read(null, &none.base, rules, errors), "null is an answer here");
    cr_assert_str_eq(none.sex, "");
    json_t *absent = s_parse("{}");
    cr_assert_not(pk_pbjson_read(absent, &none.base, rules, errors), "required: null must be said");
    json_t *other = s_parse("{\"sex\":\"X\"}");
    cr_assert_not(pk_pbjson_read(other, &none.base, rules, errors));
    s_eq(errors, "{\"sex\":\"F, M atau null\"}"); /* takes `errors` */
    static const pk_pbjson_rule_t list[] = {{"languages", PK_PBJSON_CODE_OR_NULL, false, 3, NULL, NULL},
                                            {.field = NULL}};
    cr_assert_not(pk_pbjson_rules_ok(&pelukan__v1__set_companion__descriptor, list, NULL, 0), "a list is not one code");
    json_decref(said);
    json_decref(null);
    json_decref(absent);
    json_decref(other);
}

Test(pbjson, rules_that_do_not_fit_the_message_are_found)
{
    char bad[128] = "";
    const ProtobufCMessageDescriptor *d = &pelukan__v1__submit_identification__descriptor;
    cr_assert(pk_pbjson_rules_ok(d, s_rules, bad, sizeof bad));
    static const pk_pbjson_rule_t wrong[] = {{"needs", PK_PBJSON_CODE, false, 0, NULL, NULL}, {.field = NULL}};
    cr_assert_not(pk_pbjson_rules_ok(d, wrong, bad, sizeof bad), "a list read as one code");
    cr_assert_str_eq(bad, "SubmitIdentification.needs");
    static const pk_pbjson_rule_t missing[] = {{"nickname", PK_PBJSON_TEXT, false, 0, NULL, NULL}, {.field = NULL}};
    cr_assert_not(pk_pbjson_rules_ok(d, missing, bad, sizeof bad));
}

Test(pbjson, fields_set_and_read_by_name_oneofs_included)
{
    Pelukan__V1__CommandRequest req = PELUKAN__V1__COMMAND_REQUEST__INIT;
    Pelukan__V1__VisitStep vs = PELUKAN__V1__VISIT_STEP__INIT;
    cr_assert(pk_pbjson_set_string(&vs.base, "visit_id", "v1"));
    cr_assert(pk_pbjson_set_int(&vs.base, "step", PELUKAN__V1__VISIT_STEP__STEP__STEP_ARRIVED));
    cr_assert_not(pk_pbjson_set_string(&vs.base, "step", "x"), "an enum is not a string");
    cr_assert(pk_pbjson_set_message(&req.base, "visit_step", &vs.base));
    cr_assert_eq(req.command_case, PELUKAN__V1__COMMAND_REQUEST__COMMAND_VISIT_STEP);
    cr_assert_not(pk_pbjson_set_message(&req.base, "get_visit", &vs.base), "a VisitStep is not a GetVisit");
    cr_assert_eq(pk_pbjson_get_message(&req.base, "visit_step"), &vs.base);
    cr_assert_null(pk_pbjson_get_message(&req.base, "get_visit"), "the oneof holds another member");
    cr_assert_str_eq(vs.visit_id, "v1");
    cr_assert_eq(vs.step, PELUKAN__V1__VISIT_STEP__STEP__STEP_ARRIVED);
    /* It packs and unpacks as the generated code's own. */
    uint8_t buf[256];
    size_t n = pelukan__v1__command_request__pack(&req, buf);
    Pelukan__V1__CommandRequest *back = pelukan__v1__command_request__unpack(NULL, n, buf);
    cr_assert_not_null(back);
    cr_assert_str_eq(back->visit_step->visit_id, "v1");
    pelukan__v1__command_request__free_unpacked(back, NULL);
}

/* A command goes into its request, and an event into its envelope, by its
 * type alone (each type has one field there): the field and the oneof's
 * case both set. A type the message has no field of sets nothing. */
Test(pbjson, a_message_goes_into_the_one_field_of_its_type)
{
    Pelukan__V1__CommandRequest req = PELUKAN__V1__COMMAND_REQUEST__INIT;
    Pelukan__V1__Push push = PELUKAN__V1__PUSH__INIT;
    cr_assert(pk_pbjson_set_oneof(&req.base, &push.base));
    cr_assert_eq(req.command_case, PELUKAN__V1__COMMAND_REQUEST__COMMAND_PUSH);
    cr_assert_eq(req.push, &push);
    Pelukan__V1__ListCases lc = PELUKAN__V1__LIST_CASES__INIT;
    cr_assert(pk_pbjson_set_oneof(&req.base, &lc.base), "another command replaces the first");
    cr_assert_eq(req.command_case, PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_CASES);
    cr_assert_eq(req.list_cases, &lc);

    Pelukan__V1__Envelope env = PELUKAN__V1__ENVELOPE__INIT;
    Pelukan__V1__ErasureStopped stopped = PELUKAN__V1__ERASURE_STOPPED__INIT;
    cr_assert(pk_pbjson_set_oneof(&env.base, &stopped.base));
    cr_assert_eq(env.payload_case, PELUKAN__V1__ENVELOPE__PAYLOAD_ERASURE_STOPPED);
    cr_assert_eq(env.erasure_stopped, &stopped);

    Pelukan__V1__CommandReply reply = PELUKAN__V1__COMMAND_REPLY__INIT;
    Pelukan__V1__CommandRequest other = PELUKAN__V1__COMMAND_REQUEST__INIT;
    cr_assert_not(pk_pbjson_set_oneof(&reply.base, &other.base), "a reply holds no request");
    cr_assert_eq(reply.result_case, PELUKAN__V1__COMMAND_REPLY__RESULT__NOT_SET);
    cr_assert_not(pk_pbjson_set_oneof(&req.base, &reply.base), "a request holds no reply");
    cr_assert_eq(req.command_case, PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_CASES, "unchanged");
}
