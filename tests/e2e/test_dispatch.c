/* test_dispatch.c -- the companion's visit end to end, through the intake
 * gateway to a real dispatch service: the nearest companion suggested,
 * assigned once, watched by the reporter while approaching, arrival by
 * radius, the identification report, and the admin's timeline; with the
 * refusals on the way, a decline that returns the case, and the deletion
 * of positions outside visits. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/pkt_intake.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

static pkt_intake_t T;

#define LAT    (-7.3512345)
#define LON    108.1012345
#define KM_LAT 0.009043 /* degrees of latitude per km */
#define NOTES  "Korban tinggal bersama nenek di Kampung Rahasia Melati"

static void s_add(const char *login, const char *name, const char *role, const char *password)
{
    pkt_intake_staff(&T, login, name, role, NULL, password);
}

static char *s_login(const char *login, const char *password, char **staff_id)
{
    return pkt_intake_login(&T, login, password, staff_id);
}

static int s_call(const char *method, const char *path, const char *body, const char *token, json_t **out)
{
    return pkt_intake_call(&T, method, path, body, token, NULL, out);
}

static int s_ping(const char *token, double lat, double lon)
{
    char body[128];
    snprintf(body, sizeof body, "{\"lat\":%.7f,\"lon\":%.7f,\"accuracy_m\":8}", lat, lon);
    json_t *j = NULL;
    int st = s_call("POST", "/v1/companion/location", body, token, &j);
    if (st != 204) {
        char *text = j ? json_dumps(j, 0) : NULL;
        fprintf(stderr, "ping: %d %s\n", st, text ? text : "");
        free(text);
    }
    json_decref(j);
    return st;
}

