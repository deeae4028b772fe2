/* bench_bus.c -- the bus against its own ceilings, measured in one run:
 *   pg_insert_raw_per_s    durable single-row INSERTs, 8 clients
 *   zmq_pubsub_raw_per_s   PUB/SUB over loopback TCP, 200-byte messages
 *   bus_events_per_s       committed by the producer -> applied by the
 *                          consumer, >= 200,000 events, durable both sides
 *   bus_latency_p50_ms / _p99_ms at half that rate
 *   bus_curve_vs_plain     bus_events_per_s (CURVE, as the services run)
 *                          over the same run with plain sockets (the
 *                          benchmark node's PKNODE_PLAIN)
 *   zmq_pubsub_curve_per_s and zmq_curve_vs_plain: the transport alone
 * Prints "BENCH <name> <value> <unit>" lines; never fails a test run. */
#include <czmq.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/pktest.h"
#include "pelukan/util.h"

#define S_PG_CLIENTS 8
#define S_PG_SECONDS 5.0

typedef struct {
    const char *conninfo;
    double until_ms;
    long count;
    float *lat_ms; /* per-insert commit latency */
    long cap;
} s_pg_arg_t;

static int s_cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static void *s_pg_client(void *p)
{
    s_pg_arg_t *a = p;
    PGconn *c = PQconnectdb(a->conninfo);
    char pad[201];
    memset(pad, 'x', 200);
    pad[200] = '\0';
    const char *params[] = {pad};
    while (pkt_now_ms() < a->until_ms) {
        double t0 = pkt_now_ms();
        PGresult *r = PQexecParams(c, "INSERT INTO raw_insert (payload) VALUES ($1)", 1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_COMMAND_OK && a->count < a->cap)
            a->lat_ms[a->count++] = (float)(pkt_now_ms() - t0);
        PQclear(r);
    }
    PQfinish(c);
    return NULL;
}

static double s_pg_insert_raw(double *p50, double *p99)
{
    char *base = pkt_db_create("b_raw");
    pkt_sql("b_raw", "CREATE TABLE raw_insert (id bigserial PRIMARY KEY, payload text NOT NULL)");
    char *ci = pk_asprintf("%s user=postgres", base);
    pthread_t t[S_PG_CLIENTS];
    s_pg_arg_t args[S_PG_CLIENTS];
    double start = pkt_now_ms();
    for (int i = 0; i < S_PG_CLIENTS; i++) {
        args[i] = (s_pg_arg_t){ci, start + S_PG_SECONDS * 1000, 0, pk_calloc(200000, sizeof(float)), 200000};
        pthread_create(&t[i], NULL, s_pg_client, &args[i]);
    }
    long total = 0;
    for (int i = 0; i < S_PG_CLIENTS; i++) {
        pthread_join(t[i], NULL);
        total += args[i].count;
    }
    double secs = (pkt_now_ms() - start) / 1000;
    float *all = pk_calloc((size_t)total + 1, sizeof *all);
    long k = 0;
    for (int i = 0; i < S_PG_CLIENTS; i++) {
        memcpy(all + k, args[i].lat_ms, (size_t)args[i].count * sizeof *all);
        k += args[i].count;
        free(args[i].lat_ms);
    }
    qsort(all, (size_t)k, sizeof *all, s_cmp_float);
    *p50 = k ? all[k / 2] : 0;
    *p99 = k ? all[(long)((double)k * 0.99)] : 0;
    free(all);
    free(ci);
    free(base);
    return (double)total / secs;
}

#define S_ZMQ_MSGS 1000000

static void *s_zmq_pub(void *p)
{
    zsock_t *pub = p;
    char msg[200];
    memset(msg, 'm', sizeof msg);
    memcpy(msg, "bench.", 6);
    for (int i = 0; i < S_ZMQ_MSGS + 1000; i++)
        zmq_send(zsock_resolve(pub), msg, sizeof msg, 0);
    return NULL;
}

