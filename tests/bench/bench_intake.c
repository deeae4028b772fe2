/* bench_intake.c -- durable POST /v1/reports under load (wrk, keep-alive,
 * 64 connections, distinct idempotency keys, ~1 KB bodies), against two
 * ceilings measured on the same cluster in the same run: durable 1 KB
 * inserts (8 clients), and intake's own report statement run by PostgreSQL
 * alone with intake's group sizes and parameters. Prints BENCH lines;
 * never fails a test run. */
#include <czmq.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <math.h>
#include <sodium.h>

#include "../../services/intake/intake.h"
#include "../../services/intake/intake_case.h"
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

/* The parameters of one report as intake wrote it: read back from a row
 * intake committed in this run, so that PostgreSQL alone gets the same
 * values and the same sizes. */
typedef struct {
    char *v[INTAKE_REPORT_PARAMS];
} s_params_t;

static char *s_value(const char *db, const char *sql)
{
    char *v = pkt_sql_value(db, sql);
    return v ? v : pk_strdup("");
}

static bool s_params_from(const char *db, s_params_t *p)
{
    memset(p, 0, sizeof *p);
    static const char *const q[] = {
        NULL, /* $1 the reporter: set per statement */
        NULL, /* $2 the key: unique per statement */
        NULL, /* $3 the case id: unique per statement */
        "SELECT '\\x' || encode(wrapped_key, 'hex') FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT '\\x' || encode(personal_sealed, 'hex') FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT reporter_kind FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT coalesce(witness_relation, '') FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT coalesce(victim_sex, '') FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT coalesce(victim_age_band, '') FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT CASE WHEN child THEN 't' ELSE 'f' END FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT CASE WHEN disability THEN 't' ELSE 'f' END FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT violence_forms::text FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT coalesce(place_type, '') FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT coalesce(perpetrator_relation, '') FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT coalesce(extract(epoch FROM incident_at)::bigint, 0) FROM intake.cases ORDER BY created_at DESC LIMIT "
        "1",
        "SELECT CASE WHEN incident_approx THEN 't' ELSE 'f' END FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT coalesce(kecamatan_code, '') FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT coalesce(desa_code, '') FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT CASE WHEN urgent THEN 't' ELSE 'f' END FROM intake.cases ORDER BY created_at DESC LIMIT 1",
        "SELECT topic FROM intake.outbox WHERE topic = 'intake.report_submitted' LIMIT 1",
        "SELECT '\\x' || encode(envelope, 'hex') FROM intake.outbox WHERE topic = 'intake.report_submitted' LIMIT 1",
        "SELECT '\\x' || encode(safety_sealed, 'hex') FROM intake.reporter WHERE safety_sealed IS NOT NULL LIMIT 1",
        NULL, /* $23 the ticket: unique per statement */
        NULL, /* $24 reports per day: 0, as intake ran */
        NULL, /* $25 her session's token hash: set per statement */
    };
    for (int i = 0; i < INTAKE_REPORT_PARAMS; i++)
        p->v[i] = q[i] ? s_value(db, q[i]) : NULL;
    p->v[23] = pk_strdup("0");
    return strlen(p->v[4]) > 2 && strlen(p->v[20]) > 2 && strlen(p->v[21]) > 2;
}

static void s_params_free(s_params_t *p)
{
    for (int i = 0; i < INTAKE_REPORT_PARAMS; i++)
        free(p->v[i]);
}

typedef struct {
    double per_s;
    long failed;
} s_raw_t;

/* PostgreSQL alone on intake's own report statement (intake_sql_report_submit),
 * as intake's one writer sends it: one connection, prepared, pipelined,
 * `group` statements per implicit transaction (the mean group intake made
 * under the same load, measured from its metrics), one group in flight,
 * the reporters of `ids` in turn (their sessions' token hashes in
 * `hashes`), with the parameters intake wrote. For 10 s, in `db` (a copy
 * of intake's database; no intake running). */
