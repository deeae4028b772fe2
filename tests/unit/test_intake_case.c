/* test_intake_case.c -- the case life cycle and safe hours. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../services/intake/intake_case.h"

Test(intake_case, the_life_cycle_of_the_service_standard)
{
    static const char *const path[] = {"submitted", "verified", "assigned", "en_route", "on_site",
                                       "assessed",  "referred", "accepted", "closed"};
    for (size_t i = 0; i + 1 < sizeof path / sizeof path[0]; i++)
        cr_assert(intake_transition_allowed(path[i], path[i + 1]), "%s -> %s", path[i], path[i + 1]);
    cr_assert(intake_transition_allowed("submitted", "rejected"));
    cr_assert(intake_transition_allowed("submitted", "duplicate"));
    cr_assert(intake_transition_allowed("referred", "declined"));
    cr_assert(intake_transition_allowed("declined", "referred"), "referred elsewhere");
    cr_assert(intake_transition_allowed("assigned", "verified"), "a companion declined: back to the queue");
    cr_assert(intake_transition_allowed("on_site", "withdrawn"), "withdrawn from any open state");
}

Test(intake_case, no_skipping_and_no_way_out_of_a_final_state)
{
    cr_assert_not(intake_transition_allowed("submitted", "assigned"), "verify first");
    cr_assert_not(intake_transition_allowed("submitted", "closed"));
    cr_assert_not(intake_transition_allowed("verified", "verified"));
    static const char *const final[] = {"closed", "rejected", "duplicate", "withdrawn"};
    for (size_t i = 0; i < 4; i++) {
        cr_assert(intake_state_final(final[i]));
        cr_assert_not(intake_transition_allowed(final[i], "verified"), "%s", final[i]);
        cr_assert_not(intake_transition_allowed(final[i], "withdrawn"), "%s", final[i]);
    }
    cr_assert_not(intake_transition_allowed("nonsense", "verified"));
    cr_assert_not(intake_transition_allowed("submitted", "nonsense"));
    cr_assert_eq(intake_state_enum("verified"), PELUKAN__V1__CASE_STATE__CASE_STATE_VERIFIED);
    cr_assert_eq(intake_state_enum("declined"), PELUKAN__V1__CASE_STATE__CASE_STATE_DECLINED);
}

Test(intake_case, safe_hours)
{
    cr_assert(intake_safe_now(NULL, 3 * 60), "no hours: any time");
    cr_assert(intake_safe_now("08:00-17:00", 8 * 60));
    cr_assert(intake_safe_now("08:00-17:00", 16 * 60 + 59));
    cr_assert_not(intake_safe_now("08:00-17:00", 17 * 60));
    cr_assert_not(intake_safe_now("08:00-17:00", 7 * 60 + 59));
    cr_assert(intake_safe_now("21:00-06:00", 23 * 60), "across midnight");
    cr_assert(intake_safe_now("21:00-06:00", 5 * 60));
    /* The reporter's app offers 23:59 as the last "until", meaning midnight. */
    cr_assert(intake_safe_now("00:00-23:59", 23 * 60 + 59), "all day includes the day's last minute");
    cr_assert(intake_safe_now("20:00-23:59", 23 * 60 + 59));
    cr_assert_not(intake_safe_now("20:00-23:59", 0));
    cr_assert_not(intake_safe_now("21:00-06:00", 12 * 60));
}

Test(intake_case, roles)
{
    cr_assert_eq(intake_role_bit("admin"), INTAKE_ADMIN);
    cr_assert_eq(intake_role_bit("auditor"), INTAKE_AUDITOR);
    cr_assert_eq(intake_role_bit("root"), 0);
    cr_assert_eq(intake_role_bit(NULL), 0);
}

/* The step table allows exactly the moves the life cycle lists
 * (../shared/domain.md): every pair of states checked against the list. */
Test(intake_case, the_step_table_allows_exactly_the_listed_moves)
{
    static const char *const states[] = {"submitted", "verified",  "assigned", "en_route", "on_site",
                                         "assessed",  "referred",  "accepted", "closed",   "rejected",
                                         "duplicate", "withdrawn", "declined"};
    static const char *const moves[][2] = {
        {"submitted", "verified"}, {"submitted", "rejected"}, {"submitted", "duplicate"}, {"verified", "assigned"},
        {"verified", "rejected"},  {"verified", "duplicate"}, {"assigned", "en_route"},   {"assigned", "verified"},
        {"en_route", "on_site"},   {"en_route", "verified"},  {"on_site", "assessed"},    {"assessed", "referred"},
        {"assessed", "closed"},    {"referred", "accepted"},  {"referred", "declined"},   {"declined", "referred"},
        {"declined", "closed"},    {"accepted", "closed"},    {"referred", "closed"},     {"accepted", "declined"},
    };
    size_t n = sizeof states / sizeof states[0];
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n; k++) {
            bool listed = strcmp(states[k], "withdrawn") == 0 && !intake_state_final(states[i]);
            for (size_t m = 0; m < sizeof moves / sizeof moves[0]; m++)
                listed = listed || (strcmp(moves[m][0], states[i]) == 0 && strcmp(moves[m][1], states[k]) == 0);
            cr_assert_eq(intake_transition_allowed(states[i], states[k]), listed, "%s -> %s", states[i], states[k]);
        }
    /* The SQL copies of the final states and of the promise's are the table's. */
    for (size_t i = 0; i < n; i++) {
        char quoted[32];
        snprintf(quoted, sizeof quoted, "'%s'", states[i]);
        cr_assert_eq(strstr(INTAKE_SQL_FINAL_STATES, quoted) != NULL, intake_state_final(states[i]), "%s", states[i]);
        cr_assert_eq(strstr(INTAKE_SQL_PROMISE_STATES, quoted) != NULL, intake_promise_runs(states[i]), "%s",
                     states[i]);
    }
    cr_assert(intake_promise_runs("declined"), "a declined referral must be referred again within the day");
    cr_assert_not(intake_promise_runs("referred"), "referred: the promise is kept");
    char from[160];
    intake_step_from_array(INTAKE_STEP_REFER, from, sizeof from);
    cr_assert_str_eq(from, "{assessed,declined}");
    intake_step_from_array(INTAKE_STEP_NONE, from, sizeof from);
    cr_assert_str_eq(from, "{}");
    cr_assert_null(intake_step_to(INTAKE_STEP_NONE));
    cr_assert_str_eq(intake_step_to(INTAKE_STEP_CLOSE), "closed");
    cr_assert(intake_may_refer("accepted"), "another agency while one has the case");
    cr_assert_not(intake_may_refer("on_site"), "not before the identification report");
}
