/* test_intake.c -- the reporter API end to end: a real intake process, a
 * real PostgreSQL, and a stand-in notification service on a real ZeroMQ
 * socket that receives the SendOtp commands. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <czmq.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../services/intake/intake.h"
#include "../../services/intake/intake_case.h"
#include "../support/pkt_intake.h"
#include "pelukan/crypto.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

/* The intake under test, its database and the notification stand-in. */
static pkt_intake_t T;

static void s_start(const char *name, const char *const *extra)
{
    pkt_intake_start(&T, name, extra);
}

static void s_stop(void)
{
    pkt_intake_stop(&T);
}

#define S_REPORT                                                                                                       \
    "{\"reporter\":{\"kind\":\"witness\",\"relation\":\"tetangga\"},"                                                  \
    "\"victim\":{\"sex\":\"F\",\"age\":14,\"name\":\"Siti Rahayu Unik\"},"                                             \
    "\"violence_forms\":[\"fisik\",\"psikis\"],\"place_type\":\"rumah_tangga\",\"perpetrator_relation\":\"orang_"      \
    "tua\","                                                                                                           \
    "\"incident\":{\"at\":\"2026-11-27T20:00:00+07:00\",\"approximate\":true},"                                        \
    "\"location\":{\"lat\":-7.3512345,\"lon\":108.1012345,\"kecamatan_code\":\"32.06.24\","                            \
    "\"address\":\"Jalan Kenanga Rahasia 17\"},"                                                                       \
    "\"account\":\"Ayah tiri memukul setiap malam\",\"urgent\":true,"                                                  \
    "\"contact_safety\":{\"safe_hours\":\"08:00-17:00\",\"safe_channel\":\"whatsapp\",\"phone_monitored\":true}}"

static long s_count(const char *sql)
{
    char *v = pkt_sql_value(T.db, sql);
    long n = v ? atol(v) : -1;
    free(v);
    return n;
}

Test(intake, register_report_retry_and_read_back)
{
    s_start("t_intake1", NULL);
    char *token = pkt_intake_register(&T, "0812-9876-5432");
    json_t *a, *b;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "key-1", &a), 201);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "key-1", &b), 201,
                 "a retry gets the first answer");
    cr_assert_str_eq(pkt_last_header("Idempotent-Replayed"), "true");
    cr_assert_str_eq(pkt_json_str(a, "case_id"), pkt_json_str(b, "case_id"));
    cr_assert_str_eq(pkt_json_str(a, "ticket"), pkt_json_str(b, "ticket"));
    cr_assert_eq(strncmp(pkt_json_str(a, "ticket"), "PK-", 3), 0);
    cr_assert_eq(strlen(pkt_json_str(a, "ticket")), 12, "PK-XXXX-XXXX, drawn at random: %s", pkt_json_str(a, "ticket"));
    cr_assert_eq(s_count("SELECT count(*) FROM intake.cases"), 1, "never a second case");
    cr_assert_eq(s_count("SELECT count(*) FROM intake.outbox WHERE topic = 'intake.report_submitted'"), 1);
    cr_assert_eq(s_count("SELECT count(*) FROM intake.outbox WHERE topic = 'intake.reporter_registered'"), 1);
    cr_assert_eq(s_count("SELECT count(*) FROM intake.cases WHERE child AND urgent AND victim_age_band = '13-17'"
                         " AND violence_forms = '{fisik,psikis}' AND kecamatan_code = '32.06.24'"),
                 1);

    char path[128];
    snprintf(path, sizeof path, "/v1/reports/%s", pkt_json_str(a, "case_id"));
    json_t *one;
    cr_assert_eq(pkt_intake_call(&T, "GET", path, NULL, token, NULL, &one), 200);
    cr_assert_str_eq(pkt_json_str(one, "state"), "submitted");
    cr_assert_eq(json_array_size(json_object_get(one, "timeline")), 1);
    json_t *list;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, token, NULL, &list), 200);
    cr_assert_eq(json_array_size(json_object_get(list, "reports")), 1);

    /* The request's correlation id travels in the event. */
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *h[] = {"Content-Type: application/json", auth, "Idempotency-Key: key-2", "X-Request-Id: corr-42-xyz",
                       NULL};
    cr_assert_eq(pkt_http("POST", T.port, "/v1/reports", S_REPORT, strlen(S_REPORT), h, NULL), 201);
    cr_assert_str_eq(pkt_last_header("X-Request-Id"), "corr-42-xyz");
    cr_assert_eq(s_count("SELECT count(*) FROM intake.outbox WHERE position(convert_to('corr-42-xyz', 'UTF8')"
                         " IN envelope) > 0"),
                 1);

    /* A second registration of the same phone is the same reporter. */
    char *again = pkt_intake_register(&T, "+62 812 9876 5432");
    cr_assert_eq(s_count("SELECT count(*) FROM intake.reporter"), 1);
    cr_assert_eq(pkt_intake_call(&T, "GET", path, NULL, again, NULL, NULL), 200);
    json_decref(a);
    json_decref(b);
    json_decref(one);
    json_decref(list);
    free(token);
    free(again);
    s_stop();
}

typedef struct {
    const char *method, *path, *body;
    int with_token; /* 0 none, 1 valid, 2 garbage */
    const char *idem;
    const char *content_type;
    int status;
    const char *code;
    const char *field;
} s_bad_t;

