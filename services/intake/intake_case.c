/* intake_case.c -- the case life cycle and its tables. */
#include "intake_case.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "pelukan/codes.h"
#include "pelukan/util.h"

static const char *const s_states[] = {"",         "submitted", "verified",  "assigned", "en_route",
                                       "on_site",  "assessed",  "referred",  "accepted", "closed",
                                       "rejected", "duplicate", "withdrawn", "declined"};

#define S_BIT(state) (1u << PELUKAN__V1__CASE_STATE__CASE_STATE_##state)
#define S_FINAL      (S_BIT(CLOSED) | S_BIT(REJECTED) | S_BIT(DUPLICATE) | S_BIT(WITHDRAWN))
#define S_ALL        ((1u << PK_ARRAY_LEN(s_states)) - 2u) /* every state but the empty name */

/* Each step: the states it starts from (a set of S_BITs) and the state it
 * moves to. Indexed by intake_step_t. */
static const struct {
    unsigned from;
    Pelukan__V1__CaseState to;
} s_steps[] = {
    [INTAKE_STEP_NONE] = {0, PELUKAN__V1__CASE_STATE__CASE_STATE_UNSPECIFIED},
    [INTAKE_STEP_VERIFY] = {S_BIT(SUBMITTED), PELUKAN__V1__CASE_STATE__CASE_STATE_VERIFIED},
    [INTAKE_STEP_REJECT] = {S_BIT(SUBMITTED) | S_BIT(VERIFIED), PELUKAN__V1__CASE_STATE__CASE_STATE_REJECTED},
    [INTAKE_STEP_DUPLICATE] = {S_BIT(SUBMITTED) | S_BIT(VERIFIED), PELUKAN__V1__CASE_STATE__CASE_STATE_DUPLICATE},
    [INTAKE_STEP_ASSIGN] = {S_BIT(VERIFIED), PELUKAN__V1__CASE_STATE__CASE_STATE_ASSIGNED},
    [INTAKE_STEP_VISIT_DECLINED] = {S_BIT(ASSIGNED) | S_BIT(EN_ROUTE), PELUKAN__V1__CASE_STATE__CASE_STATE_VERIFIED},
    [INTAKE_STEP_EN_ROUTE] = {S_BIT(ASSIGNED), PELUKAN__V1__CASE_STATE__CASE_STATE_EN_ROUTE},
    [INTAKE_STEP_ARRIVE] = {S_BIT(EN_ROUTE), PELUKAN__V1__CASE_STATE__CASE_STATE_ON_SITE},
    [INTAKE_STEP_ASSESS] = {S_BIT(ON_SITE), PELUKAN__V1__CASE_STATE__CASE_STATE_ASSESSED},
    [INTAKE_STEP_REFER] = {S_BIT(ASSESSED) | S_BIT(DECLINED), PELUKAN__V1__CASE_STATE__CASE_STATE_REFERRED},
    [INTAKE_STEP_REFERRAL_ACCEPTED] = {S_BIT(REFERRED), PELUKAN__V1__CASE_STATE__CASE_STATE_ACCEPTED},
    [INTAKE_STEP_REFERRAL_DECLINED] = {S_BIT(REFERRED) | S_BIT(ACCEPTED), PELUKAN__V1__CASE_STATE__CASE_STATE_DECLINED},
    /* Several referrals: the last open one ends the wait. */
    [INTAKE_STEP_CLOSE] = {S_BIT(ASSESSED) | S_BIT(DECLINED) | S_BIT(REFERRED) | S_BIT(ACCEPTED),
                           PELUKAN__V1__CASE_STATE__CASE_STATE_CLOSED},
    [INTAKE_STEP_WITHDRAW] = {S_ALL & ~S_FINAL, PELUKAN__V1__CASE_STATE__CASE_STATE_WITHDRAWN},
};

unsigned intake_role_bit(const char *role)
{
    /* The bits follow pk_codes_role's order (intake_case.h). */
    for (size_t i = 0; role && pk_codes_role[i]; i++)
        if (strcmp(pk_codes_role[i], role) == 0)
            return INTAKE_ADMIN << i;
    return 0;
}

bool intake_role_manages(const char *actor_role, const char *role)
{
    if (actor_role && strcmp(actor_role, "supervisor") == 0)
        return intake_role_bit(role) != 0;
    return role && (strcmp(role, "companion") == 0 || strcmp(role, "agency") == 0);
}

bool intake_state_known(const char *name)
{
    return intake_state_enum(name) != PELUKAN__V1__CASE_STATE__CASE_STATE_UNSPECIFIED;
}

