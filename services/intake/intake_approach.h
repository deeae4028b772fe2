/* intake_approach.h -- the reporter's (and the admin's) view of the
 * approaching companion: one answer or a live stream (intake_approach.c). */
#ifndef INTAKE_APPROACH_H
#define INTAKE_APPROACH_H

#include "intake_call.h"

/* The streams and their timer. Caller owns return value. */
intake_approach_t *intake_approach_new(intake_t *in);
/* Ends the streams ("server_stopping"). After intake_dispatch_destroy, so
 * that polls in flight have ended. Accepts NULL. */
void intake_approach_destroy(intake_approach_t **ap_p);
/* An approach dispatch reported (a batch of pings moved it): sent at once
 * to the streams of its case. */
void intake_approach_push(intake_approach_t *ap, const Pelukan__V1__Approach *a);

void intake_approach_staff_stream(intake_call_t *c);               /* GET /v1/staff/cases/{id}/companion/stream */
void intake_approach_report(pk_http_req_t *req, void *arg);        /* GET /v1/reports/{id}/companion */
void intake_approach_report_stream(pk_http_req_t *req, void *arg); /* GET .../companion/stream */

#endif
