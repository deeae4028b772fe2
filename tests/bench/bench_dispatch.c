/* bench_dispatch.c -- dispatch under load: the suggestion with 100,000
 * companions spread over West Java (through the gateway, and in the
 * service by command, against the raw KNN query on the same cluster),
 * location pings through the gateway (wrk, keep-alive), and how long a ping
 * takes to reach the reporter's stream. Prints BENCH lines; never fails a
 * test run. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/pkt_intake.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

#define S_COMPANIONS 100000
#define S_SUGGESTS   400
#define S_LAT        (-7.3512345)
#define S_LON        108.1012345
#define S_KM_LAT     0.009043
#define S_LAG_PINGS  100

static pkt_intake_t T;

static void s_add(const char *login, const char *role, const char *password)
{
    char *in = pk_asprintf("%s/bench-pw", pkt_env("PKTEST_TMP"));
    FILE *f = fopen(in, "w");
    fprintf(f, "%s\n", password);
    fclose(f);
    char *args = pk_asprintf("staff add --login %s --name 'Bench %s' --role %s --password-stdin", login, login, role);
    pkt_ctl(T.env, args, in, NULL);
    unlink(in);
    free(in);
    free(args);
}

static char *s_login(const char *login, const char *password, char **id)
{
    char body[256];
    snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", login, password);
    json_t *j = NULL;
    pkt_intake_call(&T, "POST", "/v1/staff/login", body, NULL, NULL, &j);
    char *token = pk_strdup(pkt_json_str(j, "token"));
    if (id)
        *id = pk_strdup(pkt_json_str(j, "staff.id"));
    json_decref(j);
    return token;
}

/* ---- the reporter's stream: when each distance arrives ------------------------------ */

static double s_sent[S_LAG_PINGS], s_seen[S_LAG_PINGS];
static long s_dist[S_LAG_PINGS];
static pthread_mutex_t s_mu = PTHREAD_MUTEX_INITIALIZER;
static char s_stream_url[256], s_stream_auth[256];

static size_t s_on_data(char *data, size_t size, size_t n, void *arg)
{
    (void)arg;
    double now = pkt_now_ms();
    size_t len = size * n;
    char *text = pk_strndup(data, len);
    pthread_mutex_lock(&s_mu);
    for (char *p = text; (p = strstr(p, "\"distance_m\":")) != NULL; p++) {
        long d = atol(p + 13);
        for (int i = 0; i < S_LAG_PINGS; i++)
            if (s_seen[i] == 0 && s_sent[i] > 0 && labs(s_dist[i] - d) <= 2)
                s_seen[i] = now;
    }
    pthread_mutex_unlock(&s_mu);
    free(text);
    return len;
}

static void *s_listen(void *arg)
{
    (void)arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, s_stream_auth);
    curl_easy_setopt(c, CURLOPT_URL, s_stream_url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_on_data);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_perform(c);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

