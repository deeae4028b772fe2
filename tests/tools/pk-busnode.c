/* pk-busnode.c -- a bus producer or consumer for the bus tests and
 * benchmarks, run as a real service process through pk_service_main.
 *
 *   pk-busnode produce   as service "intake": writes PKNODE_COUNT test events
 *                        (a row in bench_produced and its event, in one
 *                        transaction each) over PKNODE_CONNS connections at
 *                        PKNODE_RATE events/s (0: as fast as it can), then
 *                        keeps relaying. Resumes after a restart.
 *                        With PKNODE_CASES=k, event n belongs to case
 *                        "case-<n % k>", and every PKNODE_ACCESS_EVERY-th
 *                        one is a CaseDataAccessed by staff
 *                        "staff-<n % 3>" instead of a test event.
 *   pk-busnode consume   as service "notification" (or PKNODE_AS): applies
 *                        intake's test events into bench_applied, with
 *                        PKNODE_RPC=1 also serving a test command (Ping)
 *                        on PKNODE_RPC_WORKERS workers, PKNODE_RPC_BATCH
 *                        commands to a transaction, an odd Ping on the
 *                        second worker and an even one on the first.
 *   pk-busnode relay     as "intake", relaying only (a second instance).
 * With PKNODE_PLAIN=1 its sockets use no CURVE (bench_bus's comparison). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pelukan/service.h"
#include "pelukan/util.h"

typedef struct {
    pk_service_t *svc;
    pk_db_t *conns[32];
    int nconns;
    int64_t target;    /* rows wanted in bench_produced: exactly n = 1..target */
    int64_t next_n;    /* next number to write above those written */
    int64_t *gaps;     /* numbers below next_n a killed instance left unwritten */
    int64_t ngaps, gap_i;
    int64_t committed; /* rows known committed */
    int64_t inflight;
    int64_t issued; /* paced mode: transactions issued since start */
    double rate;
    uint64_t started_us;
    uv_timer_t tick;
    bool stopping;
    bool done_logged;
    bool recount; /* a transaction's outcome is unknown: ask the database */
    bool counting;
} s_writer_t;

static int s_env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : def;
}

static void s_write_one(s_writer_t *w, pk_db_t *db);

static void s_written(pk_db_txn_t *txn, int status, void *arg)
{
    s_writer_t *w = arg;
    w->inflight--;
    if (status == 0) {
        w->committed++;
        pk_relay_kick(pk_service_relay(w->svc));
    } else {
        /* Lost with the connection: it may or may not have committed. */
        w->recount = true;
    }
    if (w->committed >= w->target && !w->done_logged) {
        w->done_logged = true;
        pk_log_info(pk_service_log(w->svc), "writer done: %lld events committed", (long long)w->committed);
    }
}

/* What is left to write: the gaps, then next_n..target. A transaction of a
 * killed instance can still commit after its successor counted (its
 * COMMIT was on the wire), so the writer never goes past `target` and a
 * number written twice fails on the key and makes it count again. */
static int64_t s_left(const s_writer_t *w)
{
    return (w->ngaps - w->gap_i) + (w->next_n <= w->target ? w->target - w->next_n + 1 : 0);
}