Test(intake, bad_input_gets_a_clear_4xx_and_changes_nothing)
{
    s_start("t_intake2", NULL);
    char *token = pkt_intake_register(&T, "081311112222");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "first", NULL), 201);
    long cases = s_count("SELECT count(*) FROM intake.cases"), events = s_count("SELECT count(*) FROM intake.outbox");

    static const s_bad_t bad[] = {
        {"POST", "/v1/reports", "{\"reporter\":", 1, "k1", NULL, 400, "invalid_json", NULL},
        {"POST", "/v1/reports", "{\"urgent\":true,\"urgent\":false}", 1, "k2", NULL, 400, "duplicate_key", NULL},
        {"POST", "/v1/reports", "[1,2]", 1, "k3", NULL, 400, "invalid_json", NULL},
        {"POST", "/v1/reports",
         "{\"reporter\":{\"kind\":5},\"victim\":{\"child\":\"no\"},\"violence_forms\":\"fisik\","
         "\"location\":{\"kecamatan_code\":\"32.06.24\"}}",
         1, "k4", NULL, 422, "validation_failed", "reporter.kind"},
        {"POST", "/v1/reports",
         "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"child\":true},"
         "\"violence_forms\":[\"dipukul\"],\"location\":{\"kecamatan_code\":\"32.06.24\"}}",
         1, "k5", NULL, 422, "validation_failed", "violence_forms"},
        {"POST", "/v1/reports",
         "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"child\":true},"
         "\"violence_forms\":[\"fisik\"],\"location\":{\"kecamatan_code\":\"32.73.01\"}}",
         1, "k6", NULL, 422, "validation_failed", "location.kecamatan_code"},
        {"POST", "/v1/reports",
         "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"child\":true},"
         "\"violence_forms\":[\"fisik\"],\"location\":{\"lat\":48.85,\"lon\":2.35}}",
         1, "k7", NULL, 422, "validation_failed", "location.lat"},
        {"POST", "/v1/reports",
         "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"child\":true},"
         "\"violence_forms\":[\"fisik\"],\"location\":{\"kecamatan_code\":\"32.06.24\"},"
         "\"incident\":{\"at\":\"2099-01-01T00:00:00Z\"}}",
         1, "k8", NULL, 422, "validation_failed", "incident.at"},
        {"POST", "/v1/reports", S_REPORT, 1, "k9", "text/plain", 415, "unsupported_media_type", NULL},
        {"POST", "/v1/reports", S_REPORT, 0, "k10", NULL, 401, "unauthorized", NULL},
        {"POST", "/v1/reports", S_REPORT, 2, "k11", NULL, 401, "unauthorized", NULL},
        {"POST", "/v1/reports", S_REPORT, 1, NULL, NULL, 400, "idempotency_key_required", NULL},
        {"POST", "/v1/reports", S_REPORT, 1, "k<script>", NULL, 400, "idempotency_key_required", NULL},
        {"GET", "/v1/reports/0123456789abcdef0123456789abcdef", NULL, 1, NULL, NULL, 404, "not_found", NULL},
        {"POST", "/v1/auth/otp", "{\"phone\":\"021-555-1234\"}", 0, NULL, NULL, 422, "invalid_phone", "phone"},
        {"POST", "/v1/auth/otp/verify", "{\"phone\":\"081311112222\",\"code\":\"12ab\"}", 0, NULL, NULL, 422,
         "validation_failed", "code"},
        {"PUT", "/v1/me/contact-safety", "{\"safe_hours\":\"pagi\"}", 1, NULL, NULL, 422, "validation_failed",
         "safe_hours"},
        {"DELETE", "/v1/reports", NULL, 1, NULL, NULL, 405, "method_not_allowed", NULL},
        /* The contract's disagreements (contracts review 12-05): null is a
         * wrong value, not a missing one (B6); ... */
        {"POST", "/v1/reports",
         "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"child\":true},\"violence_forms\":[\"fisik\"],"
         "\"location\":{\"kecamatan_code\":\"32.06.24\"},\"contact_safety\":null}",
         1, "k12", NULL, 422, "validation_failed", "contact_safety"},
        {"POST", "/v1/reports",
         "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"child\":true,\"name\":null},"
         "\"violence_forms\":[\"fisik\"],\"location\":{\"kecamatan_code\":\"32.06.24\"}}",
         1, "k13", NULL, 422, "validation_failed", "victim.name"},
        /* ... a field the code request does not take is named, not the phone (D1); ... */
        {"POST", "/v1/auth/otp", "{\"phone\":\"081212345678\",\"foo\":1}", 0, NULL, NULL, 422, "validation_failed",
         "foo"},
        /* ... an id that is not one names nothing, before any route reads it:
         * encoded slashes and dots that would reach another route (A1, A2), a
         * NUL that would cut it short (B8), more than 32 digits (B7); ... */
        {"GET", "/v1/reports/..%2F..%2Fhealthz", NULL, 1, NULL, NULL, 404, "not_found", NULL},
        {"GET", "/v1/reports/..%2F..%2Fhealthz/companion", NULL, 1, NULL, NULL, 404, "not_found", NULL},
        {"GET", "/v1/reports/%2e%2e", NULL, 1, NULL, NULL, 404, "not_found", NULL},
        {"GET", "/v1/reports/0123456789abcdef0123456789abcdef%00x", NULL, 1, NULL, NULL, 404, "not_found", NULL},
        {"GET", "/v1/reports/0123456789abcdef0123456789abcdefzz", NULL, 1, NULL, NULL, 404, "not_found", NULL},
        {"POST", "/v1/reports/0123456789ABCDEF0123456789ABCDEF/withdraw", "{}", 1, NULL, NULL, 404, "not_found", NULL},
        /* ... a NUL inside a string is valid JSON, but no text here may hold
         * one: the field is named (C2); ... */
        {"POST", "/v1/auth/otp", "{\"phone\":\"0812\\u00001234567\"}", 0, NULL, NULL, 422, "validation_failed",
         "phone"},
        {"POST", "/v1/reports",
         "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"child\":true,\"name\":\"Siti\\u0000\"},"
         "\"violence_forms\":[\"fisik\"],\"location\":{\"kecamatan_code\":\"32.06.24\"}}",
         1, "k14", NULL, 422, "validation_failed", "victim.name"},
        /* ... and a step without fields takes none (B1, B2). */
        {"POST", "/v1/auth/logout", "{\"all\":true}", 1, NULL, NULL, 422, "validation_failed", "all"},
        {"POST", "/v1/auth/logout-all", "{\"x\":1}", 1, NULL, NULL, 422, "validation_failed", "x"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const s_bad_t *t = &bad[i];
        char auth[128], key[160], ct[80];
        const char *headers[4] = {NULL};
        int h = 0;
        snprintf(ct, sizeof ct, "Content-Type: %s", t->content_type ? t->content_type : "application/json");
        headers[h++] = ct;
        if (t->with_token) {
            snprintf(auth, sizeof auth, "Authorization: Bearer %s",
                     t->with_token == 1 ? token : "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
            headers[h++] = auth;
        }
        if (t->idem) {
            snprintf(key, sizeof key, "Idempotency-Key: %s", t->idem);
            headers[h++] = key;
        }
        char *text = NULL;
        int st = pkt_http(t->method, T.port, t->path, t->body, t->body ? strlen(t->body) : 0, headers, &text);
        json_t *j = json_loads(text ? text : "", 0, NULL);
        cr_assert_eq(st, t->status, "case %zu (%s %s): status %d, body %s", i, t->method, t->path, st, text);
        cr_assert_str_eq(pkt_json_str(j, "error.code"), t->code, "case %zu: %s", i, text);
        cr_assert_neq(pkt_json_str(j, "error.message")[0], '\0', "case %zu has a message", i);
        if (t->field)
            cr_assert_not_null(json_object_get(json_object_get(json_object_get(j, "error"), "fields"), t->field),
                               "case %zu names %s: %s", i, t->field, text);
        json_decref(j);
        free(text);
    }
    /* Oversized body: refused by the HTTP layer. */
    size_t big = 70 * 1024;
    char *huge = pk_malloc(big + 1);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = '\0';
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", huge, token, "k-big", NULL), 413);
    free(huge);
    /* The session outlived the refused logouts. */
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, token, NULL, NULL), 200);
    /* An expired session is refused. */
    pkt_sql(T.db, "UPDATE intake.session SET expires_at = now() - interval '1 second'");
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, token, NULL, NULL), 401);

    cr_assert_eq(s_count("SELECT count(*) FROM intake.cases"), cases, "no case was created");
    cr_assert_eq(s_count("SELECT count(*) FROM intake.outbox"), events, "no event was written");
    /* Text is counted in characters, as the contract's maxLength is (C1):
     * 3,000 "é" are 6,000 bytes, within the account's 5,000. */
    {
        char *fresh = pkt_intake_register(&T, "081311113333");
        char *account = pk_malloc(3000 * 2 + 1);
        for (int i = 0; i < 3000; i++)
            memcpy(account + 2 * i, "\xc3\xa9", 2);
        account[6000] = '\0';
        char *body = pk_asprintf("{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"child\":true},"
                                 "\"violence_forms\":[\"fisik\"],\"location\":{\"kecamatan_code\":\"32.06.24\"},"
                                 "\"account\":\"%s\"}",
                                 account);
        cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", body, fresh, "k-chars", NULL), 201);
        free(body);
        free(account);
        free(fresh);
    }
    free(token);
    s_stop();
}

/* A code request or verify from client address `ip` (behind the trusted
 * proxy on loopback); returns the status and the answer's text. */
static int s_otp(const char *path, const char *phone, const char *code, const char *ip, char **text)
{
    char body[96], xff[64];
    if (code)
        snprintf(body, sizeof body, "{\"phone\":\"%s\",\"code\":\"%s\"}", phone, code);
    else
        snprintf(body, sizeof body, "{\"phone\":\"%s\"}", phone);
    snprintf(xff, sizeof xff, "X-Forwarded-For: %s", ip);
    const char *h[] = {"Content-Type: application/json", xff, NULL};
    char *out = NULL;
    int st = pkt_http("POST", T.port, path, body, strlen(body), h, &out);
    if (text)
        *text = out;
    else
        free(out);
    return st;
}

static void s_wrong(char wrong[8], const char *code)
{
    snprintf(wrong, 8, "%06d", (atoi(code) + 1) % 1000000);
}

/* Security review H2, H3, M9: limits per phone, per client (behind the
 * proxy) and overall; one answer for every failed code; a stranger's
 * guesses neither lock the reporter out nor go on for ever. */
