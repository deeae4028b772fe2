/* metrics.c -- a small registry of atomic counters and gauges. */
#include "pelukan/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/util.h"

struct pk_metric {
    char *name;
    char *labels;
    char *help;
    bool is_counter;
    _Atomic int64_t value;
    pk_metric_t *next;
};

struct pk_metrics {
    pthread_mutex_t lock;
    char *service;
    pk_metric_t *head;
    pk_metric_t *tail;
};

pk_metrics_t *pk_metrics_new(const char *service)
{
    pk_metrics_t *self = pk_calloc(1, sizeof *self);
    pthread_mutex_init(&self->lock, NULL);
    self->service = pk_strdup(service);
    return self;
}

void pk_metrics_destroy(pk_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_metrics_t *self = *self_p;
    for (pk_metric_t *m = self->head, *next; m; m = next) {
        next = m->next;
        free(m->name);
        free(m->labels);
        free(m->help);
        free(m);
    }
    pthread_mutex_destroy(&self->lock);
    free(self->service);
    free(self);
    *self_p = NULL;
}

static pk_metric_t *s_get(pk_metrics_t *self, const char *name, const char *labels, const char *help, bool counter)
{
    pthread_mutex_lock(&self->lock);
    pk_metric_t *m;
    for (m = self->head; m; m = m->next) {
        if (strcmp(m->name, name) == 0 && strcmp(m->labels, labels ? labels : "") == 0)
            break;
    }
    if (!m) {
        m = pk_calloc(1, sizeof *m);
        m->name = pk_strdup(name);
        m->labels = pk_strdup(labels ? labels : "");
        m->help = pk_strdup(help ? help : "");
        m->is_counter = counter;
        if (self->tail)
            self->tail->next = m;
        else
            self->head = m;
        self->tail = m;
    }
    pthread_mutex_unlock(&self->lock);
    return m;
}

pk_metric_t *pk_metrics_counter(pk_metrics_t *self, const char *name, const char *labels, const char *help)
{
    return s_get(self, name, labels, help, true);
}

pk_metric_t *pk_metrics_gauge(pk_metrics_t *self, const char *name, const char *labels, const char *help)
{
    return s_get(self, name, labels, help, false);
}

void pk_metric_add(pk_metric_t *metric, uint64_t n)
{
    atomic_fetch_add_explicit(&metric->value, (int64_t)n, memory_order_relaxed);
}

void pk_metric_set(pk_metric_t *metric, int64_t value)
{
    atomic_store_explicit(&metric->value, value, memory_order_relaxed);
}

int64_t pk_metric_get(const pk_metric_t *metric)
{
    return atomic_load_explicit(&((pk_metric_t *)metric)->value, memory_order_relaxed);
}

static bool s_first_of_family(const pk_metrics_t *self, const pk_metric_t *m)
{
    for (const pk_metric_t *p = self->head; p != m; p = p->next) {
        if (strcmp(p->name, m->name) == 0)
            return false;
    }
    return true;
}

char *pk_metrics_render(pk_metrics_t *self)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    pthread_mutex_lock(&self->lock);
    /* The text format wants a family's samples together, under one HELP and
     * TYPE, whatever the order of registration. */
    for (pk_metric_t *f = self->head; f; f = f->next) {
        if (!s_first_of_family(self, f))
            continue;
        fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->is_counter ? "counter" : "gauge");
        for (pk_metric_t *m = f; m; m = m->next) {
            if (strcmp(m->name, f->name) == 0)
                fprintf(out, "%s{service=\"%s\"%s%s} %lld\n", m->name, self->service, *m->labels ? "," : "", m->labels,
                        (long long)pk_metric_get(m));
        }
    }
    pthread_mutex_unlock(&self->lock);
    fclose(out);
    return buf;
}
