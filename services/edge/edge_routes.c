/* edge_routes.c -- the edge's route table: the authorization matrix (who may
 * call what) and, for a route that only forwards to another service, all
 * of it: the command, where its fields come from, the body's rules and
 * the reply's fields shown (edge_forward.h). intake_routes[] is the API: the
 * OpenAPI file describes exactly these rows (test_intake_openapi) and a
 * test calls every row as every role (test_staff). */
#include "edge_routes.h"

#include "../intake/intake_case.h"
#include "edge.h"
#include "edge_accounts.h"
#include "edge_approach.h"
#include "edge_assign.h"
#include "edge_cases.h"
#include "edge_companions.h"
#include "edge_feed.h"
#include "edge_forward.h"
#include "edge_login.h"
#include "edge_otp.h"
#include "edge_pings.h"
#include "edge_push.h"
#include "edge_referral.h"
#include "edge_reports.h"
#include "edge_submit.h"
#include "edge_web.h"

/* The path's id (checked as every route's is, main.c), and what an actor
 * without an agency is told. */
#define S_VISIT_ID       .path_id = "visit_id"
#define S_REFERRAL_ID    .path_id = "referral_id", .missing = "referral_not_found", .agency = "agency_code"
#define S_STEP(of, step) .constant = "step", .value = PELUKAN__V1__##of##_STEP__STEP__STEP_##step

/* The bodies the forwarding routes take. */
static const pk_pbjson_rule_t s_nothing[] = {{.field = NULL}};
static const pk_pbjson_rule_t s_visit_decline[] = {
    {"reason_code", PK_PBJSON_CODE, true, 0, "unavailable, too_far, unsafe, conflict_of_interest atau other", NULL},
    {.field = NULL}};
static const pk_pbjson_rule_t s_identification[] = {
    {"situation_confirmed", PK_PBJSON_BOOL, true, 0, NULL, NULL},
    {"immediate_danger", PK_PBJSON_BOOL, true, 0, NULL, NULL},
    {"referral_consent", PK_PBJSON_BOOL, true, 0, NULL, NULL},
    {"needs", PK_PBJSON_CODES, false, 5, NULL, NULL},
    {"recommended_services", PK_PBJSON_CODES, false, 8, NULL, NULL},
    {"recommended_agencies", PK_PBJSON_CODES, false, 5, NULL, NULL},
    {"consented_agencies", PK_PBJSON_CODES, false, 5, NULL, NULL},
    {"guardian_situation", PK_PBJSON_CODE, true, 0, "wajib diisi (not_child jika bukan anak)", NULL},
    {"notes", PK_PBJSON_TEXT, false, 8000, NULL, NULL},
    {.field = NULL}};
static const pk_pbjson_rule_t s_referral_decline[] = {{"reason_code", PK_PBJSON_CODE, true, 0, NULL, NULL},
                                                      {.field = NULL}};
static const pk_pbjson_rule_t s_referral_close[] = {{"outcome_code", PK_PBJSON_CODE, true, 0, NULL, NULL},
                                                    {.field = NULL}};
static const pk_pbjson_rule_t s_follow_up[] = {{"service_code", PK_PBJSON_CODE, true, 0, NULL, NULL},
                                               {"next_step_code", PK_PBJSON_CODE, false, 0, NULL, NULL},
                                               {"notes", PK_PBJSON_TEXT, false, 4000, NULL, NULL},
                                               {.field = NULL}};

/* A logout: the session (or every one of a reporter's) ends, and the live
 * streams on it (intake_subscription.c). */
#define S_LOGOUT(step)                                                                                                 \
    INTAKE_TO_OWNER, "end_session",                                                                                    \
        .session = "token_hash", .constant = "step", .value = PELUKAN__V1__END_SESSION__STEP__STEP_##step,             \
        .body = s_nothing, .invalid = "Langkah ini tidak menerima data", .reply = "sessions_ended", .shape = "ended",  \
        .status = 204, .ends_sessions = true