int main(void)
{
    zsys_handler_set(NULL);
    static const char *const extra[] = {"PELUKAN_LOG_LEVEL", "warn", NULL};
    pkt_intake_start(&T, "b_dispatch", extra);
    pkt_intake_start_dispatch(&T);
    s_add("benchadmin", "admin", "bench-admin-password");
    char *admin = s_login("benchadmin", "bench-admin-password", NULL);

    /* 100,000 companions on duty over West Java (about -7.8..-5.9, 106.3..108.8). */
    pkt_sql(T.db,
            "INSERT INTO dispatch.companion (id, badge, first_name, on_duty, position, position_at, kecamatan_codes)"
            " SELECT md5('c' || i), 'B-' || i, 'Bench', true,"
            "  ST_MakePoint(106.3 + random() * 2.5, -7.8 + random() * 1.9)::geography, now(), '{32.06.24}'"
            " FROM generate_series(1, 100000) AS i");
    pkt_sql(T.db, "ANALYZE dispatch.companion");

    /* A verified case. */
    char *reporter = pkt_intake_register(&T, "081277770001");
    json_t *j = NULL;
    pkt_intake_call(&T, "POST", "/v1/reports",
                    "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":30},"
                    "\"violence_forms\":[\"psikis\"],\"location\":{\"lat\":-7.3512345,\"lon\":108.1012345,"
                    "\"kecamatan_code\":\"32.06.24\"},\"contact_safety\":{\"safe_hours\":\"00:00-23:59\"}}",
                    reporter, "bench-1", &j);
    char case_id[40];
    snprintf(case_id, sizeof case_id, "%s", pkt_json_str(j, "case_id"));
    json_decref(j);
    char path[200];
    snprintf(path, sizeof path, "/v1/staff/cases/%s?purpose=confirmation_call", case_id);
    pkt_intake_call(&T, "GET", path, NULL, admin, NULL, NULL);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/calls", case_id);
    pkt_intake_call(&T, "POST", path, "{\"outcome\":\"reached\"}", admin, NULL, NULL);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/verify", case_id);
    pkt_intake_call(&T, "POST", path, "{}", admin, NULL, NULL);

    /* The raw KNN query, the ceiling. */
    char *conninfo = pk_asprintf("host=127.0.0.1 port=%s user=postgres dbname=%s", pkt_env("PKTEST_PG_PORT"), T.db);
    PGconn *pg = PQconnectdb(conninfo);
    double raw[S_SUGGESTS];
    for (int i = 0; i < S_SUGGESTS; i++) {
        double t0 = pkt_now_ms();
        PGresult *r = PQexec(pg, "SELECT id, ST_Distance(position, ST_MakePoint(108.1012345, -7.3512345)::geography)"
                                 " FROM dispatch.companion WHERE on_duty ORDER BY position_g <->"
                                 " ST_SetSRID(ST_MakePoint(108.1012345, -7.3512345), 4326) LIMIT 5");
        raw[i] = pkt_now_ms() - t0;
        PQclear(r);
    }
    PQfinish(pg);
    free(conninfo);
    double raw_p99 = pkt_percentile(raw, S_SUGGESTS, 99);
    printf("BENCH pg_knn_raw_p99_ms %.3f ms (100k points, LIMIT 5, psql-style round trip; 400 samples)\n", raw_p99);

    /* In the service: the command straight to dispatch's ROUTER. */
    pk_bus_keys_t *keys = pkt_bus_keys(T.env, "edge");
    pk_rpc_client_t *rpc = pk_rpc_client_new(pkt_env_get(T.env, "PELUKAN_DISPATCH_RPC"), 0, keys, "dispatch");
    double svc[S_SUGGESTS];
    int nsvc = 0;
    for (int i = 0; i < S_SUGGESTS; i++) {
        Pelukan__V1__CommandRequest req;
        uint8_t id[16];
        pk_rpc_request_init(&req, id, 2000, 0);
        Pelukan__V1__SuggestCompanions s = PELUKAN__V1__SUGGEST_COMPANIONS__INIT;
        Pelukan__V1__GeoPoint at = PELUKAN__V1__GEO_POINT__INIT;
        at.lat = S_LAT;
        at.lon = S_LON;
        s.where_case = PELUKAN__V1__SUGGEST_COMPANIONS__WHERE_LOCATION;
        s.location = &at;
        s.kecamatan_code = "32.06.24";
        s.prefer_sex = "F";
        req.case_id = case_id;
        req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUGGEST_COMPANIONS;
        req.suggest_companions = &s;
        Pelukan__V1__CommandReply *reply = NULL;
        double t0 = pkt_now_ms();
        if (pk_rpc_call(rpc, &req, 2000, 0, &reply) == 0) {
            svc[nsvc++] = pkt_now_ms() - t0;
            pelukan__v1__command_reply__free_unpacked(reply, NULL);
        }
    }
    pk_rpc_client_destroy(&rpc);
    pk_bus_keys_destroy(&keys);
    if (nsvc > 0) {
        double p50 = pkt_percentile(svc, nsvc, 50), p99 = pkt_percentile(svc, nsvc, 99);
        printf("BENCH dispatch_suggest_service_p50_ms %.3f ms (command to dispatch, 100k companions)\n", p50);
        printf("BENCH dispatch_suggest_service_p99_ms %.3f ms (400 samples)\n", p99);
        printf("BENCH dispatch_suggest_service_vs_bare_knn %.2f ratio (p99 of a bare KNN, no load, staleness or "
               "coverage filter, / p99 of the service: a lower bound, not the same query)\n",
               raw_p99 / p99);
    }

    /* Through the gateway: staff session, case read, the place opened,
     * the command, the answer. */
    double gw[S_SUGGESTS];
    snprintf(path, sizeof path, "/v1/staff/cases/%s/companions?prefer_sex=F", case_id);
    int ngw = 0, first_status = 0;
    for (int i = 0; i < S_SUGGESTS; i++) {
        double t0 = pkt_now_ms();
        int st = pkt_intake_call(&T, "GET", path, NULL, admin, NULL, NULL);
        if (!first_status)
            first_status = st;
        if (st == 200)
            gw[ngw++] = pkt_now_ms() - t0;
    }
    if (ngw > 0) {
        printf("BENCH dispatch_suggest_p50_ms %.3f ms (GET /v1/staff/cases/{id}/companions, 100k companions)\n",
               pkt_percentile(gw, ngw, 50));
        printf("BENCH dispatch_suggest_p99_ms %.3f ms (%d samples)\n", pkt_percentile(gw, ngw, 99), ngw);
    } else {
        printf("BENCH dispatch_suggest_p99_ms NaN ms (the gateway answered %d)\n", first_status);
    }
    fflush(stdout);

    /* Pings through the gateway: 16 companions, wrk with 64 connections. */
    enum { NC = 16 };
    char *tokens[NC], *ids[NC];
    for (int i = 0; i < NC; i++) {
        char login[32], pw[64];
        snprintf(login, sizeof login, "benchpdp%d", i);
        snprintf(pw, sizeof pw, "bench-companion-password-%d", i);
        s_add(login, "companion", pw);
        tokens[i] = s_login(login, pw, &ids[i]);
        pkt_intake_call(&T, "PUT", "/v1/companion/status", "{\"on_duty\":true,\"sex\":\"F\"}", tokens[i], NULL, NULL);
    }
    char *script = pk_asprintf("%s/bench_dispatch.lua", pkt_env("PKTEST_TMP"));
    FILE *f = fopen(script, "w");
    fprintf(f, "local tokens = {");
    for (int i = 0; i < NC; i++)
        fprintf(f, "%s\"%s\"", i ? "," : "", tokens[i]);
    fprintf(f,
            "}\n"
            "local n = 0\n"
            "function request()\n"
            "  n = n + 1\n"
            "  local lat = -7.0 - (n %% 1000) / 10000\n"
            "  return wrk.format(\"POST\", nil, {[\"Content-Type\"] = \"application/json\",\n"
            "    [\"Authorization\"] = \"Bearer \" .. tokens[(n %% %d) + 1]},\n"
            "    string.format('{\"lat\":%%.5f,\"lon\":108.2,\"accuracy_m\":10}', lat))\n"
            "end\n"
            "local shown = false\n"
            "function response(status, headers, body)\n"
            "  if status ~= 204 and not shown then shown = true; io.write(\"FIRST \" .. status .. \" \" .. body .. "
            "\"\\n\") end\n"
            "end\n",
            NC);
    fclose(f);
    char *cmd = pk_asprintf("wrk -t2 -c64 -d10s --latency -s %s http://127.0.0.1:%d/v1/companion/location 2>&1", script,
                            T.port);
    FILE *w = popen(cmd, "r");
    char line[512];
    double rps = 0, p99 = 0;
    while (w && fgets(line, sizeof line, w)) {
        double v;
        char unit[8] = "";
        if (sscanf(line, "Requests/sec: %lf", &v) == 1)
            rps = v;
        else if (sscanf(line, " 99%% %lf%7s", &v, unit) == 2)
            p99 = strcmp(unit, "s") == 0 ? v * 1000 : strcmp(unit, "us") == 0 ? v / 1000 : v;
        else if (strncmp(line, "FIRST", 5) == 0 || strstr(line, "Non-2xx"))
            fputs(line, stderr);
    }
    if (w)
        pclose(w);
    printf("BENCH dispatch_location_pings_per_s %.0f pings/s (POST /v1/companion/location, wrk -c64, 16 companions)\n",
           rps);
    printf("BENCH dispatch_location_ping_p99_ms %.2f ms\n", p99);
    fflush(stdout);
    free(cmd);
    free(script);

    /* Freshness: one companion on the way, the reporter watching. */
    pkt_intake_call(&T, "POST", "/v1/companion/location", "{\"lat\":-7.30,\"lon\":108.1012345}", tokens[0], NULL, NULL);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/assign", case_id);
    char body[128];
    snprintf(body, sizeof body, "{\"companion_id\":\"%s\"}", ids[0]);
    j = NULL;
    pkt_intake_call(&T, "POST", path, body, admin, NULL, &j);
    char visit[40];
    snprintf(visit, sizeof visit, "%s", pkt_json_str(j, "visit_id"));
    json_decref(j);
    snprintf(path, sizeof path, "/v1/companion/visits/%s/en-route", visit);
    int st = 0;
    for (int i = 0; i < 100 && st != 200; i++) {
        st = pkt_intake_call(&T, "POST", path, "{}", tokens[0], NULL, NULL);
        if (st != 200)
            usleep(100000); /* the case moves to assigned when intake has the event */
    }
    snprintf(s_stream_url, sizeof s_stream_url, "http://127.0.0.1:%d/v1/reports/%s/companion/stream", T.port, case_id);
    snprintf(s_stream_auth, sizeof s_stream_auth, "Authorization: Bearer %s", reporter);
    for (int i = 0; i < 100; i++) { /* the read model must say en route first */
        if (pkt_intake_call(&T, "GET", strchr(s_stream_url + 7, '/'), NULL, reporter, NULL, NULL) == 200)
            break;
        usleep(100000);
    }
    pthread_t listener;
    pthread_create(&listener, NULL, s_listen, NULL);
    usleep(500000);
    for (int i = 0; i < S_LAG_PINGS; i++) {
        /* From 5 km towards 1 km: each ping a distance of its own. */
        double km = 5.0 - i * 0.04;
        double lat = S_LAT + km * S_KM_LAT;
        char ping[128];
        snprintf(ping, sizeof ping, "{\"lat\":%.7f,\"lon\":%.7f}", lat, S_LON);
        /* The distance dispatch will compute, as the stream shows it; noted
         * before the ping goes (the push may beat the ping's answer). */
        pthread_mutex_lock(&s_mu);
        s_dist[i] = lround(km * (6371008.8 * 3.14159265358979 / 180.0 * S_KM_LAT));
        s_sent[i] = pkt_now_ms();
        pthread_mutex_unlock(&s_mu);
        pkt_intake_call(&T, "POST", "/v1/companion/location", ping, tokens[0], NULL, NULL);
        usleep(50000);
    }
    usleep(1000000);
    double lag[S_LAG_PINGS];
    int nl = 0;
    pthread_mutex_lock(&s_mu);
    for (int i = 0; i < S_LAG_PINGS; i++)
        if (s_seen[i] > 0)
            lag[nl++] = s_seen[i] - s_sent[i];
    pthread_mutex_unlock(&s_mu);
    if (nl > 0) {
        printf("BENCH dispatch_approach_lag_p50_ms %.1f ms (ping sent -> on the reporter's stream)\n",
               pkt_percentile(lag, nl, 50));
        printf("BENCH dispatch_approach_lag_max_ms %.1f ms (%d samples: too few for a p99)\n",
               pkt_percentile(lag, nl, 100), nl);
    }
    printf("BENCH dispatch_approach_updates_seen %d of %d pings\n", nl, S_LAG_PINGS);
    fflush(stdout);
    pkt_intake_stop(&T); /* ends the stream */
    pthread_join(listener, NULL);
    for (int i = 0; i < NC; i++) {
        free(tokens[i]);
        free(ids[i]);
    }
    free(admin);
    free(reporter);
    return 0;
}
