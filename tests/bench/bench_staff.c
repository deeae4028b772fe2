/* bench_staff.c -- the staff side: how long a new report takes to reach an
 * admin's live stream (the 201 of POST /v1/reports as the client received
 * it -> its line on GET /v1/staff/events; every line is kept with its time
 * and matched after the run, so none is lost to the order of the two), and
 * what a staff login costs (Argon2id), alone and while reports are being
 * submitted (issue 24's decision 1: a password check holds up no report).
 * 200 reports from 20 reporters: p50, p95 and the maximum (200 samples make
 * no p99). Prints BENCH lines; never fails a test run. */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/pkt_intake.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

#define S_REPORTS   200
#define S_REPORTERS 20

static pkt_intake_t T;
static char s_ids[S_REPORTS][40];
static double s_received[S_REPORTS];
/* Every "submitted" line of the stream with its arrival time. */
static struct {
    char id[40];
    double at;
} s_lines[S_REPORTS * 2];
static volatile int s_nlines;
static volatile bool s_connected;
static pthread_mutex_t s_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t s_on_data(char *data, size_t size, size_t n, void *arg)
{
    (void)arg;
    double now = pkt_now_ms();
    size_t len = size * n;
    char *text = pk_strndup(data, len);
    pthread_mutex_lock(&s_mu);
    if (strstr(text, "retry: "))
        s_connected = true;
    for (char *p = text; (p = strstr(p, "\"case_id\":\"")) != NULL; p += 11) {
        char *end = strstr(p, "\n\n");
        char *state = strstr(p, "\"state\":\"submitted\"");
        if (!state || (end && state > end) || s_nlines >= (int)(sizeof s_lines / sizeof s_lines[0]))
            continue;
        sscanf(p + 11, "%32[0-9a-f]", s_lines[s_nlines].id);
        s_lines[s_nlines].at = now;
        s_nlines++;
    }
    pthread_mutex_unlock(&s_mu);
    free(text);
    return len;
}

static char *s_token;

/* ---- logins while reports are submitted ---------------------------------------- */

#define S_SENDERS     4  /* threads submitting reports, each with its own reporters */
#define S_LOGIN_STAFF 8  /* distinct admins logging in */
#define S_LOGINS      48 /* logins timed, two at a time */

static char *s_reporters[S_REPORTERS];
static volatile bool s_stop;
static volatile int s_reports_ok;

static void *s_sender(void *arg)
{
    int k = (int)(intptr_t)arg, n = 0;
    while (!s_stop) {
        char key[48];
        snprintf(key, sizeof key, "load-%d-%d", k, n);
        int st = pkt_intake_call(&T, "POST", "/v1/reports",
                                 "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":30},"
                                 "\"violence_forms\":[\"psikis\"],\"location\":{\"kecamatan_code\":\"32.06.24\"}}",
                                 s_reporters[(k + S_SENDERS * n) % S_REPORTERS], key, NULL);
        if (st == 201)
            __atomic_add_fetch(&s_reports_ok, 1, __ATOMIC_RELAXED);
        n++;
    }
    return NULL;
}

static double s_login_ms[S_LOGINS];

static void *s_logins(void *arg)
{
    int half = (int)(intptr_t)arg;
    for (int i = half; i < S_LOGINS; i += 2) {
        char body[128];
        snprintf(body, sizeof body, "{\"login\":\"loadadmin%d\",\"password\":\"load-admin-password-%d\"}",
                 i % S_LOGIN_STAFF, i % S_LOGIN_STAFF);
        double t0 = pkt_now_ms();
        int st = pkt_intake_call(&T, "POST", "/v1/staff/login", body, NULL, NULL, NULL);
        s_login_ms[i] = st == 200 ? pkt_now_ms() - t0 : INFINITY; /* a refused login: infinitely slow */
    }
    return NULL;
}