static double s_zmq_raw(bool curve)
{
    int port = pkt_free_port();
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    zsock_t *pub = zsock_new(ZMQ_PUB);
    zsock_set_sndhwm(pub, 0);
    char server_pub[41], server_sec[41], client_pub[41], client_sec[41];
    if (curve) {
        zmq_curve_keypair(server_pub, server_sec);
        zmq_curve_keypair(client_pub, client_sec);
        zsock_set_curve_server(pub, 1);
        zsock_set_curve_secretkey(pub, server_sec);
    }
    zsock_bind(pub, "%s", ep);
    zsock_t *sub = zsock_new(ZMQ_SUB);
    if (curve) {
        zsock_set_curve_serverkey(sub, server_pub);
        zsock_set_curve_publickey(sub, client_pub);
        zsock_set_curve_secretkey(sub, client_sec);
    }
    zsock_set_rcvhwm(sub, 0);
    zsock_set_subscribe(sub, "bench.");
    zsock_set_rcvtimeo(sub, 2000);
    zsock_connect(sub, "%s", ep);
    /* Handshake: publish until the subscription is through. */
    char probe[200];
    memset(probe, 'p', sizeof probe);
    memcpy(probe, "bench.", 6);
    for (;;) {
        zmq_send(zsock_resolve(pub), probe, sizeof probe, 0);
        zmq_pollitem_t it = {zsock_resolve(sub), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 10) > 0)
            break;
    }
    while (zmq_recv(zsock_resolve(sub), probe, sizeof probe, ZMQ_DONTWAIT) >= 0)
        ;
    pthread_t t;
    double start = pkt_now_ms();
    pthread_create(&t, NULL, s_zmq_pub, pub);
    char buf[256];
    long got = 0;
    while (got < S_ZMQ_MSGS && zmq_recv(zsock_resolve(sub), buf, sizeof buf, 0) >= 0)
        got++;
    double secs = (pkt_now_ms() - start) / 1000;
    pthread_join(t, NULL);
    zsock_destroy(&sub);
    zsock_destroy(&pub);
    return (double)got / secs;
}

static long long s_applied(const char *db)
{
    char *v = pkt_sql_value(db, "SELECT count(*) FROM notification.bench_applied");
    long long n = v ? atoll(v) : 0;
    free(v);
    return n;
}

/* Runs producer and consumer processes for `count` events at `rate`
 * (0: unpaced); returns events/s from the first event's commit to the last
 * event's application, and fills latency percentiles in ms. */
static double s_bus_run(const char *db, long count, int rate, bool plain, double *p50, double *p99)
{
    free(pkt_db_create(db));
    pkt_env_t *env = pkt_env_new(db);
    if (plain)
        pkt_env_set(env, "PKNODE_PLAIN", "1");
    char v[32];
    snprintf(v, sizeof v, "%ld", count);
    pkt_env_set(env, "PKNODE_COUNT", v);
    snprintf(v, sizeof v, "%d", rate);
    pkt_env_set(env, "PKNODE_RATE", v);
    pkt_env_set(env, "PELUKAN_LOG_LEVEL", "warn");
    if (getenv("PKNODE_CONNS"))
        pkt_env_set(env, "PKNODE_CONNS", getenv("PKNODE_CONNS"));
    char node[512];
    snprintf(node, sizeof node, "%s/tests/tools/pk-busnode", pkt_env("PKTEST_BUILD"));
    pkt_proc_t consumer = pkt_wait_healthy(pkt_spawn(node, "consume", "notification", env));
    pkt_proc_t producer = pkt_wait_healthy(pkt_spawn(node, "produce", "intake", env));
    double deadline = pkt_now_ms() + 600000;
    long applied;
    while ((applied = s_applied(db)) < count && pkt_now_ms() < deadline)
        usleep(200 * 1000);
    pkt_proc_stop(&producer, SIGTERM, 15000);
    if (applied < count) {
        /* Cut by the deadline: a rate of part of the work would flatter. */
        fprintf(stderr, "bench_bus: %s INCOMPLETE: %ld of %ld applied by the deadline\n", db, applied, count);
        pkt_proc_stop(&consumer, SIGTERM, 15000);
        pkt_env_destroy(&env);
        *p50 = *p99 = NAN;
        return NAN;
    }
    pkt_proc_stop(&consumer, SIGTERM, 15000);
    char *r = pkt_sql_value(db, "SELECT count(*)::float8 / ((max(applied_us) - min(occurred_us)) / 1e6)"
                                " FROM notification.bench_applied");
    double rate_out = r ? atof(r) : 0;
    free(r);
    r = pkt_sql_value(db, "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY applied_us - occurred_us) / 1000.0"
                          " FROM notification.bench_applied");
    *p50 = r ? atof(r) : 0;
    free(r);
    r = pkt_sql_value(db, "SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY applied_us - occurred_us) / 1000.0"
                          " FROM notification.bench_applied");
    *p99 = r ? atof(r) : 0;
    free(r);
    pkt_env_destroy(&env);
    return rate_out;
}

