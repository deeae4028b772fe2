/* intake_dispatch.h -- the routes that intake serves for the dispatch
 * service (intake_dispatch.c). */
#ifndef INTAKE_DISPATCH_H
#define INTAKE_DISPATCH_H

#include "intake_call.h"

/* The command client and the ping batcher.
 * Caller owns return value. */
intake_dispatch_t *intake_dispatch_new(intake_t *in, const char *endpoint);
/* Ends calls in flight (503) and pings waiting. Accepts NULL. */
void intake_dispatch_destroy(intake_dispatch_t **dp_p);

/* The command client to dispatch, for routes kept in other files. */
pk_rpc_uv_t *intake_dispatch_rpc(intake_dispatch_t *dp);

/* A command's answer of a visit, as the API shows it (intake_visits.c). */
void intake_visit_answer(int rc, const Pelukan__V1__CommandReply *reply, void *arg);

/* Staff routes (after authentication and the role check). */
void intake_dispatch_suggest(intake_call_t *c);        /* GET  /v1/staff/cases/{id}/companions */
void intake_dispatch_assign(intake_call_t *c);         /* POST /v1/staff/cases/{id}/assign */
void intake_dispatch_status(intake_call_t *c);         /* PUT  /v1/companion/status */
void intake_dispatch_location(intake_call_t *c);       /* POST /v1/companion/location */

/* The admin's companion profiles (intake_companions.c). */
void intake_companions_set(intake_call_t *c);       /* PUT /v1/staff/accounts/{id}/companion */
void intake_companion_own_status(intake_call_t *c); /* GET /v1/companion/status */

#endif
