/* test_bus.c -- the bus under faults: real PostgreSQL, real ZeroMQ, real
 * processes killed with SIGKILL. No sleeps for synchronisation: every wait
 * polls a condition with a deadline. */
#include <criterion/criterion.h>
#include <czmq.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/pktest.h"
#include "pelukan/bus.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"
#include "pelukan/v1/bus.pb-c.h"

static char s_node[512];

static void s_setup(void)
{
    snprintf(s_node, sizeof s_node, "%s/tests/tools/pk-busnode", pkt_env("PKTEST_BUILD"));
    zsys_handler_set(NULL);
}

TestSuite(bus, .init = s_setup, .timeout = 900);

static pkt_proc_t s_start(const char *mode, pkt_env_t *env)
{
    const char *svc = strcmp(mode, "consume") == 0 ? "notification" : "intake";
    return pkt_wait_healthy(pkt_spawn(s_node, mode, svc, env));
}

typedef struct {
    int port;
    const char *selector;
    long long min;
} s_metric_t;

static bool s_metric_at_least(void *arg)
{
    s_metric_t *m = arg;
    return pkt_metric(m->port, m->selector) >= m->min;
}

typedef struct {
    const char *db;
    long long want;
} s_count_t;

static long long s_applied(const char *db)
{
    char *v = pkt_sql_value(db, "SELECT count(*) FROM notification.bench_applied");
    long long n = v ? atoll(v) : 0;
    free(v);
    return n;
}

static bool s_reached(void *arg)
{
    s_count_t *c = arg;
    return s_applied(c->db) >= c->want;
}

static void s_wait_applied(const char *db, long long want, int timeout_ms)
{
    s_count_t c = {db, want};
    cr_assert(pkt_wait_until(s_reached, &c, timeout_ms), "%lld events applied within %d ms (have %lld)", want,
              timeout_ms, s_applied(db));
}

/* Exactly `n` events applied once each, in sequence order, and they are
 * exactly the ones the producer committed. */
static void s_check_exactly_once(const char *db, long long n)
{
    char *v = pkt_sql_value(db, "SELECT count(*) || ' ' || count(DISTINCT seq) || ' ' || min(seq) || ' ' || max(seq)"
                                " || ' ' || count(DISTINCT n) FROM notification.bench_applied");
    char want[128];
    snprintf(want, sizeof want, "%lld %lld 1 %lld %lld", n, n, n, n);
    cr_assert_str_eq(v, want, "count, distinct seq, min, max, distinct n: %s, want %s", v, want);
    free(v);
    v = pkt_sql_value(db,
                      "SELECT count(*) FROM intake.bench_produced p FULL JOIN notification.bench_applied a USING (n)"
                      " WHERE p.n IS NULL OR a.n IS NULL");
    cr_assert_str_eq(v, "0", "applied = committed by the producer");
    free(v);
    v = pkt_sql_value(db, "SELECT count(*) FROM (SELECT applied_us < lag(applied_us) OVER (ORDER BY seq) AS bad"
                          " FROM notification.bench_applied) x WHERE bad");
    cr_assert_str_eq(v, "0", "applied in sequence order");
    free(v);
    v = pkt_sql_value(db, "SELECT count(DISTINCT seq) || ' ' || max(seq) FROM intake.outbox");
    snprintf(want, sizeof want, "%lld %lld", n, n);
    cr_assert_str_eq(v, want, "the producer's sequence is dense");
    free(v);
}