static s_raw_t s_pg_report_txn(const char *db, char **ids, char **hashes, int nids, double group_mean,
                               const s_params_t *tmpl)
{
    s_raw_t res = {0, 0};
    char *ci = pk_asprintf("host=127.0.0.1 port=%s dbname=%s user=intake", pkt_env("PKTEST_PG_PORT"), db);
    PGconn *c = PQconnectdb(ci);
    free(ci);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "bench_intake: raw report: %s", PQerrorMessage(c));
        PQfinish(c);
        res.failed = -1;
        return res;
    }
    PGresult *r = PQprepare(c, "report", intake_sql_report_submit, INTAKE_REPORT_PARAMS, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "bench_intake: raw report: prepare: %s", PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        res.failed = -1;
        return res;
    }
    PQclear(r);
    PQenterPipelineMode(c);
    /* 3 s unmeasured first: the copy starts with none of its pages in
     * PostgreSQL's buffers, where intake's runs had warmed theirs. */
    long done = 0, n = 0;
    double carry = 0, warm = pkt_now_ms(), start = warm + 3000;
    bool counting = false;
    while (pkt_now_ms() - start < 10000 && PQstatus(c) == CONNECTION_OK) {
        if (!counting && pkt_now_ms() >= start) {
            counting = true;
            done = 0;
            res.failed = 0;
        }
        /* Groups of the mean size on average (e.g. 3.4: 3, 3, 4, 3, 4...). */
        carry += group_mean;
        int g = (int)carry;
        carry -= g;
        if (g < 1)
            g = 1;
        char keys[256][40], cases[256][40], tickets[256][16];
        for (int i = 0; i < g && i < 256; i++) {
            const char *p[INTAKE_REPORT_PARAMS];
            memcpy(p, tmpl->v, sizeof p);
            p[0] = ids[n % nids];
            p[24] = hashes[n % nids];
            snprintf(keys[i], sizeof keys[i], "raw-%ld", n);
            uint8_t raw[16], t[8];
            randombytes_buf(raw, sizeof raw);
            for (int b = 0; b < 16; b++)
                sprintf(cases[i] + 2 * b, "%02x", raw[b]);
            randombytes_buf(t, sizeof t);
            intake_ticket_from(t, tickets[i]);
            p[1] = keys[i];
            p[2] = cases[i];
            p[22] = tickets[i];
            PQsendQueryPrepared(c, "report", INTAKE_REPORT_PARAMS, p, NULL, NULL, 0);
            n++;
        }
        PQpipelineSync(c);
        for (;;) {
            PGresult *x = PQgetResult(c);
            if (!x) {
                if (PQstatus(c) != CONNECTION_OK) {
                    res.failed++;
                    break;
                }
                continue; /* the end of one statement's results */
            }
            ExecStatusType st = PQresultStatus(x);
            if (st == PGRES_TUPLES_OK)
                done++;
            else if (st != PGRES_PIPELINE_SYNC)
                res.failed++;
            PQclear(x);
            if (st == PGRES_PIPELINE_SYNC)
                break;
        }
    }
    res.per_s = (double)done / ((pkt_now_ms() - start) / 1000);
    PQexitPipelineMode(c);
    PQfinish(c);
    return res;
}

/* Reports created and transactions committed so far by intake's case
 * owner, which commits the reports that wait together (its metrics; while
 * reports are sent, nothing else is asked of it). */
static void s_groups(const pkt_proc_t *intake, long long *groups, long long *reports)
{
    *groups = pkt_metric(intake->metrics_port, "pelukan_rpc_commits_total");
    *reports = pkt_metric(intake->edge_metrics_port, "pelukan_intake_reports_total");
}

typedef struct {
    double rps, p50, p99;
    long requests, errors;
} s_load_t;

/* wrk, 2 threads and 64 connections for 15 s, each request from one of
 * `ntokens` reporters in turn (thread 1 the first half, thread 2 the
 * second), each with a fresh Idempotency-Key: the run's number, the
 * thread's and the request's. Without the run's, a second run of the same
 * reporters sent the first run's keys again, and measured replays. */
static s_load_t s_load(int port, char **tokens, int ntokens, const char *name)
{
    static int run;
    run++;
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
        "    [\"Authorization\"] = \"Bearer \" .. token, [\"Idempotency-Key\"] = \"r%d-\" .. id .. \"-\" .. n})\n"
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
        account, run);
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