static void s_logins_under_reports(void)
{
    char *in = pk_asprintf("%s/load-pw", pkt_env("PKTEST_TMP"));
    for (int a = 0; a < S_LOGIN_STAFF; a++) {
        FILE *f = fopen(in, "w");
        fprintf(f, "load-admin-password-%d\n", a);
        fclose(f);
        char *cmd = pk_asprintf("staff add --login loadadmin%d --name Load --role admin --password-stdin", a);
        pkt_ctl(T.env, cmd, in, NULL);
        free(cmd);
    }
    unlink(in);
    free(in);
    pthread_t senders[S_SENDERS], loggers[2];
    for (int k = 0; k < S_SENDERS; k++)
        pthread_create(&senders[k], NULL, s_sender, (void *)(intptr_t)k);
    for (double end = pkt_now_ms() + 60000; s_reports_ok == 0 && pkt_now_ms() < end;)
        usleep(10000);
    /* The same senders without logins first: the figure to compare with. */
    int first = s_reports_ok;
    double b0 = pkt_now_ms();
    for (double end = b0 + 60000; s_reports_ok < first + 1000 && pkt_now_ms() < end;)
        usleep(1000);
    double alone = (s_reports_ok - first) / ((pkt_now_ms() - b0) / 1000);
    int before = s_reports_ok;
    double t0 = pkt_now_ms();
    for (int h = 0; h < 2; h++)
        pthread_create(&loggers[h], NULL, s_logins, (void *)(intptr_t)h);
    for (int h = 0; h < 2; h++)
        pthread_join(loggers[h], NULL);
    double secs = (pkt_now_ms() - t0) / 1000;
    int during = s_reports_ok - before;
    s_stop = true;
    for (int k = 0; k < S_SENDERS; k++)
        pthread_join(senders[k], NULL);
    printf("BENCH staff_login_under_reports_p50_ms %.1f ms (%d logins of %d admins, two at a time, while %d threads"
           " submit reports)\n",
           pkt_percentile(s_login_ms, S_LOGINS, 50), S_LOGINS, S_LOGIN_STAFF, S_SENDERS);
    printf("BENCH staff_login_under_reports_p99_ms %.1f ms\n", pkt_percentile(s_login_ms, S_LOGINS, 99));
    printf("BENCH intake_reports_without_logins_per_s %.0f req/s (the same %d senders, before the logins)\n", alone,
           S_SENDERS);
    printf("BENCH intake_reports_during_logins_per_s %.0f req/s\n", secs > 0 ? during / secs : 0);
    printf("BENCH intake_reports_during_logins_vs_without %.2f ratio\n",
           secs > 0 && alone > 0 ? during / secs / alone : 0);
    fflush(stdout);
}

/* ---- the hop to the case owner, and the desk's steps through it ---------------- */

#define S_HOPS  500
#define S_NOTES 160 /* one per case, from 8 admins in turn */

/* Issue 24, step 2: the edge asks intake's case owner behind its command
 * endpoint. The hop alone is a Ping over the same kind of socket, as the
 * same peer (CURVE, the owner's thread, no database); a note is a whole
 * desk step through it (HTTP, session check, the hop, one transaction). */