/* The desk's steps on a case, answered by intake's case owner (intake_desk.c). */
#define S_CASE_STEP(step)                                                                                              \
    INTAKE_TO_OWNER, "case_step", .path_case = true, S_STEP(CASE, step), .reply = "case_status",                       \
                                  .shape = "case_id state call_attempts"
static const pk_pbjson_rule_t s_call[] = {
    {"outcome", PK_PBJSON_CODE, true, 16, "reached, not_reached atau false_report", intake_call_outcomes},
    {"notes", PK_PBJSON_TEXT, false, 2000, "teks, paling banyak 2000 karakter", NULL},
    {"override_reason", PK_PBJSON_CODE, false, 500, "teks, 1 sampai 500 karakter", NULL},
    {.field = NULL}};
static const pk_pbjson_rule_t s_reject[] = {
    {"reason_code", PK_PBJSON_CODE, true, 32, "false_report, spam, out_of_scope atau other", intake_reject_reasons},
    {"notes", PK_PBJSON_TEXT, false, 4000, "teks, paling banyak 4000 karakter", NULL},
    {.field = NULL}};
static const pk_pbjson_rule_t s_duplicate[] = {
    {"of", PK_PBJSON_CODE, true, PK_ID_HEX_LEN, "wajib: kasus lain yang sama", NULL}, {.field = NULL}};
static const pk_pbjson_rule_t s_erasure[] = {{"reason_code", PK_PBJSON_CODE, true, 32,
                                              "reporter_request, court_order, wrong_person, data_protection atau other",
                                              intake_erasure_reasons},
                                             {.field = NULL}};
#define S_ERASURE(step)                                                                                                \
    INTAKE_TO_OWNER, "erase_case", .constant = "step", .value = PELUKAN__V1__ERASE_CASE__STEP__STEP_##step,            \
                                   .reply = "erasure"
#define S_ACCOUNT(step)                                                                                                \
    INTAKE_TO_OWNER, "manage_account", .constant = "step", .value = PELUKAN__V1__MANAGE_ACCOUNT__STEP__STEP_##step
static const pk_pbjson_rule_t s_reach[] = {
    {"reason_code", PK_PBJSON_CODE, true, 32,
     "cannot_find_place, arrange_meeting, need_information, reporter_absent atau other", intake_reach_reasons},
    {.field = NULL}};
static const pk_pbjson_rule_t s_duty[] = {{"on_duty", PK_PBJSON_BOOL, true, 0, "wajib diisi: true atau false", NULL},
                                          {"phone", PK_PBJSON_TEXT, false, 32, NULL, NULL},
                                          {.field = NULL}};
#define S_DUTY(step) INTAKE_TO_OWNER, "duty", .constant = "step", .value = PELUKAN__V1__DUTY__STEP__STEP_##step
#define S_DUTY_SHAPE "on_duty phone? admins_on_duty"
/* A case's sealed notes, read back for a stated purpose from the service
 * that keeps them (OpenNotes; the owner records the opening). */
#define S_NOTES(to)                                                                                                    \
    to, "open_notes", .path_case = true, .query = "purpose", .query_field = "purpose_code",                            \
                      .query_codes = pk_rpc_note_purposes,                                                             \
                      .query_hint = "case_review, follow_up, verification atau legal_request",                         \
                      .invalid = "Sebutkan tujuan membuka catatan", .reply = "notes", .list = "notes"
static const pk_pbjson_rule_t s_note[] = {
    {"text", PK_PBJSON_CODE, true, 4000, "wajib, paling banyak 4000 karakter", NULL}, {.field = NULL}};