Test(intake, codes_are_limited_and_failures_are_no_oracle_and_no_lock)
{
    static const char *const extra[] = {"PELUKAN_INTAKE_OTP_PER_PHONE",
                                        "3",
                                        "PELUKAN_INTAKE_OTP_PER_HOUR",
                                        "7",
                                        "PELUKAN_INTAKE_OTP_FAILS_PER_PHONE_DAY",
                                        "4",
                                        "PELUKAN_HTTP_TRUSTED_PROXIES",
                                        "127.0.0.1",
                                        "PELUKAN_INTAKE_PURGE_S",
                                        "1",
                                        NULL};
    s_start("t_intake3", extra);
    const char *me = "198.51.100.10", *abuser = "203.0.113.66";
    char code[8], e164[24], wrong[8], *text = NULL;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(s_otp("/v1/auth/otp", "085700001111", NULL, me, NULL), 202);
        cr_assert(pkt_intake_take_otp(&T, code, e164));
    }
    cr_assert_str_eq(e164, "+6285700001111");
    cr_assert_eq(s_otp("/v1/auth/otp", "085700001111", NULL, me, &text), 429);
    cr_assert_not_null(strstr(text, "too_many_requests"));
    cr_assert_gt(atoi(pkt_last_header("Retry-After")), 0, "429 says when to retry");
    free(text);
    cr_assert_eq(s_count("SELECT count(*) FROM intake.otp_request"), 3, "the refused request left no trace");

    /* One answer for a phone without a code, a wrong code and an expired one. */
    char *absent = NULL, *bad = NULL, *expired = NULL;
    cr_assert_eq(s_otp("/v1/auth/otp/verify", "085700002222", "123456", abuser, &absent), 401);
    s_wrong(wrong, code);
    cr_assert_eq(s_otp("/v1/auth/otp/verify", "085700001111", wrong, abuser, &bad), 401);
    char old[8];
    cr_assert_eq(s_otp("/v1/auth/otp", "085700003333", NULL, me, NULL), 202);
    cr_assert(pkt_intake_take_otp(&T, old, e164));
    pkt_sql(T.db, "UPDATE intake.otp SET expires_at = now() - interval '1 second'");
    cr_assert_eq(s_otp("/v1/auth/otp/verify", "085700003333", old, me, &expired), 401);
    cr_assert_not_null(strstr(absent, "\"otp_invalid\""), "%s", absent);
    cr_assert_str_eq(absent, bad, "absent and wrong look alike");
    cr_assert_str_eq(absent, expired, "absent and expired look alike");
    free(absent), free(bad), free(expired);
    pkt_sql(T.db, "UPDATE intake.otp SET expires_at = now() + interval '5 minutes'");

    /* The abuser guesses at the reporter's phone from his own address:
     * a budget of its own, never the reporter's code. */
    for (int i = 0; i < 8; i++)
        cr_assert_eq(s_otp("/v1/auth/otp/verify", "085700001111", wrong, abuser, NULL), 401);
    /* Other addresses share one budget per phone and day (4 here): past
     * it, even the right code from a new address is refused... */
    for (int i = 0; i < 4; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "203.0.113.%d", 100 + i);
        cr_assert_eq(s_otp("/v1/auth/otp/verify", "085700001111", wrong, ip, NULL), 401);
    }
    cr_assert_eq(s_otp("/v1/auth/otp/verify", "085700001111", code, "203.0.113.200", NULL), 401,
                 "guesses at a phone are bounded per day, whatever the address");
    /* ...while the reporter, from the address the code was sent to, gets in. */
    json_t *j = NULL;
    cr_assert_eq(s_otp("/v1/auth/otp/verify", "085700001111", code, me, &text), 200, "%s", text);
    j = json_loads(text, 0, NULL);
    cr_assert_eq(strlen(pkt_json_str(j, "token")), 64);
    json_decref(j);
    free(text);
    cr_assert_eq(s_count("SELECT count(*) FROM intake.otp WHERE phone_index IN (SELECT phone_index FROM "
                         "intake.reporter)"),
                 0, "the codes of the phone are consumed");

    /* A code's own client has five tries; then even the right code fails. */
    cr_assert_eq(s_otp("/v1/auth/otp", "085700004444", NULL, abuser, NULL), 202);
    cr_assert(pkt_intake_take_otp(&T, code, e164));
    s_wrong(wrong, code);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(s_otp("/v1/auth/otp/verify", "085700004444", wrong, abuser, NULL), 401);
    cr_assert_eq(s_otp("/v1/auth/otp/verify", "085700004444", code, abuser, NULL), 401);

    /* The SMS budget: 7 codes an hour in all (5 sent so far). */
    cr_assert_eq(s_otp("/v1/auth/otp", "085700005555", NULL, "198.51.100.20", NULL), 202);
    cr_assert(pkt_intake_take_otp(&T, code, e164));
    cr_assert_eq(s_otp("/v1/auth/otp", "085700006666", NULL, "198.51.100.21", NULL), 202);
    cr_assert(pkt_intake_take_otp(&T, code, e164));
    cr_assert_eq(s_otp("/v1/auth/otp", "085700007777", NULL, "198.51.100.22", NULL), 429, "over the SMS budget");
    cr_assert_eq(s_count("SELECT count(*) FROM intake.session"), 1);

    /* Review L7: what is past its use is purged (moved back in time here). */
    pkt_sql(T.db, "UPDATE intake.otp_request SET at = now() - interval '2 days';"
                  "UPDATE intake.otp_failure SET at = now() - interval '2 days';"
                  "UPDATE intake.otp SET expires_at = now() - interval '1 second';"
                  "UPDATE intake.session SET expires_at = now() - interval '1 second'");
    cr_assert(
        pkt_sql_wait(T.db,
                     "SELECT ((SELECT count(*) FROM intake.otp_request) + (SELECT count(*) FROM intake.otp_failure)"
                     " + (SELECT count(*) FROM intake.otp) + (SELECT count(*) FROM intake.session) = 0)::int",
                     10000),
        "codes, requests, failures and sessions purged");
    s_stop();
}

/* A code request from `ip` for `phone`: its status, and its request id. */
static int s_ask(const char *phone, const char *ip, char request[40])
{
    char *text = NULL;
    int st = s_otp("/v1/auth/otp", phone, NULL, ip, &text);
    json_t *j = json_loads(text ? text : "", 0, NULL);
    snprintf(request, 40, "%s", st == 202 ? pkt_json_str(j, "request_id") : "");
    json_decref(j);
    free(text);
    return st;
}

/* A verify with the code's request id from `ip`: its status and the error code. */
static int s_verify_held(const char *phone, const char *code, const char *request, const char *ip, char why[40])
{
    char body[160], xff[64];
    snprintf(body, sizeof body, "{\"phone\":\"%s\",\"code\":\"%s\",\"request_id\":\"%s\"}", phone, code, request);
    snprintf(xff, sizeof xff, "X-Forwarded-For: %s", ip);
    const char *h[] = {"Content-Type: application/json", xff, NULL};
    char *out = NULL;
    int st = pkt_http("POST", T.port, "/v1/auth/otp/verify", body, strlen(body), h, &out);
    json_t *j = json_loads(out ? out : "", 0, NULL);
    snprintf(why, 40, "%s", st == 200 ? "" : pkt_json_str(j, "error.code"));
    json_decref(j);
    free(out);
    return st;
}

/* Security review N4: a stranger who knows the victim's number can keep
 * her from registering no more. Asking for codes from one address does
 * not spend hers; guesses from many addresses do not make her right code
 * fail when her own address changed (mobile data); a code refused for a
 * reason other than being wrong says so, to the app that asked only. */
Test(intake, n4_a_stranger_cannot_keep_a_victim_from_registering)
{
    static const char *const extra[] = {"PELUKAN_INTAKE_OTP_PER_PHONE",
                                        "3",
                                        "PELUKAN_INTAKE_OTP_FAILS_PER_PHONE_DAY",
                                        "4",
                                        "PELUKAN_HTTP_TRUSTED_PROXIES",
                                        "127.0.0.1",
                                        NULL};
    s_start("t_intake_n4", extra);
    const char *phone = "085700009999", *abuser = "203.0.113.66";
    char code[8], e164[24], request[40], why[40], wrong[8];
    /* The abuser spends what one address may ask for her phone... */
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(s_ask(phone, abuser, request), 202);
        cr_assert(pkt_intake_take_otp(&T, code, e164));
    }
    cr_assert_eq(s_ask(phone, abuser, request), 429, "the abuser's own limit");
    /* ...and guesses from many addresses, past the phone's budget. */
    for (int i = 0; i < 6; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "203.0.113.%d", 100 + i);
        cr_assert_eq(s_otp("/v1/auth/otp/verify", phone, "000000", ip, NULL), 401);
    }
    /* She asks from her phone's address, and the SMS comes after her phone
     * moved from Wi-Fi to mobile data: another address. She gets in. */
    cr_assert_eq(s_ask(phone, "198.51.100.3", request), 202, "her request is not spent by the abuser's");
    cr_assert_eq(strlen(request), 32);
    cr_assert(pkt_intake_take_otp(&T, code, e164));
    cr_assert_eq(s_verify_held(phone, code, request, "198.51.100.4", why), 200,
                 "her right code from a new address, with its request id: %s", why);

    /* Told why, when it is not a wrong code: expired... */
    const char *other = "085700008888";
    cr_assert_eq(s_ask(other, "198.51.100.5", request), 202);
    cr_assert(pkt_intake_take_otp(&T, code, e164));
    pkt_sql(T.db, "UPDATE intake.otp SET expires_at = now() - interval '1 second'");
    cr_assert_eq(s_verify_held(other, code, request, "198.51.100.5", why), 401);
    cr_assert_str_eq(why, "otp_expired");
    /* ...or too many wrong tries at this code; a wrong code is just wrong. */
    cr_assert_eq(s_ask(other, "198.51.100.5", request), 202);
    cr_assert(pkt_intake_take_otp(&T, code, e164));
    s_wrong(wrong, code);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(s_verify_held(other, wrong, request, "198.51.100.5", why), 401);
        cr_assert_str_eq(why, "otp_invalid");
    }
    cr_assert_eq(s_verify_held(other, wrong, request, "198.51.100.5", why), 401);
    cr_assert_str_eq(why, "otp_attempts_exhausted", "the fifth wrong try uses the code up, and says so");
    cr_assert_eq(s_verify_held(other, code, request, "198.51.100.5", why), 401);
    cr_assert_str_eq(why, "otp_attempts_exhausted");
    /* Without the request id nobody is told anything but otp_invalid. */
    char *text = NULL;
    cr_assert_eq(s_otp("/v1/auth/otp/verify", other, code, abuser, &text), 401);
    cr_assert_not_null(strstr(text, "\"otp_invalid\""), "%s", text);
    free(text);
    s_stop();
}

Test(intake, reporters_see_only_their_own_and_can_withdraw)
{
    s_start("t_intake4", NULL);
    char *alice = pkt_intake_register(&T, "081200000001"), *bob = pkt_intake_register(&T, "081200000002");
    json_t *a;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, alice, "a-1", &a), 201);
    char path[160];
    snprintf(path, sizeof path, "/v1/reports/%s", pkt_json_str(a, "case_id"));
    cr_assert_eq(pkt_intake_call(&T, "GET", path, NULL, bob, NULL, NULL), 404, "another reporter's case is not found");
    json_t *list;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, bob, NULL, &list), 200);
    cr_assert_eq(json_array_size(json_object_get(list, "reports")), 0);
    json_decref(list);

    snprintf(path, sizeof path, "/v1/reports/%s/withdraw", pkt_json_str(a, "case_id"));
    cr_assert_eq(pkt_intake_call(&T, "POST", path, NULL, bob, NULL, NULL), 404);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, NULL, alice, NULL, NULL), 200);
    json_t *j;
    cr_assert_eq(pkt_intake_call(&T, "POST", path, NULL, alice, NULL, &j), 409);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "invalid_transition");
    cr_assert_str_eq(pkt_json_str(j, "error.fields.state"), "withdrawn", "names the current state");
    json_decref(j);
    snprintf(path, sizeof path, "/v1/reports/%s", pkt_json_str(a, "case_id"));
    cr_assert_eq(pkt_intake_call(&T, "GET", path, NULL, alice, NULL, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "withdrawn");
    cr_assert_eq(json_array_size(json_object_get(j, "timeline")), 2);
    json_decref(j);
    cr_assert_eq(s_count("SELECT count(*) FROM intake.outbox WHERE topic = 'intake.case_state_changed'"), 1);
    cr_assert_eq(s_count("SELECT count(*) FROM intake.case_event WHERE state = 'withdrawn' AND actor_kind = 'reporter'"
                         " AND actor_id IS NULL"),
                 1, "the timeline says the reporter withdrew it, and names nobody");

    cr_assert_eq(pkt_intake_call(&T, "PUT", "/v1/me/contact-safety",
                                 "{\"safe_channel\":\"in_app\",\"phone_monitored\":true}", alice, NULL, NULL),
                 204);
    json_decref(a);
    free(alice);
    free(bob);
    s_stop();
}

