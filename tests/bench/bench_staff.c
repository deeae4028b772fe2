/* bench_staff.c -- the staff side: how long a new report takes to reach an
 * admin's live stream (commit of POST /v1/reports -> its line on
 * GET /v1/staff/events), and what a staff login costs (Argon2id). Prints
 * BENCH lines; never fails a test run. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/pkt_intake.h"
#include "pelukan/util.h"

#define S_REPORTS 200

static pkt_intake_t T;
static char s_ids[S_REPORTS][40];
static double s_committed[S_REPORTS], s_seen[S_REPORTS];
static volatile int s_nseen;
static pthread_mutex_t s_mu = PTHREAD_MUTEX_INITIALIZER;

/* Notes when each case's "submitted" entry arrives on the stream. */
static size_t s_on_data(char *data, size_t size, size_t n, void *arg)
{
    (void)arg;
    double now = pkt_now_ms();
    size_t len = size * n;
    char *text = pk_strndup(data, len);
    pthread_mutex_lock(&s_mu);
    for (char *p = text; (p = strstr(p, "\"case_id\":\"")) != NULL; p += 11) {
        char id[40] = "";
        sscanf(p + 11, "%32[0-9a-f]", id);
        if (!strstr(p, "\"state\":\"submitted\""))
            continue;
        for (int i = 0; i < S_REPORTS; i++)
            if (s_seen[i] == 0 && strcmp(s_ids[i], id) == 0) {
                s_seen[i] = now;
                s_nseen++;
            }
    }
    pthread_mutex_unlock(&s_mu);
    free(text);
    return len;
}

static char *s_token;

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
    static const char *const extra[] = {"PELUKAN_INTAKE_REPORTS_PER_DAY", "0", NULL}; /* one reporter */
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
    json_t *j = NULL;
    for (int i = 0; i < 20; i++) {
        double t0 = pkt_now_ms();
        pkt_intake_call(&T, "POST", "/v1/staff/login",
                        "{\"login\":\"benchadmin\",\"password\":\"bench-admin-password\"}", NULL, NULL,
                        i == 19 ? &j : NULL);
        login_ms[i] = pkt_now_ms() - t0;
    }
    s_token = pk_strdup(pkt_json_str(j, "token"));
    json_decref(j);
    printf("BENCH staff_login_p50_ms %.1f ms (Argon2id, interactive limits)\n", pkt_percentile(login_ms, 20, 50));

    char *reporter = pkt_intake_register(&T, "081200001111");
    pthread_t listener;
    pthread_create(&listener, NULL, s_listen, NULL);
    usleep(500000);
    /* Reports at about 20 a second, each timed from its 201. */
    for (int i = 0; i < S_REPORTS; i++) {
        char key[32];
        snprintf(key, sizeof key, "bench-%d", i);
        json_t *r = NULL;
        pkt_intake_call(&T, "POST", "/v1/reports",
                        "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":30},"
                        "\"violence_forms\":[\"psikis\"],\"location\":{\"kecamatan_code\":\"32.06.24\"}}",
                        reporter, key, &r);
        pthread_mutex_lock(&s_mu);
        snprintf(s_ids[i], sizeof s_ids[i], "%s", pkt_json_str(r, "case_id"));
        s_committed[i] = pkt_now_ms();
        pthread_mutex_unlock(&s_mu);
        json_decref(r);
        usleep(50000);
    }
    double deadline = pkt_now_ms() + 10000;
    while (s_nseen < S_REPORTS && pkt_now_ms() < deadline)
        usleep(50000);
    double lat[S_REPORTS];
    int n = 0;
    pthread_mutex_lock(&s_mu);
    for (int i = 0; i < S_REPORTS; i++)
        if (s_seen[i] > 0) /* a line may arrive before the 201 is read: 0 then */
            lat[n++] = s_seen[i] > s_committed[i] ? s_seen[i] - s_committed[i] : 0;
    pthread_mutex_unlock(&s_mu);
    if (n > 0) {
        printf("BENCH staff_event_latency_p50_ms %.1f ms (report committed -> on the admin's stream)\n",
               pkt_percentile(lat, n, 50));
        printf("BENCH staff_event_latency_p99_ms %.1f ms\n", pkt_percentile(lat, n, 99));
    }
    printf("BENCH staff_events_delivered %d of %d reports\n", n, S_REPORTS);
    fflush(stdout);
    pkt_intake_stop(&T); /* ends the stream */
    pthread_join(listener, NULL);
    free(reporter);
    free(s_token);
    return 0;
}