Test(bus, hundred_thousand_events_exactly_once_through_kills)
{
    const long long total = 100000;
    free(pkt_db_create("t_bus1"));
    pkt_env_t *env = pkt_env_new("t_bus1");
    char count[32];
    snprintf(count, sizeof count, "%lld", total);
    pkt_env_set(env, "PKNODE_COUNT", count);
    pkt_proc_t consumer = s_start("consume", env);
    pkt_proc_t producer = s_start("produce", env);

    s_wait_applied("t_bus1", 15000, 120000);
    cr_assert_eq(pkt_proc_stop(&consumer, SIGKILL, 5000), 128 + SIGKILL);
    consumer = s_start("consume", env);

    s_wait_applied("t_bus1", 40000, 120000);
    cr_assert_eq(pkt_proc_stop(&producer, SIGKILL, 5000), 128 + SIGKILL);
    producer = s_start("produce", env);

    s_wait_applied("t_bus1", 65000, 120000);
    cr_assert_eq(pkt_proc_stop(&consumer, SIGKILL, 5000), 128 + SIGKILL);
    consumer = s_start("consume", env);

    s_wait_applied("t_bus1", total, 180000);
    cr_assert_eq(pkt_proc_stop(&consumer, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0);
    s_check_exactly_once("t_bus1", total);
    pkt_env_destroy(&env);
}

Test(bus, dropped_live_messages_arrive_through_replay)
{
    const long long total = 20000;
    free(pkt_db_create("t_bus2"));
    pkt_env_t *env = pkt_env_new("t_bus2");
    pkt_env_set(env, "PKNODE_COUNT", "20000");
    pkt_env_set(env, "PKNODE_RATE", "2000");
    pkt_env_set(env, "PELUKAN_BUS_RCVHWM", "2");
    pkt_env_set(env, "PELUKAN_BUS_SNDHWM", "2");
    pkt_proc_t consumer = s_start("consume", env);
    pkt_proc_t producer = s_start("produce", env);
    /* Drops made, not hoped for: once events flow, the consumer is frozen
     * while the producer publishes 5,000 more (about 750 KB, far more than
     * two messages and the sockets' buffers hold), then thawed. */
    s_wait_applied("t_bus2", 100, 60000);
    long long published =
        pkt_metric(producer.metrics_port, "pelukan_bus_published_total{service=\"intake\",producer=\"intake\"}");
    cr_assert_geq(published, 0, "the producer's metrics answer");
    cr_assert_eq(kill(consumer.pid, SIGSTOP), 0);
    s_metric_t more = {producer.metrics_port, "pelukan_bus_published_total{service=\"intake\",producer=\"intake\"}",
                       published + 5000 < total ? published + 5000 : total};
    bool flowed = pkt_wait_until(s_metric_at_least, &more, 60000);
    cr_assert_eq(kill(consumer.pid, SIGCONT), 0);
    cr_assert(flowed, "the producer published on while the consumer was frozen");
    s_wait_applied("t_bus2", total, 120000);
    long long gaps =
        pkt_metric(consumer.metrics_port, "pelukan_bus_gaps_total{service=\"notification\",producer=\"intake\"}");
    long long replayed =
        pkt_metric(consumer.metrics_port, "pelukan_bus_replayed_total{service=\"notification\",producer=\"intake\"}");
    cr_assert_gt(gaps, 0, "the tiny high-water mark did drop messages");
    cr_assert_gt(replayed, 0);
    cr_assert_eq(pkt_proc_stop(&consumer, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0);
    s_check_exactly_once("t_bus2", total);
    pkt_env_destroy(&env);
}

typedef struct {
    int port;
    long long want;
} s_leader_t;

static bool s_is_leader(void *arg)
{
    s_leader_t *l = arg;
    return pkt_metric(l->port, "pelukan_bus_relay_leader{service=\"intake\",producer=\"intake\"}") == l->want;
}

static bool s_tried_twice(void *arg)
{
    const pkt_proc_t *p = arg;
    return pkt_metric(p->metrics_port, "pelukan_bus_relay_lead_tries_total{service=\"intake\",producer=\"intake\"}") >=
           2;
}

/* Waits until the relay of `p` has asked for the lead twice: a standby
 * that would take it has had its chance by then. */
static void s_standby_settled(const pkt_proc_t *p)
{
    cr_assert(pkt_wait_until(s_tried_twice, (void *)p, 60000), "the relay asked for the lead twice");
}

Test(bus, standby_relay_takes_over_without_gap_or_duplicate)
{
    const long long total = 30000;
    free(pkt_db_create("t_bus3"));
    pkt_env_t *env = pkt_env_new("t_bus3");
    pkt_env_set(env, "PKNODE_COUNT", "30000");
    pkt_proc_t consumer = s_start("consume", env);
    pkt_proc_t first = s_start("produce", env);
    s_leader_t l1 = {first.metrics_port, 1};
    cr_assert(pkt_wait_until(s_is_leader, &l1, 10000), "the first instance leads");

    /* The second instance: same endpoints and database, its own HTTP port. */
    pkt_env_t *env2 = pkt_env_new("t_bus3");
    for (int i = 0; i < env->count; i++) {
        char *eq = strchr(env->vars[i], '=');
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - env->vars[i]), env->vars[i]);
        if (strcmp(name, "PELUKAN_INTAKE_HTTP_PORT") != 0 && strcmp(name, "PELUKAN_INTAKE_METRICS_PORT") != 0)
            pkt_env_set(env2, name, eq + 1);
    }
    pkt_env_set(env2, "PKNODE_COUNT", "0");
    pkt_proc_t second = s_start("relay", env2);
    s_leader_t l2 = {second.metrics_port, 0};
    s_standby_settled(&second);
    cr_assert(s_is_leader(&l2), "the second waits as a standby");
    cr_assert(s_is_leader(&l1));

    s_wait_applied("t_bus3", 10000, 120000);
    cr_assert_eq(pkt_proc_stop(&first, SIGKILL, 5000), 128 + SIGKILL);
    l2.want = 1;
    cr_assert(pkt_wait_until(s_is_leader, &l2, 15000), "the standby takes over");
    /* The writer comes back as a standby relay and finishes the work. */
    first = s_start("produce", env);
    l1.want = 0;
    s_standby_settled(&first);
    cr_assert(s_is_leader(&l1), "the writer came back as a standby");
    s_wait_applied("t_bus3", total, 120000);
    cr_assert_eq(pkt_proc_stop(&consumer, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&first, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&second, SIGTERM, 15000), 0);
    s_check_exactly_once("t_bus3", total);
    pkt_env_destroy(&env);
    pkt_env_destroy(&env2);
}