/* Review M7: one reporter's reports are bounded per day (each urgent one
 * e-mails every admin); a retry of a report already made still answers. */
Test(intake, a_reporter_s_reports_are_bounded_per_day)
{
    static const char *const extra[] = {"PELUKAN_INTAKE_REPORTS_PER_DAY", "2", NULL};
    s_start("t_intake_flood", extra);
    char *token = pkt_intake_register(&T, "081200000088");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "f-1", NULL), 201);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "f-2", NULL), 201);
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "f-3", &j), 429);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "too_many_reports");
    json_decref(j);
    cr_assert_not_null(pkt_last_header("Retry-After"));
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "f-1", NULL), 201, "a retry answers");
    cr_assert_eq(s_count("SELECT count(*) FROM intake.cases"), 2);
    free(token);
    s_stop();
}

/* Review M6: a reporter ends one session or all of them, and an unused
 * session ends by itself; a report on it is refused then too. */
Test(intake, reporters_end_their_sessions_and_idle_ones_end)
{
    static const char *const extra[] = {"PELUKAN_INTAKE_OTP_PER_PHONE", "10", NULL};
    s_start("t_intake_sessions", extra);
    char *s1 = pkt_intake_register(&T, "081200000077"), *s2 = pkt_intake_register(&T, "081200000077");
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, s1, NULL, NULL), 200);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, s1, "m-1", NULL), 201);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/auth/logout", NULL, s1, NULL, NULL), 204);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, s1, NULL, NULL), 401, "this session ended");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, s1, "m-2", NULL), 401,
                 "no report on an ended session");
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, s2, NULL, NULL), 200, "the other device's stays");
    char *s3 = pkt_intake_register(&T, "081200000077");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/auth/logout-all", NULL, s3, NULL, NULL), 204);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, s2, NULL, NULL), 401, "every session ended");
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, s3, NULL, NULL), 401);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/auth/logout", NULL, NULL, NULL, NULL), 401);
    char *s4 = pkt_intake_register(&T, "081200000077");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, s4, "m-3", NULL), 201);
    pkt_sql(T.db, "UPDATE intake.session SET idle_until = now() - interval '1 second'");
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, s4, NULL, NULL), 401, "idle too long");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, s4, "m-4", NULL), 401, "idle: no report");
    cr_assert_eq(s_count("SELECT count(*) FROM intake.cases"), 2, "the two reports made while her sessions held");
    free(s1), free(s2), free(s3), free(s4);
    s_stop();
}

/* True when `needle`, or its lowercase hex, occurs in `hay`. */
static bool s_leaks(const char *hay, const char *needle)
{
    char hex[256];
    pk_hex(needle, strlen(needle), hex);
    return strstr(hay, needle) || strstr(hay, hex);
}

Test(intake, personal_data_is_not_in_the_database_dump_nor_the_log)
{
    s_start("t_intake5", NULL);
    char *token = pkt_intake_register(&T, "0812-9876-5432");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "p-1", NULL), 201);
    cr_assert_eq(pkt_intake_call(&T, "PUT", "/v1/me/contact-safety",
                                 "{\"safe_hours\":\"19:00-21:00\",\"notes\":\"Rahasia Catatan\"}", token, NULL, NULL),
                 204);
    char *dump_path = pk_asprintf("%s/%s.dump.sql", pkt_env("PKTEST_TMP"), T.db);
    char *cmd = pk_asprintf("/usr/lib/postgresql/15/bin/pg_dump -h 127.0.0.1 -p %s -U postgres %s > %s",
                            pkt_env("PKTEST_PG_PORT"), T.db, dump_path);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    char *dump = NULL;
    cr_assert_eq(pk_read_file(dump_path, &dump, NULL), 0);
    cr_assert_not_null(strstr(dump, "CREATE TABLE intake.cases"), "the dump is real");
    cr_assert_eq(pkt_proc_stop(&T.proc, SIGTERM, 20000), 0);
    T.proc.pid = 0;
    char *log = pkt_proc_log(&T.proc);
    static const char *const secrets[] = {"81298765432", "Siti Rahayu Unik", "Jalan Kenanga Rahasia", "Ayah tiri",
                                          "7.3512345",   "108.1012345",      "Rahasia Catatan"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        cr_assert(!s_leaks(dump, secrets[i]), "\"%s\" is in the database dump", secrets[i]);
        cr_assert(!s_leaks(log, secrets[i]), "\"%s\" is in the intake log", secrets[i]);
    }
    free(log);
    free(dump);
    free(cmd);
    free(dump_path);
    free(token);
    zsock_destroy(&T.notif);
    pkt_env_destroy(&T.env);
}

typedef struct {
    int port;
} s_port_t;

static bool s_delivery_failed(void *arg)
{
    return pkt_metric(((s_port_t *)arg)->port, "pelukan_intake_otp_delivery_failed_total{service=\"edge\"}") >= 1;
}

Test(intake, an_unreachable_notification_service_shows_in_metrics_and_log)
{
    s_start("t_intake6", NULL);
    zsock_destroy(&T.notif); /* nobody answers the commands */
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/auth/otp", "{\"phone\":\"081355556666\"}", NULL, NULL, NULL), 202);
    s_port_t p = {T.proc.edge_metrics_port}; /* the edge sends the codes */
    cr_assert(pkt_wait_until(s_delivery_failed, &p, 15000), "the failed delivery is counted");
    cr_assert_eq(pkt_proc_stop(&T.proc, SIGTERM, 20000), 0);
    char *log = pkt_proc_log(&T.proc);
    cr_assert_not_null(strstr(log, "OTP delivery command to notification"), "%s", log);
    cr_assert_null(strstr(log, "81355556666"), "the phone is not in the log");
    free(log);
    pkt_env_destroy(&T.env);
}

static void s_pg(const char *verb)
{
    char *cmd =
        strcmp(verb, "stop") == 0
            ? pk_asprintf("%s/deploy/local/pgcluster.sh stop %s/pg", pkt_env("PKTEST_ROOT"), pkt_env("PKTEST_TMP"))
            : pk_asprintf("%s/deploy/local/pgcluster.sh start %s/pg %s >/dev/null", pkt_env("PKTEST_ROOT"),
                          pkt_env("PKTEST_TMP"), pkt_env("PKTEST_PG_PORT"));
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    free(cmd);
}

static bool s_ready(void *arg)
{
    return pkt_http_get(*(int *)arg, "/readyz", NULL) == 200;
}

/* Issue 24, step 3: the edge and the case owner are two processes. The
 * owner stops (a deployment, a crash) under a running edge: her report
 * meanwhile is a clear 503 that loses nothing, the edge needs no restart,
 * and once the owner is back her retry goes through and her session held. */
Test(intake, the_case_owner_restarts_under_a_running_edge)
{
    s_start("t_intake_owner_restart", NULL);
    char *token = pkt_intake_register(&T, "081377779999");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "before", NULL), 201);
    pid_t edge = T.proc.edge_pid;
    kill(T.proc.pid, SIGKILL); /* mid-work, as a crash */
    cr_assert_neq(pkt_proc_wait(&T.proc, pkt_wait_ms()), -1, "the owner is gone");
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "during", &j), 503);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "unavailable");
    cr_assert_not_null(pkt_last_header("Retry-After"));
    json_decref(j);
    pkt_proc_t owner = pkt_wait_healthy(pkt_service_spawn("intake", T.env));
    T.proc.pid = owner.pid;
    snprintf(T.proc.log_path, sizeof T.proc.log_path, "%s", owner.log_path);
    int st = pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "during", NULL);
    cr_assert_eq(st, 201, "the retry goes through (status %d)", st);
    cr_assert_eq(s_count("SELECT count(*) FROM intake.cases"), 2, "one case a report: the 503 lost nothing");
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, token, NULL, NULL), 200, "and her session held");
    cr_assert_eq(T.proc.edge_pid, edge, "the same edge served throughout");
    free(token);
    s_stop();
}

Test(intake, a_database_outage_is_a_clear_503_and_loses_nothing)
{
    s_start("t_intake7", NULL);
    char *token = pkt_intake_register(&T, "081377778888");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "before", NULL), 201);
    s_pg("stop");
    double t0 = pkt_now_ms();
    json_t *j;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "during", &j), 503);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "unavailable");
    cr_assert_not_null(pkt_last_header("Retry-After"));
    cr_assert_lt(pkt_now_ms() - t0, 30000,
                 "the answer does not hang (it comes when the database is found gone, not at a client's timeout)");
    json_decref(j);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, token, NULL, &j), 503,
                 "her session cannot be checked: not a 401 that would sign her out");
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "unavailable");
    cr_assert_not_null(pkt_last_header("Retry-After"));
    json_decref(j);
    cr_assert_eq(pkt_http_get(T.proc.owner_http_port, "/readyz", NULL), 503, "the case owner is not ready");
    s_pg("start");
    cr_assert(pkt_wait_until(s_ready, &T.proc.owner_http_port, 20000), "ready again after the database is back");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", S_REPORT, token, "during", NULL), 201,
                 "the retry goes through");
    cr_assert_eq(s_count("SELECT count(*) FROM intake.cases"), 2);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, token, NULL, NULL), 200, "and her session held");
    free(token);
    s_stop();
}

