/* edge_push.h -- a staff member's Web Push subscription (edge_push.c). */
#ifndef EDGE_PUSH_H
#define EDGE_PUSH_H

struct intake_call;

void intake_push_get(struct intake_call *c);  /* GET /v1/staff/push */
void intake_push_set(struct intake_call *c);  /* PUT /v1/staff/push */
void intake_push_drop(struct intake_call *c); /* DELETE /v1/staff/push */

#endif
