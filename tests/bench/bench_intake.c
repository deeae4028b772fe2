/* bench_intake.c -- durable POST /v1/reports under load (wrk, keep-alive,
 * 64 connections, distinct idempotency keys, ~1 KB bodies), against
 * pgbench-style durable 1 KB inserts on the same cluster. Prints BENCH
 * lines; never fails a test run. */
#include <czmq.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/pkt_intake.h"
#include "pelukan/util.h"
#include "pelukan/v1/commands.pb-c.h"

typedef struct {
    const char *conninfo;
    double until_ms;
    long count;
} s_arg_t;

static void *s_client(void *p)
{
    s_arg_t *a = p;
    PGconn *c = PQconnectdb(a->conninfo);
    char row[1025];
    memset(row, 'r', 1024);
    row[1024] = '\0';
    const char *params[] = {row};
    while (pkt_now_ms() < a->until_ms) {
        PGresult *r = PQexecParams(c, "INSERT INTO raw1k (payload) VALUES ($1)", 1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_COMMAND_OK)
            a->count++;
        PQclear(r);
    }
    PQfinish(c);
    return NULL;
}

static double s_pg_raw_1k(void)
{
    char *base = pkt_db_create("b_raw1k");
    pkt_sql("b_raw1k", "CREATE TABLE raw1k (id bigserial PRIMARY KEY, payload text NOT NULL)");
    char *ci = pk_asprintf("%s user=postgres", base);
    pthread_t t[8];
    s_arg_t a[8];
    double start = pkt_now_ms();
    for (int i = 0; i < 8; i++) {
        a[i] = (s_arg_t){ci, start + 10000, 0};
        pthread_create(&t[i], NULL, s_client, &a[i]);
    }
    long total = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        total += a[i].count;
    }
    double rate = (double)total / ((pkt_now_ms() - start) / 1000);
    free(ci);
    free(base);
    return rate;
}

/* Registers reporter `phone` through the real API, answering the SendOtp
 * command as the notification service would. Caller frees. */
static char *s_token(int port, zsock_t *notif, const char *phone)
{
    const char *ct[] = {"Content-Type: application/json", NULL};
    char req[64];
    snprintf(req, sizeof req, "{\"phone\":\"%s\"}", phone);
    if (pkt_http("POST", port, "/v1/auth/otp", req, strlen(req), ct, NULL) != 202)
        return NULL;
    char code[8], e164[24];
    if (!pkt_otp_answer(notif, code, e164))
        return NULL;
    char verify[128];
    snprintf(verify, sizeof verify, "{\"phone\":\"%s\",\"code\":\"%s\"}", phone, code);
    char *out = NULL;
    if (pkt_http("POST", port, "/v1/auth/otp/verify", verify, strlen(verify), ct, &out) != 200)
        return NULL;
    char *tok = strstr(out, "\"token\":\"");
    char *token = tok ? pk_strndup(tok + 9, 64) : NULL;
    free(out);
    return token;
}

/* The report transaction itself (the rows intake writes for one report:
 * idempotency key, case, timeline step, outbox event) run by pgbench, 8
 * clients, one report per commit: what PostgreSQL alone can do with it. */
static double s_pg_report_txn(void)
{
    char *script = pk_asprintf("%s/report_txn.sql", pkt_env("PKTEST_TMP"));
    FILE *f = fopen(script, "w");
    fputs(
        "WITH k AS (INSERT INTO intake.idempotency (reporter_id, key, case_id)"
        "  VALUES ((SELECT id FROM intake.reporter LIMIT 1), md5(random()::text || clock_timestamp()::text),"
        "  md5(random()::text)) ON CONFLICT DO NOTHING RETURNING case_id),"
        " c AS (INSERT INTO intake.cases (id, ticket, reporter_id, state, wrapped_key, personal_sealed, reporter_kind,"
        "  child, disability, violence_forms, kecamatan_code, urgent)"
        "  SELECT case_id, 'PK-' || lpad(((nextval('intake.ticket_seq') * 7919) % 1000003)::text, 6, '0'),"
        "  (SELECT id FROM intake.reporter LIMIT 1), 'submitted', decode(repeat('ab', 73), 'hex'),"
        "  decode(repeat('cd', 900), 'hex'), 'victim', true, false, '{fisik}', '32.06.24', true FROM k RETURNING id),"
        " e AS (INSERT INTO intake.case_event (case_id, state, actor_kind) SELECT id, 'submitted', 'reporter' FROM c),"
        " o AS (INSERT INTO intake.outbox (topic, case_id, envelope)"
        "  SELECT 'intake.report_submitted', id, decode(repeat('ef', 120), 'hex') FROM c)"
        " SELECT id FROM c;\n",
        f);
    fclose(f);
    char *cmd = pk_asprintf("/usr/lib/postgresql/15/bin/pgbench -h 127.0.0.1 -p %s -U postgres -n -M prepared -c 8 "
                            "-j 2 -T 10 -f %s b_intake 2>&1",
                            pkt_env("PKTEST_PG_PORT"), script);
    FILE *p = popen(cmd, "r");
    char line[256];
    double tps = 0;
    while (p && fgets(line, sizeof line, p))
        sscanf(line, "tps = %lf", &tps);
    if (p)
        pclose(p);
    free(cmd);
    free(script);
    return tps;
}

