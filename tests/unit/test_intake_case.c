/* test_intake_case.c -- the case life cycle and safe hours. */
#include <criterion/criterion.h>

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
    cr_assert_not(intake_safe_now("21:00-06:00", 12 * 60));
}

Test(intake_case, roles)
{
    cr_assert_eq(intake_role_bit("admin"), INTAKE_ADMIN);
    cr_assert_eq(intake_role_bit("auditor"), INTAKE_AUDITOR);
    cr_assert_eq(intake_role_bit("root"), 0);
    cr_assert_eq(intake_role_bit(NULL), 0);
}