Test(bus, retried_command_has_its_effect_once_and_gets_the_first_reply)
{
    free(pkt_db_create("t_bus4"));
    pkt_env_t *env = pkt_env_new("t_bus4");
    pkt_env_set(env, "PKNODE_RPC", "1");
    pkt_env_set(env, "PKNODE_RPC_DELAY_MS", "1200");
    pkt_proc_t node = s_start("consume", env);

    pk_bus_keys_t *keys = pkt_bus_keys(env, "edge");
    pk_rpc_client_t *client = pk_rpc_client_new(pkt_env_get(env, "PELUKAN_NOTIFICATION_RPC"), 0, keys, "notification");
    Pelukan__V1__CommandRequest req;
    uint8_t id[16];
    pk_rpc_request_init(&req, id, 400, 8);
    Pelukan__V1__Ping ping = PELUKAN__V1__PING__INIT;
    ping.n = 7;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING;
    req.ping = &ping;
    Pelukan__V1__CommandReply *reply = NULL;
    cr_assert_eq(pk_rpc_call(client, &req, 400, 8, &reply), 0);
    cr_assert_eq(reply->status, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK);
    cr_assert_eq(reply->pong->n, 1007, "the reply of the first (and only) execution");
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    cr_assert_geq(pkt_metric(node.metrics_port, "pelukan_rpc_deduplicated_total{service=\"notification\"}"), 1,
                  "a retry was answered from the stored reply");
    char *v = pkt_sql_value("t_bus4", "SELECT v FROM notification.bench_effect WHERE k = 'ping'");
    cr_assert_str_eq(v, "1", "the effect happened once");
    free(v);

    /* Sending the same command again, later, still returns the first reply. */
    cr_assert_eq(pk_rpc_call(client, &req, 2000, 2, &reply), 0);
    cr_assert_eq(reply->pong->n, 1007);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* A new command is a new effect. */
    uint8_t id2[16];
    pk_rpc_request_init(&req, id2, 2000, 2);
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING;
    req.ping = &ping;
    cr_assert_eq(pk_rpc_call(client, &req, 2000, 2, &reply), 0);
    cr_assert_eq(reply->pong->n, 2007);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    pk_rpc_client_destroy(&client);
    pk_bus_keys_destroy(&keys);
    cr_assert_eq(pkt_proc_stop(&node, SIGTERM, 15000), 0);
    pkt_env_destroy(&env);
}