/* A verified case at LAT, LON reported by `reporter`. */
static char *s_verified_case(const char *reporter, const char *admin, const char *key)
{
    const char *report =
        "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":15,\"name\":\"Dewi Rahasia\"},"
        "\"violence_forms\":[\"fisik\"],\"place_type\":\"rumah_tangga\",\"perpetrator_relation\":\"orang_tua\","
        "\"location\":{\"lat\":-7.3512345,\"lon\":108.1012345,\"kecamatan_code\":\"32.06.24\"},"
        "\"urgent\":true,\"contact_safety\":{\"safe_hours\":\"00:00-23:59\",\"safe_channel\":\"call\","
        "\"phone_monitored\":false}}";
    json_t *j;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", report, reporter, key, &j), 201);
    char *id = pk_strdup(pkt_json_str(j, "case_id"));
    json_decref(j);
    char path[160];
    snprintf(path, sizeof path, "/v1/staff/cases/%s?purpose=confirmation_call", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/calls", id);
    cr_assert_eq(s_call("POST", path, "{\"outcome\":\"reached\"}", admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/verify", id);
    cr_assert_eq(s_call("POST", path, NULL, admin, NULL), 200, "a bodiless step takes no body");
    return id;
}

static void s_wait_state(const char *case_id, const char *want)
{
    cr_assert(pkt_intake_wait_state(&T, case_id, want), "case %s reaches %s", case_id, want);
}

/* ---- concurrent assignment ------------------------------------------------------- */

typedef struct {
    const char *path, *body, *token;
    int status;
} s_assign_t;

static void *s_assign_thread(void *arg)
{
    s_assign_t *a = arg;
    a->status = s_call("POST", a->path, a->body, a->token, NULL);
    return NULL;
}

/* ---- the approach streams ------------------------------------------------------- */

/* Opens the approach stream at `path` as `token`; a test waits on what
 * it receives (pkt_stream_*). */
static pkt_stream_t *s_stream_open(const char *path, const char *token)
{
    char auth[160];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *headers[] = {auth, NULL};
    return pkt_stream_open(T.port, path, headers);
}

/* `arg`: how many streams (a string), "1" when NULL. */
static bool s_streams_open(void *arg)
{
    char *m = NULL, want[96];
    snprintf(want, sizeof want, "pelukan_intake_approach_streams{service=\"edge\"} %s\n",
             arg ? (const char *)arg : "1");
    pkt_http_get(T.proc.edge_metrics_port, "/metrics", &m);
    bool open = m && strstr(m, want);
    free(m);
    return open;
}

/* A check of the streams' sessions waits on a lock of the staff's
 * sessions (pg_stat_activity). */
static bool s_check_held(void *arg)
{
    (void)arg;
    char *n = pkt_sql_value(T.db, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                  " AND query LIKE '%staff_session%'");
    bool held = n && atol(n) > 0;
    free(n);
    return held;
}

/* `arg`: the count of commands intake's case owner answered to wait past. */
static bool s_owner_done_past(void *arg)
{
    return pkt_metric(T.proc.metrics_port, "pelukan_rpc_done_total") > *(const long long *)arg;
}

/* A peer's command to intake that is not for it: notification asking for
 * a case's place, dispatch for a reporter's phone. Both refused (403). */
static void s_peer_asks(const char *case_id, const char *place_asker, const char *contact_asker)
{
    const char *peers[] = {place_asker, contact_asker};
    for (int i = 0; i < 2; i++) {
        pk_bus_keys_t *keys = pkt_bus_keys(T.env, peers[i]);
        pk_rpc_client_t *rpc = pk_rpc_client_new(pkt_env_get(T.env, "PELUKAN_INTAKE_RPC"), 0, keys, "intake");
        Pelukan__V1__CommandRequest req;
        uint8_t rid[16];
        pk_rpc_request_init(&req, rid, pkt_http_timeout_ms(), 0);
        req.case_id = (char *)case_id;
        Pelukan__V1__GetPlace gp = PELUKAN__V1__GET_PLACE__INIT;
        Pelukan__V1__GetContact gc = PELUKAN__V1__GET_CONTACT__INIT;
        char staff[] = "00112233445566778899aabbccddeeff", visit[] = "ffeeddccbbaa99887766554433221100";
        if (i == 0) {
            gp.purpose_code = "companion_dispatch";
            gp.staff_id = staff;
            gp.visit_id = visit;
            req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_PLACE;
            req.get_place = &gp;
        } else {
            gc.purpose_code = "notification";
            gc.template_code = "case_update";
            gc.message_id = visit;
            req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CONTACT;
            req.get_contact = &gc;
        }
        Pelukan__V1__CommandReply *reply = NULL;
        cr_assert_eq(pk_rpc_call(rpc, &req, pkt_http_timeout_ms(), 0, &reply), 0, "%s answered", peers[i]);
        cr_assert_eq(reply->status, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_FORBIDDEN, "%s refused", peers[i]);
        cr_assert_eq(reply->result_case, PELUKAN__V1__COMMAND_REPLY__RESULT__NOT_SET, "nothing given to %s", peers[i]);
        pelukan__v1__command_reply__free_unpacked(reply, NULL);
        pk_rpc_client_destroy(&rpc);
        pk_bus_keys_destroy(&keys);
    }
}

Test(dispatch, nearest_companion_assigned_watched_arrives_and_reports)
{
    pkt_intake_start(&T, "t_dispatch1", NULL);
    pkt_intake_start_dispatch(&T);
    s_add("admin1", "Admin Satu", "admin", "kata-sandi-admin-1");
    s_add("pdp_near", "Rina Pendamping Dekat", "companion", "kata-sandi-rina-1");
    s_add("pdp_far", "Budi Pendamping Jauh", "companion", "kata-sandi-budi-1");
    s_add("pdp_off", "Asep Tidak Bertugas", "companion", "kata-sandi-asep-1");
    char *admin = s_login("admin1", "kata-sandi-admin-1", NULL);
    char *near_id, *far_id, *off_id;
    char *near = s_login("pdp_near", "kata-sandi-rina-1", &near_id);
    char *far = s_login("pdp_far", "kata-sandi-budi-1", &far_id);
    char *off = s_login("pdp_off", "kata-sandi-asep-1", &off_id);
    char *reporter = pkt_intake_register(&T, "081355550001");
    char *stranger = pkt_intake_register(&T, "081355550002");
    char *id = s_verified_case(reporter, admin, "d1");
    char rpath[160];
    snprintf(rpath, sizeof rpath, "/v1/reports/%s/companion", id);
    json_t *before;
    cr_assert_eq(s_call("GET", rpath, NULL, reporter, &before), 409, "no companion yet: not on the way (the contract)");
    cr_assert_str_eq(pkt_json_str(before, "error.code"), "not_en_route");
    json_decref(before);

    /* Companions report for duty; a ping before that is refused. */
    cr_assert_eq(s_ping(near, LAT + 2 * KM_LAT, LON), 409, "not registered yet");
    json_t *j;
    cr_assert_eq(s_call("PUT", "/v1/companion/status",
                        "{\"on_duty\":true,\"sex\":\"F\",\"languages\":[\"id\",\"su\"],"
                        "\"kecamatan_codes\":[\"32.06.24\"]}",
                        near, &j),
                 200);
    cr_assert_eq(strncmp(pkt_json_str(j, "badge"), "PDP-", 4), 0, "a badge number");
    json_decref(j);
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":true,\"sex\":\"M\"}", far, NULL), 200);
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":false}", off, NULL), 200);
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":\"yes\"}", off, NULL), 422);
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":true,\"kecamatan_codes\":[\"x\"]}", off, &j), 422);
    cr_assert_str_eq(pkt_json_str(j, "error.fields.kecamatan_codes"), "tidak valid", "dispatch names the field");
    json_decref(j);
    cr_assert_eq(s_ping(near, LAT + 2 * KM_LAT, LON), 204);
    cr_assert_eq(s_ping(far, LAT + 10 * KM_LAT, LON), 204);
    cr_assert_eq(s_ping(off, LAT + 0.5 * KM_LAT, LON), 204);
    /* Invalid coordinates. */
    cr_assert_eq(s_ping(near, 200, LON), 422);
    cr_assert_eq(s_call("POST", "/v1/companion/location", "{\"lat\":\"-7.3\",\"lon\":108.1}", near, NULL), 422);
    cr_assert_eq(s_call("POST", "/v1/companion/location", "{\"lat\":0,\"lon\":0}", near, NULL), 422);
    cr_assert_eq(s_call("POST", "/v1/companion/location", "{\"lat\":-7.3,\"lon\":108.1,\"x\":1}", near, NULL), 422);

    /* The suggestion: nearest on-duty first, the off-duty one absent. */
    char path[256];
    snprintf(path, sizeof path, "/v1/staff/cases/%s/companions?prefer_sex=F", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    cr_assert(json_is_true(json_object_get(j, "place_known")), "a case with its point");
    json_t *list = json_object_get(j, "companions");
    cr_assert_eq(json_array_size(list), 2, "%s", json_dumps(j, 0));
    json_t *first = json_array_get(list, 0), *second = json_array_get(list, 1);
    cr_assert_str_eq(pkt_json_str(first, "companion_id"), near_id);
    cr_assert_str_eq(pkt_json_str(first, "first_name"), "Rina");
    json_int_t d1 = json_integer_value(json_object_get(first, "distance_m"));
    cr_assert(d1 > 1900 && d1 < 2100, "about 2 km: %lld", (long long)d1);
    cr_assert(json_integer_value(json_object_get(first, "eta_minutes")) >= 4, "at 25 km/h");
    cr_assert(json_is_true(json_object_get(first, "preference_met")));
    cr_assert(json_is_true(json_object_get(first, "covers_kecamatan")));
    double plat = json_real_value(json_object_get(json_object_get(first, "position"), "lat"));
    cr_assert(plat < LAT + 0.05 && plat > LAT - 0.05, "the companion's position for the map: %f", plat);
    cr_assert_str_eq(pkt_json_str(second, "companion_id"), far_id);
    cr_assert(json_is_false(json_object_get(second, "preference_met")));
    json_decref(j);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/companions?prefer_sex=X", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, NULL), 422);

    /* Off duty: 409. Then two admins assign at once: exactly one wins. */
    snprintf(path, sizeof path, "/v1/staff/cases/%s/assign", id);
    char body[128];
    snprintf(body, sizeof body, "{\"companion_id\":\"%s\"}", off_id);
    cr_assert_eq(s_call("POST", path, body, admin, &j), 409);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "companion_off_duty");
    json_decref(j);
    char b1[128], b2[128];
    snprintf(b1, sizeof b1, "{\"companion_id\":\"%s\"}", near_id);
    snprintf(b2, sizeof b2, "{\"companion_id\":\"%s\"}", far_id);
    s_assign_t a1 = {path, b1, admin, 0}, a2 = {path, b2, admin, 0};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, s_assign_thread, &a1);
    pthread_create(&t2, NULL, s_assign_thread, &a2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    cr_assert((a1.status == 200) != (a2.status == 200), "one assignment: %d %d", a1.status, a2.status);
    cr_assert(a1.status == 409 || a2.status == 409);
    const char *winner = a1.status == 200 ? near : far, *loser = a1.status == 200 ? far : near;
    int assignments = a1.status == 200 ? 1 : 2; /* the far one winning is declined, the near one assigned */
    s_wait_state(id, "assigned");
    if (a1.status != 200) {
        /* The far one won the race: decline it so the near one is assigned. */
        cr_assert_eq(s_call("GET", "/v1/companion/visits", NULL, far, &j), 200);
        char step[200];
        snprintf(step, sizeof step, "/v1/companion/visits/%s/decline",
                 pkt_json_str(json_array_get(json_object_get(j, "visits"), 0), "visit_id"));
        json_decref(j);
        cr_assert_eq(s_call("POST", step, "{\"reason_code\":\"too_far\"}", far, NULL), 200);
        s_wait_state(id, "verified");
        cr_assert_eq(s_call("POST", path, b1, admin, NULL), 200);
        s_wait_state(id, "assigned");
        winner = near;
        loser = far;
    }
    (void)winner;

    /* The companion's visit, with the case's place (an opening). */
    cr_assert_eq(s_call("GET", "/v1/companion/visits", NULL, near, &j), 200);
    json_t *visit = json_array_get(json_object_get(j, "visits"), 0);
    char visit_id[64];
    snprintf(visit_id, sizeof visit_id, "%s", pkt_json_str(visit, "visit_id"));
    cr_assert_str_eq(pkt_json_str(visit, "state"), "assigned");
    cr_assert_null(json_object_get(visit, "location"), "no place in the list");
    json_decref(j);
    snprintf(path, sizeof path, "/v1/companion/visits/%s", visit_id);
    cr_assert_eq(s_call("GET", path, NULL, near, &j), 200);
    cr_assert_float_eq(json_real_value(json_object_get(json_object_get(j, "location"), "lat")), LAT, 1e-6);
    json_decref(j);
    cr_assert_eq(s_call("GET", path, NULL, loser, NULL), 404, "companion not assigned: the same as no such visit");
    snprintf(path, sizeof path, "/v1/companion/visits/%s/accept", visit_id);
    cr_assert_eq(s_call("POST", path, "{}", loser, NULL), 404, "companion not assigned");
    snprintf(path, sizeof path, "/v1/companion/visits/%s/accept", "0123456789abcdef0123456789abcdef");
    cr_assert_eq(s_call("POST", path, "{}", near, NULL), 404);

    /* Before leaving, the reporter has nothing to watch; a stranger never. */
    cr_assert_eq(s_call("GET", rpath, NULL, reporter, &j), 409);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "not_en_route");
    json_decref(j);
    cr_assert_eq(s_call("GET", rpath, NULL, stranger, &j), 404, "reporter of another case");
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "not_found");
    json_decref(j);
    char stream_path[200];
    snprintf(stream_path, sizeof stream_path, "%s/stream", rpath);
    cr_assert_eq(s_call("GET", stream_path, NULL, stranger, NULL), 404, "nor its stream");
    cr_assert_eq(s_call("GET", "/v1/reports/0123456789abcdef0123456789abcdef/companion", NULL, reporter, NULL), 404,
                 "a case that is nobody's");
    cr_assert_eq(s_call("GET", rpath, NULL, NULL, NULL), 401);

    snprintf(path, sizeof path, "/v1/companion/visits/%s/accept", visit_id);
    cr_assert_eq(s_call("POST", path, "{}", near, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "accepted");
    json_decref(j);
    cr_assert_eq(s_call("POST", path, "{}", near, NULL), 409, "accepted once");
    snprintf(path, sizeof path, "/v1/companion/visits/%s/en-route", visit_id);
    cr_assert_eq(s_call("POST", path, "{}", near, NULL), 200);
    s_wait_state(id, "en_route");
    cr_assert_eq(s_call("GET", rpath, NULL, reporter, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "companion.first_name"), "Rina");
    cr_assert_null(json_object_get(j, "companion_id"), "no staff id for the reporter");
    char *answer = json_dumps(j, 0);
    cr_assert_null(strstr(answer, near_id), "no staff id anywhere");
    free(answer);
    json_decref(j);

    /* The companion asks the office to reach the reporter (issue 22 §3):
     * hers to ask only; a request waiting is not made twice; the desk
     * shows it until an admin answers it. */
    snprintf(path, sizeof path, "/v1/companion/cases/%s/reach-request", id);
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"call_her_now\"}", near, NULL), 422);
    cr_assert_eq(s_call("POST", path, "{}", near, NULL), 422);
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"arrange_meeting\",\"phone\":\"0812\"}", near, NULL), 422);
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"arrange_meeting\"}", loser, NULL), 404, "not her case");
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"arrange_meeting\"}", admin, NULL), 403);
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"arrange_meeting\"}", near, &j), 200);
    cr_assert(json_is_false(json_object_get(j, "repeated")));
    json_decref(j);
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"other\"}", near, &j), 200);
    cr_assert(json_is_true(json_object_get(j, "repeated")), "one request waits at a time");
    json_decref(j);
    snprintf(path, sizeof path, "/v1/staff/cases/%s", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "reach_request.reason_code"), "arrange_meeting");
    json_decref(j);
    cr_assert_eq(s_call("GET", "/v1/staff/cases?state=open", NULL, admin, &j), 200);
    char *queue = json_dumps(j, 0);
    cr_assert_not_null(strstr(queue, "\"reason_code\": \"arrange_meeting\""), "marked in the queue: %s", queue);
    free(queue);
    json_decref(j);
    char *asked = pkt_sql_value(T.db, "SELECT count(*) FROM intake.outbox WHERE topic = 'intake.reporter_contact_requested'");
    cr_assert_str_eq(asked, "1", "one request, one event");
    free(asked);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/reach-request/done", id);
    cr_assert_eq(s_call("POST", path, NULL, near, NULL), 403, "an admin answers it");
    cr_assert_eq(s_call("POST", path, NULL, admin, &j), 200);
    cr_assert(json_is_true(json_object_get(j, "answered")));
    json_decref(j);
    cr_assert_eq(s_call("POST", path, NULL, admin, &j), 200);
    cr_assert(json_is_false(json_object_get(j, "answered")), "nothing waits any more");
    json_decref(j);
    snprintf(path, sizeof path, "/v1/staff/cases/%s", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    cr_assert(json_is_null(json_object_get(j, "reach_request")));
    char *tl = json_dumps(json_object_get(j, "timeline"), 0);
    cr_assert_not_null(strstr(tl, "\"reach_request\""), "%s", tl);
    cr_assert_not_null(strstr(tl, "\"reach_done\""), "%s", tl);
    free(tl);
    json_decref(j);

    /* Review M6: on a second device the reporter watches, then logs out
     * there: that stream ends within a second, the first device's session
     * stays. */
    char *other_device = pkt_intake_register(&T, "081355550001");
    char spath[160];
    snprintf(spath, sizeof spath, "/v1/reports/%s/companion/stream", id);
    pkt_stream_t *other = s_stream_open(spath, other_device);
    cr_assert(pkt_wait_until(s_streams_open, NULL, 60000), "the second device's stream opened");
    cr_assert_eq(s_call("POST", "/v1/auth/logout", NULL, other_device, NULL), 204);
    cr_assert(pkt_stream_ended(other, pkt_http_timeout_ms()), "the logged-out device's stream ended");
    char *other_body = pkt_stream_body(other);
    cr_assert_not_null(strstr(other_body, "\"reason\":\"session_ended\""), "%s", other_body);
    free(other_body);
    pkt_stream_close(&other);
    cr_assert_eq(s_call("GET", rpath, NULL, other_device, NULL), 401, "logged out");
    free(other_device);

    /* A stream opened while a check of the streams' sessions is under way
     * is judged by a later check, not by that one's answer, which does not
     * name it: it once ended there as "session_ended", and the reporter was
     * told the visit was over while her companion was on the way. The
     * check is held on a lock of the staff's sessions, which her stream's
     * own steps do not read; the desk's stream makes the checks run. */
    char dpath[160];
    snprintf(dpath, sizeof dpath, "/v1/staff/cases/%s/companion/stream", id);
    pkt_stream_t *watch = s_stream_open(dpath, admin);
    cr_assert(pkt_wait_until(s_streams_open, NULL, 60000), "the desk's stream opened");
    PGconn *lock = pkt_superuser(T.db);
    PQclear(PQexec(lock, "BEGIN"));
    PQclear(PQexec(lock, "LOCK TABLE intake.staff_session IN ACCESS EXCLUSIVE MODE"));
    cr_assert(pkt_wait_until(s_check_held, NULL, 60000), "a check waits");
    pkt_stream_t *mine = s_stream_open(spath, reporter);
    cr_assert(pkt_wait_until(s_streams_open, "2", 60000), "her stream opened while the check waits");
    cr_assert_eq(pkt_stream_status(mine, pkt_http_timeout_ms()), 200);
    long long done = pkt_metric(T.proc.metrics_port, "pelukan_rpc_done_total") + 1;
    PQclear(PQexec(lock, "COMMIT"));
    PQfinish(lock);
    /* The held check answered, then one asked after its answer was read. */
    cr_assert(pkt_wait_until(s_owner_done_past, &done, 60000), "two checks answered");
    int mine_seen = pkt_stream_count(mine, "\"distance_m\":");
    cr_assert_eq(s_ping(near, LAT + 2 * KM_LAT, LON), 204);
    cr_assert_eq(pkt_stream_wait(mine, "\"distance_m\":", mine_seen + 1, pkt_http_timeout_ms()), mine_seen + 1,
                 "her stream goes on");
    char *mine_body = pkt_stream_body(mine);
    cr_assert_null(strstr(mine_body, "event: end"), "%s", mine_body);
    free(mine_body);
    pkt_stream_close(&mine);
    pkt_stream_close(&watch);
    cr_assert(pkt_wait_until(s_streams_open, "0", 60000), "both closed");

    /* The reporter watches; the companion comes closer, then arrives. */
    pkt_stream_t *st = s_stream_open(spath, reporter);
    cr_assert(pkt_wait_until(s_streams_open, NULL, 60000), "the stream opened");
    /* The admin follows the same visit on the desk's map; a companion may not. */
    cr_assert_eq(s_call("GET", dpath, NULL, far, NULL), 403, "not a companion's view");
    pkt_stream_t *desk = s_stream_open(dpath, admin);
    cr_assert(pkt_wait_until(s_streams_open, "2", 60000), "the desk's stream opened");
    cr_assert_eq(pkt_stream_status(st, pkt_http_timeout_ms()), 200);
    cr_assert_eq(pkt_stream_status(desk, pkt_http_timeout_ms()), 200);
    /* Each ping is sent once the one before has reached both screens. */
    static const double km[] = {1.5, 1.0, 0.5, 0.04};
    int seen = pkt_stream_count(st, "\"distance_m\":"), desk_seen = pkt_stream_count(desk, "\"distance_m\":");
    for (size_t i = 0; i < sizeof km / sizeof km[0]; i++) {
        cr_assert_eq(s_ping(near, LAT + km[i] * KM_LAT, LON), 204);
        seen = pkt_stream_wait(st, "\"distance_m\":", seen + 1, pkt_http_timeout_ms());
        desk_seen = pkt_stream_wait(desk, "\"distance_m\":", desk_seen + 1, pkt_http_timeout_ms());
    }
    cr_assert(pkt_stream_ended(st, pkt_http_timeout_ms()), "the reporter's stream ended on arrival");
    cr_assert(pkt_stream_ended(desk, pkt_http_timeout_ms()), "the desk's stream ended on arrival");
    cr_assert_eq(pkt_stream_status(st, 0), 200);
    char *approach = pkt_stream_body(st);
    pkt_stream_close(&st);
    /* Distances in the order they came: never growing, ending near 0. */
    long last = 1000000, n = 0;
    for (const char *p = strstr(approach, "\"distance_m\":"); p; p = strstr(p + 1, "\"distance_m\":")) {
        long d = atol(p + strlen("\"distance_m\":"));
        cr_assert(d <= last, "distance grows: %ld after %ld\n%s", d, last, approach);
        last = d;
        n++;
    }
    cr_assert(n >= 4, "an update per ping: %ld\n%s", n, approach);
    cr_assert(last < 100, "arrived: %ld", last);
    cr_assert_not_null(strstr(approach, "event: end\ndata: {\"reason\":\"arrived\"}"), "%s", approach);
    cr_assert_null(strstr(approach, near_id), "no staff id in the stream");
    free(approach);
    cr_assert_eq(pkt_stream_status(desk, 0), 200);
    char *desk_body = pkt_stream_body(desk);
    pkt_stream_close(&desk);
    cr_assert_not_null(strstr(desk_body, "\"first_name\":\"Rina\""), "%s", desk_body);
    cr_assert_not_null(strstr(desk_body, "event: end\ndata: {\"reason\":\"arrived\"}"), "%s", desk_body);
    long desk_n = 0;
    for (const char *p = strstr(desk_body, "\"distance_m\":"); p; p = strstr(p + 1, "\"distance_m\":"))
        desk_n++;
    cr_assert(desk_n >= 4, "the desk saw every ping: %ld\n%s", desk_n, desk_body);
    free(desk_body);
    s_wait_state(id, "on_site");
    cr_assert_eq(s_call("GET", rpath, NULL, reporter, &j), 410, "tracking after arrival");
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "arrived");
    json_decref(j);
    /* She taps "arrived" too, after the radius saw it: the same success
     * (issue 22 §3), and no second arrival. */
    snprintf(path, sizeof path, "/v1/companion/visits/%s/arrived", visit_id);
    cr_assert_eq(s_call("POST", path, "{}", near, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "on_site");
    json_decref(j);
    char *arrivals =
        pkt_sql_value(T.db, "SELECT count(*) FROM dispatch.outbox WHERE topic = 'dispatch.companion_arrived'");
    cr_assert_str_eq(arrivals, "1", "one arrival");
    free(arrivals);
    /* No plaintext trace of the place (review H1): no ping of the visit in
     * the position log, and the companion on site keeps no position, even
     * after one more ping there. */
    cr_assert_eq(s_ping(near, LAT + 0.01 * KM_LAT, LON), 204);
    char *sql = pk_asprintf("SELECT count(*) FROM dispatch.position_log WHERE companion_id = '%s'"
                            " AND ST_DWithin(position, ST_MakePoint(%f, %f)::geography, 1200)",
                            near_id, LON, LAT);
    char *near_pings = pkt_sql_value(T.db, sql);
    cr_assert_str_eq(near_pings, "0", "pings of the visit are not logged");
    free(near_pings);
    free(sql);
    sql = pk_asprintf("SELECT count(*) FROM dispatch.companion WHERE id = '%s' AND position IS NOT NULL", near_id);
    char *kept = pkt_sql_value(T.db, sql);
    cr_assert_str_eq(kept, "0", "a companion on site keeps no position");
    free(kept);
    free(sql);

    /* The identification report. */
    snprintf(path, sizeof path, "/v1/companion/visits/%s/identification", visit_id);
    const char *ident = "{\"situation_confirmed\":true,\"immediate_danger\":false,"
                        "\"needs\":[\"medical\",\"psychological\"],\"recommended_services\":[\"kesehatan\"],"
                        "\"recommended_agencies\":[\"uptd_ppa\"],\"referral_consent\":true,"
                        "\"consented_agencies\":[\"uptd_ppa\"],\"guardian_situation\":\"with_relative\","
                        "\"notes\":\"" NOTES "\"}";
    cr_assert_eq(s_call("POST", path, ident, loser, NULL), 404);
    cr_assert_eq(s_call("POST", path,
                        "{\"situation_confirmed\":true,\"immediate_danger\":false,\"referral_consent\":false,"
                        "\"needs\":[\"money\"],\"guardian_situation\":\"with_relative\"}",
                        near, &j),
                 422);
    cr_assert_str_eq(pkt_json_str(j, "error.fields.needs"), "tidak valid");
    json_decref(j);
    cr_assert_eq(s_call("POST", path, "{\"situation_confirmed\":true}", near, NULL), 422);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, ident, near, "ident-1", &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "completed");
    char ident_id[64];
    snprintf(ident_id, sizeof ident_id, "%s", pkt_json_str(j, "identification_id"));
    cr_assert_neq(strlen(ident_id), 0);
    json_decref(j);
    /* Sent again after a lost connection, with the same key: the same
     * answer, one report; without the key, the visit is over (409). */
    cr_assert_eq(pkt_intake_call(&T, "POST", path, ident, near, "ident-1", &j), 200, "a repeat is harmless");
    cr_assert_str_eq(pkt_json_str(j, "identification_id"), ident_id);
    json_decref(j);
    cr_assert_eq(s_call("POST", path, ident, near, NULL), 409);
    char *reports = pkt_sql_value(T.db, "SELECT count(*) FROM dispatch.identification");
    cr_assert_str_eq(reports, "1", "one identification report");
    free(reports);
    s_wait_state(id, "assessed");

    /* The admin's timeline shows every step from dispatch. */
    snprintf(path, sizeof path, "/v1/staff/cases/%s", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    char *timeline = json_dumps(json_object_get(j, "timeline"), 0);
    static const char *const steps[] = {"dispatch:companion_assigned",
                                        "dispatch:visit_accepted",
                                        "dispatch:companion_en_route",
                                        "dispatch:companion_arrived",
                                        "dispatch:identification_report_submitted",
                                        "dispatch:visit_completed"};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        cr_assert_not_null(strstr(timeline, steps[i]), "%s in %s", steps[i], timeline);
    free(timeline);
    json_decref(j);

    /* The notes read back (issue 22 §4): for a purpose, by the office's
     * staff, opened by dispatch, which records the opening first. */
    snprintf(path, sizeof path, "/v1/staff/cases/%s/identification-notes", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, NULL), 422, "a purpose is asked");
    snprintf(path, sizeof path, "/v1/staff/cases/%s/identification-notes?purpose=curious", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, NULL), 422);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/identification-notes?purpose=case_review", id);
    cr_assert_eq(s_call("GET", path, NULL, near, NULL), 403, "not the companion's to read back here");
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    json_t *note = json_array_get(json_object_get(j, "notes"), 0);
    cr_assert_eq(json_array_size(json_object_get(j, "notes")), 1);
    cr_assert_str_eq(pkt_json_str(note, "text"), NOTES);
    cr_assert_str_eq(pkt_json_str(note, "id"), ident_id);
    cr_assert_gt(json_integer_value(json_object_get(note, "at_us")), 1700000000000000LL, "when it was written");
    cr_assert_not_null(strstr(pkt_json_str(note, "by"), "Rina"), "%s", pkt_json_str(note, "by"));
    json_decref(j);
    char *opened = pkt_sql_value(T.db, "SELECT count(*) FROM dispatch.outbox WHERE topic = 'dispatch.case_data_accessed'"
                                       " AND position(convert_to('case_review', 'UTF8') IN envelope) > 0"
                                       " AND position(convert_to('identification_notes', 'UTF8') IN envelope) > 0");
    cr_assert_str_eq(opened, "1", "the opening is recorded by dispatch, with its purpose");
    free(opened);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/identification-notes?purpose=case_review",
             "00000000000000000000000000000000");
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    cr_assert_eq(json_array_size(json_object_get(j, "notes")), 0, "a case without reports has no notes");
    json_decref(j);

    /* Nothing personal left dispatch: no coordinate or note in its events,
     * the notes sealed at rest, the target gone with the visit. */
    char *leak = pkt_sql_value(T.db, "SELECT count(*) FROM dispatch.outbox WHERE position('\\x2d372e3335'::bytea IN "
                                     "envelope) > 0 OR position(convert_to('Rahasia', 'UTF8') IN envelope) > 0");
    cr_assert_str_eq(leak, "0", "no '-7.35' and no note text in dispatch's events");
    free(leak);
    char *sealed = pkt_sql_value(T.db, "SELECT count(*) FROM dispatch.identification WHERE notes_sealed IS NOT NULL"
                                       " AND position(convert_to('Rahasia', 'UTF8') IN notes_sealed) = 0");
    cr_assert_str_eq(sealed, "1", "the notes are sealed");
    free(sealed);
    char *targets = pkt_sql_value(T.db, "SELECT count(*) FROM dispatch.visit WHERE target_sealed IS NOT NULL");
    cr_assert_str_eq(targets, "0", "the place is wiped when the visit ends");
    free(targets);
    char *access = pkt_sql_value(T.db, "SELECT count(*) FROM intake.case_event WHERE kind = 'access'"
                                       " AND reason_code = 'companion_dispatch'");
    cr_assert_eq(atoi(access), assignments,
                 "handing the place to dispatch is a recorded opening, once per assignment made (%d): the refused"
                 " ones (off duty, the losing admin) none (issue 15): %s",
                 assignments, access);
    free(access);
    /* Intake, the place's owner, gave it to dispatch when dispatch asked
     * (GetPlace, issue 24): each giving an event of intake's that names the
     * asker and, in its reference, the admin and the visit; each timeline
     * entry names the admin. Nothing waits to be settled. */
    char *admin_id = pkt_sql_value(T.db, "SELECT id FROM intake.staff WHERE login = 'admin1'");
    sql = pk_asprintf("SELECT count(*) FROM intake.outbox WHERE topic = 'intake.case_data_accessed'"
                      " AND position(convert_to('companion_dispatch', 'UTF8') IN envelope) > 0"
                      " AND position(convert_to('staff:%s:visit:', 'UTF8') IN envelope) > 0",
                      admin_id);
    access = pkt_sql_value(T.db, sql);
    free(sql);
    cr_assert_eq(atoi(access), assignments, "one CaseDataAccessed of intake's per place given: %s", access);
    free(access);
    sql = pk_asprintf("SELECT count(*) FROM intake.case_event WHERE kind = 'access' AND reason_code ="
                      " 'companion_dispatch' AND actor_kind = 'staff' AND actor_id = '%s'",
                      admin_id);
    access = pkt_sql_value(T.db, sql);
    free(sql);
    free(admin_id);
    cr_assert_eq(atoi(access), assignments, "the timeline names the admin who assigned: %s", access);
    free(access);
    access = pkt_sql_value(T.db, "SELECT count(*) FROM intake.case_event WHERE kind = 'access'"
                                 " AND reason_code = 'companion_suggestion'");
    cr_assert_eq(atoi(access), 1, "and so is the suggestion");
    free(access);

    pkt_intake_stop(&T);
    static const char *const secrets[] = {"Rahasia", "108.101", "-7.351", "Dewi"};
    char *logs[] = {pkt_proc_log(&T.proc), pkt_proc_log(&T.dispatch)};
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
            cr_assert_null(strstr(logs[l], secrets[i]), "\"%s\" in a log:\n%s", secrets[i], logs[l]);
        free(logs[l]);
    }
    free(admin), free(near), free(far), free(off), free(near_id), free(far_id), free(off_id);
    free(reporter), free(stranger), free(id);
}

