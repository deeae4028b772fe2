/* db.c -- the pipelined client on libuv (the blocking helpers: pg.c). */
#include "pelukan/db.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_internal.h"
#include "pelukan/util.h"

/* ---- non-blocking client ---------------------------------------------- */

typedef struct {
    char *sql;
    int nparams;
    char **params;
} s_stmt_t;

struct pk_db_txn {
    pk_db_t *db;
    s_stmt_t *stmts;
    int count, cap;
    PGresult **results;
    int *cmds;       /* per command sent: statement index, or -1 for a PREPARE */
    char **prepared; /* SQL texts (cache entries) this transaction prepared */
    int ncmds, nprepared;
    int next_cmd;    /* command whose result comes next */
    bool got_result; /* a result for next_cmd has arrived */
    int status;
    char *error;
    char sqlstate[6];
    pk_db_txn_fn done;
    void *arg;
    uint64_t queued_us; /* when submitted, for the queue deadline */
    pk_db_txn_t *next;
};

typedef enum { S_DOWN, S_CONNECTING, S_READY, S_CLOSING } s_state_t;

/* One poll handle per connection: the socket changes on reconnect, and a
 * handle is freed only in its close callback. */
typedef struct {
    uv_poll_t handle;
    pk_db_t *db;
} s_poll_t;

struct pk_db {
    uv_loop_t *loop;
    const pk_log_t *log;
    char *conninfo;
    PGconn *conn;
    s_state_t state;
    s_poll_t *poll;
    uv_timer_t retry_timer;
    uv_timer_t expire_timer; /* fails queued work while the database is away */
    uint64_t connect_started_us;
    int open_timers;
    int backoff_ms;
    int poll_events;
    pk_db_txn_t *queued_head, *queued_tail;     /* not yet sent */
    pk_db_txn_t *inflight_head, *inflight_tail; /* sent, results pending */
    pk_db_state_fn on_state;
    void *on_state_arg;
    /* Statements prepared on the current connection: planned once, then
     * executed by name. Emptied on every reconnect. */
    struct s_prep *prep;
    unsigned prep_counter;
};

typedef struct s_prep {
    char *sql;
    char name[24];
    struct s_prep *next;
} s_prep_t;

static void s_prep_clear(pk_db_t *self)
{
    for (s_prep_t *p = self->prep, *next; p; p = next) {
        next = p->next;
        free(p->sql);
        free(p);
    }
    self->prep = NULL;
}

static s_prep_t *s_prep_find(pk_db_t *self, const char *sql)
{
    for (s_prep_t *p = self->prep; p; p = p->next) {
        if (strcmp(p->sql, sql) == 0)
            return p;
    }
    return NULL;
}

/* Forgets a statement whose PREPARE may not have run (its transaction
 * failed); the next use prepares it again under a new name. */
static void s_prep_forget(pk_db_t *self, const char *sql)
{
    for (s_prep_t **pp = &self->prep; *pp; pp = &(*pp)->next) {
        if ((*pp)->sql == sql) {
            s_prep_t *dead = *pp;
            *pp = dead->next;
            free(dead->sql);
            free(dead);
            return;
        }
    }
}

static void s_start_connect(pk_db_t *self);
static void s_io(pk_db_t *self, int events);

static void s_txn_free(pk_db_txn_t *txn)
{
    for (int i = 0; i < txn->count; i++) {
        free(txn->stmts[i].sql);
        for (int p = 0; p < txn->stmts[i].nparams; p++)
            free(txn->stmts[i].params[p]);
        free(txn->stmts[i].params);
        if (txn->results)
            PQclear(txn->results[i]);
    }
    free(txn->stmts);
    free(txn->results);
    free(txn->cmds);
    free(txn->prepared);
    free(txn->error);
    free(txn);
}

static void s_txn_finish(pk_db_txn_t *txn, int status)
{
    if (txn->status == 0)
        txn->status = status;
    txn->done(txn, txn->status, txn->arg);
    s_txn_free(txn);
}

static void s_fail_list(pk_db_txn_t **head, pk_db_txn_t **tail, int status)
{
    pk_db_txn_t *txn = *head;
    *head = *tail = NULL;
    while (txn) {
        pk_db_txn_t *next = txn->next;
        s_txn_finish(txn, status);
        txn = next;
    }
}

static void s_poll_closed(uv_handle_t *h)
{
    free(pk_container_of((uv_poll_t *)h, s_poll_t, handle));
}

