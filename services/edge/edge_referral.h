/* edge_referral.h -- the referral of a case (edge_referral.c), which
 * intake checks before referral is asked. The other referral routes are
 * rows of the route table (edge_routes.c). */
#ifndef EDGE_REFERRAL_H
#define EDGE_REFERRAL_H

#include "edge_call.h"

void intake_referral_create(edge_call_t *c); /* POST /v1/staff/cases/{id}/referrals */

#endif