typedef struct {
    double rps, p50, p99;
    long requests, errors;
} s_load_t;

/* wrk, 2 threads and 64 connections for 15 s, each request from one of
 * `ntokens` reporters in turn (thread 1 the first half, thread 2 the
 * second), each with a fresh Idempotency-Key. */
static s_load_t s_load(int port, char **tokens, int ntokens, const char *name)
{
    s_load_t res = {0};
    char *script = pk_asprintf("%s/bench_%s.lua", pkt_env("PKTEST_TMP"), name);
    FILE *f = fopen(script, "w");
    char account[701];
    memset(account, 'a', 700);
    account[700] = '\0';
    fputs("local tokens = {", f);
    for (int i = 0; i < ntokens; i++)
        fprintf(f, "%s\"%s\"", i ? "," : "", tokens[i]);
    fputs("}\n", f);
    fprintf(
        f,
        "wrk.method = \"POST\"\n"
        "wrk.body = '{\"reporter\":{\"kind\":\"witness\",\"relation\":\"tetangga\"},\"victim\":{\"sex\":\"F\","
        "\"age\":14,\"name\":\"Nama Korban\"},\"violence_forms\":[\"fisik\",\"psikis\"],\"place_type\":"
        "\"rumah_tangga\",\"perpetrator_relation\":\"orang_tua\",\"incident\":{\"at\":\"2026-11-27T20:00:00+07:00\","
        "\"approximate\":true},\"location\":{\"lat\":-7.35,\"lon\":108.1,\"kecamatan_code\":\"32.06.24\","
        "\"address\":\"Jalan Contoh 1\"},\"account\":\"%s\",\"urgent\":true,\"contact_safety\":{\"safe_hours\":"
        "\"08:00-17:00\",\"safe_channel\":\"whatsapp\",\"phone_monitored\":false}}'\n"
        "local n = 0\n"
        "local threads = {}\n"
        "function setup(thread) thread:set(\"id\", #threads + 1); table.insert(threads, thread) end\n"
        "function request()\n"
        "  n = n + 1\n"
        "  local half = math.max(1, math.floor(#tokens / 2))\n"
        "  local first = (#tokens > 1 and id == 2) and half or 0\n"
        "  local count = (#tokens > 1) and ((id == 2) and (#tokens - half) or half) or 1\n"
        "  local token = tokens[first + (n %% count) + 1]\n"
        "  return wrk.format(nil, nil, {[\"Content-Type\"] = \"application/json\",\n"
        "    [\"Authorization\"] = \"Bearer \" .. token, [\"Idempotency-Key\"] = id .. \"-\" .. n})\n"
        "end\n"
        "local shown = false\n"
        "function response(status, headers, body)\n"
        "  if status ~= 201 and not shown then shown = true; io.write(\"FIRST \" .. status .. \" \" .. body .. "
        "\"\\n\") end\n"
        "end\n"
        "function done(summary, latency, requests)\n"
        "  io.write(string.format(\"RESULT %%d %%d %%.3f %%.3f\\n\", summary.requests, summary.errors.status,"
        " latency:percentile(50) / 1000, latency:percentile(99) / 1000))\n"
        "end\n",
        account);
    fclose(f);
    char *cmd = pk_asprintf("wrk -t2 -c64 -d15s --latency -s %s http://127.0.0.1:%d/v1/reports 2>&1", script, port);
    FILE *w = popen(cmd, "r");
    char line[512];
    while (w && fgets(line, sizeof line, w)) {
        if (sscanf(line, "RESULT %ld %ld %lf %lf", &res.requests, &res.errors, &res.p50, &res.p99) == 4)
            continue;
        sscanf(line, "Requests/sec: %lf", &res.rps);
        if (strstr(line, "Non-2xx") || strncmp(line, "FIRST", 5) == 0)
            fprintf(stderr, "bench_intake %s: %s", name, line);
    }
    if (w)
        pclose(w);
    free(cmd);
    free(script);
    return res;
}

/* How many deadlocks PostgreSQL has seen in the database so far. */
static long s_deadlocks(void)
{
    char *v = pkt_sql_value("b_intake", "SELECT deadlocks FROM pg_stat_database WHERE datname = 'b_intake'");
    long n = v ? atol(v) : -1;
    free(v);
    return n;
}

#define S_MANY 64

