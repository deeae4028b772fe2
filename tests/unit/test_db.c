/* test_db.c -- the pipelined libpq client on libuv, on a real PostgreSQL. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/pktest.h"
#include "pelukan/db.h"

static char *conninfo;
static pk_log_t *log_;
static uv_loop_t loop;

static void s_setup(void)
{
    free(pkt_db_create("t_db"));
    conninfo = pkt_role_create("t_db", "dbt");
    pkt_sql("t_db", "CREATE TABLE dbt.item (n int PRIMARY KEY, label text); ALTER TABLE dbt.item OWNER TO dbt");
    log_ = pk_log_new("test", PK_LOG_ERROR, PK_LOG_LOGFMT, 2);
    uv_loop_init(&loop);
}

static void s_teardown(void)
{
    cr_assert_eq(uv_loop_close(&loop), 0, "every handle closed");
    pk_log_destroy(&log_);
    free(conninfo);
}

TestSuite(db, .init = s_setup, .fini = s_teardown);

typedef struct {
    int calls;
    int status;
    char value[64];
    char sqlstate[8];
    pk_db_t **db_p;
    int close_after;
} s_result_t;

static void s_done(pk_db_txn_t *txn, int status, void *arg)
{
    s_result_t *r = arg;
    r->calls++;
    r->status = status;
    snprintf(r->sqlstate, sizeof r->sqlstate, "%s", pk_db_txn_sqlstate(txn));
    int last = pk_db_txn_count(txn) - 1;
    const PGresult *res = pk_db_txn_result(txn, last);
    if (status == 0 && res && PQntuples(res) > 0)
        snprintf(r->value, sizeof r->value, "%s", PQgetvalue(res, 0, 0));
    if (r->close_after && r->calls == r->close_after)
        pk_db_close(r->db_p);
}

static pk_db_txn_t *s_insert(pk_db_t *db, int n)
{
    char num[16];
    snprintf(num, sizeof num, "%d", n);
    const char *p[] = {num, "x"};
    pk_db_txn_t *txn = pk_db_txn_new(db);
    pk_db_txn_add(txn, "INSERT INTO item (n, label) VALUES ($1, $2)", 2, p);
    return txn;
}

Test(db, transactions_commit_all_or_nothing)
{
    pk_db_t *db = pk_db_new(&loop, conninfo, log_);
    s_result_t ok = {0}, bad = {0}, count = {.db_p = &db, .close_after = 1};

    pk_db_txn_t *t1 = s_insert(db, 1);
    const char *p2[] = {"2", "y"};
    pk_db_txn_add(t1, "INSERT INTO item (n, label) VALUES ($1, $2)", 2, p2);
    pk_db_txn_submit(t1, s_done, &ok);
    cr_assert_eq(ok.calls, 0, "never called from inside submit");

    /* The second statement fails: the first must not stay. */
    pk_db_txn_t *t2 = s_insert(db, 3);
    pk_db_txn_add(t2, "INSERT INTO item (n, label) VALUES (1, 'dup')", 0, NULL);
    pk_db_txn_submit(t2, s_done, &bad);

    pk_db_txn_t *t3 = pk_db_txn_new(db);
    pk_db_txn_add(t3, "SELECT string_agg(n::text, ',' ORDER BY n) FROM item", 0, NULL);
    pk_db_txn_submit(t3, s_done, &count);

    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(ok.calls, 1);
    cr_assert_eq(ok.status, 0);
    cr_assert_eq(bad.calls, 1);
    cr_assert_eq(bad.status, PK_EDB);
    cr_assert_str_eq(bad.sqlstate, "23505");
    cr_assert_eq(count.status, 0);
    cr_assert_str_eq(count.value, "1,2", "transaction 2 left nothing");
    cr_assert_null(db);
}

typedef struct {
    pk_db_t *db;
    int submitted, done, failed;
    bool killed;
    int target;
} s_load_t;

static void s_load_done(pk_db_txn_t *txn, int status, void *arg);

static void s_load_next(s_load_t *l)
{
    pk_db_txn_submit(s_insert(l->db, 100 + l->submitted++), s_load_done, l);
}

static void s_load_done(pk_db_txn_t *txn, int status, void *arg)
{
    s_load_t *l = arg;
    if (status == 0)
        l->done++;
    else
        l->failed++;
    if (l->done == 5 && !l->killed) {
        /* Kill our backend from outside: the client must reconnect. */
        l->killed = true;
        pkt_sql("t_db", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'dbt'");
    }
    if (l->submitted < l->target)
        s_load_next(l);
    else if (l->done + l->failed == l->submitted)
        pk_db_close(&l->db);
}

Test(db, reconnects_after_the_backend_is_killed)
{
    s_load_t l = {.target = 40};
    l.db = pk_db_new(&loop, conninfo, log_);
    s_load_next(&l);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert(l.killed);
    cr_assert_eq(l.done + l.failed, 40, "every transaction got its callback once");
    cr_assert_geq(l.done, 35, "work continued after the reconnect");
    char *n = pkt_sql_value("t_db", "SELECT count(*) FROM dbt.item WHERE n >= 100");
    cr_assert_eq(atoi(n), l.done, "committed = reported committed (failures only in flight)");
    free(n);
}

Test(db, close_fails_queued_transactions)
{
    pk_db_t *db = pk_db_new(&loop, conninfo, log_);
    s_result_t r = {0};
    pk_db_txn_submit(s_insert(db, 7), s_done, &r);
    pk_db_close(&db);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.status, PK_ECLOSED);
}