static void s_drop_connection(pk_db_t *self)
{
    if (self->poll) {
        uv_poll_stop(&self->poll->handle);
        uv_close((uv_handle_t *)&self->poll->handle, s_poll_closed);
        self->poll = NULL;
    }
    if (self->conn) {
        PQfinish(self->conn);
        self->conn = NULL;
    }
    s_prep_clear(self);
    self->poll_events = 0;
}

static void s_notify(pk_db_t *self, bool up)
{
    if (self->on_state)
        self->on_state(self, up, self->on_state_arg);
}

static void s_retry_cb(uv_timer_t *t)
{
    s_start_connect(pk_container_of(t, pk_db_t, retry_timer));
}

/* The connection is gone: fail what was in flight (its outcome is unknown),
 * keep what was queued, and try again after the backoff. */
static void s_broken(pk_db_t *self, const char *call, const char *reason)
{
    bool was_ready = self->state == S_READY;
    char why[256];
    snprintf(why, sizeof why, "%s", reason && *reason ? reason : "connection closed");
    why[strcspn(why, "\n")] = '\0';
    pk_log_warn(self->log, "%s failed: %s, reconnecting in %d ms", call, why, self->backoff_ms);
    s_drop_connection(self);
    self->state = S_DOWN;
    uv_timer_start(&self->retry_timer, s_retry_cb, (uint64_t)self->backoff_ms, 0);
    self->backoff_ms = self->backoff_ms * 2 > 5000 ? 5000 : self->backoff_ms * 2;
    s_fail_list(&self->inflight_head, &self->inflight_tail, PK_EDBCONN);
    if (was_ready)
        s_notify(self, false);
}

static void s_poll_cb(uv_poll_t *h, int status, int events)
{
    s_poll_t *p = pk_container_of(h, s_poll_t, handle);
    pk_db_t *self = p->db;
    if (status < 0) {
        s_broken(self, "uv_poll", uv_strerror(status));
        return;
    }
    s_io(self, events);
}

static void s_want(pk_db_t *self, int events)
{
    if (self->poll && self->poll_events != events) {
        self->poll_events = events;
        uv_poll_start(&self->poll->handle, events, s_poll_cb);
    }
}

static void s_start_connect(pk_db_t *self)
{
    self->conn = PQconnectStart(self->conninfo);
    if (!self->conn || PQstatus(self->conn) == CONNECTION_BAD) {
        s_broken(self, "PQconnectStart()", self->conn ? PQerrorMessage(self->conn) : "out of memory");
        return;
    }
    PQsetNoticeProcessor(self->conn, pk_pg_notice, (void *)self->log);
    self->state = S_CONNECTING;
    self->connect_started_us = pk_mono_us();
    self->poll = pk_calloc(1, sizeof *self->poll);
    self->poll->db = self;
    if (uv_poll_init(self->loop, &self->poll->handle, PQsocket(self->conn)) != 0) {
        free(self->poll);
        self->poll = NULL;
        s_broken(self, "uv_poll_init()", "cannot watch the socket");
        return;
    }
    s_want(self, UV_WRITABLE);
}

static void s_send_queued(pk_db_t *self)
{
    while (self->state == S_READY && self->queued_head) {
        pk_db_txn_t *txn = self->queued_head;
        self->queued_head = txn->next;
        if (!self->queued_head)
            self->queued_tail = NULL;
        txn->next = NULL;
        txn->results = pk_calloc((size_t)txn->count, sizeof *txn->results);
        txn->cmds = pk_calloc((size_t)txn->count * 2, sizeof *txn->cmds);
        txn->prepared = pk_calloc((size_t)txn->count, sizeof *txn->prepared);
        /* The statements and the sync form one implicit transaction: all of
         * it commits at the sync, or none of it does. */
        for (int i = 0; i < txn->count; i++) {
            s_stmt_t *st = &txn->stmts[i];
            s_prep_t *p = s_prep_find(self, st->sql);
            bool ok = true;
            if (!p) {
                p = pk_calloc(1, sizeof *p);
                p->sql = pk_strdup(st->sql);
                snprintf(p->name, sizeof p->name, "pk%u", ++self->prep_counter);
                p->next = self->prep;
                self->prep = p;
                ok = PQsendPrepare(self->conn, p->name, st->sql, st->nparams, NULL);
                txn->cmds[txn->ncmds++] = -1;
                txn->prepared[txn->nprepared++] = p->sql;
            }
            ok = ok &&
                 PQsendQueryPrepared(self->conn, p->name, st->nparams, (const char *const *)st->params, NULL, NULL, 0);
            txn->cmds[txn->ncmds++] = i;
            if (!ok) {
                /* Put it back in front; it was not (completely) sent. */
                txn->next = self->queued_head;
                self->queued_head = txn;
                if (!self->queued_tail)
                    self->queued_tail = txn;
                free(txn->results);
                free(txn->cmds);
                free(txn->prepared);
                txn->results = NULL;
                txn->cmds = NULL;
                txn->prepared = NULL;
                txn->ncmds = txn->nprepared = 0;
                s_broken(self, "PQsendQueryPrepared()", PQerrorMessage(self->conn));
                return;
            }
        }
        PQpipelineSync(self->conn);
        if (self->inflight_tail)
            self->inflight_tail->next = txn;
        else
            self->inflight_head = txn;
        self->inflight_tail = txn;
    }
}