/* One Ping through a client of its own, in a thread: patient enough to
 * wait for a command held as long as the test holds it. */
typedef struct {
    pkt_env_t *env;
    pk_bus_keys_t *keys;
    uint64_t n, pong;
    int rc;
} s_ping_t;

static void *s_ping_thread(void *arg)
{
    s_ping_t *p = arg;
    pk_rpc_client_t *client =
        pk_rpc_client_new(pkt_env_get(p->env, "PELUKAN_NOTIFICATION_RPC"), 0, p->keys, "notification");
    Pelukan__V1__CommandRequest req;
    uint8_t id[16];
    pk_rpc_request_init(&req, id, 500, 240);
    Pelukan__V1__Ping ping = PELUKAN__V1__PING__INIT;
    ping.n = p->n;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING;
    req.ping = &ping;
    Pelukan__V1__CommandReply *reply = NULL;
    p->rc = pk_rpc_call(client, &req, 500, 240, &reply);
    if (p->rc == 0) {
        p->pong = reply->pong ? reply->pong->n : 0;
        pelukan__v1__command_reply__free_unpacked(reply, NULL);
    }
    pk_rpc_client_destroy(&client);
    return NULL;
}

/* Issue 24, decision 2: the command server's workers. A command held on
 * one worker (its shard's) does not hold up the other's; its shard's
 * commands wait behind it and then share one transaction; its repeats
 * while it runs are dropped, and it has its effect once. */
Test(bus, a_held_command_holds_up_only_its_shard_whose_waiting_commands_then_share_a_commit)
{
    free(pkt_db_create("t_bus_workers"));
    pkt_env_t *env = pkt_env_new("t_bus_workers");
    char *hold = pk_asprintf("%s/hold-%d", pkt_env("PKTEST_TMP"), (int)getpid());
    unlink(hold);
    pkt_env_set(env, "PKNODE_RPC", "1");
    pkt_env_set(env, "PKNODE_RPC_WORKERS", "2");
    pkt_env_set(env, "PKNODE_RPC_BATCH", "16");
    pkt_env_set(env, "PKNODE_RPC_HOLD", hold);
    pkt_proc_t node = s_start("consume", env);
    pk_bus_keys_t *keys = pkt_bus_keys(env, "edge");
    const char *queued = "pelukan_rpc_queued_total{service=\"notification\"}";
    const char *transactions = "pelukan_rpc_commits_total{service=\"notification\"}";

    /* Ping 7 (odd: the second worker) is held, repeated while it is. */
    s_ping_t held = {env, keys, 7, 0, -1};
    pthread_t held_thread;
    pthread_create(&held_thread, NULL, s_ping_thread, &held);
    s_metric_t repeated = {node.metrics_port, "pelukan_rpc_repeats_in_flight_total{service=\"notification\"}", 1};
    cr_assert(pkt_wait_until(s_metric_at_least, &repeated, 60000), "the held command's repeat is dropped");

    /* The first worker answers even Pings meanwhile, each in its own
     * transaction. */
    long long tx_before = pkt_metric(node.metrics_port, transactions);
    for (uint64_t n = 100; n < 106; n += 2) {
        s_ping_t even = {env, keys, n, 0, -1};
        s_ping_thread(&even);
        cr_assert_eq(even.rc, 0, "Ping %llu is answered while Ping 7 is held", (unsigned long long)n);
        cr_assert_eq(even.pong, 1000 + n);
    }
    cr_assert_eq(pkt_metric(node.metrics_port, transactions) - tx_before, 3);
    cr_assert_eq(held.rc, -1, "Ping 7 is still held");

    /* Eight odd Pings wait behind Ping 7 on its worker. */
    enum { WAITING = 8 };
    s_ping_t odd[WAITING];
    pthread_t odd_thread[WAITING];
    s_metric_t arrived = {node.metrics_port, queued, pkt_metric(node.metrics_port, queued) + WAITING};
    for (int i = 0; i < WAITING; i++) {
        odd[i] = (s_ping_t){env, keys, 201 + 2 * (uint64_t)i, 0, -1};
        pthread_create(&odd_thread[i], NULL, s_ping_thread, &odd[i]);
    }
    cr_assert(pkt_wait_until(s_metric_at_least, &arrived, 60000), "the odd Pings wait");
    tx_before = pkt_metric(node.metrics_port, transactions);

    FILE *f = fopen(hold, "w"); /* let Ping 7 go */
    fclose(f);
    pthread_join(held_thread, NULL);
    cr_assert_eq(held.rc, 0);
    cr_assert_eq(held.pong, 1007, "the reply of its first (and only) execution");
    for (int i = 0; i < WAITING; i++) {
        pthread_join(odd_thread[i], NULL);
        cr_assert_eq(odd[i].rc, 0);
        cr_assert_eq(odd[i].pong, 1000 + odd[i].n, "Ping %llu had its effect once", (unsigned long long)odd[i].n);
    }
    long long tx = pkt_metric(node.metrics_port, transactions) - tx_before;
    cr_assert_eq(tx, 2, "Ping 7's transaction, then one for the eight that waited (%lld)", tx);
    char *v = pkt_sql_value("t_bus_workers", "SELECT v FROM notification.bench_effect WHERE k = 'ping'");
    cr_assert_str_eq(v, "1", "the held Ping's effect happened once");
    free(v);
    v = pkt_sql_value("t_bus_workers", "SELECT sum(v) FROM notification.bench_effect WHERE k LIKE 'ping-%'");
    cr_assert_str_eq(v, "11", "each other Ping's once");
    free(v);
    unlink(hold);
    free(hold);
    pk_bus_keys_destroy(&keys);
    cr_assert_eq(pkt_proc_stop(&node, SIGTERM, 15000), 0);
    pkt_env_destroy(&env);
}