static bool s_loose_positions_gone(void *arg)
{
    (void)arg;
    char *n = pkt_sql_value(T.db, "SELECT count(*) FROM dispatch.position_log");
    bool gone = n && strcmp(n, "0") == 0;
    free(n);
    return gone;
}

Test(dispatch, a_decline_returns_the_case_and_positions_outside_visits_expire)
{
    static const char *const extra[] = {"PELUKAN_DISPATCH_POSITION_RETENTION_S", "2", "PELUKAN_INTAKE_PURGE_S", "1",
                                        NULL};
    pkt_intake_start(&T, "t_dispatch2", extra);
    pkt_intake_start_dispatch(&T);
    s_add("admin1", "Admin Satu", "admin", "kata-sandi-admin-1");
    s_add("pdp1", "Sari Pendamping", "companion", "kata-sandi-sari-1");
    char *admin = s_login("admin1", "kata-sandi-admin-1", NULL);
    char *cid;
    char *comp = s_login("pdp1", "kata-sandi-sari-1", &cid);
    char *reporter = pkt_intake_register(&T, "081355550003");
    char *id = s_verified_case(reporter, admin, "d2");
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":true}", comp, NULL), 200);
    cr_assert_eq(s_ping(comp, LAT + 3 * KM_LAT, LON), 204);

    char path[200], body[128];
    snprintf(path, sizeof path, "/v1/staff/cases/%s/assign", id);
    snprintf(body, sizeof body, "{\"companion_id\":\"%s\"}", cid);
    json_t *j;
    cr_assert_eq(s_call("POST", path, body, admin, &j), 200);
    char visit_id[64];
    snprintf(visit_id, sizeof visit_id, "%s", pkt_json_str(j, "visit_id"));
    json_decref(j);
    s_wait_state(id, "assigned");
    cr_assert_eq(s_call("POST", path, body, admin, NULL), 409, "assigned already");

    /* Declined with a reason: the case is back in the admin's queue, the
     * companion free again. */
    snprintf(path, sizeof path, "/v1/companion/visits/%s/decline", visit_id);
    cr_assert_eq(s_call("POST", path, "{}", comp, NULL), 422, "a reason is required");
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"bored\"}", comp, &j), 422);
    cr_assert_str_eq(pkt_json_str(j, "error.fields.reason_code"), "tidak valid");
    json_decref(j);
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"unsafe\"}", comp, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "declined");
    json_decref(j);
    s_wait_state(id, "verified");
    char *load = pkt_sql_value(T.db, "SELECT load FROM dispatch.companion");
    cr_assert_str_eq(load, "0");
    free(load);
    char rpath[160];
    snprintf(rpath, sizeof rpath, "/v1/reports/%s/companion", id);
    cr_assert_eq(s_call("GET", rpath, NULL, reporter, &j), 409,
                 "declined: the case waits for another companion, nobody is on the way");
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "not_en_route");
    json_decref(j);

    /* Positions outside visits are deleted after the retention (2 s). */
    cr_assert(pkt_wait_until(s_loose_positions_gone, NULL, 15000), "positions outside visits deleted");
    char *pos = pkt_sql_value(T.db, "SELECT count(*) FROM dispatch.companion WHERE position IS NOT NULL");
    cr_assert_str_eq(pos, "0", "the last position too");
    free(pos);

    /* Withdrawn by the reporter while assigned: the visit is cancelled in
     * dispatch (it follows intake's events) and the companion freed. */
    cr_assert_eq(s_ping(comp, LAT + 3 * KM_LAT, LON), 204);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/assign", id);
    cr_assert_eq(s_call("POST", path, body, admin, NULL), 200);
    s_wait_state(id, "assigned");
    snprintf(path, sizeof path, "/v1/reports/%s/withdraw", id);
    cr_assert_eq(s_call("POST", path, NULL, reporter, NULL), 200);
    cr_assert(pkt_sql_wait(T.db, "SELECT count(*) FROM dispatch.companion WHERE load = 0", pkt_wait_ms()),
              "the withdrawn case's visit is cancelled");

    /* Only dispatch may ask intake for a place, and dispatch nothing else
     * of intake's: a peer's command for the other is refused (403). */
    s_peer_asks(id, "notification", "dispatch");
    pkt_intake_stop(&T);
    free(admin), free(comp), free(cid), free(reporter), free(id);
}

