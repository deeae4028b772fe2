/* test_staff.c -- staff accounts and the admin's workflow through the real
 * intake service: login, lock-out, password change, logout, accounts;
 * a report confirmed by phone and verified, each opening of personal data
 * recorded and seen by the auditors; and the authorization matrix, every
 * route called as every role. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../services/intake/intake.h"
#include "../../services/intake/intake_case.h"
#include "../support/pkt_intake.h"
#include "pelukan/util.h"

static pkt_intake_t T;

/* Adds a staff account with `password` through pelukanctl. */
static int s_add(const char *login, const char *role, const char *agency, const char *password)
{
    char *in = pk_asprintf("%s/pw-%d", pkt_env("PKTEST_TMP"), (int)getpid());
    FILE *f = fopen(in, "w");
    fprintf(f, "%s\n", password);
    fclose(f);
    char *args = pk_asprintf("staff add --login %s --name 'Petugas %s' --role %s %s%s --password-stdin", login, login,
                             role, agency ? "--agency " : "", agency ? agency : "");
    char *out = NULL;
    int rc = pkt_ctl(T.env, args, in, &out);
    cr_assert(rc == 0 || rc == 1, "%s", out);
    unlink(in);
    free(in);
    free(args);
    free(out);
    return rc;
}

/* Logs in; returns the status and the token (caller frees) when 200. */
static int s_login(const char *login, const char *password, char **token)
{
    char body[256];
    snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", login, password);
    json_t *j = NULL;
    int st = pkt_intake_call(&T, "POST", "/v1/staff/login", body, NULL, NULL, &j);
    if (token)
        *token = st == 200 ? pk_strdup(pkt_json_str(j, "token")) : NULL;
    json_decref(j);
    return st;
}

static char *s_token(const char *login, const char *password)
{
    char *token;
    cr_assert_eq(s_login(login, password, &token), 200, "%s logs in", login);
    cr_assert_eq(strncmp(token, "stf_", 4), 0);
    return token;
}

Test(staff, login_lockout_password_change_logout_and_accounts)
{
    static const char *const extra[] = {"PELUKAN_INTAKE_STAFF_MAX_FAILURES", "3", "PELUKAN_INTAKE_STAFF_LOCK_S", "2",
                                        NULL};
    pkt_intake_start(&T, "t_staff1", extra);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-rahasia-1"), 0);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-rahasia-1"), 1, "a login exists once");
    char *out = NULL;
    cr_assert_eq(pkt_ctl(T.env, "staff add --login x --role admin --name X", NULL, &out), 2, "%s", out);
    free(out);

    json_t *j;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/login", "{\"login\":\"admin1\",\"password\":\"salah-sekali\"}",
                                 NULL, NULL, &j),
                 401);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "invalid_credentials");
    json_decref(j);
    cr_assert_eq(s_login("nobody", "kata-sandi-rahasia-1", NULL), 401, "unknown logins get the same answer");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/login", "{\"login\":\"admin1\"}", NULL, NULL, NULL), 422);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/login", "{nope", NULL, NULL, NULL), 400);

    /* Two more wrong passwords lock the account, even for the right one. */
    cr_assert_eq(s_login("admin1", "salah-dua", NULL), 401);
    cr_assert_eq(s_login("admin1", "salah-tiga", NULL), 401);
    cr_assert_eq(s_login("admin1", "kata-sandi-rahasia-1", NULL), 423);
    cr_assert_not_null(pkt_last_header("Retry-After"));
    usleep(2500000);
    char *t1 = s_token("admin1", "kata-sandi-rahasia-1");
    char *t2 = s_token("admin1", "kata-sandi-rahasia-1");

    /* Accounts: an admin creates a companion, who logs in; disabled, the
     * companion's session ends and the login stops working. */
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts",
                                 "{\"login\":\"pendamping1\",\"display_name\":\"Pendamping Satu\",\"role\":\"companion\","
                                 "\"password\":\"pendamping-rahasia-1\"}",
                                 t1, NULL, &j),
                 201);
    char *companion_id = pk_strdup(pkt_json_str(j, "id"));
    json_decref(j);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts",
                                 "{\"login\":\"pendamping1\",\"display_name\":\"X\",\"role\":\"companion\","
                                 "\"password\":\"pendamping-rahasia-1\"}",
                                 t1, NULL, NULL),
                 409);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts",
                                 "{\"login\":\"Bad Login\",\"display_name\":\"\",\"role\":\"root\",\"password\":\"short\"}",
                                 t1, NULL, &j),
                 422);
    cr_assert_not_null(json_object_get(json_object_get(json_object_get(j, "error"), "fields"), "login"));
    cr_assert_not_null(json_object_get(json_object_get(json_object_get(j, "error"), "fields"), "role"));
    json_decref(j);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts",
                                 "{\"login\":\"uptd1\",\"display_name\":\"UPTD\",\"role\":\"agency\","
                                 "\"password\":\"uptd-rahasia-satu\"}",
                                 t1, NULL, NULL),
                 422, "an agency user needs an agency");
    char *tc = s_token("pendamping1", "pendamping-rahasia-1");
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/accounts", NULL, tc, NULL, NULL), 403, "not for companions");
    char path[128];
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/disable", companion_id);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, NULL, t1, NULL, NULL), 200);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/password", "{}", tc, NULL, NULL), 401, "session ended");
    cr_assert_eq(s_login("pendamping1", "pendamping-rahasia-1", NULL), 401);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/accounts", NULL, t1, NULL, &j), 200);
    cr_assert_eq(json_array_size(json_object_get(j, "accounts")), 2);
    json_decref(j);

    /* Password change: the old one must be right, the new one long; other
     * sessions end, this one stays. */
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/password",
                                 "{\"current_password\":\"salah\",\"new_password\":\"kata-sandi-baru-2\"}", t2, NULL,
                                 NULL),
                 403);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/password",
                                 "{\"current_password\":\"kata-sandi-rahasia-1\",\"new_password\":\"pendek\"}", t2,
                                 NULL, NULL),
                 422);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/password",
                                 "{\"current_password\":\"kata-sandi-rahasia-1\",\"new_password\":\"kata-sandi-baru-2\"}",
                                 t2, NULL, NULL),
                 204);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/accounts", NULL, t1, NULL, NULL), 401, "the other session");
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/accounts", NULL, t2, NULL, NULL), 200, "this session");
    cr_assert_eq(s_login("admin1", "kata-sandi-rahasia-1", NULL), 401);
    char *t3 = s_token("admin1", "kata-sandi-baru-2");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/logout", NULL, t3, NULL, NULL), 204);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/accounts", NULL, t3, NULL, NULL), 401, "logged out");

    /* pelukanctl sees and disables accounts too. */
    cr_assert_eq(pkt_ctl(T.env, "staff list", NULL, &out), 0);
    cr_assert_not_null(strstr(out, "admin1"), "%s", out);
    cr_assert_not_null(strstr(out, "disabled"), "%s", out);
    free(out);
    cr_assert_eq(pkt_ctl(T.env, "staff disable --login admin1", NULL, &out), 0, "%s", out);
    free(out);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/accounts", NULL, t2, NULL, NULL), 401);

    pkt_intake_stop(&T);
    char *log = pkt_proc_log(&T.proc);
    static const char *const secrets[] = {"kata-sandi", "pendamping-rahasia", "salah-dua", "admin1", "pendamping1"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        cr_assert_null(strstr(log, secrets[i]), "\"%s\" in the log:\n%s", secrets[i], log);
    free(log);
    free(t1);
    free(t2);
    free(t3);
    free(tc);
    free(companion_id);
}
