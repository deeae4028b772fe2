/* edge_throttle.h -- staff logins per client address and per account
 * (edge_throttle.c). */
#ifndef EDGE_THROTTLE_H
#define EDGE_THROTTLE_H

#include "edge.h"

/* Staff logins per client address Caller owns return
 * value. */
intake_throttle_t *intake_throttle_new(int per_minute, int checks);
void intake_throttle_destroy(intake_throttle_t **th_p);
/* 0 when `client` may try a login now (it then holds one of its checks
 * until intake_throttle_done), else the seconds to wait. */
int intake_throttle_take(intake_throttle_t *th, const char *client);
void intake_throttle_done(intake_throttle_t *th, const char *client);

#endif
