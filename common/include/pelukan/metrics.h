/* metrics.h -- counters and gauges, rendered in the Prometheus text format.
 *
 * Register at start-up (any thread, locked); update from any thread without
 * a lock (atomics). A metric lives as long as its registry. */
#ifndef PELUKAN_METRICS_H
#define PELUKAN_METRICS_H

#include <stdint.h>

typedef struct pk_metrics pk_metrics_t;
typedef struct pk_metric pk_metric_t;

/* Caller owns return value. */
pk_metrics_t *pk_metrics_new(const char *service);
void pk_metrics_destroy(pk_metrics_t **self_p);

/* Returns the metric `name` with `labels` (Prometheus label text such as
 * `producer="intake"`, or NULL), creating it if new. The same name and labels
 * always return the same metric. */
pk_metric_t *pk_metrics_counter(pk_metrics_t *self, const char *name, const char *labels, const char *help);
pk_metric_t *pk_metrics_gauge(pk_metrics_t *self, const char *name, const char *labels, const char *help);

void pk_metric_add(pk_metric_t *metric, uint64_t n);
void pk_metric_set(pk_metric_t *metric, int64_t value);
int64_t pk_metric_get(const pk_metric_t *metric);

/* Renders every metric. Caller owns return value (free()). */
char *pk_metrics_render(pk_metrics_t *self);

#endif
