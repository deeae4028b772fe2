/* edge_pings.h -- a companion's pings, batched for dispatch (edge_pings.c). */
#ifndef EDGE_PINGS_H
#define EDGE_PINGS_H

#include "edge_call.h"

/* Caller owns return value; free with edge_pings_destroy(), after the
 * client to dispatch is closed (pings still waiting end with 503). */
edge_pings_t *edge_pings_new(edge_t *in);
void edge_pings_destroy(edge_pings_t **self_p);

void edge_pings_take(edge_call_t *c); /* POST /v1/companion/location */

#endif