static void s_write_one(s_writer_t *w, pk_db_t *db)
{
    int64_t n = w->gap_i < w->ngaps ? w->gaps[w->gap_i++] : w->next_n++;
    char n_s[32];
    snprintf(n_s, sizeof n_s, "%lld", (long long)n);
    Pelukan__V1__Envelope env;
    uint8_t id[16];
    int cases = s_env_int("PKNODE_CASES", 0), access_every = s_env_int("PKNODE_ACCESS_EVERY", 0);
    char case_id[32] = "", staff[32];
    if (cases > 0)
        snprintf(case_id, sizeof case_id, "case-%lld", (long long)(n % cases));
    pk_envelope_init(&env, id, "intake", case_id, NULL);
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    actor.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    actor.id = "bench";
    env.actor = &actor;
    Pelukan__V1__TestEvent te = PELUKAN__V1__TEST_EVENT__INIT;
    te.n = (uint64_t)n;
    uint8_t pad[128];
    memset(pad, 'p', sizeof pad);
    te.pad.data = pad;
    te.pad.len = sizeof pad;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_TEST_EVENT;
    env.test_event = &te;
    Pelukan__V1__CaseDataAccessed access = PELUKAN__V1__CASE_DATA_ACCESSED__INIT;
    char *fields[] = {"reporter_phone", "victim_name"};
    if (access_every > 0 && n % access_every == 0) {
        snprintf(staff, sizeof staff, "staff-%lld", (long long)(n % 3));
        actor.kind = PELUKAN__V1__ACTOR__KIND__KIND_STAFF;
        actor.id = staff;
        actor.role = "admin";
        access.purpose_code = "confirmation_call";
        access.n_fields = 2;
        access.fields = fields;
        env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_DATA_ACCESSED;
        env.case_data_accessed = &access;
    }
    char topic[128], *hex;
    pk_outbox_params(&env, topic, &hex);
    pk_db_txn_t *txn = pk_db_txn_new(db);
    const char *p1[] = {n_s};
    pk_db_txn_add(txn, "INSERT INTO bench_produced (n) VALUES ($1)", 1, p1);
    const char *p2[] = {topic, case_id, hex};
    pk_db_txn_add(txn, PK_OUTBOX_INSERT_SQL, 3, p2);
    free(hex);
    w->inflight++;
    pk_db_txn_submit(txn, s_written, w);
}

#define S_COUNT_SQL "SELECT coalesce(max(n), 0), count(*) FROM bench_produced"
#define S_GAPS_SQL                                                                                                     \
    "SELECT s FROM generate_series(1, (SELECT coalesce(max(n), 0) FROM bench_produced)) s"                            \
    " WHERE NOT EXISTS (SELECT 1 FROM bench_produced b WHERE b.n = s) ORDER BY s"

/* What committed: the count, where to go on from, and the gaps below. */
static void s_take_count(s_writer_t *w, const PGresult *count, const PGresult *gaps)
{
    w->committed = atoll(PQgetvalue(count, 0, 1));
    w->next_n = atoll(PQgetvalue(count, 0, 0)) + 1;
    free(w->gaps);
    w->ngaps = PQntuples(gaps);
    w->gap_i = 0;
    w->gaps = pk_calloc(w->ngaps ? (size_t)w->ngaps : 1, sizeof *w->gaps);
    for (int64_t i = 0; i < w->ngaps; i++)
        w->gaps[i] = atoll(PQgetvalue(gaps, (int)i, 0));
}

/* Keeps a few transactions in flight on each connection, or, with a
 * rate, issues what the clock allows, until the target is committed. */
static void s_counted(pk_db_txn_t *txn, int status, void *arg)
{
    s_writer_t *w = arg;
    w->counting = false;
    if (status != 0)
        return; /* try again on the next tick */
    s_take_count(w, pk_db_txn_result(txn, 0), pk_db_txn_result(txn, 1));
    w->recount = false;
}

static void s_tick(uv_timer_t *t)
{
    s_writer_t *w = t->data;
    if (w->stopping || w->counting)
        return;
    if (w->recount) {
        /* Count what really committed before writing on. */
        if (w->inflight > 0)
            return;
        w->counting = true;
        pk_db_txn_t *txn = pk_db_txn_new(w->conns[0]);
        pk_db_txn_add(txn, S_COUNT_SQL, 0, NULL);
        pk_db_txn_add(txn, S_GAPS_SQL, 0, NULL);
        pk_db_txn_submit(txn, s_counted, w);
        return;
    }
    int64_t allowed = s_left(w);
    if (w->rate > 0) {
        double elapsed = (double)(pk_mono_us() - w->started_us) / 1e6;
        int64_t due = (int64_t)(elapsed * w->rate) - w->issued;
        for (int64_t i = 0; i < due && allowed > 0; i++, allowed--)
            s_write_one(w, w->conns[w->issued++ % w->nconns]);
        return;
    }
    int64_t room = 4 * (int64_t)w->nconns - w->inflight;
    for (int64_t i = 0; i < room && allowed > 0; i++, allowed--)
        s_write_one(w, w->conns[w->issued++ % w->nconns]);
}