/* The contract's edges (issue 15), each exchange also validated against
 * openapi.yaml by the contract check: HEAD where GET is, 405 with Allow,
 * 401 with WWW-Authenticate, the error shape over the body limit, a report
 * with the time JavaScript writes, and the stream of a reporter's
 * companion answering 409 before anyone left. */
Test(intake, the_contract_s_edges)
{
    s_start("t_intake_contract", NULL);
    pkt_intake_start_dispatch(&T);
    char *token = pkt_intake_register(&T, "081322223333");
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *headers[] = {auth, NULL};
    char *body = NULL;

    cr_assert_eq(pkt_http("HEAD", T.port, "/v1/reports", NULL, 0, headers, &body), 200);
    cr_assert_str_eq(body, "", "HEAD: no body");
    cr_assert_str_eq(pkt_last_header("Content-Type"), "application/json; charset=utf-8");
    free(body);
    cr_assert_eq(pkt_http("HEAD", T.port, "/healthz", NULL, 0, NULL, NULL), 200);

    cr_assert_eq(pkt_http("DELETE", T.port, "/v1/reports", NULL, 0, headers, &body), 405);
    cr_assert_str_eq(pkt_last_header("Allow"), "POST, GET, HEAD");
    cr_assert_not_null(strstr(body, "\"method_not_allowed\""));
    free(body);

    cr_assert_eq(pkt_http("GET", T.port, "/v1/reports", NULL, 0, NULL, &body), 401);
    cr_assert_str_eq(pkt_last_header("WWW-Authenticate"), "Bearer realm=\"pelukan\"");
    free(body);

    size_t big = 70 * 1024;
    char *huge = pk_malloc(big);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    const char *json_headers[] = {auth, "Content-Type: application/json", "Idempotency-Key: big", NULL};
    cr_assert_eq(pkt_http("POST", T.port, "/v1/reports", huge, big, json_headers, &body), 413);
    cr_assert_str_eq(body, "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"Isi permintaan terlalu besar\"}}");
    free(body);
    free(huge);

    /* What JavaScript's toISOString() writes: fractions and Z. */
    const char *report = "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"age\":30},\"violence_forms\":[\"psikis\"],"
                         "\"incident\":{\"at\":\"2026-11-27T13:00:00.123Z\"},\"location\":{\"kecamatan_code\":"
                         "\"32.06.24\"}}";
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", report, token, "js-time", &j), 201);
    char path[128];
    snprintf(path, sizeof path, "/v1/reports/%s/companion/stream", pkt_json_str(j, "case_id"));
    json_decref(j);
    cr_assert_eq(pkt_intake_call(&T, "GET", path, NULL, token, NULL, &j), 409, "nobody on the way yet");
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "not_en_route");
    json_decref(j);
    free(token);
    s_stop();
}

/* What the reporter's app shows (issue 16): the code lists in words and
 * the regions down to the desa, to anyone, cacheable. */
Test(intake, the_code_lists_and_the_regions_are_served_to_anyone)
{
    s_start("t_intake_ref", NULL);
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/regions", NULL, NULL, NULL, &j), 200);
    cr_assert_str_eq(pkt_last_header("Cache-Control"), "public, max-age=3600");
    json_t *kec = json_object_get(j, "kecamatan");
    cr_assert_eq(json_array_size(kec), 39, "the 39 kecamatan");
    size_t desa = 0;
    for (size_t i = 0; i < json_array_size(kec); i++)
        desa += json_array_size(json_object_get(json_array_get(kec, i), "desa"));
    cr_assert_eq(desa, 351, "the 351 desa (Kepmendagri 300.2.2-2138/2025)");
    json_t *singaparna = json_array_get(kec, 23);
    cr_assert_str_eq(pkt_json_str(singaparna, "code"), "32.06.24");
    cr_assert_str_eq(pkt_json_str(singaparna, "name"), "Singaparna");
    cr_assert_str_eq(pkt_json_str(json_array_get(json_object_get(singaparna, "desa"), 0), "name"), "Cikunten");
    json_decref(j);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/catalog", NULL, NULL, NULL, &j), 200);
    json_t *forms = json_object_get(j, "violence_form");
    cr_assert_eq(json_array_size(forms), 7);
    cr_assert_str_eq(pkt_json_str(json_array_get(forms, 6), "code"), "lainnya", "other is last");
    cr_assert_neq(strlen(pkt_json_str(json_array_get(forms, 0), "plain_id")), 0, "in plain words");
    json_t *bands = json_object_get(j, "age_band");
    cr_assert_str_eq(pkt_json_str(json_array_get(bands, 1), "code"), "6-12", "age bands by age");
    cr_assert_eq(json_array_size(json_object_get(j, "need")), 5);
    cr_assert_str_eq(pkt_json_str(json_array_get(json_object_get(j, "safe_channel"), 0), "label_en"), "Phone call");
    /* The case's states in words, the life cycle's own list in its order
     * (the staff app shows them from here). */
    json_t *states = json_object_get(j, "case_state");
    size_t nstates = 0;
    while (intake_state_name((Pelukan__V1__CaseState)(nstates + 1)))
        nstates++;
    cr_assert_eq(json_array_size(states), nstates);
    for (size_t i = 0; i < nstates; i++)
        cr_assert_str_eq(pkt_json_str(json_array_get(states, i), "code"),
                         intake_state_name((Pelukan__V1__CaseState)(i + 1)));
    cr_assert_str_eq(pkt_json_str(json_array_get(states, 1), "label_id"), "Terverifikasi");
    json_decref(j);

    /* A desa must exist, in its kecamatan. */
    char *token = pkt_intake_register(&T, "081322224444");
    const char *report = "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"age\":30},\"violence_forms\":[\"psikis\"],"
                         "\"location\":{\"kecamatan_code\":\"32.06.24\",\"desa_code\":\"32.06.24.2999\"}}";
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", report, token, "no-desa", &j), 422);
    cr_assert_str_eq(pkt_json_str(j, "error.fields.location.desa_code"), "", "(a flat field name)");
    cr_assert_not_null(json_object_get(json_object_get(json_object_get(j, "error"), "fields"), "location.desa_code"));
    json_decref(j);
    free(token);
    s_stop();
}

/* Issue 24: the edge reads no database, not even at start. It asks the
 * case owner for the codes, the catalogue and the regions (GetReference),
 * and a request that comes before they are here waits for them, then is
 * answered as usual. The owner's read is held here by a lock on the
 * regions, across a restart (the lock does not stop intake from starting:
 * before, intake read them itself in its start-up, which waited). */
typedef struct {
    int status;
    json_t *body;
} s_asked_t;

static void *s_ask_regions(void *arg)
{
    s_asked_t *a = arg;
    int status = pkt_intake_call(&T, "GET", "/v1/regions", NULL, NULL, NULL, &a->body);
    __atomic_store_n(&a->status, status, __ATOMIC_SEQ_CST);
    return NULL;
}

Test(intake, the_edge_asks_the_owner_for_its_reference_data_and_requests_wait_for_it)
{
    s_start("t_intake_refwait", NULL);
    cr_assert_eq(pkt_proc_stop(&T.proc, SIGTERM, 20000), 0, "intake stops cleanly");
    PGconn *lock = pkt_superuser(T.db);
    PQclear(PQexec(lock, "BEGIN"));
    PGresult *locked = PQexec(lock, "LOCK TABLE intake.region IN ACCESS EXCLUSIVE MODE");
    cr_assert_eq(PQresultStatus(locked), PGRES_COMMAND_OK, "%s", PQerrorMessage(lock));
    PQclear(locked);
    T.proc = pkt_service_start("intake", T.env);
    T.port = T.proc.http_port;
    s_asked_t asked = {0};
    pthread_t t;
    pthread_create(&t, NULL, s_ask_regions, &asked);
    cr_assert(pkt_sql_wait(T.db,
                           "SELECT (count(*) > 0)::int FROM pg_locks WHERE NOT granted"
                           " AND relation = 'intake.region'::regclass",
                           pkt_http_timeout_ms()),
              "the owner's read of the regions waits for the lock");
    int early = __atomic_load_n(&asked.status, __ATOMIC_SEQ_CST);
    cr_assert_eq(early, 0, "no answer while the edge has no regions (status %d)", early);
    json_t *config = NULL;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/app-config", NULL, NULL, NULL, &config), 200,
                 "the help numbers never wait for the code lists");
    cr_assert_str_eq(pkt_json_str(config, "help.emergency"), "112");
    json_decref(config);
    char *ready = NULL;
    cr_assert_eq(pkt_http_get(T.port, "/readyz", &ready), 503, "not ready without them");
    cr_assert_not_null(strstr(ready, "\"service\":false"), "%s", ready);
    free(ready);
    PQclear(PQexec(lock, "COMMIT"));
    PQfinish(lock);
    pthread_join(t, NULL);
    cr_assert(pkt_wait_until(s_ready, &T.port, pkt_wait_ms()), "ready once they are here");
    cr_assert_eq(asked.status, 200, "answered once the owner gave them");
    cr_assert_eq(json_array_size(json_object_get(asked.body, "kecamatan")), 39, "the 39 kecamatan");
    json_decref(asked.body);
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/catalog", NULL, NULL, NULL, &j), 200);
    cr_assert_eq(json_array_size(json_object_get(j, "violence_form")), 7);
    json_decref(j);
    s_stop();
}

