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

/* Every allowed step. The reporter may withdraw from any state that is not
 * final (below, added by rule rather than listed). */
static const struct {
    const char *from, *to;
} s_steps[] = {
    {"submitted", "verified"},
    {"submitted", "rejected"},
    {"submitted", "duplicate"},
    {"verified", "assigned"},
    {"verified", "rejected"},
    {"verified", "duplicate"},
    {"assigned", "en_route"},
    {"assigned", "verified"}, /* the companion declined: back to the queue */
    {"en_route", "on_site"},
    {"en_route", "verified"},
    {"on_site", "assessed"},
    {"assessed", "referred"},
    {"assessed", "closed"},
    {"referred", "accepted"},
    {"referred", "declined"},
    {"declined", "referred"},
    {"declined", "closed"},
    {"accepted", "closed"},
    /* Several referrals: the last open one ends the wait. */
    {"referred", "closed"},
    {"accepted", "declined"},
};

unsigned intake_role_bit(const char *role)
{
    /* The bits follow pk_codes_role's order (intake_case.h). */
    for (size_t i = 0; role && pk_codes_role[i]; i++)
        if (strcmp(pk_codes_role[i], role) == 0)
            return INTAKE_ADMIN << i;
    return 0;
}

bool intake_state_known(const char *name)
{
    return intake_state_enum(name) != PELUKAN__V1__CASE_STATE__CASE_STATE_UNSPECIFIED;
}

bool intake_state_final(const char *name)
{
    static const char *const final[] = {"closed", "rejected", "duplicate", "withdrawn"};
    for (size_t i = 0; name && i < PK_ARRAY_LEN(final); i++)
        if (strcmp(final[i], name) == 0)
            return true;
    return false;
}

bool intake_transition_allowed(const char *from, const char *to)
{
    if (!intake_state_known(from) || !intake_state_known(to) || intake_state_final(from))
        return false;
    if (strcmp(to, "withdrawn") == 0)
        return true;
    for (size_t i = 0; i < PK_ARRAY_LEN(s_steps); i++)
        if (strcmp(s_steps[i].from, from) == 0 && strcmp(s_steps[i].to, to) == 0)
            return true;
    return false;
}

Pelukan__V1__CaseState intake_state_enum(const char *name)
{
    for (size_t i = 1; name && i < PK_ARRAY_LEN(s_states); i++)
        if (strcmp(s_states[i], name) == 0)
            return (Pelukan__V1__CaseState)i;
    return PELUKAN__V1__CASE_STATE__CASE_STATE_UNSPECIFIED;
}

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
