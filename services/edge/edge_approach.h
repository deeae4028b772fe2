/* edge_approach.h -- the reporter's (and the admin's) view of the
 * approaching companion: one answer or a live stream (edge_approach.c). */
#ifndef INTAKE_EDGE_APPROACH_H
#define INTAKE_EDGE_APPROACH_H

#include "edge_streams.h"

struct edge_call;
typedef struct edge_approach edge_approach_t;

/* The polls' timer. Caller owns return value. */
edge_approach_t *edge_approach_new(edge_t *in, edge_streams_t *streams);
/* After the client of dispatch is closed (polls in flight have ended), and
 * before the registry is destroyed. Accepts NULL. */
void edge_approach_destroy(edge_approach_t **ap_p);
/* An approach dispatch reported (a batch of pings moved it): sent at once
 * to the streams of its case. */
void edge_approach_push(edge_approach_t *ap, const Pelukan__V1__Approach *a);

void edge_approach_staff_stream(struct edge_call *c); /* GET /v1/staff/cases/{id}/companion/stream */
/* GET /v1/reports/{id}/companion, once or as a stream (.../stream). */
void edge_approach_report(pk_http_req_t *req, void *arg);

#endif
