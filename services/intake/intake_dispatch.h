/* intake_dispatch.h -- the routes that intake serves for the dispatch
 * service (intake_dispatch.c). */
#ifndef INTAKE_DISPATCH_H
#define INTAKE_DISPATCH_H

#include "intake_call.h"

/* The ping batcher (commands go on intake_t's dispatch_rpc).
 * Caller owns return value. */
intake_dispatch_t *intake_dispatch_new(intake_t *in);
/* Ends the pings waiting (503). Accepts NULL. */
void intake_dispatch_destroy(intake_dispatch_t **dp_p);

/* Staff routes (after authentication and the role check). */
void intake_dispatch_suggest(intake_call_t *c);        /* GET  /v1/staff/cases/{id}/companions */
void intake_dispatch_assign(intake_call_t *c);         /* POST /v1/staff/cases/{id}/assign */
void intake_dispatch_status(intake_call_t *c);         /* PUT  /v1/companion/status */
void intake_dispatch_location(intake_call_t *c);       /* POST /v1/companion/location */

/* The admin's companion profiles (intake_companions.c). */
void intake_companions_set(intake_call_t *c);       /* PUT /v1/staff/accounts/{id}/companion */
void intake_companion_own_status(intake_call_t *c); /* GET /v1/companion/status */
/* Sends dispatch `set` with the body's profile (sex, languages,
 * kecamatan_codes) and `first` as the first name; answers 422 itself
 * (with what `errors` already holds; taken) when the lists are wrong. */
void intake_companion_send(intake_call_t *c, Pelukan__V1__SetCompanion *set, char *first, json_t *errors,
                           pk_rpc_uv_done_fn done);

#endif
