/* test_referral.c -- the closed loop through the intake gateway to real
 * dispatch and referral services: an identification with consent, a
 * referral to UPTD PPA that the agency sees, accepts, follows up and
 * closes, the case closed with its timeline; consent checked per agency
 * (a legal basis otherwise), a decline that returns the case, an overdue
 * referral and the case deadlines (time moved in the database, not slept
 * through). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/pkt_intake.h"
#include "pelukan/codes.h"
#include "pelukan/util.h"

static pkt_intake_t T;

#define NOTES "Korban dirujuk ke psikolog; ibu korban Ibu Sumarni Rahasia ikut"

static int s_call(const char *method, const char *path, const char *body, const char *token, json_t **out)
{
    return pkt_intake_call(&T, method, path, body, token, NULL, out);
}

static void s_start(const char *db)
{
    static const char *const extra[] = {"PELUKAN_REFERRAL_TICK_MS", "100", NULL};
    pkt_intake_start(&T, db, extra);
    pkt_intake_start_dispatch(&T);
    pkt_intake_start_referral(&T);
}

/* A case taken through the visit to "assessed", its identification saying
 * `consent` (a JSON fragment). Returns its id; caller frees. */
static char *s_assessed(const char *admin, const char *companion, const char *companion_id, const char *phone,
                        const char *forms, const char *consent)
{
    char *reporter = pkt_intake_register(&T, phone);
    char *report = pk_asprintf(
        "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":16,\"name\":\"Nia Rahasia\"},"
        "\"violence_forms\":[%s],\"location\":{\"lat\":-7.35,\"lon\":108.1,\"kecamatan_code\":\"32.06.24\"},"
        "\"contact_safety\":{\"safe_hours\":\"00:00-23:59\"}}",
        forms);
    json_t *j;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", report, reporter, phone, &j), 201);
    char *id = pk_strdup(pkt_json_str(j, "case_id"));
    json_decref(j);
    free(report);
    char path[200], body[256];
    snprintf(path, sizeof path, "/v1/staff/cases/%s?purpose=confirmation_call", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/calls", id);
    cr_assert_eq(s_call("POST", path, "{\"outcome\":\"reached\"}", admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/verify", id);
    cr_assert_eq(s_call("POST", path, "{}", admin, NULL), 200);
    cr_assert_eq(s_call("POST", "/v1/companion/location", "{\"lat\":-7.36,\"lon\":108.1}", companion, NULL), 204);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/assign", id);
    snprintf(body, sizeof body, "{\"companion_id\":\"%s\"}", companion_id);
    cr_assert_eq(s_call("POST", path, body, admin, &j), 200);
    char visit[40];
    snprintf(visit, sizeof visit, "%s", pkt_json_str(j, "visit_id"));
    json_decref(j);
    static const char *const steps[] = {"en-route", "arrived"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "/v1/companion/visits/%s/%s", visit, steps[i]);
        cr_assert_eq(s_call("POST", path, "{}", companion, NULL), 200, "%s", steps[i]);
    }
    snprintf(path, sizeof path, "/v1/companion/visits/%s/identification", visit);
    char *ident = pk_asprintf("{\"situation_confirmed\":true,\"immediate_danger\":false,\"needs\":[\"psychological\"],"
                              "\"recommended_services\":[\"rehabilitasi_sosial\"],"
                              "\"recommended_agencies\":[\"uptd_ppa\"],%s,\"guardian_situation\":\"with_parents\"}",
                              consent);
    cr_assert_eq(s_call("POST", path, ident, companion, NULL), 200);
    free(ident);
    cr_assert(pkt_intake_wait_state(&T, id, "assessed"));
    free(reporter);
    return id;
}

/* Creates a referral, waiting while referral has not yet seen the
 * identification; returns the status and the answer. */
static int s_refer(const char *admin, const char *case_id, const char *body, json_t **out)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/staff/cases/%s/referrals", case_id);
    int st = 0;
    for (double end = pkt_now_ms() + pkt_wait_ms(); pkt_now_ms() < end;) {
        json_t *j = NULL;
        st = s_call("POST", path, body, admin, &j);
        if (st == 409 && strcmp(pkt_json_str(j, "error.code"), "identification_pending") == 0) {
            json_decref(j);
            usleep(100000);
            continue;
        }
        if (out)
            *out = j;
        else
            json_decref(j);
        break;
    }
    return st;
}

static bool s_checks_reached(void *arg)
{
    return pkt_metric(T.referral.metrics_port, "pelukan_referral_deadline_checks_total") >= *(long long *)arg;
}

/* Waits until the deadline clock has completed `n` more checks than now:
 * what it raised more than once would be in the outbox by then. */
static void s_checks_after(int n)
{
    long long want = pkt_metric(T.referral.metrics_port, "pelukan_referral_deadline_checks_total");
    cr_assert_geq(want, 0, "referral's metrics answer");
    want += n;
    cr_assert(pkt_wait_until(s_checks_reached, &want, 60000), "the deadline clock checked %d more times", n);
}

static char *s_count(const char *sql)
{
    return pkt_sql_value(T.db, sql);
}

/* The list a service checks is the list shown (issue 24: one copy of a
 * code list): every service an agency of the directory gives is a code
 * referral and dispatch accept, and the needs intake's catalogue shows are
 * those dispatch accepts, in number too. */
static void s_lists_agree(void)
{
    char *given = pkt_sql_value(T.db, "SELECT string_agg(DISTINCT s, ',' ORDER BY s) FROM referral.agency, unnest(services) s");
    char *copy = pk_strdup(given), *save = NULL;
    for (char *code = strtok_r(copy, ",", &save); code; code = strtok_r(NULL, ",", &save))
        cr_assert(pk_code_in(code, pk_codes_service), "an agency gives \"%s\", a service no one accepts", code);
    free(copy);
    free(given);
    size_t n = 0;
    for (const char *const *c = pk_codes_need; *c; c++, n++) {
        char *sql = pk_asprintf("SELECT count(*) FROM intake.category WHERE kind = 'need' AND code = '%s'", *c);
        char *found = pkt_sql_value(T.db, sql);
        cr_assert_str_eq(found, "1", "the need \"%s\" is shown", *c);
        free(found);
        free(sql);
    }
    char *shown = pkt_sql_value(T.db, "SELECT count(*) FROM intake.category WHERE kind = 'need'");
    cr_assert_eq((size_t)atoi(shown), n, "no need shown that dispatch refuses");
    free(shown);
}

Test(referral, accepted_followed_up_closed_and_the_loop_is_visible)
{
    s_start("t_referral1");
    s_lists_agree();
    pkt_intake_staff(&T, "admin1", "Admin Satu", "admin", NULL, "kata-sandi-admin-1");
    pkt_intake_staff(&T, "pdp1", "Rina Pendamping", "companion", NULL, "kata-sandi-rina-1");
    pkt_intake_staff(&T, "uptd1", "Petugas UPTD", "agency", "uptd_ppa", "kata-sandi-uptd-1");
    pkt_intake_staff(&T, "puspaga1", "Petugas Puspaga", "agency", "puspaga", "kata-sandi-puspaga-1");
    char *admin = pkt_intake_login(&T, "admin1", "kata-sandi-admin-1", NULL);
    char *cid;
    char *comp = pkt_intake_login(&T, "pdp1", "kata-sandi-rina-1", &cid);
    char *uptd = pkt_intake_login(&T, "uptd1", "kata-sandi-uptd-1", NULL);
    char *puspaga = pkt_intake_login(&T, "puspaga1", "kata-sandi-puspaga-1", NULL);
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":true}", comp, NULL), 200);

    /* The directory. */
    json_t *j;
    cr_assert_eq(s_call("GET", "/v1/staff/agencies", NULL, admin, &j), 200);
    char *dir = json_dumps(j, 0);
    cr_assert_not_null(strstr(dir, "\"code\": \"uptd_ppa\""), "%s", dir);
    cr_assert_not_null(strstr(dir, "\"code\": \"polres_ppa\""), "%s", dir);
    free(dir);
    json_decref(j);

    char *id = s_assessed(admin, comp, cid, "081366660001", "\"psikis\"",
                          "\"referral_consent\":true,\"consented_agencies\":[\"uptd_ppa\"]");

    /* Consent is per destination: Puspaga was not consented to. */
    cr_assert_eq(s_refer(admin, id,
                         "{\"agency_code\":\"puspaga\",\"services\":[\"rehabilitasi_sosial\"],"
                         "\"reason_code\":\"identification_needs\"}",
                         &j),
                 409);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "consent_required");
    json_decref(j);
    cr_assert_eq(s_refer(admin, id,
                         "{\"agency_code\":\"uptd_ppa\",\"services\":[\"pendampingan_tokoh_agama\"],"
                         "\"reason_code\":\"identification_needs\"}",
                         &j),
                 422, "a service the agency does not offer");
    cr_assert_str_eq(pkt_json_str(j, "error.fields.services"), "tidak valid");
    json_decref(j);
    cr_assert_eq(s_refer(admin, id, "{\"agency_code\":\"uptd_ppa\",\"services\":[],\"reason_code\":\"other\"}", NULL),
                 422);
    cr_assert_eq(s_refer(admin, id,
                         "{\"agency_code\":\"uptd_ppa\",\"services\":[\"rehabilitasi_sosial\",\"kesehatan\"],"
                         "\"reason_code\":\"identification_needs\",\"urgent\":true}",
                         &j),
                 200);
    char referral[40];
    snprintf(referral, sizeof referral, "%s", pkt_json_str(j, "referral_id"));
    cr_assert_str_eq(pkt_json_str(j, "state"), "sent");
    json_decref(j);
    cr_assert(pkt_intake_wait_state(&T, id, "referred"));
    cr_assert_eq(s_refer(admin, id,
                         "{\"agency_code\":\"uptd_ppa\",\"services\":[\"kesehatan\"],\"reason_code\":\"other\"}", NULL),
                 409, "one open referral per agency");

    /* The agencies' views: Puspaga sees nothing of it, UPTD PPA sees the
     * referral but not the case until it accepts. */
    cr_assert_eq(s_call("GET", "/v1/agency/referrals", NULL, puspaga, &j), 200);
    cr_assert_eq(json_array_size(json_object_get(j, "referrals")), 0);
    json_decref(j);
    char path[200];
    snprintf(path, sizeof path, "/v1/agency/referrals/%s/accept", referral);
    cr_assert_eq(s_call("POST", path, "{}", puspaga, NULL), 404, "another agency's referral");
    cr_assert_eq(s_call("GET", "/v1/agency/referrals", NULL, uptd, &j), 200);
    json_t *mine = json_array_get(json_object_get(j, "referrals"), 0);
    cr_assert_str_eq(pkt_json_str(mine, "referral_id"), referral);
    char *listed = json_dumps(mine, 0);
    cr_assert_null(strstr(listed, "Rahasia"), "no personal data in the list");
    free(listed);
    json_decref(j);
    snprintf(path, sizeof path, "/v1/staff/cases/%s?purpose=follow_up", id);
    cr_assert_eq(s_call("GET", path, NULL, uptd, NULL), 404, "the case before accepting");

    snprintf(path, sizeof path, "/v1/agency/referrals/%s/accept", referral);
    cr_assert_eq(s_call("POST", path, "{}", uptd, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "accepted");
    json_decref(j);
    cr_assert_eq(s_call("POST", path, "{}", uptd, NULL), 409, "accepted once");
    cr_assert(pkt_intake_wait_state(&T, id, "accepted"));
    snprintf(path, sizeof path, "/v1/staff/cases/%s?purpose=follow_up", id);
    cr_assert_eq(s_call("GET", path, NULL, uptd, &j), 200, "after accepting");
    cr_assert_str_eq(pkt_json_str(j, "personal.report.victim_name"), "Nia Rahasia");
    json_decref(j);
    char *opened =
        s_count("SELECT count(*) FROM intake.case_event WHERE kind = 'access' AND reason_code = 'follow_up'");
    cr_assert_str_eq(opened, "1", "the agency's opening is recorded");
    free(opened);
    /* The reporter is told which agency took her case and how to reach it
     * (issue 22 §4): signed in again on her phone. */
    char *reporter = pkt_intake_register(&T, "081366660001");
    snprintf(path, sizeof path, "/v1/reports/%s", id);
    cr_assert_eq(pkt_intake_call(&T, "GET", path, NULL, reporter, NULL, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "agency.code"), "uptd_ppa");
    cr_assert_not_null(strstr(pkt_json_str(j, "agency.name"), "UPTD PPA"), "%s", pkt_json_str(j, "agency.name"));
    cr_assert_gt(strlen(pkt_json_str(j, "agency.contact")), 0, "how to reach it");
    json_decref(j);
    free(reporter);

    /* Review M2: the agency's live feed, replayed from the very start,
     * holds only what happened after its referral: not the report, the
     * confirmation call or the admin's openings before it. */
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", uptd);
    const char *feed_headers[] = {auth, "Last-Event-ID: 0", NULL};
    /* The feed is read in order: once the acceptance is in, whatever came
     * before it would be in too. */
    pkt_stream_t *stream = pkt_stream_open(T.port, "/v1/staff/events", feed_headers);
    cr_assert_eq(pkt_stream_status(stream, pkt_http_timeout_ms()), 200);
    pkt_stream_wait(stream, "\"state\":\"accepted\"", 1, pkt_http_timeout_ms());
    char *feed = pkt_stream_body(stream);
    pkt_stream_close(&stream);
    cr_assert_not_null(strstr(feed, "\"state\":\"accepted\""), "the acceptance: %s", feed);
    cr_assert_null(strstr(feed, "\"state\":\"submitted\""), "not the report: %s", feed);
    cr_assert_null(strstr(feed, "confirmation_call"), "not the admin's openings: %s", feed);
    free(feed);

    /* Follow-up, then close. */
    snprintf(path, sizeof path, "/v1/agency/referrals/%s/follow-ups", referral);
    cr_assert_eq(s_call("POST", path, "{\"service_code\":\"astrologi\"}", uptd, &j), 422);
    json_decref(j);
    cr_assert_eq(s_call("POST", path,
                        "{\"service_code\":\"rehabilitasi_sosial\",\"next_step_code\":\"home_visit\","
                        "\"notes\":\"" NOTES "\"}",
                        uptd, &j),
                 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "in_service");
    cr_assert_eq(json_integer_value(json_object_get(j, "follow_ups")), 1);
    json_decref(j);
    /* The follow-up's notes read back (issue 22 §4): for a purpose, by the
     * office's staff and by the agency that wrote them, opened by referral,
     * which records the opening first. */
    snprintf(path, sizeof path, "/v1/staff/cases/%s/follow-ups", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, NULL), 422, "a purpose is asked");
    snprintf(path, sizeof path, "/v1/staff/cases/%s/follow-ups?purpose=case_review", id);
    json_t *notes = NULL;
    for (int who = 0; who < 2; who++) {
        cr_assert_eq(s_call("GET", path, NULL, who ? uptd : admin, &notes), 200);
        json_t *note = json_array_get(json_object_get(notes, "notes"), 0);
        cr_assert_eq(json_array_size(json_object_get(notes, "notes")), 1);
        cr_assert_str_eq(pkt_json_str(note, "text"), NOTES);
        cr_assert_str_eq(pkt_json_str(note, "referral_id"), referral);
        cr_assert_str_eq(pkt_json_str(note, "service_code"), "rehabilitasi_sosial");
        cr_assert_str_eq(pkt_json_str(note, "next_step_code"), "home_visit");
        cr_assert_str_eq(pkt_json_str(note, "by"), "uptd_ppa");
        cr_assert_gt(json_integer_value(json_object_get(note, "at_us")), 1700000000000000LL, "when it was written");
        json_decref(notes);
    }
    char *read_back = pkt_sql_value(T.db, "SELECT count(*) FROM referral.outbox WHERE topic = 'referral.case_data_accessed'"
                                       " AND position(convert_to('follow_up_notes', 'UTF8') IN envelope) > 0"
                                       " AND position(convert_to('Sumarni', 'UTF8') IN envelope) = 0");
    cr_assert_str_eq(read_back, "2", "each opening is recorded by referral, with nothing personal in it");
    free(read_back);

    /* A second referral, to the police PPA unit (a legal basis: no consent
     * for it), is still open when UPTD PPA closes: the case stays open. */
    cr_assert_eq(s_refer(admin, id,
                         "{\"agency_code\":\"polres_ppa\",\"services\":[\"penegakan_hukum\"],"
                         "\"reason_code\":\"legal_obligation\",\"legal_basis_code\":\"legal_obligation\"}",
                         &j),
                 200);
    char police[40];
    snprintf(police, sizeof police, "%s", pkt_json_str(j, "referral_id"));
    json_decref(j);
    snprintf(path, sizeof path, "/v1/agency/referrals/%s/close", referral);
    cr_assert_eq(s_call("POST", path, "{\"outcome_code\":\"maybe\"}", uptd, NULL), 422);
    cr_assert_eq(s_call("POST", path, "{\"outcome_code\":\"services_completed\"}", uptd, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "closed");
    json_decref(j);
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM intake.case_event WHERE case_id = '%s' AND kind = 'referral:referral_closed'", id);
    cr_assert(pkt_sql_wait(T.db, sql, 10000), "intake has the close");
    cr_assert(pkt_intake_wait_state(&T, id, "accepted"), "another referral is open: the case is not closed");
    /* The police unit declines: no referral is open, one closed: closed. */
    pkt_intake_staff(&T, "polres1", "Petugas Unit PPA", "agency", "polres_ppa", "kata-sandi-polres-1");
    char *polres = pkt_intake_login(&T, "polres1", "kata-sandi-polres-1", NULL);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/follow-ups?purpose=follow_up", id);
    cr_assert_eq(s_call("GET", path, NULL, polres, &j), 200);
    cr_assert_eq(json_array_size(json_object_get(j, "notes")), 0, "another agency reads none of UPTD PPA's notes");
    json_decref(j);
    snprintf(path, sizeof path, "/v1/agency/referrals/%s/decline", police);
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"not_in_area\"}", polres, NULL), 200);
    free(polres);
    cr_assert(pkt_intake_wait_state(&T, id, "closed"));

    /* The admin sees the loop: the referrals and every step. */
    snprintf(path, sizeof path, "/v1/staff/cases/%s/referrals", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    cr_assert_str_eq(pkt_json_str(json_array_get(json_object_get(j, "referrals"), 0), "outcome_code"),
                     "services_completed");
    json_decref(j);
    snprintf(path, sizeof path, "/v1/staff/cases/%s", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    char *timeline = json_dumps(json_object_get(j, "timeline"), 0);
    static const char *const steps[] = {"dispatch:identification_report_submitted", "referral:referral_created",
                                        "referral:referral_accepted", "referral:follow_up_recorded",
                                        "referral:referral_closed"};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        cr_assert_not_null(strstr(timeline, steps[i]), "%s in %s", steps[i], timeline);
    free(timeline);
    json_decref(j);

    /* Every change of the case's state is an event of intake's (issue 15:
     * only "verified" was announced, so the reporter never heard of the
     * closure): one per state step on the timeline after the submission. */
    char q[512];
    snprintf(q, sizeof q,
             "SELECT (SELECT count(*) FROM intake.outbox WHERE topic = 'intake.case_state_changed' AND case_id = '%s')"
             " || '/' || (SELECT count(*) - 1 FROM intake.case_event WHERE kind = 'state' AND case_id = '%s')",
             id, id);
    char *events = s_count(q);
    cr_assert_str_eq(events, "8/8", "state changes announced / made: %s", events);
    free(events);

    /* The one-day promise was met by the referral, and said so. */
    char *met = s_count("SELECT status FROM referral.case_deadline WHERE kind = 'service_one_day'");
    cr_assert_str_eq(met, "met");
    free(met);
    char *ev = s_count("SELECT count(*) FROM referral.outbox WHERE topic = 'referral.deadline'");
    cr_assert_str_eq(ev, "1");
    free(ev);
    /* Notes sealed, never in an event. */
    char *leak = s_count("SELECT count(*) FROM referral.outbox WHERE position(convert_to('Rahasia', 'UTF8') IN "
                         "envelope) > 0");
    cr_assert_str_eq(leak, "0");
    free(leak);
    char *sealed = s_count("SELECT count(*) FROM referral.follow_up WHERE notes_sealed IS NOT NULL AND"
                           " position(convert_to('Rahasia', 'UTF8') IN notes_sealed) = 0");
    cr_assert_str_eq(sealed, "1");
    free(sealed);

    pkt_intake_stop(&T);
    char *logs[] = {pkt_proc_log(&T.proc), pkt_proc_log(&T.referral)};
    for (size_t l = 0; l < 2; l++) {
        cr_assert_null(strstr(logs[l], "Rahasia"), "personal data in a log:\n%s", logs[l]);
        free(logs[l]);
    }
    free(admin), free(comp), free(cid), free(uptd), free(puspaga), free(id);
}

Test(referral, without_consent_a_legal_basis_decline_returns_overdue_and_deadlines)
{
    s_start("t_referral2");
    pkt_intake_staff(&T, "admin1", "Admin Satu", "admin", NULL, "kata-sandi-admin-1");
    pkt_intake_staff(&T, "pdp1", "Rina Pendamping", "companion", NULL, "kata-sandi-rina-1");
    pkt_intake_staff(&T, "uptd1", "Petugas UPTD", "agency", "uptd_ppa", "kata-sandi-uptd-1");
    char *admin = pkt_intake_login(&T, "admin1", "kata-sandi-admin-1", NULL);
    char *cid;
    char *comp = pkt_intake_login(&T, "pdp1", "kata-sandi-rina-1", &cid);
    char *uptd = pkt_intake_login(&T, "uptd1", "kata-sandi-uptd-1", NULL);
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":true}", comp, NULL), 200);
    char *id = s_assessed(admin, comp, cid, "081366660002", "\"seksual\"", "\"referral_consent\":false");

    /* No consent, no legal basis: refused. With one: recorded. */
    const char *to_uptd =
        "{\"agency_code\":\"uptd_ppa\",\"services\":[\"pengaduan\"],\"reason_code\":\"legal_obligation\"";
    char body[256];
    snprintf(body, sizeof body, "%s}", to_uptd);
    json_t *j;
    cr_assert_eq(s_refer(admin, id, body, &j), 409);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "consent_required");
    json_decref(j);
    snprintf(body, sizeof body, "%s,\"legal_basis_code\":\"whim\"}", to_uptd);
    cr_assert_eq(s_refer(admin, id, body, NULL), 422);
    snprintf(body, sizeof body, "%s,\"legal_basis_code\":\"child_protection\"}", to_uptd);
    cr_assert_eq(s_refer(admin, id, body, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "legal_basis_code"), "child_protection");
    char referral[40];
    snprintf(referral, sizeof referral, "%s", pkt_json_str(j, "referral_id"));
    json_decref(j);
    cr_assert(pkt_intake_wait_state(&T, id, "referred"));

    /* Declined: back to the admin with the reason. */
    char path[200];
    snprintf(path, sizeof path, "/v1/agency/referrals/%s/decline", referral);
    cr_assert_eq(s_call("POST", path, "{}", uptd, NULL), 422, "a reason is required");
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"no_capacity\"}", uptd, NULL), 200);
    cr_assert(pkt_intake_wait_state(&T, id, "declined"));
    snprintf(path, sizeof path, "/v1/staff/cases/%s/referrals", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    cr_assert_str_eq(pkt_json_str(json_array_get(json_object_get(j, "referrals"), 0), "decline_reason_code"),
                     "no_capacity");
    json_decref(j);

    /* Referred again, to the police PPA unit this time, and nobody accepts:
     * its deadline is moved into the past instead of waited for. */
    cr_assert_eq(s_refer(admin, id,
                         "{\"agency_code\":\"polres_ppa\",\"services\":[\"penegakan_hukum\"],"
                         "\"reason_code\":\"legal_obligation\",\"legal_basis_code\":\"legal_obligation\"}",
                         &j),
                 200);
    json_decref(j);
    cr_assert(pkt_intake_wait_state(&T, id, "referred"));
    pkt_sql(T.db, "UPDATE referral.referral SET due_at = now() - interval '1 second' WHERE agency_code = 'polres_ppa'");
    cr_assert(
        pkt_sql_wait(T.db, "SELECT count(*) FROM referral.outbox WHERE topic = 'referral.referral_overdue'", 10000),
        "ReferralOverdue raised");
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    cr_assert(json_is_true(json_object_get(json_array_get(json_object_get(j, "referrals"), 1), "overdue")));
    json_decref(j);
    /* Raised once: three more checks of the clock find nothing new. */
    s_checks_after(3);
    char *n = pkt_sql_value(T.db, "SELECT count(*) FROM referral.outbox WHERE topic = 'referral.referral_overdue'");
    cr_assert_str_eq(n, "1");
    free(n);
    /* The referral to the police met the 3x24-hour duty of UU TPKS. */
    char *tpks = pkt_sql_value(T.db, "SELECT status FROM referral.case_deadline WHERE kind = 'tpks_police_72h'");
    cr_assert_str_eq(tpks, "met");
    free(tpks);

    /* A new sexual-violence report: both case deadlines start; moved to
     * "at risk" and then past due, each raises its event once. */
    char *reporter = pkt_intake_register(&T, "081366660003");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports",
                                 "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":20},"
                                 "\"violence_forms\":[\"seksual\"],\"location\":{\"kecamatan_code\":\"32.06.24\"}}",
                                 reporter, "late-1", &j),
                 201);
    char late[40];
    snprintf(late, sizeof late, "%s", pkt_json_str(j, "case_id"));
    json_decref(j);
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM referral.case_deadline WHERE case_id = '%s'", late);
    cr_assert(pkt_sql_wait(T.db, sql, 10000), "deadlines started");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM referral.case_deadline WHERE case_id = '%s'", late);
    char *kinds = pkt_sql_value(T.db, sql);
    cr_assert_str_eq(kinds, "2", "one day, and 3x24 hours for the police");
    free(kinds);
    snprintf(sql, sizeof sql, "UPDATE referral.case_deadline SET at_risk_at = now() WHERE case_id = '%s'", late);
    pkt_sql(T.db, sql);
    snprintf(
        sql, sizeof sql,
        "SELECT count(*) FROM referral.case_deadline WHERE case_id = '%s' AND status = 'at_risk' HAVING count(*) = 2",
        late);
    cr_assert(pkt_sql_wait(T.db, sql, 10000), "at risk");
    snprintf(sql, sizeof sql, "UPDATE referral.case_deadline SET due_at = now() WHERE case_id = '%s'", late);
    pkt_sql(T.db, sql);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM referral.case_deadline WHERE case_id = '%s' AND status = 'breached'"
             " HAVING count(*) = 2",
             late);
    cr_assert(pkt_sql_wait(T.db, sql, 10000), "breached");
    s_checks_after(3);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM referral.outbox WHERE topic = 'referral.deadline' AND case_id = '%s'", late);
    n = pkt_sql_value(T.db, sql);
    cr_assert_str_eq(n, "4", "at risk and breached, for each deadline, once");
    free(n);

    pkt_intake_stop(&T);
    free(admin), free(comp), free(cid), free(uptd), free(id), free(reporter);
}
