/* pkt_intake.c -- an intake service under test and calls to its API. */
#include "pkt_intake.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pelukan/util.h"
#include "pelukan/v1/commands.pb-c.h"

void pkt_intake_start(pkt_intake_t *t, const char *db, const char *const *extra)
{
    memset(t, 0, sizeof *t);
    snprintf(t->db, sizeof t->db, "%s", db);
    zsys_handler_set(NULL);
    free(pkt_db_create(db));
    t->env = pkt_env_new(db);
    /* Every test client comes from 127.0.0.1: the per-address login
     * throttle (review N6) is tested on its own, with its defaults. Set
     * here, not for every process: a stand-in running as "intake" (the bus
     * tests' pk-busnode) would refuse settings it does not have. */
    pkt_env_set(t->env, "PELUKAN_INTAKE_LOGINS_PER_CLIENT", "10000000");
    pkt_env_set(t->env, "PELUKAN_INTAKE_LOGIN_CHECKS_PER_CLIENT", "100000");
    for (const char *const *e = extra; e && *e; e += 2)
        pkt_env_set(t->env, e[0], e[1]);
    t->notif = pkt_bus_bind(t->env, ZMQ_ROUTER, "notification", "notification.rpc", "PELUKAN_NOTIFICATION_RPC");
    cr_assert_not_null(t->notif);
    t->proc = pkt_service_start("intake", t->env);
    t->port = t->proc.http_port;
}

void pkt_intake_start_dispatch(pkt_intake_t *t)
{
    t->dispatch = pkt_service_start("dispatch", t->env);
    t->has_dispatch = true;
}

void pkt_intake_start_referral(pkt_intake_t *t)
{
    t->referral = pkt_service_start("referral", t->env);
    t->has_referral = true;
}

void pkt_intake_start_notification(pkt_intake_t *t)
{
    zsock_destroy(&t->notif); /* frees the command endpoint for the real service */
    t->notification = pkt_service_start("notification", t->env);
    t->has_notification = true;
}

void pkt_intake_stop(pkt_intake_t *t)
{
    cr_assert_eq(pkt_proc_stop(&t->proc, SIGTERM, 20000), 0, "intake stops cleanly");
    if (t->has_dispatch)
        cr_assert_eq(pkt_proc_stop(&t->dispatch, SIGTERM, 20000), 0, "dispatch stops cleanly");
    if (t->has_referral)
        cr_assert_eq(pkt_proc_stop(&t->referral, SIGTERM, 20000), 0, "referral stops cleanly");
    if (t->has_notification)
        cr_assert_eq(pkt_proc_stop(&t->notification, SIGTERM, 20000), 0, "notification stops cleanly");
    zsock_destroy(&t->notif);
    pkt_env_destroy(&t->env);
}

bool pkt_otp_answer(zsock_t *notif, char code[8], char phone[24])
{
    zsock_set_rcvtimeo(notif, 5000);
    zmsg_t *m = zmsg_recv(notif);
    if (!m)
        return false;
    zframe_t *id = zmsg_pop(m), *body = zmsg_pop(m);
    Pelukan__V1__CommandRequest *req =
        body ? pelukan__v1__command_request__unpack(NULL, zframe_size(body), zframe_data(body)) : NULL;
    if (!req || req->command_case != PELUKAN__V1__COMMAND_REQUEST__COMMAND_SEND_OTP) {
        if (req)
            pelukan__v1__command_request__free_unpacked(req, NULL);
        zframe_destroy(&id);
        zframe_destroy(&body);
        zmsg_destroy(&m);
        return false;
    }
    snprintf(code, 8, "%s", req->send_otp->code);
    snprintf(phone, 24, "%s", req->send_otp->phone_e164);
    Pelukan__V1__CommandReply rep = PELUKAN__V1__COMMAND_REPLY__INIT;
    rep.status = PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK;
    rep.command_id = req->command_id;
    uint8_t buf[64];
    size_t len = pelukan__v1__command_reply__pack(&rep, buf);
    zmq_send(zsock_resolve(notif), zframe_data(id), zframe_size(id), ZMQ_SNDMORE);
    zmq_send(zsock_resolve(notif), buf, len, 0);
    pelukan__v1__command_request__free_unpacked(req, NULL);
    zframe_destroy(&id);
    zframe_destroy(&body);
    zmsg_destroy(&m);
    return true;
}