static int s_produce_start(pk_service_t *svc, void **state_p)
{
    PGconn *conn = pk_pg_connect(pk_service_conninfo(svc), pk_service_log(svc), 10000);
    if (!conn)
        return PK_EDBCONN;
    PGresult *r = NULL, *g = NULL;
    if (pk_pg_run(conn, pk_service_log(svc), "CREATE TABLE IF NOT EXISTS bench_produced (n bigint PRIMARY KEY)", 0,
                  NULL) != 0 ||
        !(r = pk_pg_exec(conn, pk_service_log(svc), S_COUNT_SQL, 0, NULL)) ||
        !(g = pk_pg_exec(conn, pk_service_log(svc), S_GAPS_SQL, 0, NULL))) {
        PQclear(r);
        PQfinish(conn);
        return PK_EDB;
    }
    s_writer_t *w = pk_calloc(1, sizeof *w);
    w->svc = svc;
    s_take_count(w, r, g);
    PQclear(g);
    w->target = s_env_int("PKNODE_COUNT", 0);
    w->rate = s_env_int("PKNODE_RATE", 0);
    w->nconns = s_env_int("PKNODE_CONNS", 8);
    PQclear(r);
    PQfinish(conn);
    for (int i = 0; i < w->nconns; i++)
        w->conns[i] = pk_db_new(pk_service_loop(svc), pk_service_conninfo(svc), pk_service_log(svc));
    w->started_us = pk_mono_us();
    uv_timer_init(pk_service_loop(svc), &w->tick);
    w->tick.data = w;
    uv_timer_start(&w->tick, s_tick, 1, 1);
    pk_log_info(pk_service_log(svc), "writer: %lld of %lld already committed, next n %lld", (long long)w->committed,
                (long long)w->target, (long long)w->next_n);
    *state_p = w;
    return 0;
}

static void s_tick_closed(uv_handle_t *h)
{
    s_writer_t *w = h->data;
    free(w->gaps);
    free(w);
}

static void s_produce_stop(pk_service_t *svc, void *state)
{
    s_writer_t *w = state;
    w->stopping = true;
    for (int i = 0; i < w->nconns; i++)
        pk_db_close(&w->conns[i]);
    uv_timer_stop(&w->tick);
    uv_close((uv_handle_t *)&w->tick, s_tick_closed);
}

/* ---- consumer -------------------------------------------------------------- */

static int s_consume_start(pk_service_t *svc, void **state_p)
{
    PGconn *conn = pk_pg_connect(pk_service_conninfo(svc), pk_service_log(svc), 10000);
    if (!conn)
        return PK_EDBCONN;
    int rc = pk_pg_run(conn, pk_service_log(svc),
                       "CREATE TABLE IF NOT EXISTS bench_applied (seq bigint NOT NULL, n bigint NOT NULL,"
                       " occurred_us bigint NOT NULL, applied_us bigint NOT NULL)",
                       0, NULL);
    if (rc == 0)
        rc = pk_pg_run(conn, pk_service_log(svc),
                       "CREATE TABLE IF NOT EXISTS bench_effect (k text PRIMARY KEY, v bigint NOT NULL)", 0, NULL);
    PQfinish(conn);
    *state_p = NULL;
    return rc;
}

static int s_apply(PGconn *conn, const pk_bus_event_t *ev, void *arg)
{
    (void)arg;
    if (ev->envelope->payload_case != PELUKAN__V1__ENVELOPE__PAYLOAD_TEST_EVENT)
        return PK_ENOENT;
    char seq[32], n[32], occ[32], now[32];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)ev->seq);
    snprintf(n, sizeof n, "%llu", (unsigned long long)ev->envelope->test_event->n);
    snprintf(occ, sizeof occ, "%llu", (unsigned long long)ev->envelope->occurred_at_us);
    snprintf(now, sizeof now, "%llu", (unsigned long long)pk_now_us());
    const char *p[] = {seq, n, occ, now};
    return pk_pg_run(conn, NULL, "INSERT INTO bench_applied (seq, n, occurred_us, applied_us) VALUES ($1,$2,$3,$4)", 4,
                     p) == 0
               ? 0
               : PK_EDB;
}

