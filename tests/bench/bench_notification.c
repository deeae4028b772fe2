/* bench_notification.c -- messages to the local gateway stand-in: the
 * sustained rate of one-time codes (SendOtp commands from four clients,
 * as intake instances would send them -> the gateway), their latency, and
 * the latency of an event-driven message (an admin verifies a case ->
 * CaseStateChanged -> contact asked of intake -> SMS at the gateway),
 * against the stand-in's own ceiling (plain curl multi POSTs). Prints
 * BENCH lines; never fails a test run. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/pkt_intake.h"
#include "../support/pkt_sinks.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

#define S_OTPS    6000
#define S_CLIENTS 4
#define S_CASES   100

static pkt_intake_t T;
static pkt_gateway_t *G;
static double s_sent_ms[S_OTPS];

static size_t s_discard(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

/* The ceiling: POSTs of the same size straight to the stand-in. */
static double s_raw_gateway(int count)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/send", pkt_gateway_port(G));
    CURLM *multi = curl_multi_init();
    double t0 = pkt_now_ms();
    int done = 0, next = 0, running = 0;
    char bodies[64][200];
    CURL *easy[64] = {0};
    struct curl_slist *hs[64] = {0};
    while (done < count) {
        for (int s = 0; s < 64 && next < count; s++) {
            if (easy[s])
                continue;
            snprintf(bodies[s], sizeof bodies[s],
                     "{\"message_id\":\"raw%d\",\"channel\":\"sms\",\"to\":\"+6289%08d\",\"text\":\"Kode Anda: 123456. "
                     "Berlaku 5 menit.\"}",
                     next, next);
            /* The headers notification sends: its bearer (empty here, as
             * the bench configures none) and a message's own
             * Idempotency-Key, which the stand-in looks up as it does
             * notification's. */
            char idem[96];
            snprintf(idem, sizeof idem, "Idempotency-Key: raw%029d", next);
            hs[s] = curl_slist_append(NULL, "Content-Type: application/json");
            hs[s] = curl_slist_append(hs[s], "Authorization: Bearer ");
            hs[s] = curl_slist_append(hs[s], idem);
            easy[s] = curl_easy_init();
            curl_easy_setopt(easy[s], CURLOPT_URL, url);
            curl_easy_setopt(easy[s], CURLOPT_HTTPHEADER, hs[s]);
            curl_easy_setopt(easy[s], CURLOPT_POSTFIELDS, bodies[s]);
            curl_easy_setopt(easy[s], CURLOPT_PRIVATE, (char *)(intptr_t)s);
            curl_easy_setopt(easy[s], CURLOPT_WRITEFUNCTION, s_discard);
            curl_multi_add_handle(multi, easy[s]);
            next++;
        }
        curl_multi_perform(multi, &running);
        curl_multi_poll(multi, NULL, 0, 100, NULL);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            char *slot;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &slot);
            int s = (int)(intptr_t)slot;
            curl_multi_remove_handle(multi, easy[s]);
            curl_easy_cleanup(easy[s]);
            curl_slist_free_all(hs[s]);
            easy[s] = NULL;
            hs[s] = NULL;
            done++;
        }
    }
    curl_multi_cleanup(multi);
    return count / ((pkt_now_ms() - t0) / 1000.0);
}

typedef struct {
    int from, to;
} s_range_t;

static void *s_client(void *arg)
{
    s_range_t *r = arg;
    pk_bus_keys_t *keys = pkt_bus_keys(T.env, "edge");
    pk_rpc_client_t *rpc = pk_rpc_client_new(pkt_env_get(T.env, "PELUKAN_NOTIFICATION_RPC"), 0, keys, "notification");
    for (int i = r->from; i < r->to; i++) {
        Pelukan__V1__CommandRequest req;
        uint8_t id[16];
        pk_rpc_request_init(&req, id, 5000, 1);
        Pelukan__V1__SendOtp o = PELUKAN__V1__SEND_OTP__INIT;
        char phone[24], code[8];
        snprintf(phone, sizeof phone, "+62813%08d", i);
        snprintf(code, sizeof code, "%06d", i % 1000000);
        o.phone_e164 = phone;
        o.code = code;
        req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SEND_OTP;
        req.send_otp = &o;
        Pelukan__V1__CommandReply *reply = NULL;
        s_sent_ms[i] = pkt_now_ms();
        if (pk_rpc_call(rpc, &req, 5000, 1, &reply) == 0)
            pelukan__v1__command_reply__free_unpacked(reply, NULL);
    }
    pk_rpc_client_destroy(&rpc);
    pk_bus_keys_destroy(&keys);
    return NULL;
}