/* The web apps at / (issue 16): files from PELUKAN_INTAKE_WEB_DIR, hashed
 * assets cached for good, the page looked up each time, the app's page for
 * its own paths, a CSP that allows our origin and the tile server only. */
Test(intake, the_web_app_is_served_at_the_root)
{
    char *dir = pk_asprintf("%s/web-%d", pkt_env("PKTEST_TMP"), (int)getpid());
    char *assets = pk_asprintf("%s/assets", dir);
    mkdir(dir, 0755);
    mkdir(assets, 0755);
    char *index = pk_asprintf("%s/index.html", dir), *js = pk_asprintf("%s/index-abc123.js", assets);
    FILE *f = fopen(index, "w");
    fputs("<!doctype html><title>PELUKAN</title>", f);
    fclose(f);
    f = fopen(js, "w");
    fputs("console.log(1)", f);
    fclose(f);
    /* Its compressed copies, as the build leaves them (intake sends them
     * as they are: their bytes stand for the real thing here). */
    char *js_gz = pk_asprintf("%s.gz", js), *js_br = pk_asprintf("%s.br", js);
    f = fopen(js_gz, "w");
    fputs("GZIP-BYTES", f);
    fclose(f);
    f = fopen(js_br, "w");
    fputs("BROTLI-BYTES", f);
    fclose(f);
    const char *extra[] = {"PELUKAN_INTAKE_WEB_DIR", dir, "PELUKAN_WEB_TILE_URL", "http://127.0.0.1:9/{z}/{x}/{y}.png",
                           NULL};
    s_start("t_intake_web", extra);
    char *body = NULL;
    cr_assert_eq(pkt_http("GET", T.port, "/", NULL, 0, NULL, &body), 200);
    cr_assert_str_eq(body, "<!doctype html><title>PELUKAN</title>");
    cr_assert_str_eq(pkt_last_header("Content-Type"), "text/html; charset=utf-8");
    cr_assert_str_eq(pkt_last_header("Cache-Control"), "no-cache");
    cr_assert_str_eq(pkt_last_header("Referrer-Policy"), "no-referrer");
    const char *csp = pkt_last_header("Content-Security-Policy");
    cr_assert_not_null(strstr(csp, "default-src 'self'"), "%s", csp);
    cr_assert_not_null(strstr(csp, "img-src 'self' data: http://127.0.0.1:9;"), "the tile server only: %s", csp);
    cr_assert_not_null(strstr(csp, "frame-ancestors 'none'"), "%s", csp);
    free(body);
    cr_assert_eq(pkt_http("GET", T.port, "/assets/index-abc123.js", NULL, 0, NULL, &body), 200);
    cr_assert_str_eq(body, "console.log(1)");
    cr_assert_str_eq(pkt_last_header("Cache-Control"), "public, max-age=31536000, immutable");
    cr_assert_str_eq(pkt_last_header("Content-Type"), "text/javascript; charset=utf-8");
    cr_assert_null(pkt_last_header("Content-Encoding"), "no Accept-Encoding: as it is");
    cr_assert_str_eq(pkt_last_header("Vary"), "Accept-Encoding");
    free(body);
    /* A phone that takes Brotli gets the Brotli copy, one that takes gzip
     * only (or refuses Brotli) the gzip copy; the type stays the file's. */
    static const struct {
        const char *accept, *encoding, *body;
    } encodings[] = {
        {"Accept-Encoding: gzip, deflate, br", "br", "BROTLI-BYTES"},
        {"Accept-Encoding: gzip", "gzip", "GZIP-BYTES"},
        {"Accept-Encoding: br;q=0, gzip;q=0.8", "gzip", "GZIP-BYTES"},
        {"Accept-Encoding: identity", NULL, "console.log(1)"},
    };
    for (size_t i = 0; i < PK_ARRAY_LEN(encodings); i++) {
        const char *h[] = {encodings[i].accept, NULL};
        cr_assert_eq(pkt_http("GET", T.port, "/assets/index-abc123.js", NULL, 0, h, &body), 200);
        cr_assert_str_eq(body, encodings[i].body, "%s", encodings[i].accept);
        const char *ce = pkt_last_header("Content-Encoding");
        if (encodings[i].encoding)
            cr_assert(ce && strcmp(ce, encodings[i].encoding) == 0, "%s: %s", encodings[i].accept, ce ? ce : "none");
        else
            cr_assert_null(ce, "%s", encodings[i].accept);
        cr_assert_str_eq(pkt_last_header("Content-Type"), "text/javascript; charset=utf-8");
        free(body);
    }
    free(js_gz), free(js_br);
    cr_assert_eq(pkt_http("GET", T.port, "/laporan/baru", NULL, 0, NULL, &body), 200, "a page of the app");
    cr_assert_str_eq(body, "<!doctype html><title>PELUKAN</title>");
    free(body);
    cr_assert_eq(pkt_http("HEAD", T.port, "/", NULL, 0, NULL, NULL), 200);
    cr_assert_eq(pkt_http("GET", T.port, "/assets/missing.js", NULL, 0, NULL, &body), 404);
    cr_assert_not_null(strstr(body, "\"not_found\""));
    free(body);
    cr_assert_eq(pkt_http("GET", T.port, "/v1/nothing", NULL, 0, NULL, NULL), 404, "the API's unknown paths stay 404");
    cr_assert_eq(pkt_http("POST", T.port, "/", "x", 1, NULL, NULL), 404, "files are only read");
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/app-config", NULL, NULL, NULL, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "tile_url"), "http://127.0.0.1:9/{z}/{x}/{y}.png");
    /* The ways out for a reporter in danger now: the national numbers by
     * default, the office's own line only when the district sets one. */
    cr_assert_str_eq(pkt_json_str(j, "help.emergency"), "112");
    cr_assert_str_eq(pkt_json_str(j, "help.police"), "110");
    cr_assert_str_eq(pkt_json_str(j, "help.sapa"), "129");
    cr_assert_str_eq(pkt_json_str(j, "help.sapa_whatsapp"), "08111129129");
    cr_assert_str_eq(pkt_json_str(j, "help.office"), "");
    json_decref(j);
    s_stop();
    free(index), free(js), free(assets), free(dir);
}

/* A help number that is not a number stops intake at start, naming the
 * setting: a reporter in danger must never be shown a broken call. */
Test(intake, a_malformed_help_number_stops_start_up)
{
    free(pkt_db_create("t_intake_help"));
    pkt_env_t *env = pkt_env_new("t_intake_help");
    pkt_env_set(env, "PELUKAN_INTAKE_HELP_OFFICE", "0265-33 00 10");
    pkt_proc_t p = pkt_service_spawn("edge", env); /* the edge gives the app its numbers */
    int rc = pkt_proc_wait(&p, pkt_wait_ms());
    cr_assert_gt(rc, 0, "start-up fails (exit status %d; -1: still running)", rc);
    char *log = pkt_proc_log(&p);
    cr_assert(strstr(log, "PELUKAN_INTAKE_HELP_OFFICE=") && strstr(log, "not a phone number"), "%s", log);
    free(log);
    pkt_env_destroy(&env);
}

/* Issue 22 §6: the Play Store app (a Trusted Web Activity) is allowed to
 * open this origin full screen by /.well-known/assetlinks.json, made from
 * the package name and the signing certificates' SHA-256; without a
 * certificate there is none; a malformed one stops start-up. */
#define S_FP1 "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5"
#define S_FP2 "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"
Test(intake, the_play_store_app_s_asset_links_are_served)
{
    static const char *const none[] = {NULL};
    s_start("t_intake_links0", none);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/.well-known/assetlinks.json", NULL, NULL, NULL, NULL), 404,
                 "no certificate configured: no statement");
    s_stop();
    static const char *const extra[] = {"PELUKAN_INTAKE_ANDROID_PACKAGE", "id.go.tasikmalayakab.pelukan",
                                        "PELUKAN_INTAKE_ANDROID_CERT_SHA256", S_FP1 "," S_FP2, NULL};
    s_start("t_intake_links", extra);
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/.well-known/assetlinks.json", NULL, NULL, NULL, &j), 200);
    json_t *st = json_array_get(j, 0);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(st, "relation"), 0)),
                     "delegate_permission/common.handle_all_urls");
    json_t *target = json_object_get(st, "target");
    cr_assert_str_eq(pkt_json_str(target, "namespace"), "android_app");
    cr_assert_str_eq(pkt_json_str(target, "package_name"), "id.go.tasikmalayakab.pelukan");
    json_t *fps = json_object_get(target, "sha256_cert_fingerprints");
    cr_assert_eq(json_array_size(fps), 2);
    cr_assert_str_eq(json_string_value(json_array_get(fps, 0)), S_FP1);
    cr_assert_str_eq(json_string_value(json_array_get(fps, 1)), S_FP2);
    json_decref(j);
    s_stop();
    /* A fingerprint in another form (lower case, no colons) stops start-up. */
    static const char *const bad[][2] = {{"PELUKAN_INTAKE_ANDROID_CERT_SHA256", "146de983c5730650"},
                                         {"PELUKAN_INTAKE_ANDROID_PACKAGE", "pelukan"}};
    for (size_t i = 0; i < 2; i++) {
        free(pkt_db_create("t_intake_links_bad"));
        pkt_env_t *env = pkt_env_new("t_intake_links_bad");
        pkt_env_set(env, "PELUKAN_INTAKE_ANDROID_CERT_SHA256", S_FP1);
        pkt_env_set(env, bad[i][0], bad[i][1]);
        pkt_proc_t p = pkt_service_spawn("edge", env);
        int rc = pkt_proc_wait(&p, pkt_wait_ms());
        cr_assert_gt(rc, 0, "%s=%s: start-up fails (exit status %d)", bad[i][0], bad[i][1], rc);
        char *log = pkt_proc_log(&p);
        cr_assert_not_null(strstr(log, "refusing to start"), "%s", log);
        free(log);
        pkt_env_destroy(&env);
    }
}

