/* edge_push.h -- a staff member's Web Push subscription (edge_push.c). */
#ifndef EDGE_PUSH_H
#define EDGE_PUSH_H

struct edge_call;

void intake_push_get(struct edge_call *c);  /* GET /v1/staff/push */
void intake_push_set(struct edge_call *c);  /* PUT /v1/staff/push */
void intake_push_drop(struct edge_call *c); /* DELETE /v1/staff/push */

#endif
