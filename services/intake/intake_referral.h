/* intake_referral.h -- the referral of a case (intake_referral.c), which
 * intake checks before referral is asked. The other referral routes are
 * rows of the route table (edge/edge_routes.c). */
#ifndef INTAKE_REFERRAL_H
#define INTAKE_REFERRAL_H

#include "intake_call.h"

void intake_referral_create(intake_call_t *c); /* POST /v1/staff/cases/{id}/referrals */

#endif
