/* intake_referral.h -- the routes that intake serves for the referral
 * service (intake_referral.c); all are staff routes. */
#ifndef INTAKE_REFERRAL_H
#define INTAKE_REFERRAL_H

#include "intake_call.h"

void intake_referral_agencies(intake_call_t *c);  /* GET  /v1/staff/agencies */
void intake_referral_create(intake_call_t *c);    /* POST /v1/staff/cases/{id}/referrals */
void intake_referral_of_case(intake_call_t *c);   /* GET  /v1/staff/cases/{id}/referrals */
void intake_referral_of_agency(intake_call_t *c); /* GET  /v1/agency/referrals */
void intake_referral_accept(intake_call_t *c);    /* POST /v1/agency/referrals/{id}/accept */
void intake_referral_decline(intake_call_t *c);   /* POST /v1/agency/referrals/{id}/decline */
void intake_referral_follow_up(intake_call_t *c); /* POST /v1/agency/referrals/{id}/follow-ups */
void intake_referral_close(intake_call_t *c);     /* POST /v1/agency/referrals/{id}/close */

#endif