int main(void)
{
    zsys_handler_set(NULL);
    double pg = s_pg_raw_1k();
    printf("BENCH pg_insert_1k_raw_per_s %.0f rows/s\n", pg);
    fflush(stdout);

    free(pkt_db_create("b_intake"));
    pkt_env_t *env = pkt_env_new("b_intake");
    pkt_env_set(env, "PELUKAN_LOG_LEVEL", "warn");
    pkt_env_set(env, "PELUKAN_INTAKE_REPORTS_PER_DAY", "0"); /* thousands of reports per reporter, on purpose */
    pkt_env_set(env, "PELUKAN_INTAKE_OTP_PER_CLIENT", "1000"); /* 65 reporters register from one address */
    zsock_t *notif = pkt_bus_bind(env, ZMQ_ROUTER, "notification", "notification.rpc", "PELUKAN_NOTIFICATION_RPC");
    pkt_proc_t intake = pkt_service_start("intake", env);
    char *tokens[S_MANY + 1] = {0};
    for (int i = 0; i <= S_MANY; i++) {
        char phone[24];
        snprintf(phone, sizeof phone, "0812340%05d", 10000 + i);
        if (!(tokens[i] = s_token(intake.http_port, notif, phone))) {
            fprintf(stderr, "bench_intake: could not register reporter %d\n", i);
            return 0;
        }
    }
    double report_txn = s_pg_report_txn();
    printf("BENCH pg_report_txn_raw_per_s %.0f txn/s\n", report_txn);
    fflush(stdout);

    /* One reporter (every request on the same rows, the old benchmark) and
     * 64 distinct reporters at once, as the service meets them (the load
     * that deadlocked two groups on different writers, issue 15). Run in
     * the order one, many, many, one and averaged: each run leaves the
     * tables bigger for the next, and this order gives both the same
     * share of that drift. */
    long deadlocks_before = s_deadlocks();
    s_load_t o1 = s_load(intake.http_port, &tokens[S_MANY], 1, "one");
    s_load_t m1 = s_load(intake.http_port, tokens, S_MANY, "many");
    s_load_t m2 = s_load(intake.http_port, tokens, S_MANY, "many");
    s_load_t o2 = s_load(intake.http_port, &tokens[S_MANY], 1, "one");
    long deadlocks = s_deadlocks() - deadlocks_before;
    s_load_t one = {(o1.rps + o2.rps) / 2, (o1.p50 + o2.p50) / 2, o1.p99 > o2.p99 ? o1.p99 : o2.p99,
                    o1.requests + o2.requests, o1.errors + o2.errors};
    s_load_t many = {(m1.rps + m2.rps) / 2, (m1.p50 + m2.p50) / 2, m1.p99 > m2.p99 ? m1.p99 : m2.p99,
                     m1.requests + m2.requests, m1.errors + m2.errors};
    char *created = pkt_sql_value("b_intake", "SELECT count(*) FROM intake.cases WHERE personal_sealed IS NOT NULL"
                                              " AND length(personal_sealed) <> 900");
    printf("BENCH intake_reports_per_s %.0f req/s\n", one.rps);
    printf("BENCH intake_reports_p50_ms %.2f ms\n", one.p50);
    printf("BENCH intake_reports_p99_ms %.2f ms\n", one.p99);
    printf("BENCH intake_reports_non2xx %ld responses\n", one.errors);
    printf("BENCH intake_vs_pg_insert %.2f ratio\n", pg > 0 ? one.rps / pg : 0);
    printf("BENCH intake_vs_pg_report_txn %.2f ratio\n", report_txn > 0 ? one.rps / report_txn : 0);
    printf("BENCH intake_reports_many_per_s %.0f req/s\n", many.rps);
    printf("BENCH intake_reports_many_p50_ms %.2f ms\n", many.p50);
    printf("BENCH intake_reports_many_p99_ms %.2f ms\n", many.p99);
    printf("BENCH intake_reports_many_non2xx %ld responses\n", many.errors);
    printf("BENCH intake_reports_deadlocks %ld deadlocks\n", deadlocks);
    printf("BENCH intake_cases_committed %s cases\n", created ? created : "0");
    printf("BENCH intake_many_vs_one %.2f ratio\n", one.rps > 0 ? many.rps / one.rps : 0);
    free(created);

    char status_path[64], buf[4096];
    snprintf(status_path, sizeof status_path, "/proc/%d/status", (int)intake.pid);
    long hwm = 0;
    FILE *st = fopen(status_path, "r");
    while (st && fgets(buf, sizeof buf, st))
        sscanf(buf, "VmHWM: %ld kB", &hwm);
    if (st)
        fclose(st);
    printf("BENCH intake_rss_peak %ld kB\n", hwm);
    pkt_proc_stop(&intake, SIGTERM, 20000);
    zsock_destroy(&notif);
    for (int i = 0; i <= S_MANY; i++)
        free(tokens[i]);
    pkt_env_destroy(&env);
    return 0;
}