/* A reporter's own read (GET /v1/reports), each of `n` reporters in turn,
 * `rounds` times, one at a time: her session is asked of the case owner
 * (one hop), then her list. Its p50 and p99 printed. */
static void s_reads(int port, char **tokens, int n, int rounds)
{
    double *ms = pk_calloc((size_t)(n * rounds), sizeof *ms);
    int got = 0, failed = 0;
    for (int k = 0; k < rounds; k++)
        for (int i = 0; i < n; i++) {
            char auth[96];
            snprintf(auth, sizeof auth, "Authorization: Bearer %s", tokens[i]);
            const char *h[] = {auth, NULL};
            double t0 = pkt_now_ms();
            if (pkt_http("GET", port, "/v1/reports", NULL, 0, h, NULL) == 200)
                ms[got++] = pkt_now_ms() - t0;
            else
                failed++;
        }
    printf("BENCH intake_reporter_read_p50_ms %.3f ms (GET /v1/reports, her session asked of the owner; %d "
           "reporters, %d reads)\n",
           got && !failed ? pkt_percentile(ms, got, 50) : NAN, n, got);
    printf("BENCH intake_reporter_read_p99_ms %.3f ms\n", got && !failed ? pkt_percentile(ms, got, 99) : NAN);
    free(ms);
}

/* A process's peak resident memory (VmHWM), 0 when it cannot be read. */
static long s_rss_peak_kb(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    long hwm = 0;
    FILE *st = fopen(path, "r");
    while (st && fgets(buf, sizeof buf, st))
        sscanf(buf, "VmHWM: %ld kB", &hwm);
    if (st)
        fclose(st);
    return hwm;
}

