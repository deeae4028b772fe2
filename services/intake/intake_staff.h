/* intake_staff.h -- staff sessions: login, the password change, logout
 * (intake_staff.c). The accounts, the desk's queue and case page are the
 * case owner's (intake_accounts.c, intake_cases.c). */
#ifndef INTAKE_STAFF_H
#define INTAKE_STAFF_H

#include <jansson.h>
#include <stdbool.h>

#include "pelukan/db.h"
#include "pelukan/http.h"
#include "pelukan/v1/events.pb-c.h"

struct intake_call;

/* POST /v1/staff/login: anyone may try. */
void intake_staff_login(pk_http_req_t *req, void *arg);

/* After authentication (intake_route_t.staff). */
void intake_staff_password(struct intake_call *c);

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

/* The hash of the staff token a request carries, as sessions store it. */
bool intake_staff_token_hash(pk_http_req_t *req, char out[65]);

#endif