static void s_desk_steps(int cases)
{
    pk_bus_keys_t *keys = pkt_bus_keys(T.env, "edge");
    pk_rpc_client_t *rpc = pk_rpc_client_new(pkt_env_get(T.env, "PELUKAN_INTAKE_RPC"), 0, keys, "intake");
    double hop[S_HOPS];
    int hops = 0;
    for (int i = 0; i < S_HOPS; i++) {
        Pelukan__V1__CommandRequest req;
        uint8_t id[16];
        pk_rpc_request_init(&req, id, 5000, 0);
        Pelukan__V1__Ping ping = PELUKAN__V1__PING__INIT;
        ping.n = (uint64_t)i;
        req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING;
        req.ping = &ping;
        Pelukan__V1__CommandReply *reply = NULL;
        double t0 = pkt_now_ms();
        int rc = pk_rpc_call(rpc, &req, 5000, 0, &reply);
        hop[hops++] = rc == 0 && reply->pong && reply->pong->n == (uint64_t)i ? pkt_now_ms() - t0 : INFINITY;
        if (reply)
            pelukan__v1__command_reply__free_unpacked(reply, NULL);
    }
    pk_rpc_client_destroy(&rpc);
    pk_bus_keys_destroy(&keys);
    printf("BENCH edge_hop_p50_ms %.3f ms (a Ping to intake's case owner as the edge sends it; %d)\n",
           pkt_percentile(hop, hops, 50), hops);
    printf("BENCH edge_hop_p99_ms %.3f ms\n", pkt_percentile(hop, hops, 99));

    char *tokens[S_LOGIN_STAFF];
    for (int a = 0; a < S_LOGIN_STAFF; a++) {
        char login[32], password[48];
        snprintf(login, sizeof login, "loadadmin%d", a);
        snprintf(password, sizeof password, "load-admin-password-%d", a);
        tokens[a] = pkt_intake_login(&T, login, password, NULL);
    }
    double note[S_NOTES];
    int notes = 0;
    for (int i = 0; i < S_NOTES && i < cases; i++) {
        char path[96];
        snprintf(path, sizeof path, "/v1/staff/cases/%.32s/notes", s_ids[i]);
        double t0 = pkt_now_ms();
        int st = pkt_intake_call(&T, "POST", path, "{\"text\":\"Catatan pengukuran\"}", tokens[i % S_LOGIN_STAFF], NULL,
                                 NULL);
        note[notes++] = st == 200 ? pkt_now_ms() - t0 : INFINITY; /* a refused step: infinitely slow */
    }
    for (int a = 0; a < S_LOGIN_STAFF; a++)
        free(tokens[a]);
    if (notes == 0)
        return;
    double p50 = pkt_percentile(note, notes, 50);
    printf("BENCH staff_case_note_p50_ms %.2f ms (POST a note through the hop: %d notes on %d cases by %d admins)\n",
           p50, notes, notes, S_LOGIN_STAFF);
    printf("BENCH staff_case_note_p99_ms %.2f ms\n", pkt_percentile(note, notes, 99));
    printf("BENCH edge_hop_share_of_a_note %.2f ratio\n", p50 > 0 ? pkt_percentile(hop, hops, 50) / p50 : 0);
}