bool intake_state_final(const char *name)
{
    return (S_FINAL >> intake_state_enum(name)) & 1u;
}

const char *intake_step_to(intake_step_t step)
{
    return step > INTAKE_STEP_NONE && (size_t)step < PK_ARRAY_LEN(s_steps) ? s_states[s_steps[step].to] : NULL;
}

bool intake_step_from(intake_step_t step, const char *state)
{
    Pelukan__V1__CaseState st = intake_state_enum(state);
    return (size_t)step < PK_ARRAY_LEN(s_steps) && st != PELUKAN__V1__CASE_STATE__CASE_STATE_UNSPECIFIED &&
           ((s_steps[step].from >> st) & 1u);
}

void intake_step_from_array(intake_step_t step, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "{");
    for (size_t i = 1; i < PK_ARRAY_LEN(s_states) && n < size; i++)
        if ((size_t)step < PK_ARRAY_LEN(s_steps) && ((s_steps[step].from >> i) & 1u))
            n += (size_t)snprintf(out + n, size - n, "%s%s", n > 1 ? "," : "", s_states[i]);
    if (n < size)
        snprintf(out + n, size - n, "}");
}

bool intake_transition_allowed(const char *from, const char *to)
{
    Pelukan__V1__CaseState t = intake_state_enum(to);
    for (size_t i = 1; i < PK_ARRAY_LEN(s_steps); i++)
        if (s_steps[i].to == t && intake_step_from((intake_step_t)i, from))
            return true;
    return false;
}

bool intake_may_refer(const char *state)
{
    Pelukan__V1__CaseState st = intake_state_enum(state);
    return intake_step_from(INTAKE_STEP_REFER, state) || st == PELUKAN__V1__CASE_STATE__CASE_STATE_REFERRED ||
           st == PELUKAN__V1__CASE_STATE__CASE_STATE_ACCEPTED;
}

Pelukan__V1__CaseState intake_state_enum(const char *name)
{
    for (size_t i = 1; name && i < PK_ARRAY_LEN(s_states); i++)
        if (strcmp(s_states[i], name) == 0)
            return (Pelukan__V1__CaseState)i;
    return PELUKAN__V1__CASE_STATE__CASE_STATE_UNSPECIFIED;
}

bool intake_promise_runs(const char *state)
{
    Pelukan__V1__CaseState st = intake_state_enum(state);
    return intake_state_known(state) && !intake_state_final(state) &&
           st != PELUKAN__V1__CASE_STATE__CASE_STATE_REFERRED && st != PELUKAN__V1__CASE_STATE__CASE_STATE_ACCEPTED;
}

const char *intake_state_name(Pelukan__V1__CaseState state)
{
    return state > PELUKAN__V1__CASE_STATE__CASE_STATE_UNSPECIFIED && (size_t)state < PK_ARRAY_LEN(s_states)
               ? s_states[state]
               : NULL;
}

const char *const intake_reject_reasons[] = {"false_report", "spam", "out_of_scope", "other", NULL};
const char *const intake_call_outcomes[] = {"reached", "not_reached", "false_report", NULL};
const char *const intake_reach_reasons[] = {"cannot_find_place", "arrange_meeting", "need_information",
                                            "reporter_absent",   "other",           NULL};
const char *const intake_erasure_reasons[] = {"reporter_request", "court_order", "wrong_person",
                                              "data_protection",  "other",       NULL};

bool intake_safe_now(const char *safe_hours, int minutes_now)
{
    return pk_hours_contain(safe_hours, minutes_now);
}

static const char s_ticket_alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

void intake_ticket_from(const uint8_t raw[8], char out[16])
{
    char c[8];
    for (int i = 0; i < 8; i++)
        c[i] = s_ticket_alphabet[raw[i] & 31];
    snprintf(out, 16, "PK-%.4s-%.4s", c, c + 4);
}

bool intake_ticket_ok(const char *t)
{
    if (strlen(t) != 12 || toupper((unsigned char)t[0]) != 'P' || toupper((unsigned char)t[1]) != 'K' || t[2] != '-' ||
        t[7] != '-')
        return false;
    for (int i = 3; i < 12; i++)
        if (i != 7 && !strchr(s_ticket_alphabet, toupper((unsigned char)t[i])))
            return false;
    return true;
}

bool intake_idempotency_key_ok(const char *key)
{
    size_t len = key ? strlen(key) : 0;
    return len > 0 && len <= 128 &&
           strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == len;
}