const intake_route_t intake_routes[] = {
    {"GET", "/v1/app-config", INTAKE_ANYONE, intake_web_config, NULL, NULL, INTAKE_ROUTE_OWN_SETTINGS},
    {"GET", "/.well-known/assetlinks.json", INTAKE_ANYONE, intake_web_assetlinks, NULL, NULL,
     INTAKE_ROUTE_OWN_SETTINGS},
    {"GET", "/v1/catalog", INTAKE_ANYONE, intake_reference_catalog, NULL, NULL, 0},
    {"GET", "/v1/regions", INTAKE_ANYONE, intake_reference_regions, NULL, NULL, 0},
    {"POST", "/v1/auth/otp", INTAKE_ANYONE, intake_otp_request, NULL, NULL, 0},
    {"POST", "/v1/auth/otp/verify", INTAKE_ANYONE, intake_otp_verify, NULL, NULL, 0},
    {"POST", "/v1/auth/logout", INTAKE_REPORTER, NULL, NULL, &(const intake_forward_t){S_LOGOUT(THIS)}, 0},
    {"POST", "/v1/auth/logout-all", INTAKE_REPORTER, NULL, NULL, &(const intake_forward_t){S_LOGOUT(ALL)}, 0},
    {"POST", "/v1/reports", INTAKE_REPORTER, intake_report_create, NULL, NULL, 0},
    {"GET", "/v1/reports", INTAKE_REPORTER,
     .forward = &(const intake_forward_t){INTAKE_TO_OWNER, "list_reports", .reply = "reports", .list = "reports",
                                          .shape = "items{case_id ticket state created_at}"}},
    {"GET", "/v1/reports/*", INTAKE_REPORTER, intake_report_get, NULL, NULL, 0},
    {"POST", "/v1/reports/*/withdraw", INTAKE_REPORTER,
     .forward = &(const intake_forward_t){INTAKE_TO_OWNER, "case_step", .path_case = true, S_STEP(CASE, WITHDRAW),
                                          .body = s_nothing, .reply = "case_status", .shape = "case_id state"}},
    {"PUT", "/v1/me/contact-safety", INTAKE_REPORTER, intake_contact_safety, NULL, NULL, 0},
    {"POST", "/v1/staff/login", INTAKE_ANYONE, intake_staff_login, NULL, NULL, 0},
    {"POST", "/v1/staff/logout", INTAKE_STAFF, NULL, NULL, &(const intake_forward_t){S_LOGOUT(THIS)}, 0},
    {"POST", "/v1/staff/password", INTAKE_STAFF, NULL, intake_staff_password, NULL, 0},
    {"GET", "/v1/staff/push", INTAKE_STAFF, NULL, intake_push_get, NULL, 0},
    {"PUT", "/v1/staff/push", INTAKE_STAFF, NULL, intake_push_set, NULL, 0},
    {"DELETE", "/v1/staff/push", INTAKE_STAFF, NULL, intake_push_drop, NULL, 0},
    {"GET", "/v1/staff/duty", INTAKE_ADMIN | INTAKE_SUPERVISOR,
     .forward = &(const intake_forward_t){S_DUTY(READ), .reply = "duty_status", .shape = S_DUTY_SHAPE}},
    {"PUT", "/v1/staff/duty", INTAKE_ADMIN,
     .forward = &(const intake_forward_t){S_DUTY(SET), .body = s_duty, .reply = "duty_status", .shape = S_DUTY_SHAPE}},
    {"GET", "/v1/staff/accounts", INTAKE_ADMIN | INTAKE_SUPERVISOR,
     .forward = &(const intake_forward_t){S_ACCOUNT(LIST), .reply = "staff_accounts", .list = "accounts",
                                          .shape = "items{id login display_name role agency_code? disabled locked"
                                                   " managed}"}},
    {"POST", "/v1/staff/accounts", INTAKE_ADMIN | INTAKE_SUPERVISOR, NULL, intake_staff_account_create, NULL, 0},
    {"POST", "/v1/staff/accounts/*/disable", INTAKE_ADMIN | INTAKE_SUPERVISOR,
     .forward = &(const intake_forward_t){S_ACCOUNT(DISABLE), .path_id = "staff_id", .body = s_nothing,
                                          .reply = "staff_account", .shape = "id disabled", .ends_sessions = true}},
    {"POST", "/v1/staff/accounts/*/unlock", INTAKE_ADMIN | INTAKE_SUPERVISOR,
     .forward = &(const intake_forward_t){S_ACCOUNT(UNLOCK), .path_id = "staff_id", .body = s_nothing,
                                          .reply = "staff_account", .shape = "id unlocked"}},
    {"POST", "/v1/staff/accounts/*/password", INTAKE_ADMIN | INTAKE_SUPERVISOR, NULL, intake_staff_account_reset, NULL,
     0},
    {"PUT", "/v1/staff/accounts/*/companion", INTAKE_ADMIN, NULL, intake_companions_set, NULL, 0},
    {"GET", "/v1/staff/companions", INTAKE_ADMIN,
     .forward = &(const intake_forward_t){INTAKE_TO_DISPATCH, "list_companions", .reply = "companions",
                                          .list = "companions", .shape = "items{" INTAKE_SHAPE_COMPANION "}"}},
    {"GET", "/v1/staff/events", INTAKE_ADMIN | INTAKE_SUPERVISOR | INTAKE_COMPANION | INTAKE_AGENCY, NULL,
     edge_feed_open, NULL, 0},
    {"GET", "/v1/staff/cases", INTAKE_ADMIN | INTAKE_SUPERVISOR | INTAKE_COMPANION | INTAKE_AGENCY, NULL,
     edge_cases_queue, NULL, 0},
    {"GET", "/v1/staff/cases/*", INTAKE_ADMIN | INTAKE_SUPERVISOR | INTAKE_COMPANION | INTAKE_AGENCY, NULL,
     edge_cases_case, NULL, 0},
    {"POST", "/v1/staff/cases/*/calls", INTAKE_ADMIN,
     .forward = &(const intake_forward_t){S_CASE_STEP(CALL), .body = s_call}},
    {"POST", "/v1/staff/cases/*/verify", INTAKE_ADMIN,
     .forward = &(const intake_forward_t){S_CASE_STEP(VERIFY), .body = s_nothing}},
    {"POST", "/v1/staff/cases/*/reject", INTAKE_ADMIN,
     .forward = &(const intake_forward_t){S_CASE_STEP(REJECT), .body = s_reject}},
    {"POST", "/v1/staff/cases/*/duplicate", INTAKE_ADMIN,
     .forward = &(const intake_forward_t){S_CASE_STEP(DUPLICATE), .body = s_duplicate}},
    {"POST", "/v1/staff/cases/*/notes", INTAKE_ADMIN | INTAKE_SUPERVISOR,
     .forward = &(const intake_forward_t){S_CASE_STEP(NOTE), .body = s_note}},
    {"POST", "/v1/staff/cases/*/reach-request/done", INTAKE_ADMIN,
     .forward = &(const intake_forward_t){INTAKE_TO_OWNER, "case_step", .path_case = true, S_STEP(CASE, REACH_DONE),
                                          .body = s_nothing, .reply = "case_status", .shape = "answered"}},
    {"GET", "/v1/staff/cases/*/notes", INTAKE_ADMIN | INTAKE_SUPERVISOR,
     .forward = &(const intake_forward_t){S_NOTES(INTAKE_TO_OWNER),
                                          .shape = "items{kind outcome? text? override_reason? at by}"}},
    {"GET", "/v1/staff/cases/*/identification-notes", INTAKE_ADMIN | INTAKE_SUPERVISOR,
     .forward = &(const intake_forward_t){S_NOTES(INTAKE_TO_DISPATCH), .shape = "items{id at_us by text?}"}},
    {"GET", "/v1/staff/cases/*/follow-ups", INTAKE_ADMIN | INTAKE_SUPERVISOR | INTAKE_AGENCY,
     .forward =
         &(const intake_forward_t){S_NOTES(INTAKE_TO_REFERRAL), .agency = "agency_code",
                                   .shape = "items{id at_us by text? referral_id service_code next_step_code?}"}},
    {"POST", "/v1/staff/cases/*/erasure", INTAKE_SUPERVISOR,
     .forward = &(const intake_forward_t){S_ERASURE(REQUEST), .path_case = true, .body = s_erasure,
                                          .shape = "erasure_id case_id state", .status = 202}},
    {"POST", "/v1/staff/erasures/*/approve", INTAKE_SUPERVISOR,
     .forward = &(const intake_forward_t){S_ERASURE(APPROVE), .path_id = "erasure_id", .body = s_nothing,
                                          .shape = "erasure_id case_id state run_at_us", .status = 202}},
    {"POST", "/v1/staff/erasures/*/stop", INTAKE_SUPERVISOR,
     .forward = &(const intake_forward_t){S_ERASURE(STOP), .path_id = "erasure_id", .body = s_nothing,
                                          .shape = "erasure_id state"}},
    {"GET", "/v1/staff/cases/*/companions", INTAKE_ADMIN, NULL, edge_assign_suggest, NULL, 0},
    {"POST", "/v1/staff/cases/*/assign", INTAKE_ADMIN, NULL, edge_assign_send, NULL, 0},
    {"GET", "/v1/staff/cases/*/companion/stream", INTAKE_ADMIN | INTAKE_SUPERVISOR, NULL, edge_approach_staff_stream,
     NULL, 0},
    {"PUT", "/v1/companion/status", INTAKE_COMPANION, NULL, intake_companion_duty_set, NULL, 0},
    {"GET", "/v1/companion/status", INTAKE_COMPANION, NULL, intake_companion_own_status, NULL, 0},
    /* A companion's position every few seconds: the one request whose
     * number makes the session's hop cost (make bench); one whose session
     * ended a second ago changes nothing but her own position. */
    {"POST", "/v1/companion/location", INTAKE_COMPANION, NULL, edge_pings_take, NULL,
     .flags = INTAKE_ROUTE_HOLDS_SESSION},
    {"GET", "/v1/companion/visits", INTAKE_COMPANION,
     .forward = &(const intake_forward_t){INTAKE_TO_DISPATCH, "list_visits", .reply = "visits", .list = "visits",
                                          .shape = "items{" INTAKE_SHAPE_VISIT "}"}},
    {"GET", "/v1/companion/cases/*/brief", INTAKE_COMPANION,
     .forward = &(const intake_forward_t){INTAKE_TO_OWNER, "get_brief", .path_case = true, .reply = "brief",
                                          .shape = "address? kecamatan_code? desa_code? place_type? victim_sex?"
                                                   " victim_age_band? child disability violence_forms"
                                                   " perpetrator_relation? urgent safe_hours? safe_channel?"
                                                   " phone_monitored"}},
    {"POST", "/v1/companion/cases/*/reach-request", INTAKE_COMPANION,
     .forward = &(const intake_forward_t){INTAKE_TO_OWNER, "case_step", .path_case = true, S_STEP(CASE, REACH_REQUEST),
                                          .body = s_reach, .reply = "case_status", .shape = "requested repeated"}},
    {"GET", "/v1/companion/visits/*", INTAKE_COMPANION,
     .forward = &(const intake_forward_t){INTAKE_TO_DISPATCH, "get_visit", S_VISIT_ID, .reply = "visit",
                                          .shape = INTAKE_SHAPE_VISIT}},
    {"POST", "/v1/companion/visits/*/accept", INTAKE_COMPANION,
     .forward = &(const intake_forward_t){INTAKE_TO_DISPATCH, "visit_step", S_VISIT_ID, S_STEP(VISIT, ACCEPT),
                                          .body = s_nothing, .reply = "visit", .shape = INTAKE_SHAPE_VISIT}},
    {"POST", "/v1/companion/visits/*/en-route", INTAKE_COMPANION,
     .forward = &(const intake_forward_t){INTAKE_TO_DISPATCH, "visit_step", S_VISIT_ID, S_STEP(VISIT, EN_ROUTE),
                                          .body = s_nothing, .reply = "visit", .shape = INTAKE_SHAPE_VISIT}},
    {"POST", "/v1/companion/visits/*/arrived", INTAKE_COMPANION,
     .forward = &(const intake_forward_t){INTAKE_TO_DISPATCH, "visit_step", S_VISIT_ID, S_STEP(VISIT, ARRIVED),
                                          .body = s_nothing, .reply = "visit", .shape = INTAKE_SHAPE_VISIT}},
    {"POST", "/v1/companion/visits/*/decline", INTAKE_COMPANION,
     .forward = &(const intake_forward_t){INTAKE_TO_DISPATCH, "visit_step", S_VISIT_ID, S_STEP(VISIT, DECLINE),
                                          .body = s_visit_decline, .reply = "visit", .shape = INTAKE_SHAPE_VISIT}},
    {"POST", "/v1/companion/visits/*/identification", INTAKE_COMPANION,
     .forward = &(const intake_forward_t){INTAKE_TO_DISPATCH, "submit_identification", S_VISIT_ID,
                                          .body = s_identification, .invalid = "Laporan identifikasi tidak valid",
                                          .keyed = "identification", .reply = "visit", .shape = INTAKE_SHAPE_VISIT}},
    {"GET", "/v1/staff/agencies", INTAKE_ADMIN | INTAKE_SUPERVISOR | INTAKE_AGENCY,
     .forward = &(const intake_forward_t){INTAKE_TO_REFERRAL, "list_agencies", .reply = "agencies", .list = "agencies",
                                          .shape = "items{" INTAKE_SHAPE_AGENCY "}"}},
    {"POST", "/v1/staff/cases/*/referrals", INTAKE_ADMIN, NULL, intake_referral_create, NULL, 0},
    {"GET", "/v1/staff/cases/*/referrals", INTAKE_ADMIN | INTAKE_SUPERVISOR,
     .forward = &(const intake_forward_t){INTAKE_TO_REFERRAL, "list_referrals", .path_case = true, .reply = "referrals",
                                          .list = "referrals", .shape = "items{" INTAKE_SHAPE_REFERRAL "}"}},
    {"GET", "/v1/agency/referrals", INTAKE_AGENCY,
     .forward = &(const intake_forward_t){INTAKE_TO_REFERRAL, "list_referrals", .missing = "referral_not_found",
                                          .agency = "agency_code", .reply = "referrals", .list = "referrals",
                                          .shape = "items{" INTAKE_SHAPE_REFERRAL "}"}},
    {"POST", "/v1/agency/referrals/*/accept", INTAKE_AGENCY,
     .forward = &(const intake_forward_t){INTAKE_TO_REFERRAL, "referral_step", S_REFERRAL_ID, S_STEP(REFERRAL, ACCEPT),
                                          .body = s_nothing, .reply = "referral", .shape = INTAKE_SHAPE_REFERRAL}},
    {"POST", "/v1/agency/referrals/*/decline", INTAKE_AGENCY,
     .forward =
         &(const intake_forward_t){INTAKE_TO_REFERRAL, "referral_step", S_REFERRAL_ID, S_STEP(REFERRAL, DECLINE),
                                   .body = s_referral_decline, .reply = "referral", .shape = INTAKE_SHAPE_REFERRAL}},
    {"POST", "/v1/agency/referrals/*/follow-ups", INTAKE_AGENCY,
     .forward = &(const intake_forward_t){INTAKE_TO_REFERRAL, "record_follow_up", S_REFERRAL_ID, .body = s_follow_up,
                                          .invalid = "Tindak lanjut tidak valid", .reply = "referral",
                                          .shape = INTAKE_SHAPE_REFERRAL}},
    {"POST", "/v1/agency/referrals/*/close", INTAKE_AGENCY,
     .forward =
         &(const intake_forward_t){INTAKE_TO_REFERRAL, "referral_step", S_REFERRAL_ID, S_STEP(REFERRAL, CLOSE),
                                   .body = s_referral_close, .reply = "referral", .shape = INTAKE_SHAPE_REFERRAL}},
    {"GET", "/v1/reports/*/companion", INTAKE_REPORTER, edge_approach_report, NULL, NULL, 0},
    {"GET", "/v1/reports/*/companion/stream", INTAKE_REPORTER, edge_approach_report, NULL, NULL, 0},
    {.method = NULL},
};