/* Sends the given frames as one multipart message. */
static void s_send_parts(zsock_t *sock, int n, const void *const *data, const size_t *len)
{
    for (int i = 0; i < n; i++)
        zmq_send(zsock_resolve(sock), data[i], len[i], i + 1 < n ? ZMQ_SNDMORE : 0);
}

typedef struct {
    zsock_t *router;
    zsock_t *pub;
    uint8_t garbage[64];
    uint8_t *good;
    size_t good_len;
} s_fake_t;

/* Answers replay requests as a producer of epoch 777 holding two events:
 * seq 1 that does not decode and seq 2 that does. */
static void s_fake_serve(s_fake_t *f)
{
    while (zsock_events(f->router) & ZMQ_POLLIN) {
        zmsg_t *m = zmsg_recv(f->router);
        zframe_t *idf = zmsg_pop(m);
        Pelukan__V1__ReplayReply rep = PELUKAN__V1__REPLAY_REPLY__INIT;
        rep.status = PELUKAN__V1__REPLAY_REPLY__STATUS__STATUS_OK;
        rep.epoch = 777;
        rep.last_seq = 2;
        rep.oldest_seq = 1;
        rep.count = 2;
        uint8_t rb[64], h1[16], h2[16];
        size_t rl = pelukan__v1__replay_reply__pack(&rep, rb);
        pk_bus_header_write(h1, 777, 1);
        pk_bus_header_write(h2, 777, 2);
        const void *parts[] = {zframe_data(idf), rb, h1, f->garbage, h2, f->good};
        size_t lens[] = {zframe_size(idf), rl, 16, sizeof f->garbage, 16, f->good_len};
        s_send_parts(f->router, 6, parts, lens);
        zframe_destroy(&idf);
        zmsg_destroy(&m);
    }
}