static bool s_delivered_at_least(void *arg)
{
    int req, del, dup;
    pkt_gateway_counts(G, &req, &del, &dup);
    return del >= *(int *)arg;
}

int main(void)
{
    zsys_handler_set(NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    G = pkt_gateway_start();
    char sms[64], sink[512];
    snprintf(sms, sizeof sms, "http://127.0.0.1:%d/send", pkt_gateway_port(G));
    snprintf(sink, sizeof sink, "%s/bench-sink.jsonl", pkt_env("PKTEST_TMP"));
    const char *extra[] = {"PELUKAN_INTAKE_REPORTS_PER_DAY",
                           "0",
                           "PELUKAN_LOG_LEVEL",
                           "warn",
                           "PELUKAN_NOTIFICATION_PLAINTEXT",
                           "true",
                           "PELUKAN_NOTIFICATION_SMS_URL",
                           sms,
                           "PELUKAN_NOTIFICATION_SINK_FILE",
                           sink,
                           "PELUKAN_NOTIFICATION_CONCURRENCY",
                           "64",
                           NULL};
    pkt_intake_start(&T, "b_notification", extra);
    pkt_intake_start_notification(&T);

    double raw = s_raw_gateway(20000);
    printf("BENCH gateway_raw_per_s %.0f posts/s (curl multi, 64 at once, straight to the stand-in)\n", raw);
    fflush(stdout);

    /* One-time codes: four clients send SendOtp commands as fast as the
     * command server takes them; each lands at the gateway. */
    int before, d0, dup0;
    pkt_gateway_counts(G, &before, &d0, &dup0);
    pthread_t t[S_CLIENTS];
    s_range_t r[S_CLIENTS];
    double t0 = pkt_now_ms();
    for (int i = 0; i < S_CLIENTS; i++) {
        r[i] = (s_range_t){i * S_OTPS / S_CLIENTS, (i + 1) * S_OTPS / S_CLIENTS};
        pthread_create(&t[i], NULL, s_client, &r[i]);
    }
    for (int i = 0; i < S_CLIENTS; i++)
        pthread_join(t[i], NULL);
    int want = d0 + S_OTPS;
    bool all = pkt_wait_until(s_delivered_at_least, &want, 120000);
    double secs = (pkt_now_ms() - t0) / 1000.0;
    int rq, dl, dp;
    pkt_gateway_counts(G, &rq, &dl, &dp);
    printf("BENCH notification_msgs_per_s %.0f messages/s (%d codes, command -> gateway, 64 sends at once%s)\n",
           (dl - d0) / secs, dl - d0, all ? "" : ", NOT ALL ARRIVED");
    /* End to end (command, durable insert, worker, send) against transport
     * alone (the same POSTs, headers and stand-in work). */
    printf("BENCH notification_vs_gateway_raw %.3f ratio (end to end vs transport)\n", (dl - d0) / secs / raw);
    /* Latency of each code: its command sent -> its arrival. */
    double *lat = pk_calloc(S_OTPS, sizeof *lat);
    int nl = 0;
    for (int i = 0; i < S_OTPS; i++) {
        char to[24];
        double at;
        snprintf(to, sizeof to, "+62813%08d", i);
        if (pkt_gateway_arrivals(G, to, &at, 1) == 1)
            lat[nl++] = at - s_sent_ms[i];
    }
    if (nl) {
        printf("BENCH notification_otp_to_send_p50_ms %.1f ms (under the burst above)\n", pkt_percentile(lat, nl, 50));
        printf("BENCH notification_otp_to_send_p99_ms %.1f ms (%d samples)\n", pkt_percentile(lat, nl, 99), nl);
    }
    free(lat);
    fflush(stdout);

    /* Event-driven: a reporter's case verified -> the update SMS. The
     * reporter registers with a code through the gateway. */
    pkt_intake_staff(&T, "benchadmin", "Bench Admin", "admin", NULL, "bench-admin-password");
    char *admin = pkt_intake_login(&T, "benchadmin", "bench-admin-password", NULL);
    const char *phone = "+6281399990000";
    pkt_intake_call(&T, "POST", "/v1/auth/otp", "{\"phone\":\"081399990000\"}", NULL, NULL, NULL);
    char text[256] = "";
    for (int i = 0; i < 100 && !pkt_gateway_delivered(G, phone, text, sizeof text); i++)
        usleep(50000);
    char code[16] = "", body[256];
    const char *k = strstr(text, "Kode Anda: ");
    if (k)
        sscanf(k + 11, "%15[0-9]", code);
    snprintf(body, sizeof body, "{\"phone\":\"081399990000\",\"code\":\"%s\"}", code);
    json_t *j = NULL;
    pkt_intake_call(&T, "POST", "/v1/auth/otp/verify", body, NULL, NULL, &j);
    char *reporter = pk_strdup(pkt_json_str(j, "token"));
    json_decref(j);
    double verified[S_CASES];
    char case_ids[S_CASES][40];
    int nv = 0;
    for (int i = 0; i < S_CASES; i++) {
        char key[32], path[200];
        snprintf(key, sizeof key, "b%d", i);
        j = NULL;
        pkt_intake_call(&T, "POST", "/v1/reports",
                        "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":30},"
                        "\"violence_forms\":[\"psikis\"],\"location\":{\"kecamatan_code\":\"32.06.24\"},"
                        "\"contact_safety\":{\"safe_hours\":\"00:00-23:59\",\"safe_channel\":\"sms\"}}",
                        reporter, key, &j);
        char id[40];
        snprintf(id, sizeof id, "%s", pkt_json_str(j, "case_id"));
        json_decref(j);
        snprintf(case_ids[nv], sizeof case_ids[nv], "%s", id);
        snprintf(path, sizeof path, "/v1/staff/cases/%s?purpose=confirmation_call", id);
        pkt_intake_call(&T, "GET", path, NULL, admin, NULL, NULL);
        snprintf(path, sizeof path, "/v1/staff/cases/%s/calls", id);
        pkt_intake_call(&T, "POST", path, "{\"outcome\":\"reached\"}", admin, NULL, NULL);
        snprintf(path, sizeof path, "/v1/staff/cases/%s/verify", id);
        if (pkt_intake_call(&T, "POST", path, "{}", admin, NULL, NULL) == 200)
            verified[nv++] = pkt_now_ms();
        usleep(20000);
    }
    /* Each update matched to its own case: the message notification made
     * for the case carries the Idempotency-Key the gateway saw. */
    double ev[S_CASES];
    int ne = 0;
    for (int i = 0; i < nv; i++) {
        char *q = pk_asprintf("SELECT string_agg(id, ' ') FROM notification.message WHERE case_id = '%s'"
                              " AND audience = 'reporter'",
                              case_ids[i]);
        bool found = false;
        double at = 0;
        for (double end = pkt_now_ms() + 30000; !found && pkt_now_ms() < end; usleep(50000)) {
            char *ids = pkt_sql_value(T.db, q);
            for (char *tok = ids ? strtok(ids, " ") : NULL; tok && !found; tok = strtok(NULL, " "))
                found = pkt_gateway_arrival_of(G, tok, &at);
            free(ids);
        }
        if (found)
            ev[ne++] = at - verified[i];
        free(q);
    }
    if (ne) {
        printf("BENCH notification_event_to_send_p50_ms %.1f ms (case verified -> the reporter's SMS at the gateway; "
               "%d samples)\n",
               pkt_percentile(ev, ne, 50), ne);
        printf("BENCH notification_event_to_send_max_ms %.1f ms (%d of %d updates)\n", pkt_percentile(ev, ne, 100), ne,
               nv);
    } else {
        printf("BENCH notification_event_to_send_p50_ms NaN ms (no update arrived)\n");
    }
    fflush(stdout);
    pkt_intake_stop(&T);
    pkt_gateway_stop(&G);
    free(admin);
    free(reporter);
    curl_global_cleanup();
    return 0;
}