int main(void)
{
    zsys_handler_set(NULL);
    double pg = s_pg_raw_1k();
    printf("BENCH pg_insert_1k_raw_per_s %.0f rows/s\n", pg);
    fflush(stdout);

    free(pkt_db_create("b_intake"));
    pkt_env_t *env = pkt_env_new("b_intake");
    pkt_env_set(env, "PELUKAN_LOG_LEVEL", "warn");
    pkt_env_set(env, "PELUKAN_INTAKE_REPORTS_PER_DAY", "0");   /* thousands of reports per reporter, on purpose */
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

    s_reads(intake.http_port, tokens, S_MANY + 1, 8);

    /* One reporter (every request on the same rows, the old benchmark) and
     * 64 distinct reporters at once, as the service meets them (the load
     * that deadlocked two groups on different writers, issue 15). Run in
     * the order one, many, many, one and averaged: each run leaves the
     * tables bigger for the next, and this order gives both the same
     * share of that drift. */
    long deadlocks_before = s_deadlocks();
    long long g[5], r[5];
    s_groups(&intake, &g[0], &r[0]);
    s_load_t o1 = s_load(intake.http_port, &tokens[S_MANY], 1, "one");
    s_groups(&intake, &g[1], &r[1]);
    s_load_t m1 = s_load(intake.http_port, tokens, S_MANY, "many");
    s_groups(&intake, &g[2], &r[2]);
    s_load_t m2 = s_load(intake.http_port, tokens, S_MANY, "many");
    s_groups(&intake, &g[3], &r[3]);
    s_load_t o2 = s_load(intake.http_port, &tokens[S_MANY], 1, "one");
    s_groups(&intake, &g[4], &r[4]);
    long deadlocks = s_deadlocks() - deadlocks_before;
    long long one_groups = (g[1] - g[0]) + (g[4] - g[3]), one_reports = (r[1] - r[0]) + (r[4] - r[3]);
    long long many_groups = g[3] - g[1], many_reports = r[3] - r[1];
    double one_group = one_groups > 0 ? (double)one_reports / (double)one_groups : NAN;
    double many_group = many_groups > 0 ? (double)many_reports / (double)many_groups : NAN;
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
    printf("BENCH intake_reports_many_per_s %.0f req/s\n", many.rps);
    printf("BENCH intake_reports_many_p50_ms %.2f ms\n", many.p50);
    printf("BENCH intake_reports_many_p99_ms %.2f ms\n", many.p99);
    printf("BENCH intake_reports_many_non2xx %ld responses\n", many.errors);
    printf("BENCH intake_reports_deadlocks %ld deadlocks\n", deadlocks);
    printf("BENCH intake_cases_committed %s cases\n", created ? created : "0");
    printf("BENCH intake_many_vs_one %.2f ratio\n", one.rps > 0 ? many.rps / one.rps : 0);
    free(created);

    /* intake is two processes (issue 24, step 3): the figure is both, as
     * it was of the one process before; the edge's is printed too. */
    long owner_hwm = s_rss_peak_kb(intake.pid), edge_hwm = s_rss_peak_kb(intake.edge_pid);
    printf("BENCH intake_rss_peak %ld kB (the case owner and the edge)\n", owner_hwm + edge_hwm);
    printf("BENCH edge_rss_peak %ld kB\n", edge_hwm);
    printf("BENCH intake_report_group_one %.2f reports/commit\n", one_group);
    printf("BENCH intake_report_group_many %.2f reports/commit\n", many_group);
    fflush(stdout);
    pkt_proc_stop(&intake, SIGTERM, 20000);

    /* PostgreSQL alone on the same statement, the same group sizes and the
     * same reporters, in a copy of intake's database with intake stopped
     * (its relay no longer competes, and publishes nothing of this). */
    pkt_sql("postgres", "DROP DATABASE IF EXISTS b_raw_report");
    pkt_sql("postgres", "CREATE DATABASE b_raw_report TEMPLATE b_intake");
    s_params_t params;
    char *ids[S_MANY + 1], *hashes[S_MANY + 1];
    for (int i = 0; i <= S_MANY; i++) { /* each reporter signed in once */
        char *q = pk_asprintf("SELECT reporter_id FROM intake.session ORDER BY reporter_id OFFSET %d LIMIT 1", i);
        ids[i] = s_value("b_raw_report", q);
        free(q);
        q = pk_asprintf("SELECT token_hash FROM intake.session ORDER BY reporter_id OFFSET %d LIMIT 1", i);
        hashes[i] = s_value("b_raw_report", q);
        free(q);
    }
    if (!s_params_from("b_raw_report", &params) || isnan(one_group) || isnan(many_group)) {
        fprintf(stderr, "bench_intake: no report of intake's to copy the parameters from, or no group counted\n");
        printf("BENCH pg_report_txn_raw_many_per_s NaN txn/s\n");
        printf("BENCH intake_many_vs_pg_report_txn NaN ratio\n");
        printf("BENCH pg_report_txn_raw_one_per_s NaN txn/s\n");
        printf("BENCH intake_one_vs_pg_report_txn NaN ratio\n");
    } else {
        s_raw_t raw_many = s_pg_report_txn("b_raw_report", ids, hashes, S_MANY, many_group, &params);
        s_raw_t raw_one = s_pg_report_txn("b_raw_report", &ids[S_MANY], &hashes[S_MANY], 1, one_group, &params);
        if (raw_many.failed || raw_one.failed)
            fprintf(stderr, "bench_intake: raw report statements failed: %ld (many), %ld (one)\n", raw_many.failed,
                    raw_one.failed);
        printf("BENCH pg_report_txn_raw_many_per_s %.0f txn/s\n", raw_many.failed ? NAN : raw_many.per_s);
        printf("BENCH intake_many_vs_pg_report_txn %.2f ratio\n",
               raw_many.failed || raw_many.per_s <= 0 ? NAN : many.rps / raw_many.per_s);
        printf("BENCH pg_report_txn_raw_one_per_s %.0f txn/s\n", raw_one.failed ? NAN : raw_one.per_s);
        printf("BENCH intake_one_vs_pg_report_txn %.2f ratio\n",
               raw_one.failed || raw_one.per_s <= 0 ? NAN : one.rps / raw_one.per_s);
    }
    s_params_free(&params);
    for (int i = 0; i <= S_MANY; i++) {
        free(ids[i]);
        free(hashes[i]);
    }
    zsock_destroy(&notif);
    for (int i = 0; i <= S_MANY; i++)
        free(tokens[i]);
    pkt_env_destroy(&env);
    return 0;
}