static bool s_fake_applied(void *arg)
{
    s_fake_t *f = arg;
    s_fake_serve(f);
    /* Garbage on the live stream meanwhile. */
    const void *one[] = {"intake.x"};
    size_t one_len[] = {8};
    s_send_parts(f->pub, 1, one, one_len);
    const void *bad_hdr[] = {"intake.x", "abc", "def"};
    size_t bad_len[] = {8, 3, 3};
    s_send_parts(f->pub, 3, bad_hdr, bad_len);
    char *v = pkt_sql_value("t_bus5", "SELECT string_agg(seq || ':' || n, ',') FROM notification.bench_applied");
    bool ok = v && strcmp(v, "2:42") == 0;
    free(v);
    return ok;
}

Test(bus, garbage_and_oversized_frames_are_counted_and_survived)
{
    free(pkt_db_create("t_bus5"));
    pkt_env_t *env = pkt_env_new("t_bus5");
    pkt_env_set(env, "PELUKAN_MAX_MSG_BYTES", "65536");
    pkt_env_set(env, "PKNODE_RPC", "1");

    /* A fake "intake" producer owned by the test feeds the consumer. */
    s_fake_t f = {0};
    memset(f.garbage, 0xff, sizeof f.garbage);
    f.router = pkt_bus_bind(env, ZMQ_ROUTER, "intake", "intake.replay", "PELUKAN_INTAKE_REPLAY");
    f.pub = pkt_bus_bind(env, ZMQ_PUB, "intake", "intake.pub", "PELUKAN_INTAKE_PUB");
    cr_assert(f.router && f.pub);
    Pelukan__V1__Envelope e;
    uint8_t eid[16];
    pk_envelope_init(&e, eid, "intake", NULL, NULL);
    Pelukan__V1__TestEvent te = PELUKAN__V1__TEST_EVENT__INIT;
    te.n = 42;
    e.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_TEST_EVENT;
    e.test_event = &te;
    pk_envelope_pack(&e, &f.good, &f.good_len);

    pkt_proc_t node = s_start("consume", env);
    cr_assert(pkt_wait_until(s_fake_applied, &f, 30000), "the decodable event after the garbage is applied");
    long long bad =
        pkt_metric(node.metrics_port, "pelukan_bus_bad_frames_total{service=\"notification\",producer=\"intake\"}");
    cr_assert_geq(bad, 3, "undecodable envelope and malformed live frames counted (%lld)", bad);

    /* Garbage to the node's own replay and command ROUTERs, counted... */
    /* (its replay as the audit log, a consumer of notification's events: N10) */
    zsock_t *d1 = pkt_bus_connect(env, ZMQ_DEALER, "audit", "notification", "PELUKAN_NOTIFICATION_REPLAY");
    zsock_t *d2 = pkt_bus_connect(env, ZMQ_DEALER, "edge", "notification", "PELUKAN_NOTIFICATION_RPC");
    const void *g[] = {"\xff\xff\xff\xff", "more"};
    size_t gl[] = {4, 4};
    s_send_parts(d1, 1, g, gl);
    s_send_parts(d1, 2, g, gl);
    s_send_parts(d2, 1, g, gl);
    s_send_parts(d2, 2, g, gl);
    s_metric_t m1 = {node.metrics_port, "pelukan_rpc_bad_frames_total{service=\"notification\"}", 2};
    s_metric_t m2 = {node.metrics_port,
                     "pelukan_bus_bad_frames_total{service=\"notification\",producer=\"notification\"}", 2};
    cr_assert(pkt_wait_until(s_metric_at_least, &m1, 10000), "command server counted the garbage");
    cr_assert(pkt_wait_until(s_metric_at_least, &m2, 10000), "replay server counted the garbage");

    /* ...then oversized messages on every socket: libzmq drops those
     * connections (ZMQ_MAXMSGSIZE); the node carries on. */
    size_t big_len = 200000;
    char *big = pk_calloc(1, big_len);
    uint8_t hdr[16];
    pk_bus_header_write(hdr, 777, 3);
    const void *parts[] = {"intake.big", hdr, big};
    size_t lens[] = {10, 16, big_len};
    s_send_parts(f.pub, 3, parts, lens);
    const void *bigp[] = {big};
    size_t bigl[] = {big_len};
    s_send_parts(d1, 1, bigp, bigl);
    s_send_parts(d2, 1, bigp, bigl);
    free(big);

    /* The node still answers a well-formed command and stays healthy. */
    pk_bus_keys_t *keys = pkt_bus_keys(env, "edge");
    pk_rpc_client_t *client = pk_rpc_client_new(pkt_env_get(env, "PELUKAN_NOTIFICATION_RPC"), 0, keys, "notification");
    Pelukan__V1__CommandRequest req;
    uint8_t id[16];
    pk_rpc_request_init(&req, id, 2000, 3);
    Pelukan__V1__Ping ping = PELUKAN__V1__PING__INIT;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING;
    req.ping = &ping;
    Pelukan__V1__CommandReply *reply = NULL;
    cr_assert_eq(pk_rpc_call(client, &req, 2000, 3, &reply), 0);
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
    pk_rpc_client_destroy(&client);
    pk_bus_keys_destroy(&keys);
    cr_assert_eq(pkt_http_get(node.http_port, "/healthz", NULL), 200);
    char *log = pkt_proc_log(&node);
    cr_assert_not_null(strstr(log, "event intake/1 (64 bytes) does not decode, skipped"), "%s", log);
    free(log);

    cr_assert_eq(pkt_proc_stop(&node, SIGTERM, 15000), 0);
    zsock_destroy(&d1);
    zsock_destroy(&d2);
    zsock_destroy(&f.router);
    zsock_destroy(&f.pub);
    free(f.good);
    pkt_env_destroy(&env);
}