static void s_flush(pk_db_t *self)
{
    int r = PQflush(self->conn);
    if (r < 0) {
        s_broken(self, "PQflush()", PQerrorMessage(self->conn));
        return;
    }
    s_want(self, r == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
}

/* Reads every complete result and hands finished transactions back. */
static void s_read_results(pk_db_t *self)
{
    if (!PQconsumeInput(self->conn)) {
        s_broken(self, "PQconsumeInput()", PQerrorMessage(self->conn));
        return;
    }
    while (self->inflight_head && !PQisBusy(self->conn)) {
        pk_db_txn_t *txn = self->inflight_head;
        PGresult *res = PQgetResult(self->conn);
        if (!res) {
            /* End of one command's results. */
            if (txn->got_result) {
                txn->next_cmd++;
                txn->got_result = false;
            }
            continue;
        }
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            self->inflight_head = txn->next;
            if (!self->inflight_head)
                self->inflight_tail = NULL;
            if (txn->status != 0) {
                for (int i = 0; i < txn->nprepared; i++)
                    s_prep_forget(self, txn->prepared[i]);
            }
            s_txn_finish(txn, 0);
            continue;
        }
        if (st == PGRES_FATAL_ERROR && !txn->error) {
            txn->status = PK_EDB;
            txn->error = pk_strdup(pk_pg_safe_message(res, "statement failed"));
            snprintf(txn->sqlstate, sizeof txn->sqlstate, "%s", pk_pg_sqlstate(res));
        }
        int stmt = txn->next_cmd < txn->ncmds ? txn->cmds[txn->next_cmd] : -1;
        if (stmt >= 0 && !txn->got_result)
            txn->results[stmt] = res;
        else
            PQclear(res);
        txn->got_result = true;
        if (PQstatus(self->conn) == CONNECTION_BAD) {
            s_broken(self, "PQgetResult()", PQerrorMessage(self->conn));
            return;
        }
    }
}

static void s_io(pk_db_t *self, int events)
{
    if (self->state == S_CONNECTING) {
        switch (PQconnectPoll(self->conn)) {
        case PGRES_POLLING_READING:
            s_want(self, UV_READABLE);
            return;
        case PGRES_POLLING_WRITING:
            s_want(self, UV_WRITABLE);
            return;
        case PGRES_POLLING_FAILED:
            s_broken(self, "PQconnectPoll()", PQerrorMessage(self->conn));
            return;
        case PGRES_POLLING_OK:
        default:
            break;
        }
        if (PQsetnonblocking(self->conn, 1) != 0 || PQenterPipelineMode(self->conn) != 1) {
            s_broken(self, "PQenterPipelineMode()", PQerrorMessage(self->conn));
            return;
        }
        self->state = S_READY;
        self->backoff_ms = 100;
        pk_log_info(self->log, "database connected");
        s_notify(self, true);
        if (self->state != S_READY)
            return;
        events = UV_WRITABLE;
    }
    if (self->state != S_READY)
        return;
    if (events & UV_READABLE) {
        s_read_results(self);
        if (self->state != S_READY)
            return;
    }
    s_send_queued(self);
    if (self->state == S_READY)
        s_flush(self);
}

static void s_expire_cb(uv_timer_t *t);

pk_db_t *pk_db_new(uv_loop_t *loop, const char *conninfo, const pk_log_t *log)
{
    pk_db_t *self = pk_calloc(1, sizeof *self);
    self->loop = loop;
    self->log = log;
    self->conninfo = pk_strdup(conninfo);
    self->backoff_ms = 100;
    uv_timer_init(loop, &self->retry_timer);
    uv_timer_init(loop, &self->expire_timer);
    self->retry_timer.data = self->expire_timer.data = self;
    self->open_timers = 2;
    uv_timer_start(&self->expire_timer, s_expire_cb, 250, 250);
    uv_unref((uv_handle_t *)&self->expire_timer);
    s_start_connect(self);
    return self;
}

void pk_db_on_state(pk_db_t *self, pk_db_state_fn fn, void *arg)
{
    self->on_state = fn;
    self->on_state_arg = arg;
}

