/* edge_companions.h -- a companion's profile and duty, kept by dispatch
 * (edge_companions.c). */
#ifndef EDGE_COMPANIONS_H
#define EDGE_COMPANIONS_H

#include "edge_call.h"

void intake_companions_set(edge_call_t *c);       /* PUT /v1/staff/accounts/{id}/companion */
void intake_companion_own_status(edge_call_t *c); /* GET /v1/companion/status */
void intake_companion_duty_set(edge_call_t *c);   /* PUT /v1/companion/status */

#endif