static bool s_outbox_aged(void *arg)
{
    char *v = pkt_sql_value((const char *)arg, "SELECT count(*) FROM intake.outbox"
                                               " WHERE seq IS NOT NULL AND sequenced_at < now() - interval '1 second'");
    bool ok = v && atoi(v) == 100;
    free(v);
    return ok;
}

static bool s_outbox_empty(void *arg)
{
    char *v = pkt_sql_value((const char *)arg, "SELECT count(*) FROM intake.outbox");
    bool ok = v && atoi(v) == 0;
    free(v);
    return ok;
}

static long long s_count(const char *db, const char *sql)
{
    char *v = pkt_sql_value(db, sql);
    long long n = v ? atoll(v) : 0;
    free(v);
    return n;
}

static bool s_archived(void *arg)
{
    return s_count("t_bus6", "SELECT count(*) FROM audit.event_log") >= *(long long *)arg;
}

static bool s_rebuilt(void *arg)
{
    return s_count("t_bus6", "SELECT count(DISTINCT seq) FROM notification.bench_applied") >= *(long long *)arg;
}

/* A consumer that starts after the producer dropped events past its
 * retention (a new service, or one restored from an old backup) neither
 * skips them nor stops for good: it waits for the audit archive, takes
 * them from it in the producer's order, then goes on from the producer.
 * The consumer here plays the notification service with its own schema. */