/* Of three figures (NaN when any is: a run cut by its deadline). */
static double s_median3(const double v[3])
{
    if (isnan(v[0]) || isnan(v[1]) || isnan(v[2]))
        return NAN;
    double a = v[0], b = v[1], c = v[2];
    return a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
}
static double s_min3(const double v[3])
{
    return fmin(v[0], fmin(v[1], v[2]));
}
static double s_max3(const double v[3])
{
    return fmax(v[0], fmax(v[1], v[2]));
}

int main(void)
{
    zsys_handler_set(NULL);
    double pg_p50, pg_p99;
    double pg = s_pg_insert_raw(&pg_p50, &pg_p99);
    printf("BENCH pg_insert_raw_per_s %.0f rows/s\n", pg);
    printf("BENCH pg_commit_p50_ms %.2f ms\n", pg_p50);
    printf("BENCH pg_commit_p99_ms %.2f ms\n", pg_p99);
    fflush(stdout);
    double zr = s_zmq_raw(false);
    printf("BENCH zmq_pubsub_raw_per_s %.0f msg/s\n", zr);
    double zc = s_zmq_raw(true);
    printf("BENCH zmq_pubsub_curve_per_s %.0f msg/s\n", zc);
    printf("BENCH zmq_curve_vs_plain %.2f ratio\n", zr > 0 ? zc / zr : 0);
    fflush(stdout);
    /* CURVE against plain: three pairs in alternating order (each run
     * leaves the machine warmer for the next), the medians compared. */
    double p50, p99, plains[3], curves[3], p50s[3];
    for (int i = 0; i < 3; i++) {
        double ignore;
        if (i % 2 == 0) {
            plains[i] = s_bus_run("b_bus_plain", 200000, 0, true, &ignore, &ignore);
            curves[i] = s_bus_run("b_bus", 200000, 0, false, &p50s[i], &ignore);
        } else {
            curves[i] = s_bus_run("b_bus", 200000, 0, false, &p50s[i], &ignore);
            plains[i] = s_bus_run("b_bus_plain", 200000, 0, true, &ignore, &ignore);
        }
    }
    double plain = s_median3(plains), bus = s_median3(curves);
    p50 = s_median3(p50s);
    printf("BENCH bus_events_plain_per_s %.0f events/s (no CURVE: the benchmark node only; median of 3, %.0f-%.0f)\n",
           plain, s_min3(plains), s_max3(plains));
    printf("BENCH bus_events_per_s %.0f events/s (median of 3, %.0f-%.0f)\n", bus, s_min3(curves), s_max3(curves));
    printf("BENCH bus_curve_vs_plain %.2f ratio (goal >= 0.9)\n", bus / plain);
    printf("BENCH bus_saturated_latency_p50_ms %.2f ms\n", p50);
    printf("BENCH bus_vs_pg_insert %.2f ratio\n", bus / pg);
    printf("BENCH bus_vs_zmq_raw %.4f ratio\n", bus / zr);
    fflush(stdout);
    int half = isnan(bus) ? 1000 : (int)(bus / 2);
    long n = half * 15L;
    s_bus_run("b_lat", n > 1000 ? n : 1000, half > 0 ? half : 100, false, &p50, &p99);
    printf("BENCH bus_latency_p50_ms %.2f ms\n", p50);
    printf("BENCH bus_latency_p99_ms %.2f ms\n", p99);
    printf("BENCH bus_latency_rate %d events/s\n", half);
    return 0;
}