static void *s_listen(void *arg)
{
    (void)arg;
    CURL *c = curl_easy_init();
    char url[128], auth[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/staff/events", T.port);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", s_token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_on_data);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 120000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_perform(c);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

int main(void)
{
    /* Ten reports a reporter, twenty reporters from one address. */
    static const char *const extra[] = {"PELUKAN_INTAKE_REPORTS_PER_DAY",
                                        "0",
                                        "PELUKAN_INTAKE_OTP_PER_CLIENT",
                                        "1000",
                                        "PELUKAN_INTAKE_LOGINS_PER_CLIENT",
                                        "100000",
                                        "PELUKAN_INTAKE_LOGIN_CHECKS_PER_CLIENT",
                                        "64",
                                        NULL};
    pkt_intake_start(&T, "b_staff", extra);
    char *in = pk_asprintf("%s/bench-pw", pkt_env("PKTEST_TMP"));
    FILE *f = fopen(in, "w");
    fputs("bench-admin-password\n", f);
    fclose(f);
    pkt_ctl(T.env, "staff add --login benchadmin --name Bench --role admin --password-stdin", in, NULL);
    unlink(in);
    free(in);

    /* Logins, one after another: Argon2id on the thread pool. */
    double login_ms[20];
    int logins = 0;
    json_t *j = NULL;
    for (int i = 0; i < 20; i++) {
        double t0 = pkt_now_ms();
        json_t *answer = NULL;
        int st =
            pkt_intake_call(&T, "POST", "/v1/staff/login",
                            "{\"login\":\"benchadmin\",\"password\":\"bench-admin-password\"}", NULL, NULL, &answer);
        double ms = pkt_now_ms() - t0;
        if (st == 200) {
            login_ms[logins++] = ms;
            json_decref(j);
            j = answer;
        } else {
            fprintf(stderr, "bench_staff: login answered %d\n", st);
            json_decref(answer);
        }
    }
    if (!j) {
        printf("BENCH staff_login_p50_ms NaN ms (no login succeeded)\n");
        pkt_intake_stop(&T);
        return 0;
    }
    s_token = pk_strdup(pkt_json_str(j, "token"));
    json_decref(j);
    printf("BENCH staff_login_p50_ms %.1f ms (Argon2id, interactive limits; %d logins)\n",
           pkt_percentile(login_ms, logins, 50), logins);

    char **reporters = s_reporters;
    for (int i = 0; i < S_REPORTERS; i++) {
        char phone[24];
        snprintf(phone, sizeof phone, "08120000%04d", 1000 + i);
        reporters[i] = pkt_intake_register(&T, phone);
    }
    pthread_t listener;
    pthread_create(&listener, NULL, s_listen, NULL);
    for (double end = pkt_now_ms() + 60000; !s_connected && pkt_now_ms() < end;)
        usleep(10000);
    /* Reports at about 20 a second, from 20 reporters in turn, each timed
     * from its 201. */
    int sent = 0;
    for (int i = 0; i < S_REPORTS; i++) {
        char key[32];
        snprintf(key, sizeof key, "bench-%d", i);
        json_t *r = NULL;
        int st = pkt_intake_call(&T, "POST", "/v1/reports",
                                 "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":30},"
                                 "\"violence_forms\":[\"psikis\"],\"location\":{\"kecamatan_code\":\"32.06.24\"}}",
                                 reporters[i % S_REPORTERS], key, &r);
        double at = pkt_now_ms();
        if (st == 201) {
            snprintf(s_ids[sent], sizeof s_ids[sent], "%s", pkt_json_str(r, "case_id"));
            s_received[sent++] = at;
        }
        json_decref(r);
        usleep(50000);
    }
    /* Matched after the run: a line that came before its 201 was read
     * counts as 0 ms, and is counted. */
    double deadline = pkt_now_ms() + 15000;
    while (s_nlines < sent && pkt_now_ms() < deadline)
        usleep(50000);
    double lat[S_REPORTS];
    int n = 0, early = 0;
    pthread_mutex_lock(&s_mu);
    for (int i = 0; i < sent; i++) {
        double seen = -1;
        for (int k = 0; k < s_nlines && seen < 0; k++)
            if (strcmp(s_lines[k].id, s_ids[i]) == 0)
                seen = s_lines[k].at;
        if (seen < 0)
            lat[n++] = INFINITY; /* never arrived: infinitely late, not left out */
        else {
            early += seen < s_received[i];
            lat[n++] = seen > s_received[i] ? seen - s_received[i] : 0;
        }
    }
    int delivered = 0;
    for (int i = 0; i < n; i++)
        delivered += !isinf(lat[i]);
    pthread_mutex_unlock(&s_mu);
    if (n > 0) {
        printf("BENCH staff_event_latency_p50_ms %.1f ms (201 received -> on the admin's stream; %d samples)\n",
               pkt_percentile(lat, n, 50), n);
        printf("BENCH staff_event_latency_p95_ms %.1f ms\n", pkt_percentile(lat, n, 95));
        printf("BENCH staff_event_latency_max_ms %.1f ms\n", pkt_percentile(lat, n, 100));
    } else {
        printf("BENCH staff_event_latency_p50_ms NaN ms (no report accepted)\n");
    }
    printf("BENCH staff_events_before_201 %d lines\n", early);
    printf("BENCH staff_events_delivered %d of %d reports\n", delivered, sent);
    fflush(stdout);
    s_logins_under_reports();
    s_desk_steps(sent);
    fflush(stdout);
    for (int i = 0; i < S_REPORTERS; i++)
        free(reporters[i]);
    pkt_intake_stop(&T); /* ends the stream */
    pthread_join(listener, NULL);
    free(s_token);
    return 0;
}