Test(bus, a_consumer_older_than_the_retention_rebuilds_from_the_audit_archive)
{
    free(pkt_db_create("t_bus6"));
    pkt_env_t *env = pkt_env_new("t_bus6");
    pkt_env_set(env, "PKNODE_COUNT", "100");
    pkt_env_set(env, "PELUKAN_OUTBOX_RETENTION_S", "1");
    pkt_proc_t audit = pkt_service_start("audit", env);
    pkt_proc_t producer = s_start("produce", env);
    long long want = 100;
    if (!pkt_wait_until(s_archived, &want, 60000)) {
        char *alog = pkt_proc_log(&audit), *plog = pkt_proc_log(&producer);
        cr_assert_fail("the audit logged all 100 events\naudit:\n%s\nproducer:\n%s", alog, plog);
    }
    cr_assert(pkt_wait_until(s_outbox_aged, "t_bus6", 30000), "100 events sequenced, older than the retention");
    /* Retention runs when the relay is elected (and every minute after). */
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0);
    producer = s_start("produce", env);
    cr_assert(pkt_wait_until(s_outbox_empty, "t_bus6", 30000), "old events removed");

    /* With the archive down, the consumer waits and says why. */
    cr_assert_eq(pkt_proc_stop(&audit, SIGTERM, 15000), 0);
    pkt_proc_t consumer = pkt_wait_healthy(pkt_spawn(s_node, "consume", "notification", env));
    s_metric_t m = {consumer.metrics_port, "pelukan_bus_truncated{service=\"notification\",producer=\"intake\"}", 1};
    cr_assert(pkt_wait_until(s_metric_at_least, &m, 60000), "the consumer knows it is behind the retention");
    /* It has asked the archive, had no answer, and asked again: what it
     * would have applied without the archive is in by then. */
    m = (s_metric_t){consumer.metrics_port,
                     "pelukan_bus_archive_requests_total{service=\"notification\",producer=\"intake\"}", 2};
    cr_assert(pkt_wait_until(s_metric_at_least, &m, 60000), "the consumer asked the archive twice");
    cr_assert_eq(s_count("t_bus6", "SELECT count(*) FROM notification.bench_applied"), 0, "nothing silently skipped");
    cr_assert_eq(s_count("t_bus6", "SELECT count(*) FROM notification.consumer_offset"), 0, "the offset did not move");
    char *log = pkt_proc_log(&consumer);
    cr_assert_not_null(strstr(log, "no longer holds events after seq 0 (oldest kept: 101): rebuilding them from the "
                                   "audit archive"),
                       "%s", log);
    free(log);

    /* The archive comes back: the consumer rebuilds, then follows the
     * producer for what comes next, each event once. */
    audit = pkt_service_start("audit", env);
    cr_assert(pkt_wait_until(s_rebuilt, &want, 30000), "the 100 old events rebuilt from the archive");
    m = (s_metric_t){consumer.metrics_port, "pelukan_bus_rebuilt_total{service=\"notification\",producer=\"intake\"}",
                     100};
    cr_assert(pkt_wait_until(s_metric_at_least, &m, 5000), "counted as rebuilt");
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0);
    pkt_env_set(env, "PKNODE_COUNT", "150");
    producer = s_start("produce", env);
    want = 150;
    cr_assert(pkt_wait_until(s_rebuilt, &want, 30000), "then the new events from the producer");
    cr_assert_eq(s_count("t_bus6", "SELECT count(*) FROM notification.bench_applied"), 150, "each exactly once");
    cr_assert_eq(s_count("t_bus6", "SELECT max(seq) FROM notification.bench_applied"), 150);
    cr_assert_eq(pkt_proc_stop(&consumer, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&audit, SIGTERM, 15000), 0);
    pkt_env_destroy(&env);
}

/* Restarts the test cluster (fast shutdown: every connection is cut). */
static void s_restart_postgres(void)
{
    char *cmd = pk_asprintf("%s/deploy/local/pgcluster.sh stop %s/pg && %s/deploy/local/pgcluster.sh start %s/pg %s "
                            ">/dev/null",
                            pkt_env("PKTEST_ROOT"), pkt_env("PKTEST_TMP"), pkt_env("PKTEST_ROOT"),
                            pkt_env("PKTEST_TMP"), pkt_env("PKTEST_PG_PORT"));
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    free(cmd);
}

Test(bus, events_survive_a_database_restart_exactly_once)
{
    const long long total = 20000;
    free(pkt_db_create("t_bus7"));
    pkt_env_t *env = pkt_env_new("t_bus7");
    pkt_env_set(env, "PKNODE_COUNT", "20000");
    pkt_proc_t consumer = s_start("consume", env);
    pkt_proc_t producer = s_start("produce", env);
    s_wait_applied("t_bus7", 5000, 120000);
    s_restart_postgres();
    s_wait_applied("t_bus7", total, 180000);
    cr_assert_eq(pkt_proc_stop(&consumer, SIGTERM, 15000), 0, "the consumer lived through it");
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0, "the producer lived through it");
    s_check_exactly_once("t_bus7", total);
    pkt_env_destroy(&env);
}
