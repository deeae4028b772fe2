/* intake_staff.h -- the staff's routes with code of their own (the login
 * and the password change: edge/edge_login.h). The accounts, the desk's queue and case page are the
 * case owner's (intake_accounts.c, intake_cases.c). */
#ifndef INTAKE_STAFF_H
#define INTAKE_STAFF_H

#include <jansson.h>
#include <stdbool.h>

#include "pelukan/db.h"
#include "pelukan/http.h"
#include "pelukan/v1/events.pb-c.h"

struct intake_call;

/* The sealed notes of a case read back with a purpose (intake_notes.c). */
void intake_notes_get(struct intake_call *c);
/* GET /v1/staff/cases/{id}/identification-notes and /follow-ups?purpose=:
 * the notes dispatch and referral keep, opened by their owner. */
void intake_notes_identification(struct intake_call *c);
void intake_notes_follow_ups(struct intake_call *c);

/* A staff member's browser subscribed to Web Push (intake_push.c). */
void intake_push_get(struct intake_call *c);
void intake_push_set(struct intake_call *c);
void intake_push_drop(struct intake_call *c);

#endif
