/* intake_case.h -- the case life cycle (../shared/domain.md) and who may
 * call what: pure tables, no I/O. */
#ifndef INTAKE_CASE_H
#define INTAKE_CASE_H

#include <stdbool.h>
#include <stdint.h>

#include "pelukan/v1/events.pb-c.h"

/* Roles, as bits: a route's table entry says which may call it. The staff
 * roles in the order of pk_codes_role (pelukan/codes.h). */
enum {
    INTAKE_ANYONE = 1 << 0, /* no authentication */
    INTAKE_REPORTER = 1 << 1,
    INTAKE_ADMIN = 1 << 2,
    INTAKE_COMPANION = 1 << 3,
    INTAKE_AGENCY = 1 << 4,
    INTAKE_SUPERVISOR = 1 << 5,
    INTAKE_AUDITOR = 1 << 6,
};
#define INTAKE_STAFF (INTAKE_ADMIN | INTAKE_COMPANION | INTAKE_AGENCY | INTAKE_SUPERVISOR | INTAKE_AUDITOR)

/* The bit of a staff role name ("admin", ...), 0 when unknown. */
unsigned intake_role_bit(const char *role);

/* True when `name` is a case state. */
bool intake_state_known(const char *name);
/* True for closed, rejected, duplicate, withdrawn. */
bool intake_state_final(const char *name);
/* True when the life cycle allows from -> to. */
bool intake_transition_allowed(const char *from, const char *to);
/* The wire value of a state name (CASE_STATE_UNSPECIFIED when unknown). */
Pelukan__V1__CaseState intake_state_enum(const char *name);

/* True when `hhmm_now` (minutes after midnight, WIB) lies in the reporter's
 * safe hours "HH:MM-HH:MM" (a window may cross midnight). No hours given:
 * any time is safe. */
bool intake_safe_now(const char *safe_hours, int minutes_now);

/* Tickets the reporter can read out on the phone ("PK-7KQ4-M9XD"): eight
 * letters of an alphabet without 0/O or 1/I. The ticket of 8 random bytes
 * (the caller draws them), and whether `t` is one as people type it (any
 * letter case). */
void intake_ticket_from(const uint8_t raw[8], char out[16]);
bool intake_ticket_ok(const char *t);

#endif
