/* db_group.c -- group commit over the pipelined client. */
#include <stdlib.h>
#include <string.h>

#include "pelukan/db.h"
#include "pelukan/util.h"

typedef struct s_item {
    char *sql;
    int nparams;
    char **params;
    pk_db_item_fn done;
    void *arg;
    struct s_item *next;
} s_item_t;

struct pk_db_group {
    pk_db_t *db;
    int max_items;
    s_item_t *head, *tail;    /* waiting */
    int in_flight;            /* groups sent and not yet done */
    struct s_flight *flights; /* those groups, to detach them on destroy */
    bool closing;
    uv_timer_t *kick; /* defers the first send to the next loop turn */
    pk_metric_t *m_groups, *m_statements;
};

typedef struct s_flight {
    pk_db_group_t *group; /* NULL once the group was destroyed */
    s_item_t **items;
    int count;
    struct s_flight *prev, *next;
} s_flight_t;

static void s_unlink(s_flight_t *f)
{
    if (!f->group)
        return;
    if (f->prev)
        f->prev->next = f->next;
    else
        f->group->flights = f->next;
    if (f->next)
        f->next->prev = f->prev;
}

static void s_send(pk_db_group_t *self);

static void s_item_free(s_item_t *it)
{
    free(it->sql);
    for (int i = 0; i < it->nparams; i++)
        free(it->params[i]);
    free(it->params);
    free(it);
}

static void s_submit(pk_db_group_t *self, s_item_t **items, int count);

static void s_group_done(pk_db_txn_t *txn, int status, void *arg)
{
    s_flight_t *f = arg;
    pk_db_group_t *self = f->group;
    if (self && status == PK_ECLOSED)
        self->closing = true;
    if (status == PK_EDB && f->count > 1 && self && !self->closing) {
        /* Find the one at fault: each statement alone. */
        s_unlink(f);
        self->in_flight--;
        for (int i = 0; i < f->count; i++)
            s_submit(self, &f->items[i], 1);
        free(f->items);
        free(f);
        return;
    }
    /* The flight stays linked while callbacks run: one of them may destroy
     * the group, which then detaches the flight (f->group = NULL). */
    for (int i = 0; i < f->count; i++) {
        s_item_t *it = f->items[i];
        it->done(status == 0 ? pk_db_txn_result(txn, i) : NULL, status, pk_db_txn_sqlstate(txn), it->arg);
        s_item_free(it);
    }
    self = f->group;
    if (self) {
        s_unlink(f);
        self->in_flight--;
        if (self->in_flight == 0)
            s_send(self);
    }
    free(f->items);
    free(f);
}

static void s_submit(pk_db_group_t *self, s_item_t **items, int count)
{
    s_flight_t *f = pk_calloc(1, sizeof *f);
    f->group = self;
    f->items = pk_malloc((size_t)count * sizeof *f->items);
    memcpy(f->items, items, (size_t)count * sizeof *items);
    f->count = count;
    f->next = self->flights;
    if (self->flights)
        self->flights->prev = f;
    self->flights = f;
    pk_db_txn_t *txn = pk_db_txn_new(self->db);
    for (int i = 0; i < count; i++)
        pk_db_txn_add(txn, items[i]->sql, items[i]->nparams, (const char *const *)items[i]->params);
    self->in_flight++;
    if (self->m_groups)
        pk_metric_add(self->m_groups, 1);
    if (self->m_statements)
        pk_metric_add(self->m_statements, (uint64_t)count);
    pk_db_txn_submit(txn, s_group_done, f);
}

/* Sends what waits as one group, if no group is being committed. */
static void s_send(pk_db_group_t *self)
{
    if (self->closing || self->in_flight > 0 || !self->head)
        return;
    s_item_t **batch = pk_malloc((size_t)self->max_items * sizeof *batch);
    int n = 0;
    while (self->head && n < self->max_items) {
        batch[n++] = self->head;
        self->head = self->head->next;
    }
    if (!self->head)
        self->tail = NULL;
    s_submit(self, batch, n);
    free(batch);
}

static void s_kick_cb(uv_timer_t *t)
{
    s_send(t->data);
}

pk_db_group_t *pk_db_group_new(pk_db_t *db, int max_items)
{
    pk_db_group_t *self = pk_calloc(1, sizeof *self);
    self->db = db;
    self->max_items = max_items > 0 ? max_items : 256;
    self->kick = pk_calloc(1, sizeof *self->kick);
    uv_timer_init(pk_db_loop(db), self->kick);
    self->kick->data = self;
    return self;
}

void pk_db_group_count(pk_db_group_t *self, pk_metric_t *groups, pk_metric_t *statements)
{
    self->m_groups = groups;
    self->m_statements = statements;
}

static void s_kick_closed(uv_handle_t *h)
{
    free(h);
}

void pk_db_group_destroy(pk_db_group_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_db_group_t *self = *self_p;
    *self_p = NULL;
    self->closing = true;
    for (s_item_t *it = self->head, *next; it; it = next) {
        next = it->next;
        it->done(NULL, PK_ECLOSED, "", it->arg);
        s_item_free(it);
    }
    uv_close((uv_handle_t *)self->kick, s_kick_closed);
    /* Groups in flight still point at us: they end through the client
     * (pk_db_close fails them) and must not touch us then. */
    for (s_flight_t *f = self->flights; f; f = f->next)
        f->group = NULL;
    free(self);
}

void pk_db_group_add(pk_db_group_t *self, const char *sql, int nparams, const char *const *params, pk_db_item_fn done,
                     void *arg)
{
    s_item_t *it = pk_calloc(1, sizeof *it);
    it->sql = pk_strdup(sql);
    it->nparams = nparams;
    it->params = pk_calloc((size_t)(nparams ? nparams : 1), sizeof *it->params);
    for (int i = 0; i < nparams; i++)
        it->params[i] = params[i] ? pk_strdup(params[i]) : NULL;
    it->done = done;
    it->arg = arg;
    if (self->tail)
        self->tail->next = it;
    else
        self->head = it;
    self->tail = it;
    /* Requests that arrive in the same loop turn leave together. */
    if (self->in_flight == 0 && !uv_is_active((uv_handle_t *)self->kick))
        uv_timer_start(self->kick, s_kick_cb, 0, 0);
}
