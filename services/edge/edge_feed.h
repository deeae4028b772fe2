/* edge_feed.h -- GET /v1/staff/events: the case timeline as it grows, as
 * Server-Sent Events (edge_feed.c). */
#ifndef INTAKE_EDGE_FEED_H
#define INTAKE_EDGE_FEED_H

#include "edge_streams.h"

struct edge_call;
typedef struct edge_feed edge_feed_t;

/* The feed's timer, handing entries to the registry's feed streams.
 * Caller owns return value. */
edge_feed_t *edge_feed_new(edge_t *in, edge_streams_t *streams);
/* The owner committed something this edge asked for that may have grown a
 * case's timeline: the feed asks for it now rather than at its next tick.
 * Accepts NULL. */
void edge_feed_kick(edge_feed_t *feed);
/* Before the registry is destroyed. Accepts NULL. */
void edge_feed_destroy(edge_feed_t **feed_p);

/* The route (a staff route: the session and role are checked). */
void edge_feed_open(struct edge_call *c);

#endif