/* Ping: counts its effect in bench_effect (Ping n >= 100: in a row of its
 * own) and answers the count, after a pause of PKNODE_RPC_DELAY_MS on the
 * first execution (to force a retry); with PKNODE_RPC_HOLD set, the first
 * Ping below 100 is held until that file exists. */
static int s_command(PGconn *conn, const Pelukan__V1__CommandRequest *req, Pelukan__V1__CommandReply *reply, void *arg)
{
    (void)arg;
    if (req->command_case != PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING) {
        reply->status = PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID;
        reply->error_code = "unknown_command";
        return 0;
    }
    char key[32];
    snprintf(key, sizeof key, req->ping->n >= 100 ? "ping-%llu" : "ping", (unsigned long long)req->ping->n);
    const char *p[] = {key};
    PGresult *r = pk_pg_exec(conn, NULL,
                             "INSERT INTO bench_effect (k, v) VALUES ($1, 1) ON CONFLICT (k) DO UPDATE "
                             "SET v = bench_effect.v + 1 RETURNING v",
                             1, p);
    if (!r)
        return PK_EDB;
    static __thread Pelukan__V1__Pong pong;
    pelukan__v1__pong__init(&pong);
    pong.n = strtoull(PQgetvalue(r, 0, 0), NULL, 10) * 1000 + req->ping->n;
    PQclear(r);
    int delay = s_env_int("PKNODE_RPC_DELAY_MS", 0);
    if (delay > 0 && pong.n / 1000 == 1)
        usleep((useconds_t)delay * 1000);
    const char *hold = getenv("PKNODE_RPC_HOLD");
    while (hold && *hold && req->ping->n < 100 && pong.n / 1000 == 1 && access(hold, F_OK) != 0)
        usleep(10000);
    reply->status = PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_PONG;
    reply->pong = &pong;
    return 0;
}

static int s_shard(const Pelukan__V1__CommandRequest *req)
{
    return req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING ? (int)(req->ping->n % 2) : -1;
}

static void s_command_server(void *state, pk_rpc_server_config_t *cfg)
{
    (void)state;
    cfg->workers = s_env_int("PKNODE_RPC_WORKERS", 1);
    cfg->batch_max = s_env_int("PKNODE_RPC_BATCH", 1);
    cfg->shard = cfg->workers > 1 ? s_shard : NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    static const char *const consumes[] = {"intake", NULL};
    pk_service_def_t def = {0};
    if (strcmp(mode, "produce") == 0) {
        def = (pk_service_def_t){.name = "intake", .start = s_produce_start, .stop = s_produce_stop};
    } else if (strcmp(mode, "relay") == 0) {
        def = (pk_service_def_t){.name = "intake"};
    } else if (strcmp(mode, "consume") == 0) {
        const char *as = getenv("PKNODE_AS");
        def = (pk_service_def_t){
            .name = as && *as ? as : "notification", .start = s_consume_start, .consumes = consumes, .apply = s_apply};
        if (s_env_int("PKNODE_RPC", 0)) {
            def.command = s_command;
            def.command_server = s_command_server;
        }
    } else {
        fprintf(stderr, "usage: pk-busnode produce|relay|consume\n");
        return 2;
    }
    /* PKNODE_PLAIN=1: the same bus without CURVE, for bench_bus to measure
     * what authentication costs (never a service's setting). */
    def.plain_bus_for_benchmark = s_env_int("PKNODE_PLAIN", 0) != 0;
    char *args[] = {argv[0], NULL};
    return pk_service_main(&def, 1, args);
}
