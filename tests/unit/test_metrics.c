/* test_metrics.c -- Prometheus text rendering. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/metrics.h"

Test(metrics, families_are_grouped_with_one_header)
{
    pk_metrics_t *m = pk_metrics_new("audit");
    pk_metric_t *a = pk_metrics_counter(m, "pk_applied_total", "producer=\"intake\"", "events applied");
    pk_metric_t *g = pk_metrics_gauge(m, "pk_lag", NULL, "lag");
    pk_metric_t *b = pk_metrics_counter(m, "pk_applied_total", "producer=\"dispatch\"", "events applied");
    cr_assert_eq(pk_metrics_counter(m, "pk_applied_total", "producer=\"intake\"", "x"), a);
    pk_metric_add(a, 3);
    pk_metric_add(b, 1);
    pk_metric_set(g, -2);
    char *text = pk_metrics_render(m);
    const char *want = "# HELP pk_applied_total events applied\n# TYPE pk_applied_total counter\n"
                       "pk_applied_total{service=\"audit\",producer=\"intake\"} 3\n"
                       "pk_applied_total{service=\"audit\",producer=\"dispatch\"} 1\n"
                       "# HELP pk_lag lag\n# TYPE pk_lag gauge\npk_lag{service=\"audit\"} -2\n";
    cr_assert_str_eq(text, want);
    free(text);
    pk_metrics_destroy(&m);
    cr_assert_null(m);
}
