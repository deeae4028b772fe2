/* edge_reference.h -- the reference data the edge checks requests against
 * and serves, asked of the case owner at start (edge_reference.c). */
#ifndef EDGE_REFERENCE_H
#define EDGE_REFERENCE_H

#include "edge.h"

/* Asks the owner at once, then each second until it answers. */
edge_reference_t *edge_reference_new(edge_t *in);
/* False once the reference data is here; until then the request waits,
 * and `go(req, arg)` runs it when it comes (a 503 after a while instead). */
bool edge_reference_hold(edge_reference_t *r, pk_http_req_t *req, void (*go)(pk_http_req_t *req, void *arg), void *arg);
/* The requests still waiting answered 503; after the owner's client closed. */
void edge_reference_destroy(edge_reference_t **r_p);

#endif