uv_loop_t *pk_db_loop(const pk_db_t *self)
{
    return self->loop;
}

bool pk_db_connected(const pk_db_t *self)
{
    return self->state == S_READY;
}

static void s_timer_closed(uv_handle_t *h)
{
    pk_db_t *self = h->data;
    if (--self->open_timers > 0)
        return;
    free(self->conninfo);
    free(self);
}

/* While disconnected, work waits for the reconnect, but not forever: after
 * PK_DB_QUEUE_TIMEOUT_MS it fails with PK_EDBCONN (nothing was sent, so
 * nothing happened), and a client gets a clear "try again" instead of a
 * request that hangs. */
#define PK_DB_QUEUE_TIMEOUT_MS 5000

static void s_expire_cb(uv_timer_t *t)
{
    pk_db_t *self = t->data;
    if (self->state == S_READY)
        return;
    /* The non-blocking connect has no timeout of its own. */
    if (self->state == S_CONNECTING && pk_mono_us() - self->connect_started_us > 10000000u) {
        s_broken(self, "PQconnectPoll()", "no answer within 10 s");
        return;
    }
    uint64_t limit = pk_mono_us() - (uint64_t)PK_DB_QUEUE_TIMEOUT_MS * 1000u;
    while (self->queued_head && self->queued_head->queued_us < limit) {
        pk_db_txn_t *txn = self->queued_head;
        self->queued_head = txn->next;
        if (!self->queued_head)
            self->queued_tail = NULL;
        s_txn_finish(txn, PK_EDBCONN);
    }
}

void pk_db_close(pk_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_db_t *self = *self_p;
    *self_p = NULL;
    self->state = S_CLOSING;
    s_drop_connection(self);
    s_fail_list(&self->inflight_head, &self->inflight_tail, PK_ECLOSED);
    s_fail_list(&self->queued_head, &self->queued_tail, PK_ECLOSED);
    s_prep_clear(self);
    uv_timer_stop(&self->retry_timer);
    uv_timer_stop(&self->expire_timer);
    uv_close((uv_handle_t *)&self->retry_timer, s_timer_closed);
    uv_close((uv_handle_t *)&self->expire_timer, s_timer_closed);
}

pk_db_txn_t *pk_db_txn_new(pk_db_t *db)
{
    pk_db_txn_t *txn = pk_calloc(1, sizeof *txn);
    txn->db = db;
    return txn;
}

void pk_db_txn_add(pk_db_txn_t *txn, const char *sql, int nparams, const char *const *params)
{
    if (txn->count == txn->cap) {
        txn->cap = txn->cap ? txn->cap * 2 : 4;
        txn->stmts = pk_realloc(txn->stmts, (size_t)txn->cap * sizeof *txn->stmts);
    }
    s_stmt_t *s = &txn->stmts[txn->count++];
    s->sql = pk_strdup(sql);
    s->nparams = nparams;
    s->params = pk_calloc((size_t)(nparams ? nparams : 1), sizeof *s->params);
    for (int i = 0; i < nparams; i++)
        s->params[i] = params[i] ? pk_strdup(params[i]) : NULL;
}

int pk_db_txn_count(const pk_db_txn_t *txn)
{
    return txn->count;
}

void pk_db_txn_submit(pk_db_txn_t *txn, pk_db_txn_fn done, void *arg)
{
    pk_db_t *self = txn->db;
    txn->done = done;
    txn->arg = arg;
    txn->queued_us = pk_mono_us();
    if (self->queued_tail)
        self->queued_tail->next = txn;
    else
        self->queued_head = txn;
    self->queued_tail = txn;
    /* Sending happens when the socket is writable, which keeps the promise
     * that `done` never runs inside this call, and lets transactions that
     * arrive together leave in one write. */
    if (self->state == S_READY)
        s_want(self, UV_READABLE | UV_WRITABLE);
}

const PGresult *pk_db_txn_result(const pk_db_txn_t *txn, int i)
{
    return txn->results && i >= 0 && i < txn->count ? txn->results[i] : NULL;
}

PGresult *pk_db_txn_take_result(pk_db_txn_t *txn, int i)
{
    if (!txn->results || i < 0 || i >= txn->count)
        return NULL;
    PGresult *r = txn->results[i];
    txn->results[i] = NULL;
    return r;
}

const char *pk_db_txn_error(const pk_db_txn_t *txn)
{
    return txn->error ? txn->error : "";
}

const char *pk_db_txn_sqlstate(const pk_db_txn_t *txn)
{
    return txn->sqlstate;
}