/* Issue 22 §6: what the Play Store release needs that can be checked here
 * (deploy/android/check.mjs: the TWA manifest, the icons, the listing),
 * and, with a throwaway upload key, that intake's asset links name it. */
Test(intake, the_play_store_release_checks_hold_and_the_asset_links_name_the_key)
{
    char *cmd = NULL, *out = NULL;
    int rc;
    if (access("/usr/bin/keytool", X_OK) != 0) {
        cr_log_warn("no keytool here: the key's fingerprint is not checked against the asset links");
        cmd = pk_asprintf("cd '%s' && node deploy/android/check.mjs 2>&1", pkt_env("PKTEST_ROOT"));
        rc = pkt_pipe(cmd, stderr, NULL, NULL);
        free(cmd);
        cr_assert_eq(rc, 0, "deploy/android/check.mjs");
        return;
    }
    char *ks = pk_asprintf("%s/upload-%d.keystore", pkt_env("PKTEST_TMP"), (int)getpid());
    unlink(ks);
    cmd = pk_asprintf("keytool -genkeypair -keystore '%s' -storepass test-pass-123 -keypass test-pass-123"
                      " -alias pelukan-upload -keyalg RSA -keysize 2048 -validity 10000 -dname 'CN=PELUKAN test'"
                      " > /dev/null 2>&1 && keytool -list -v -keystore '%s' -storepass test-pass-123"
                      " -alias pelukan-upload | sed -n 's/^.*SHA256: //p'",
                      ks, ks);
    FILE *p = popen(cmd, "r");
    char fp[128] = "";
    cr_assert(p && fgets(fp, sizeof fp, p), "keytool made a key and printed its SHA-256");
    pclose(p);
    free(cmd);
    fp[strcspn(fp, "\r\n")] = '\0';
    cr_assert_eq(strlen(fp), 95, "%s", fp);
    const char *extra[] = {"PELUKAN_INTAKE_ANDROID_CERT_SHA256", fp, NULL};
    s_start("t_intake_links2", extra);
    cmd = pk_asprintf("cd '%s' && node deploy/android/check.mjs --keystore '%s' --storepass test-pass-123"
                      " --alias pelukan-upload --assetlinks http://127.0.0.1:%d/.well-known/assetlinks.json 2>&1",
                      pkt_env("PKTEST_ROOT"), ks, T.port);
    rc = pkt_pipe(cmd, stderr, NULL, NULL);
    free(cmd);
    cr_assert_eq(rc, 0, "deploy/android/check.mjs, with the key and the served asset links");
    (void)out;
    s_stop();
    unlink(ks);
    free(ks);
}

/* Reports that came together travel as one command (edge/edge_submit.c),
 * written in one transaction: the owner answers each in its order,
 * whatever the others' fate. Sent here as the edge (its bus keys): a new
 * report, one whose session does not hold, and the first one's key again. */
/* The report's statement as the owner runs it (intake_sql_report_submit),
 * for reporter `id` with her session `hash` and Idempotency-Key `key`:
 * the row's last column (the state, or "no_session"), in `out`. */
static void s_submit_as_owner(PGconn *c, const char *id, const char *hash, const char *key, char out[32])
{
    char case_id[PK_ID_HEX_LEN + 1], ticket[16];
    uint8_t t[8];
    pk_id_new(case_id);
    randombytes_buf(t, sizeof t);
    intake_ticket_from(t, ticket);
    const char *p[INTAKE_REPORT_PARAMS] = {
        id,      key,       case_id, "\\x00", "\\x00", "victim", "", "", "",  "f",
        "f",     "{fisik}", "",      "",      "0",     "f",      "", "", "f", "intake.report_submitted",
        "\\x00", NULL,      ticket,  "0",     hash};
    PGresult *r = PQexecParams(c, intake_sql_report_submit, INTAKE_REPORT_PARAMS, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    cr_assert_eq(PQntuples(r), 1);
    snprintf(out, 32, "%s", PQgetvalue(r, 0, 4));
    PQclear(r);
}

/* The owner reads a report's session, then writes the report in a second
 * round trip of its own (intake_submit.c): her report's statement checks
 * her session again, so one ended in between (she signed out) writes
 * nothing. */
Test(intake, a_report_is_written_only_while_her_session_holds)
{
    s_start("t_intake_holds", NULL);
    char *token = pkt_intake_register(&T, "081355557777");
    uint8_t d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const uint8_t *)token, strlen(token));
    char hash[65], sql[160], state[32];
    pk_hex(d, sizeof d, hash);
    snprintf(sql, sizeof sql, "SELECT reporter_id FROM intake.session WHERE token_hash = '%s'", hash);
    char *id = pkt_sql_value(T.db, sql);
    cr_assert_not_null(id);
    PGconn *c = pkt_superuser(T.db);
    PQclear(PQexec(c, "SET search_path = intake"));
    s_submit_as_owner(c, id, hash, "holds-1", state);
    cr_assert_str_eq(state, "submitted", "her session holds: written");
    snprintf(sql, sizeof sql, "DELETE FROM intake.session WHERE token_hash = '%s'", hash);
    pkt_sql(T.db, sql);
    s_submit_as_owner(c, id, hash, "holds-2", state);
    cr_assert_str_eq(state, "no_session");
    s_submit_as_owner(c, id, hash, "holds-1", state);
    cr_assert_str_eq(state, "no_session", "not even her first report's receipt");
    cr_assert_eq(s_count("SELECT count(*) FROM intake.cases"), 1);
    cr_assert_eq(s_count("SELECT count(*) FROM intake.idempotency"), 1);
    cr_assert_eq(s_count("SELECT count(*) FROM intake.outbox WHERE topic = 'intake.report_submitted'"), 1);
    PQfinish(c);
    free(id);
    free(token);
    s_stop();
}

