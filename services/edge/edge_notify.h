/* edge_notify.h -- one-time codes to the notification service. */
#ifndef EDGE_NOTIFY_H
#define EDGE_NOTIFY_H

#include "pelukan/busauth.h"
#include "pelukan/log.h"
#include "pelukan/metrics.h"

typedef struct intake_notify intake_notify_t;

/* Sends SendOtp commands to the notification service from its own thread.
 * Caller owns return value. */
intake_notify_t *intake_notify_new(const char *endpoint, const pk_bus_keys_t *keys, const pk_log_t *log,
                                   pk_metric_t *failed, pk_metric_t *sent);
/* Queues a code for delivery; never blocks. The code is never logged. */
void intake_notify_otp(intake_notify_t *self, const char *phone_e164, const char *code);
void intake_notify_destroy(intake_notify_t **self_p);

#endif