/* Issue 22: a report made with its kecamatan only (no point) can be given a
 * companion. Every companion on duty is suggested, those covering the
 * kecamatan first, then those meeting the victim's preference, then the
 * least loaded, each with "position unknown"; a companion off duty is not;
 * the one chosen is assigned. */
Test(dispatch, a_case_without_a_point_gets_every_companion_on_duty_and_is_assigned)
{
    pkt_intake_start(&T, "t_dispatch3", NULL);
    pkt_intake_start_dispatch(&T);
    s_add("admin1", "Admin Satu", "admin", "kata-sandi-admin-1");
    s_add("pdp_cover", "Euis Pendamping", "companion", "kata-sandi-euis-1");
    s_add("pdp_woman", "Neng Pendamping", "companion", "kata-sandi-neng-1");
    s_add("pdp_man", "Ujang Pendamping", "companion", "kata-sandi-ujang-1");
    s_add("pdp_off", "Asep Tidak Bertugas", "companion", "kata-sandi-asep-1");
    char *admin = s_login("admin1", "kata-sandi-admin-1", NULL);
    char *cover_id, *woman_id, *man_id, *off_id;
    char *cover = s_login("pdp_cover", "kata-sandi-euis-1", &cover_id);
    char *woman = s_login("pdp_woman", "kata-sandi-neng-1", &woman_id);
    char *man = s_login("pdp_man", "kata-sandi-ujang-1", &man_id);
    char *off = s_login("pdp_off", "kata-sandi-asep-1", &off_id);
    /* The man covers another kecamatan; the woman covers none; the third
     * covers the case's (32.06.24, Singaparna) and is a man. */
    cr_assert_eq(s_call("PUT", "/v1/companion/status",
                        "{\"on_duty\":true,\"sex\":\"M\",\"kecamatan_codes\":[\"32.06.24\"]}", cover, NULL),
                 200);
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":true,\"sex\":\"F\"}", woman, NULL), 200);
    cr_assert_eq(s_call("PUT", "/v1/companion/status",
                        "{\"on_duty\":true,\"sex\":\"M\",\"kecamatan_codes\":[\"32.06.01\"]}", man, NULL),
                 200);
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":false}", off, NULL), 200);

    char *reporter = pkt_intake_register(&T, "081355550009");
    const char *report = "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":30},"
                         "\"violence_forms\":[\"psikis\"],\"location\":{\"kecamatan_code\":\"32.06.24\"},"
                         "\"contact_safety\":{\"safe_hours\":\"00:00-23:59\",\"safe_channel\":\"call\"}}";
    json_t *j;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", report, reporter, "nopoint", &j), 201);
    char *id = pk_strdup(pkt_json_str(j, "case_id"));
    json_decref(j);
    char path[200];
    char body[128];
    /* Not verified yet: no suggestion and no companion, as the case owner
     * decides (GetPlace), and nothing of its place opened. */
    snprintf(path, sizeof path, "/v1/staff/cases/%s/companions", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 409);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "invalid_transition");
    cr_assert_str_eq(pkt_json_str(j, "error.fields.state"), "submitted", "the 409 names the case's state");
    json_decref(j);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/assign", id);
    snprintf(body, sizeof body, "{\"companion_id\":\"%s\"}", woman_id);
    cr_assert_eq(s_call("POST", path, body, admin, &j), 409);
    cr_assert_str_eq(pkt_json_str(j, "error.fields.state"), "submitted");
    cr_assert_str_eq(pkt_json_str(j, "error.fields.to"), "assigned");
    json_decref(j);
    char *sql = pk_asprintf("SELECT count(*) FROM intake.case_event WHERE case_id = '%s' AND kind = 'access'"
                            " AND reason_code LIKE 'companion_%%'",
                            id);
    char *opened = pkt_sql_value(T.db, sql);
    cr_assert_str_eq(opened, "0", "a refused suggestion or assignment opens nothing");
    free(opened);
    free(sql);
    snprintf(path, sizeof path, "/v1/staff/cases/%s?purpose=confirmation_call", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/calls", id);
    cr_assert_eq(s_call("POST", path, "{\"outcome\":\"reached\"}", admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/verify", id);
    cr_assert_eq(s_call("POST", path, NULL, admin, NULL), 200);

    /* Asked for a woman companion: the one covering the kecamatan first,
     * then the woman, then the other; nobody off duty. */
    snprintf(path, sizeof path, "/v1/staff/cases/%s/companions?prefer_sex=F", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    json_t *list = json_object_get(j, "companions");
    char *text = json_dumps(j, 0);
    cr_assert_eq(json_array_size(list), 3, "every companion on duty: %s", text);
    const char *want[] = {cover_id, woman_id, man_id};
    for (size_t i = 0; i < 3; i++) {
        json_t *it = json_array_get(list, i);
        cr_assert_str_eq(pkt_json_str(it, "companion_id"), want[i], "place %zu: %s", i, text);
        cr_assert(json_is_false(json_object_get(it, "position_known")), "%s", text);
        cr_assert_null(json_object_get(it, "distance_m"), "%s", text);
    }
    cr_assert(json_is_true(json_object_get(json_array_get(list, 0), "covers_kecamatan")), "%s", text);
    cr_assert(json_is_true(json_object_get(json_array_get(list, 1), "preference_met")), "%s", text);
    cr_assert_null(strstr(text, off_id), "nobody off duty: %s", text);
    free(text);
    json_decref(j);

    snprintf(path, sizeof path, "/v1/staff/cases/%s/assign", id);
    snprintf(body, sizeof body, "{\"companion_id\":\"%s\"}", woman_id);
    cr_assert_eq(s_call("POST", path, body, admin, &j), 200);
    json_decref(j);
    s_wait_state(id, "assigned");
    free(id), free(reporter), free(admin), free(cover), free(woman), free(man), free(off);
    free(cover_id), free(woman_id), free(man_id), free(off_id);
    pkt_intake_stop(&T);
}

/* Issue 22 §2: an admin says where a companion works, their sex and
 * languages; going on duty later keeps what the admin set (it used to wipe
 * it), and the suggestion for a case with its kecamatan only puts the
 * companion covering it first. */
Test(dispatch, an_admin_sets_a_companions_coverage_and_going_on_duty_keeps_it)
{
    pkt_intake_start(&T, "t_dispatch4", NULL);
    pkt_intake_start_dispatch(&T);
    s_add("admin1", "Admin Satu", "admin", "kata-sandi-admin-1");
    s_add("pdp_euis", "Euis Pendamping", "companion", "kata-sandi-euis-1");
    s_add("pdp_neng", "Neng Pendamping", "companion", "kata-sandi-neng-1");
    char *admin_id, *euis_id, *neng_id;
    char *admin = s_login("admin1", "kata-sandi-admin-1", &admin_id);
    char *euis = s_login("pdp_euis", "kata-sandi-euis-1", &euis_id);
    char *neng = s_login("pdp_neng", "kata-sandi-neng-1", &neng_id);
    char path[200];
    json_t *j;

    /* Refused: not a companion, a field missing, a kecamatan outside the
     * district, a field the route does not take. */
    const char *profile = "{\"sex\":\"F\",\"languages\":[\"su\",\"id\"],\"kecamatan_codes\":[\"32.06.24\"]}";
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/companion", admin_id);
    cr_assert_eq(s_call("PUT", path, profile, admin, NULL), 404, "an admin's account has no companion profile");
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/companion", euis_id);
    cr_assert_eq(s_call("PUT", path, "{\"sex\":\"F\",\"languages\":[]}", admin, &j), 422);
    char *why = json_dumps(j, 0);
    cr_assert_not_null(json_object_get(json_object_get(json_object_get(j, "error"), "fields"), "kecamatan_codes"), "%s",
                       why);
    free(why);
    json_decref(j);
    cr_assert_eq(s_call("PUT", path, "{\"sex\":null,\"languages\":[],\"kecamatan_codes\":[\"32.07.01\"]}", admin, &j),
                 422);
    json_decref(j);
    cr_assert_eq(
        s_call("PUT", path, "{\"sex\":\"F\",\"languages\":[],\"kecamatan_codes\":[],\"on_duty\":true}", admin, &j),
        422);
    json_decref(j);
    cr_assert_eq(s_call("PUT", path, profile, euis, NULL), 403, "a companion does not set a profile here");

    /* Set before Euis ever went on duty: known to dispatch, off duty. */
    cr_assert_eq(s_call("PUT", path, profile, admin, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "companion_id"), euis_id);
    cr_assert(json_is_false(json_object_get(j, "on_duty")));
    cr_assert_str_eq(pkt_json_str(j, "sex"), "F");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "kecamatan_codes"), 0)), "32.06.24");
    json_decref(j);

    char *changes =
        pkt_sql_value(T.db, "SELECT count(*) FROM dispatch.outbox WHERE topic = 'dispatch.staff_account_changed'");
    cr_assert_str_eq(changes, "1", "the coverage change is an event (audit log)");
    free(changes);

    /* Her app reads her duty back (after a reload): off, then on. */
    cr_assert_eq(s_call("GET", "/v1/companion/status", NULL, euis, &j), 200);
    cr_assert(json_is_false(json_object_get(j, "on_duty")));
    json_decref(j);
    cr_assert_eq(s_call("GET", "/v1/companion/status", NULL, neng, &j), 200, "not known to dispatch yet: off duty");
    cr_assert(json_is_false(json_object_get(j, "on_duty")));
    cr_assert(json_is_null(json_object_get(j, "badge")));
    json_decref(j);
    /* She goes on duty (the app sends on_duty only): the profile stays. */
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":true}", euis, NULL), 200);
    cr_assert_eq(s_call("GET", "/v1/companion/status", NULL, euis, &j), 200);
    cr_assert(json_is_true(json_object_get(j, "on_duty")), "read back: on duty");
    json_decref(j);
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":true}", neng, NULL), 200);
    cr_assert_eq(s_call("GET", "/v1/staff/companions", NULL, admin, &j), 200);
    char *text = json_dumps(j, 0);
    json_t *list = json_object_get(j, "companions");
    cr_assert_eq(json_array_size(list), 2, "%s", text);
    /* Badges are drawn once per companion (review N12): four changes, two badges. */
    cr_assert_str_eq(pkt_json_str(json_array_get(list, 0), "badge"), "PDP-0001", "%s", text);
    cr_assert_str_eq(pkt_json_str(json_array_get(list, 1), "badge"), "PDP-0002", "%s", text);
    json_t *e = NULL;
    for (size_t i = 0; i < json_array_size(list); i++)
        if (strcmp(pkt_json_str(json_array_get(list, i), "companion_id"), euis_id) == 0)
            e = json_array_get(list, i);
    cr_assert_not_null(e, "%s", text);
    cr_assert(json_is_true(json_object_get(e, "on_duty")), "%s", text);
    cr_assert_str_eq(pkt_json_str(e, "sex"), "F", "%s", text);
    cr_assert_eq(json_array_size(json_object_get(e, "languages")), 2, "%s", text);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(e, "kecamatan_codes"), 0)), "32.06.24", "%s",
                     text);
    free(text);
    json_decref(j);

    /* A report with its kecamatan only: Euis, who covers it, first. */
    char *reporter = pkt_intake_register(&T, "081355550010");
    const char *report = "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":30},"
                         "\"violence_forms\":[\"psikis\"],\"location\":{\"kecamatan_code\":\"32.06.24\"},"
                         "\"contact_safety\":{\"safe_hours\":\"00:00-23:59\",\"safe_channel\":\"call\"}}";
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", report, reporter, "cover1", &j), 201);
    char *id = pk_strdup(pkt_json_str(j, "case_id"));
    json_decref(j);
    snprintf(path, sizeof path, "/v1/staff/cases/%s?purpose=confirmation_call", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/calls", id);
    cr_assert_eq(s_call("POST", path, "{\"outcome\":\"reached\"}", admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/verify", id);
    cr_assert_eq(s_call("POST", path, NULL, admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/companions", id);
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    text = json_dumps(j, 0);
    cr_assert(json_is_false(json_object_get(j, "place_known")), "kecamatan only: %s", text);
    list = json_object_get(j, "companions");
    cr_assert_eq(json_array_size(list), 2, "%s", text);
    cr_assert_str_eq(pkt_json_str(json_array_get(list, 0), "companion_id"), euis_id, "%s", text);
    cr_assert(json_is_true(json_object_get(json_array_get(list, 0), "covers_kecamatan")), "%s", text);
    cr_assert(json_is_false(json_object_get(json_array_get(list, 1), "covers_kecamatan")), "%s", text);
    free(text);
    json_decref(j);

    /* A case with its point, and nobody's position known yet: everyone on
     * duty still, the one covering the kecamatan first (it used to be only
     * those covering it). */
    char *pointed = s_verified_case(reporter, admin, "cover2");
    snprintf(path, sizeof path, "/v1/staff/cases/%s/companions", pointed);
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    text = json_dumps(j, 0);
    cr_assert(json_is_true(json_object_get(j, "place_known")), "%s", text);
    list = json_object_get(j, "companions");
    cr_assert_eq(json_array_size(list), 2, "%s", text);
    cr_assert_str_eq(pkt_json_str(json_array_get(list, 0), "companion_id"), euis_id, "%s", text);
    cr_assert_str_eq(pkt_json_str(json_array_get(list, 1), "companion_id"), neng_id, "%s", text);
    free(text);
    json_decref(j);
    free(pointed);
    free(id), free(reporter), free(admin), free(euis), free(neng);
    free(admin_id), free(euis_id), free(neng_id);
    pkt_intake_stop(&T);
}

/* A's place, where the companion stays after the visit, within `m` metres:
 * how many of dispatch's stored points lie there (the companion's position
 * and the position log; PostGIS, so a distance query, not a grep). */
static int s_points_near_a(const char *companion_id, int m)
{
    char *sql = pk_asprintf("SELECT (SELECT count(*) FROM dispatch.position_log WHERE companion_id = '%s'"
                            "  AND ST_DWithin(position, ST_MakePoint(%f, %f)::geography, %d))"
                            " + (SELECT count(*) FROM dispatch.companion WHERE id = '%s'"
                            "  AND ST_DWithin(position, ST_MakePoint(%f, %f)::geography, %d))",
                            companion_id, LON, LAT, m, companion_id, LON, LAT, m);
    char *v = pkt_sql_value(T.db, sql);
    int n = atoi(v);
    free(v);
    free(sql);
    return n;
}

/* Takes the companion's visit of `case_id` to `state` ("en_route" or
 * "completed", through arrival and the identification report); its id. */
static char *s_visit_to(const char *comp, const char *case_id, const char *state)
{
    json_t *j;
    cr_assert_eq(s_call("GET", "/v1/companion/visits", NULL, comp, &j), 200);
    char *visit_id = NULL;
    json_t *visits = json_object_get(j, "visits");
    for (size_t i = 0; i < json_array_size(visits); i++)
        if (strcmp(pkt_json_str(json_array_get(visits, i), "case_id"), case_id) == 0)
            visit_id = pk_strdup(pkt_json_str(json_array_get(visits, i), "visit_id"));
    json_decref(j);
    cr_assert_not_null(visit_id, "a visit for case %s", case_id);
    char path[200];
    snprintf(path, sizeof path, "/v1/companion/visits/%s/accept", visit_id);
    cr_assert_eq(s_call("POST", path, "{}", comp, NULL), 200);
    snprintf(path, sizeof path, "/v1/companion/visits/%s/en-route", visit_id);
    cr_assert_eq(s_call("POST", path, "{}", comp, NULL), 200);
    s_wait_state(case_id, "en_route");
    if (strcmp(state, "en_route") == 0)
        return visit_id;
    cr_assert_eq(s_ping(comp, LAT + 0.01 * KM_LAT, LON), 204); /* 10 m: arrived */
    s_wait_state(case_id, "on_site");
    snprintf(path, sizeof path, "/v1/companion/visits/%s/identification", visit_id);
    cr_assert_eq(s_call("POST", path,
                        "{\"situation_confirmed\":true,\"immediate_danger\":false,\"needs\":[\"medical\"],"
                        "\"referral_consent\":false,\"guardian_situation\":\"not_child\"}",
                        comp, NULL),
                 200);
    return visit_id;
}

/* Security review N2: after the visit to A, the companion's phone still
 * pings from A's house. Nothing of it is kept (no position, no log row
 * within 500 m of A), the admin's suggestion for the next case B shows no
 * position, and B's reporter sees only a distance band while the companion
 * is still there; a position once the companion is 2 km away. */
Test(dispatch, n2_the_last_victims_home_is_neither_kept_nor_shown_to_the_next_reporter)
{
    pkt_intake_start(&T, "t_dispatch5", NULL);
    pkt_intake_start_dispatch(&T);
    s_add("admin1", "Admin Satu", "admin", "kata-sandi-admin-1");
    s_add("rina", "Rina Pendamping", "companion", "kata-sandi-rina-1");
    char *admin = s_login("admin1", "kata-sandi-admin-1", NULL), *rina_id;
    char *rina = s_login("rina", "kata-sandi-rina-1", &rina_id);
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":true}", rina, NULL), 200);
    cr_assert_eq(s_ping(rina, LAT + 5 * KM_LAT, LON), 204);

    /* Case A, at LAT, LON: visited and completed. */
    char *reporter_a = pkt_intake_register(&T, "081355550021");
    char *a = s_verified_case(reporter_a, admin, "n2-a");
    char path[200], body[128];
    snprintf(path, sizeof path, "/v1/staff/cases/%s/assign", a);
    snprintf(body, sizeof body, "{\"companion_id\":\"%s\"}", rina_id);
    cr_assert_eq(s_call("POST", path, body, admin, NULL), 200);
    s_wait_state(a, "assigned");
    free(s_visit_to(rina, a, "completed"));
    s_wait_state(a, "assessed");

    /* Writing her notes at A's house: 30 m and 3 m from it. */
    cr_assert_eq(s_ping(rina, LAT + 0.03 * KM_LAT, LON), 204);
    cr_assert_eq(s_ping(rina, LAT + 0.003 * KM_LAT, LON), 204);
    cr_assert_eq(s_points_near_a(rina_id, 500), 0, "no point within 500 m of A kept after the visit");

    /* Case B, 10 km south, by another reporter. */
    char *reporter_b = pkt_intake_register(&T, "081355550022");
    const char *report = "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":30},"
                         "\"violence_forms\":[\"psikis\"],\"location\":{\"lat\":-7.4416,\"lon\":108.1012,"
                         "\"kecamatan_code\":\"32.06.25\"},"
                         "\"contact_safety\":{\"safe_hours\":\"00:00-23:59\",\"safe_channel\":\"call\"}}";
    json_t *j;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", report, reporter_b, "n2-b", &j), 201);
    char *b = pk_strdup(pkt_json_str(j, "case_id"));
    json_decref(j);
    snprintf(path, sizeof path, "/v1/staff/cases/%s?purpose=confirmation_call", b);
    cr_assert_eq(s_call("GET", path, NULL, admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/calls", b);
    cr_assert_eq(s_call("POST", path, "{\"outcome\":\"reached\"}", admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/verify", b);
    cr_assert_eq(s_call("POST", path, NULL, admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/companions", b);
    cr_assert_eq(s_call("GET", path, NULL, admin, &j), 200);
    char *text = json_dumps(j, 0);
    cr_assert_eq(json_array_size(json_object_get(j, "companions")), 1, "%s", text);
    cr_assert(json_is_false(json_object_get(json_array_get(json_object_get(j, "companions"), 0), "position_known")),
              "the admin's map shows no position taken at A: %s", text);
    free(text);
    json_decref(j);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/assign", b);
    cr_assert_eq(s_call("POST", path, body, admin, NULL), 200);
    s_wait_state(b, "assigned");
    free(s_visit_to(rina, b, "en_route"));

    /* B's reporter watches: a ping still at A gives a distance band only. */
    char rpath[200], spath[200];
    snprintf(rpath, sizeof rpath, "/v1/reports/%s/companion", b);
    snprintf(spath, sizeof spath, "/v1/reports/%s/companion/stream", b);
    cr_assert_eq(s_call("GET", rpath, NULL, reporter_b, &j), 200);
    cr_assert(json_is_null(json_object_get(j, "position")), "no position at first");
    json_decref(j);
    pkt_stream_t *st = s_stream_open(spath, reporter_b);
    cr_assert(pkt_wait_until(s_streams_open, NULL, 60000), "the stream opened");
    cr_assert_eq(s_ping(rina, LAT + 0.002 * KM_LAT, LON), 204);
    pkt_stream_wait(st, "\"distance_m\":", 1, pkt_http_timeout_ms());
    char *seen = pkt_stream_body(st);
    const char *d = strstr(seen, "\"distance_m\":");
    cr_assert_not_null(d, "%s", seen);
    cr_assert_eq(atol(d + strlen("\"distance_m\":")) % 500, 0, "a band of 500 m: %s", seen);
    cr_assert_null(strstr(seen, "\"lat\""), "no position near A: %s", seen);
    free(seen);
    cr_assert_eq(s_points_near_a(rina_id, 500), 0, "nothing stored either");

    /* 2 km away from A, towards B: now shown. */
    cr_assert_eq(s_ping(rina, LAT - 2 * KM_LAT, LON), 204);
    pkt_stream_wait(st, "\"distance_m\":", 2, pkt_http_timeout_ms());
    seen = pkt_stream_body(st);
    cr_assert_not_null(strstr(seen, "\"lat\""), "the position once away from A: %s", seen);
    free(seen);
    pkt_stream_close(&st);
    cr_assert_eq(s_call("GET", rpath, NULL, reporter_b, &j), 200);
    cr_assert_not_null(json_object_get(j, "position"));
    cr_assert(!json_is_null(json_object_get(j, "position")), "the position once away from A");
    json_decref(j);
    cr_assert_eq(s_points_near_a(rina_id, 500), 0, "and none near A, ever");
    free(a), free(b), free(reporter_a), free(reporter_b), free(admin), free(rina), free(rina_id);
    pkt_intake_stop(&T);
}

static bool s_ping_refused(void *arg)
{
    return s_ping(arg, LAT, LON) == 401;
}

/* A staff member's session is asked of the case owner on every request,
 * except a companion's position, whose answer the edge may hold a moment
 * (PELUKAN_INTAKE_SESSION_CACHE_MS, here 10 s). A session ended elsewhere
 * (pelukanctl, another edge: here its row deleted) is refused at once on
 * every other route and on the pings once the moment is over; a logout on
 * this edge ends the held answer at once. */
Test(dispatch, a_ping_may_ride_a_held_session_for_a_moment_and_nothing_else_does, .timeout = 300)
{
    static const char *const extra[] = {"PELUKAN_INTAKE_SESSION_CACHE_MS", "10000", NULL};
    pkt_intake_start(&T, "t_dispatch_held", extra);
    pkt_intake_start_dispatch(&T);
    s_add("pdp_held", "Rina Pendamping", "companion", "kata-sandi-rina-1");
    char *tc = s_login("pdp_held", "kata-sandi-rina-1", NULL);
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":true,\"sex\":\"F\"}", tc, NULL), 200);
    cr_assert_eq(s_ping(tc, LAT, LON), 204);
    cr_assert_eq(s_ping(tc, LAT, LON), 204);
    pkt_sql(T.db, "DELETE FROM intake.staff_session");
    cr_assert_eq(s_call("GET", "/v1/companion/status", NULL, tc, NULL), 401, "every other route asks: refused at once");
    cr_assert(pkt_wait_until(s_ping_refused, tc, 60000), "the pings too, once the moment is over");

    char *t2 = s_login("pdp_held", "kata-sandi-rina-1", NULL);
    cr_assert_eq(s_ping(t2, LAT, LON), 204);
    cr_assert_eq(s_ping(t2, LAT, LON), 204);
    cr_assert_eq(s_call("POST", "/v1/staff/logout", NULL, t2, NULL), 204);
    cr_assert_eq(s_ping(t2, LAT, LON), 401, "a logout on this edge ends the held answer at once");
    free(tc);
    free(t2);
    pkt_intake_stop(&T);
}