Test(intake, reports_sent_together_are_answered_each_in_order)
{
    s_start("t_intake_together", NULL);
    char *token = pkt_intake_register(&T, "081355556666");
    uint8_t d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const uint8_t *)token, strlen(token));
    char hash[65], ids[3][PK_ID_HEX_LEN + 1];
    pk_hex(d, sizeof d, hash);
    Pelukan__V1__ReportSubmitted codes = PELUKAN__V1__REPORT_SUBMITTED__INIT;
    char *forms[] = {"fisik"};
    codes.reporter_kind = "victim";
    codes.n_violence_forms = 1;
    codes.violence_forms = forms;
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES], sealed[64];
    randombytes_buf(wrapped, sizeof wrapped);
    randombytes_buf(sealed, sizeof sealed);
    const char *tokens[] = {hash, "2222222222222222222222222222222222222222222222222222222222222222", hash};
    const char *keys_[] = {"together-1", "together-2", "together-1"};
    Pelukan__V1__SubmitReport one[3], *items[3];
    for (int i = 0; i < 3; i++) {
        pk_id_new(ids[i]);
        pelukan__v1__submit_report__init(&one[i]);
        one[i].token_hash = (char *)tokens[i];
        one[i].idempotency_key = (char *)keys_[i];
        one[i].case_id = ids[i];
        one[i].correlation_id = "together";
        one[i].wrapped_key = (ProtobufCBinaryData){sizeof wrapped, wrapped};
        one[i].personal_sealed = (ProtobufCBinaryData){sizeof sealed, sealed};
        one[i].codes = &codes;
        items[i] = &one[i];
    }
    Pelukan__V1__SubmitReports all = PELUKAN__V1__SUBMIT_REPORTS__INIT;
    all.n_reports = 3;
    all.reports = items;
    Pelukan__V1__Actor edge = PELUKAN__V1__ACTOR__INIT;
    edge.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    edge.id = "reports";
    Pelukan__V1__CommandRequest req = PELUKAN__V1__COMMAND_REQUEST__INIT;
    uint8_t id[16];
    pk_rpc_request_init(&req, id, 10000, 2);
    req.actor = &edge;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUBMIT_REPORTS;
    req.submit_reports = &all;
    pk_bus_keys_t *keys = pkt_bus_keys(T.env, "edge");
    pk_rpc_client_t *rpc = pk_rpc_client_new(pkt_env_get(T.env, "PELUKAN_INTAKE_RPC"), 0, keys, "intake");
    Pelukan__V1__CommandReply *reply = NULL;
    cr_assert_eq(pk_rpc_call(rpc, &req, 10000, 2, &reply), 0);
    cr_assert_eq(reply->status, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK, "%s", reply->error_code);
    const Pelukan__V1__ReportReceipts *r = reply->report_receipts;
    cr_assert_not_null(r);
    cr_assert_eq(r->n_receipts, 3);
    cr_assert_eq(r->receipts[0]->outcome, PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_CREATED);
    cr_assert_str_eq(r->receipts[0]->case_id, ids[0]);
    cr_assert_str_eq(r->receipts[0]->state, "submitted");
    cr_assert_eq(r->receipts[1]->outcome, PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_NO_SESSION);
    cr_assert_eq(r->receipts[2]->outcome, PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_REPLAYED);
    cr_assert_str_eq(r->receipts[2]->case_id, ids[0], "her key's first report");
    cr_assert_str_eq(r->receipts[2]->ticket, r->receipts[0]->ticket);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    cr_assert_eq(s_count("SELECT count(*) FROM intake.cases"), 1);
    cr_assert_eq(s_count("SELECT count(*) FROM intake.outbox WHERE topic = 'intake.report_submitted'"), 1);

    /* Her session as the edge asks it on her routes: whether a case is
     * hers comes with it (her companion's approach asks once). A "hash"
     * that is none (64 characters, not hex: the owner writes hashes into
     * an array's text) holds nothing and breaks nothing. */
    char odd[65];
    snprintf(odd, sizeof odd, "%.31s}\"%.31s", hash, hash + 32);
    const struct {
        const char *hash, *case_id;
        bool holds, hers;
    } asks[] = {
        {hash, ids[0], true, true}, {hash, ids[1], true, false}, {hash, "", true, false}, {odd, "", false, false}};
    for (size_t i = 0; i < PK_ARRAY_LEN(asks); i++) {
        Pelukan__V1__ResolveSession rs = PELUKAN__V1__RESOLVE_SESSION__INIT;
        rs.token_hash = (char *)asks[i].hash;
        rs.reporter = true;
        rs.case_id = (char *)asks[i].case_id;
        pk_rpc_request_init(&req, id, 10000, 2);
        edge.id = "sessions";
        req.actor = &edge;
        req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_RESOLVE_SESSION;
        req.resolve_session = &rs;
        cr_assert_eq(pk_rpc_call(rpc, &req, 10000, 2, &reply), 0);
        cr_assert_eq(reply->status, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK, "ask %zu: %s", i, reply->error_code);
        cr_assert_eq(reply->resolved_session->holds, asks[i].holds, "ask %zu", i);
        cr_assert_eq(reply->resolved_session->case_hers, asks[i].hers, "ask %zu", i);
        pelukan__v1__command_reply__free_unpacked(reply, NULL);
    }
    pk_rpc_client_destroy(&rpc);
    pk_bus_keys_destroy(&keys);
    free(token);
    s_stop();
}

/* ---- TLS: the shipped nginx configuration in front of the edge ----------------- */

typedef struct {
    char *body;
    size_t len;
    bool hsts;
    const char *stop_at; /* a stream: enough once this arrived */
    bool stopped;
} s_tls_t;

static size_t s_tls_body(char *p, size_t size, size_t n, void *arg)
{
    s_tls_t *t = arg;
    t->body = realloc(t->body, t->len + size * n + 1);
    memcpy(t->body + t->len, p, size * n);
    t->len += size * n;
    t->body[t->len] = '\0';
    if (t->stop_at && strstr(t->body, t->stop_at)) {
        t->stopped = true;
        return 0; /* ends the transfer: the stream delivered */
    }
    return size * n;
}

static size_t s_tls_header(char *p, size_t size, size_t n, void *arg)
{
    s_tls_t *t = arg;
    if (size * n > 26 && strncasecmp(p, "strict-transport-security:", 26) == 0)
        t->hsts = true;
    return size * n;
}

/* A request over TLS to nginx on `port`, from the local address `from`,
 * trusting only `ca`; the status (0: no answer) and what came. */
static int s_tls(int port, const char *ca, const char *from, const char *method, const char *path, const char *body,
                 const char *const *headers, s_tls_t *out)
{
    CURL *c = curl_easy_init();
    char url[160];
    snprintf(url, sizeof url, "https://127.0.0.1:%d%s", port, path);
    struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/json");
    for (const char *const *h = headers; h && *h; h++)
        hl = curl_slist_append(hl, *h);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_INTERFACE, from);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)pkt_http_timeout_ms());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_tls_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_tls_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && out->stopped))
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return (int)status;
}

static bool s_listening(void *arg)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) * (int *)arg)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool up = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return up;
}

/* Operations, TLS: deploy/nginx/pelukan.conf, filled in and run by nginx
 * in front of the edge (which trusts it as its proxy), with a certificate
 * made here. The API answers over TLS 1.2+ with HSTS; the code limit per
 * client counts the address nginx saw, whatever X-Forwarded-For the
 * client wrote; a staff member's live feed comes through at once (not held
 * in nginx's buffer). */
Test(intake, tls_through_the_shipped_nginx_config)
{
    static const char *const extra[] = {"PELUKAN_HTTP_TRUSTED_PROXIES", "127.0.0.1", "PELUKAN_INTAKE_OTP_PER_CLIENT",
                                        "2", NULL};
    s_start("t_intake_tls", extra);
    const char *tmp = pkt_env("PKTEST_TMP");
    char *dir = pk_asprintf("%s/nginx-%d", tmp, (int)getpid());
    cr_assert_eq(mkdir(dir, 0700), 0);
    char *mk =
        pk_asprintf("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
                    " -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem"
                    " >/dev/null 2>&1",
                    dir, dir);
    cr_assert_eq(system(mk), 0, "%s", mk);
    free(mk);
    int port = pkt_free_port();
    char *fill = pk_asprintf("sed -e 's|@LISTEN@|127.0.0.1:%d|' -e 's|@CERT@|%s/cert.pem|' -e 's|@KEY@|%s/key.pem|'"
                             " -e 's|@EDGE@|127.0.0.1:%d|' %s/deploy/nginx/pelukan.conf > %s/pelukan.conf",
                             port, dir, dir, T.port, pkt_env("PKTEST_ROOT"), dir);
    cr_assert_eq(system(fill), 0);
    free(fill);
    char *conf = pk_asprintf("%s/nginx.conf", dir);
    FILE *f = fopen(conf, "w");
    fprintf(f,
            "daemon off; user root; worker_processes 1; pid %s/nginx.pid; error_log %s/error.log;\n"
            "events {}\nhttp { client_body_temp_path %s/body; proxy_temp_path %s/proxy;\n"
            " fastcgi_temp_path %s/f; uwsgi_temp_path %s/u; scgi_temp_path %s/s;\n include %s/pelukan.conf; }\n",
            dir, dir, dir, dir, dir, dir, dir, dir);
    fclose(f);
    pid_t nginx = fork();
    if (nginx == 0) {
        execlp("nginx", "nginx", "-p", dir, "-c", conf, (char *)NULL);
        _exit(127);
    }
    cr_assert(pkt_wait_until(s_listening, &port, 30000), "nginx listens (see %s/error.log)", dir);
    char *ca = pk_asprintf("%s/cert.pem", dir);

    s_tls_t t = {0};
    cr_assert_eq(s_tls(port, ca, "127.0.0.5", "GET", "/v1/app-config", NULL, NULL, &t), 200, "%s", t.body);
    cr_assert(t.hsts, "HSTS on every answer");
    free(t.body);

    /* The per-client code limit (2 here) follows the address nginx saw. */
    static const char *const phones[] = {"085700007001", "085700007002", "085700007003"};
    char code[8], e164[24], xff[64], body[64];
    for (int i = 0; i < 3; i++) {
        snprintf(xff, sizeof xff, "X-Forwarded-For: 198.51.100.%d", 20 + i); /* a lie each time */
        snprintf(body, sizeof body, "{\"phone\":\"%s\"}", phones[i]);
        const char *h[] = {xff, NULL};
        s_tls_t r = {0};
        int st = s_tls(port, ca, "127.0.0.5", "POST", "/v1/auth/otp", body, h, &r);
        cr_assert_eq(st, i < 2 ? 202 : 429, "request %d from 127.0.0.5: %d %s", i + 1, st, r.body ? r.body : "");
        if (st == 202)
            cr_assert(pkt_intake_take_otp(&T, code, e164));
        free(r.body);
    }
    s_tls_t other = {0};
    cr_assert_eq(s_tls(port, ca, "127.0.0.6", "POST", "/v1/auth/otp", "{\"phone\":\"085700007004\"}", NULL, &other),
                 202, "another client is not held up: %s", other.body);
    cr_assert(pkt_intake_take_otp(&T, code, e164));
    free(other.body);

    /* A staff member's feed: its first line arrives through the proxy. */
    pkt_intake_staff(&T, "admin1", "Admin Satu", "admin", NULL, "kata-sandi-admin-1");
    char *token = pkt_intake_login(&T, "admin1", "kata-sandi-admin-1", NULL);
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *ah[] = {auth, NULL};
    s_tls_t feed = {.stop_at = "retry: 3000"};
    s_tls(port, ca, "127.0.0.5", "GET", "/v1/staff/events", NULL, ah, &feed);
    cr_assert(feed.stopped, "the stream's first line came through nginx: %s", feed.body ? feed.body : "(nothing)");
    free(feed.body);

    kill(nginx, SIGTERM);
    waitpid(nginx, NULL, 0);
    free(token), free(ca), free(conf), free(dir);
    s_stop();
}