bool pkt_intake_take_otp(pkt_intake_t *t, char code[8], char phone[24])
{
    return pkt_otp_answer(t->notif, code, phone);
}

int pkt_intake_call(pkt_intake_t *t, const char *method, const char *path, const char *body, const char *token,
                    const char *idem, json_t **out)
{
    char auth[128], key[160];
    const char *headers[4] = {"Content-Type: application/json", NULL, NULL, NULL};
    int h = 1;
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        headers[h++] = auth;
    }
    if (idem) {
        snprintf(key, sizeof key, "Idempotency-Key: %s", idem);
        headers[h++] = key;
    }
    char *text = NULL;
    int st = pkt_http(method, t->port, path, body, body ? strlen(body) : 0, headers, &text);
    if (out)
        *out = json_loads(text ? text : "", JSON_DECODE_ANY, NULL);
    free(text);
    return st;
}

const char *pkt_json_str(json_t *j, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = j;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, tok);
    return cur && json_is_string(cur) ? json_string_value(cur) : "";
}

char *pkt_intake_register(pkt_intake_t *t, const char *phone)
{
    char body[128];
    snprintf(body, sizeof body, "{\"phone\":\"%s\"}", phone);
    cr_assert_eq(pkt_intake_call(t, "POST", "/v1/auth/otp", body, NULL, NULL, NULL), 202);
    char code[8], e164[24];
    cr_assert(pkt_intake_take_otp(t, code, e164), "the code reached the notification service by command");
    snprintf(body, sizeof body, "{\"phone\":\"%s\",\"code\":\"%s\"}", phone, code);
    json_t *j;
    cr_assert_eq(pkt_intake_call(t, "POST", "/v1/auth/otp/verify", body, NULL, NULL, &j), 200);
    char *token = pk_strdup(pkt_json_str(j, "token"));
    cr_assert_eq(strlen(token), 64);
    json_decref(j);
    return token;
}

void pkt_intake_staff(pkt_intake_t *t, const char *login, const char *name, const char *role, const char *agency,
                      const char *password)
{
    char *in = pk_asprintf("%s/pw-%d", pkt_env("PKTEST_TMP"), (int)getpid());
    FILE *f = fopen(in, "w");
    fprintf(f, "%s\n", password);
    fclose(f);
    char *args = pk_asprintf("staff add --login %s --name '%s' --role %s %s%s --password-stdin", login, name, role,
                             agency ? "--agency " : "", agency ? agency : "");
    char *out = NULL;
    int rc = pkt_ctl(t->env, args, in, &out);
    cr_assert_eq(rc, 0, "%s", out);
    unlink(in);
    free(in);
    free(args);
    free(out);
}

char *pkt_intake_login(pkt_intake_t *t, const char *login, const char *password, char **staff_id)
{
    char body[256];
    snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", login, password);
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(t, "POST", "/v1/staff/login", body, NULL, NULL, &j), 200, "%s logs in", login);
    char *token = pk_strdup(pkt_json_str(j, "token"));
    if (staff_id)
        *staff_id = pk_strdup(pkt_json_str(j, "staff.id"));
    json_decref(j);
    return token;
}

typedef struct {
    pkt_intake_t *t;
    const char *case_id, *want;
    char state[32];
} s_wait_t;

static bool s_state_is(void *arg)
{
    s_wait_t *w = arg;
    char *sql = pk_asprintf("SELECT state FROM intake.cases WHERE id = '%s'", w->case_id);
    char *v = pkt_sql_value(w->t->db, sql);
    snprintf(w->state, sizeof w->state, "%s", v ? v : "");
    free(v);
    free(sql);
    return strcmp(w->state, w->want) == 0;
}

bool pkt_intake_wait_state(pkt_intake_t *t, const char *case_id, const char *want)
{
    s_wait_t w = {t, case_id, want, ""};
    bool ok = pkt_wait_until(s_state_is, &w, 20000);
    if (!ok)
        fprintf(stderr, "case %s is %s, not %s\n", case_id, w.state, want);
    return ok;
}
