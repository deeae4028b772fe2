/* test_staff.c -- staff accounts and the admin's workflow through the real
 * intake service: login, lock-out, password change, logout, accounts;
 * a report confirmed by phone and verified, each opening of personal data
 * recorded and seen by the auditors; and the authorization matrix, every
 * route called as every role. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../services/edge/edge_routes.h"
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

typedef struct {
    const char *body;
    int status;
} s_try_t;

static void *s_try_thread(void *arg)
{
    s_try_t *t = arg;
    const char *ct[] = {"Content-Type: application/json", NULL};
    t->status = pkt_http("POST", T.port, "/v1/staff/login", t->body, strlen(t->body), ct, NULL);
    return NULL;
}

/* Security review H4, L6: thirty wrong passwords and the right one at
 * once get no more checks than the limit, and wrong current passwords in
 * a password change count the same. */
Test(staff, the_lock_out_holds_under_parallel_tries_and_counts_password_changes)
{
    static const char *const extra[] = {"PELUKAN_INTAKE_STAFF_MAX_FAILURES",
                                        "5",
                                        "PELUKAN_INTAKE_STAFF_LOCK_S",
                                        "900",
                                        "PELUKAN_INTAKE_PASSWORD_SLOTS",
                                        "64",
                                        NULL};
    pkt_intake_start(&T, "t_staff_race", extra);
    cr_assert_eq(s_add("admin3", "admin", NULL, "kata-sandi-rahasia-3"), 0);
    enum { N = 31 };
    s_try_t tries[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        tries[i].body = i == N - 1 ? "{\"login\":\"admin3\",\"password\":\"kata-sandi-rahasia-3\"}"
                                   : "{\"login\":\"admin3\",\"password\":\"salah-sekali-ini\"}";
        pthread_create(&th[i], NULL, s_try_thread, &tries[i]);
    }
    int ok = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        cr_assert_neq(tries[i].status, 0, "try %d: no answer within %d s", i, pkt_http_timeout_ms() / 1000);
        cr_assert(tries[i].status == 401 || tries[i].status == 200, "%d", tries[i].status);
        ok += tries[i].status == 200;
    }
    char *log = pkt_proc_log(&T.proc);
    int checked = 0;
    for (const char *p = strstr(log, "wrong password for staff"); p; p = strstr(p + 1, "wrong password for staff"))
        checked++;
    free(log);
    cr_assert_leq(checked + ok, 5, "no more checks than the limit: %d wrong checked, %d right", checked, ok);
    /* Whatever the race gave (the right password may have been checked
     * before the limit was reached, which starts the count again), five
     * wrong tries in a row lock the account, and then the right password
     * is refused like any other. */
    for (int i = 0; i < 5; i++)
        cr_assert_eq(s_login("admin3", "salah-sekali-ini", NULL), 401);
    cr_assert_eq(s_login("admin3", "kata-sandi-rahasia-3", NULL), 401, "locked, and saying nothing about it");
    char *locked = pkt_sql_value(T.db, "SELECT locked_until > now() FROM intake.staff WHERE login = 'admin3'");
    cr_assert_str_eq(locked, "t", "the lock is on");
    free(locked);

    /* A supervisor lifts the lock (review M3); since N1 another admin may not. */
    cr_assert_eq(s_add("admin4", "admin", NULL, "kata-sandi-rahasia-4"), 0);
    cr_assert_eq(s_add("spv4", "supervisor", NULL, "kata-sandi-rahasia-4"), 0);
    char *peer = s_token("admin4", "kata-sandi-rahasia-4"), *other = s_token("spv4", "kata-sandi-rahasia-4");
    char *id3 = pkt_sql_value(T.db, "SELECT id FROM intake.staff WHERE login = 'admin3'"), unlock[128];
    snprintf(unlock, sizeof unlock, "/v1/staff/accounts/%s/unlock", id3);
    cr_assert_eq(pkt_intake_call(&T, "POST", unlock, NULL, peer, NULL, NULL), 403, "an admin does not unlock an admin");
    free(peer);
    cr_assert_eq(pkt_intake_call(&T, "POST", unlock, NULL, other, NULL, NULL), 200);
    cr_assert_eq(s_login("admin3", "kata-sandi-rahasia-3", NULL), 200, "unlocked");
    free(id3);
    free(other);

    /* Every log line of a request carries its correlation id (issue 24):
     * the wrong password and the 401 of one login say the id it came with. */
    const char *login_body = "{\"login\":\"admin4\",\"password\":\"bukan-kata-sandinya\"}";
    const char *with_id[] = {"Content-Type: application/json", "X-Request-Id: corr-login-4711", NULL};
    cr_assert_eq(pkt_http("POST", T.port, "/v1/staff/login", login_body, strlen(login_body), with_id, NULL), 401);
    char *lines = pkt_proc_log(&T.proc);
    int tagged = 0;
    for (char *line = strtok(lines, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, "corr-login-4711"))
            tagged += strstr(line, "wrong password for staff") != NULL || strstr(line, "invalid_credentials") != NULL;
    free(lines);
    cr_assert_eq(tagged, 2, "the check and the answer of the login both carry its correlation id");

    /* Password changes: wrong current passwords lock the account too. */
    pkt_sql(T.db, "UPDATE intake.staff SET failed_logins = 0, locked_until = NULL WHERE login = 'admin3'");
    char *t = s_token("admin3", "kata-sandi-rahasia-3");
    for (int i = 0; i < 5; i++)
        cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/password",
                                     "{\"current_password\":\"tebakan-salah\",\"new_password\":\"kata-sandi-baru-3\"}",
                                     t, NULL, NULL),
                     403);
    char *n = pkt_sql_value(T.db, "SELECT failed_logins FROM intake.staff WHERE login = 'admin3'");
    cr_assert_str_eq(n, "5", "every wrong current password counted");
    free(n);
    cr_assert_eq(
        pkt_intake_call(&T, "POST", "/v1/staff/password",
                        "{\"current_password\":\"kata-sandi-rahasia-3\",\"new_password\":\"kata-sandi-baru-3\"}", t,
                        NULL, NULL),
        403, "locked: the right one is refused too");
    cr_assert_eq(s_login("admin3", "kata-sandi-rahasia-3", NULL), 401);

    /* A forgotten password: a supervisor sets a new one (an admin's account,
     * N1); the lock is lifted and every session of the account ends (the
     * owner's old token too). */
    char *admin = s_token("spv4", "kata-sandi-rahasia-4");
    char *id = pkt_sql_value(T.db, "SELECT id FROM intake.staff WHERE login = 'admin3'"), reset[128];
    snprintf(reset, sizeof reset, "/v1/staff/accounts/%s/password", id);
    cr_assert_eq(pkt_intake_call(&T, "POST", reset, "{\"password\":\"pendek\"}", admin, NULL, NULL), 422);
    cr_assert_eq(pkt_intake_call(&T, "POST", reset, "{\"password\":\"kata-sandi-baru-3\",\"x\":1}", admin, NULL, NULL),
                 422);
    json_t *answer = NULL;
    cr_assert_eq(pkt_intake_call(&T, "POST", reset, "{\"password\":\"kata-sandi-setel-ulang\"}", admin, NULL, &answer),
                 200);
    cr_assert(json_is_true(json_object_get(answer, "reset")));
    json_decref(answer);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/accounts", NULL, t, NULL, NULL), 401,
                 "the account's sessions ended");
    cr_assert_eq(s_login("admin3", "kata-sandi-rahasia-3", NULL), 401, "the old password is gone");
    cr_assert_eq(s_login("admin3", "kata-sandi-setel-ulang", NULL), 200, "the new one works: the lock is lifted");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts/00000000000000000000000000000000/password",
                                 "{\"password\":\"kata-sandi-setel-ulang\"}", admin, NULL, NULL),
                 404);

    /* A wrong password whose claim the owner answers late counts one try,
     * not one per copy: the edge sends a claim once (it sent it again
     * after a second, with the same id, and each copy counted). The
     * account's row is held on a lock until the login has its answer. */
    pkt_sql(T.db, "UPDATE intake.staff SET failed_logins = 0, locked_until = NULL WHERE login = 'admin3'");
    PGconn *lock = pkt_superuser(T.db);
    PQclear(PQexec(lock, "BEGIN"));
    PQclear(PQexec(lock, "SELECT 1 FROM intake.staff WHERE login = 'admin3' FOR UPDATE"));
    cr_assert_eq(s_login("admin3", "salah-sekali-ini", NULL), 503, "the owner did not answer in time");
    PQclear(PQexec(lock, "COMMIT"));
    PQfinish(lock);
    cr_assert(pkt_sql_wait(T.db,
                           "SELECT (count(*) = 0)::int FROM pg_stat_activity WHERE query LIKE '%failed_logins%'"
                           " AND state <> 'idle' AND pid <> pg_backend_pid()",
                           pkt_http_timeout_ms()),
              "the claim ran once the lock was gone");
    char *counted = pkt_sql_value(T.db, "SELECT failed_logins FROM intake.staff WHERE login = 'admin3'");
    cr_assert_str_eq(counted, "1", "one wrong password, one try");
    free(counted);
    char *logged = pkt_proc_log(&T.proc);
    cr_assert_null(strstr(logged, "kata-sandi-setel-ulang"), "no password in the log");
    free(logged);
    free(id);
    free(admin);
    free(t);
    pkt_intake_stop(&T);
}

static long s_vm_hwm_kb(pid_t pid)
{
    char path[64], *text = NULL;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (pk_read_file(path, &text, NULL) != 0)
        return -1;
    const char *p = strstr(text, "VmHWM:");
    long kb = p ? atol(p + 6) : -1;
    free(text);
    return kb;
}

/* Security review M4: a flood of logins sheds load with 503 and
 * Retry-After instead of queueing without end, and intake's memory stays
 * within what its password slots allow (64 MiB per Argon2id check). */
Test(staff, a_login_flood_is_shed_and_memory_stays_bounded)
{
    static const char *const extra[] = {"PELUKAN_INTAKE_PASSWORD_SLOTS", "2", NULL};
    pkt_intake_start(&T, "t_staff_flood", extra);
    enum { N = 60 };
    s_try_t tries[N];
    pthread_t th[N];
    char bodies[N][96];
    for (int i = 0; i < N; i++) {
        snprintf(bodies[i], sizeof bodies[i], "{\"login\":\"penyerang%d\",\"password\":\"tebakan-%d\"}", i, i);
        tries[i].body = bodies[i];
        pthread_create(&th[i], NULL, s_try_thread, &tries[i]);
    }
    int shed = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        cr_assert_neq(tries[i].status, 0, "try %d: no answer within %d s", i, pkt_http_timeout_ms() / 1000);
        shed += tries[i].status == 503;
        refused += tries[i].status == 401;
    }
    cr_assert_eq(shed + refused, N, "every try answered 401 or 503");
    cr_assert_gt(shed, 0, "load was shed");
    cr_assert_gt(refused, 0, "and some were checked");
    long kb = s_vm_hwm_kb(T.proc.edge_pid); /* the edge checks the passwords */
    cr_assert(kb > 0 && kb < 200 * 1024, "the edge's peak memory %ld KiB: two 64 MiB checks at most", kb);
    pkt_intake_stop(&T);
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

    /* Two more wrong passwords lock the account, even for the right one,
     * which gets the wrong password's answer (nothing tells the account
     * exists or is locked: review M3). */
    cr_assert_eq(s_login("admin1", "salah-dua", NULL), 401);
    char *wrong_text = NULL, *locked_text = NULL;
    const char *ct[] = {"Content-Type: application/json", NULL};
    const char *wrong_body = "{\"login\":\"admin1\",\"password\":\"salah-tiga\"}",
               *right_body = "{\"login\":\"admin1\",\"password\":\"kata-sandi-rahasia-1\"}";
    cr_assert_eq(pkt_http("POST", T.port, "/v1/staff/login", wrong_body, strlen(wrong_body), ct, &wrong_text), 401);
    cr_assert_eq(pkt_http("POST", T.port, "/v1/staff/login", right_body, strlen(right_body), ct, &locked_text), 401);
    cr_assert_str_eq(locked_text, wrong_text);
    cr_assert_null(pkt_last_header("Retry-After"));
    free(wrong_text);
    free(locked_text);
    cr_assert(
        pkt_sql_wait(T.db, "SELECT count(*) FROM intake.staff WHERE login = 'admin1' AND locked_until > now()", 1000));
    pkt_sql(T.db, "UPDATE intake.staff SET locked_until = now() WHERE login = 'admin1'"); /* the lock ends */
    char *t1 = s_token("admin1", "kata-sandi-rahasia-1");
    char *t2 = s_token("admin1", "kata-sandi-rahasia-1");

    /* Accounts: an admin creates a companion, who logs in; disabled, the
     * companion's session ends and the login stops working. */
    int made = pkt_intake_call(&T, "POST", "/v1/staff/accounts",
                               "{\"login\":\"pendamping1\",\"display_name\":\"Pendamping Satu\",\"role\":"
                               "\"companion\",\"password\":\"pendamping-rahasia-1\",\"phone\":\"0812 7777 0083\"}",
                               t1, NULL, &j);
    char *said = json_dumps(j, 0);
    cr_assert_eq(made, 201, "%s", said);
    free(said);
    char *companion_id = pk_strdup(pkt_json_str(j, "id"));
    json_decref(j);
    /* Her own mobile, for the texts of new visits (issue 22 §3). */
    char *e164 = pkt_sql_value(T.db, "SELECT phone_e164 FROM intake.staff WHERE login = 'pendamping1'");
    cr_assert_str_eq(e164, "+6281277770083");
    free(e164);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts",
                                 "{\"login\":\"pendamping9\",\"display_name\":\"X\",\"role\":\"companion\","
                                 "\"password\":\"pendamping-rahasia-9\",\"phone\":\"021-555-0101\"}",
                                 t1, NULL, NULL),
                 422, "a mobile number only");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts",
                                 "{\"login\":\"pendamping1\",\"display_name\":\"X\",\"role\":\"companion\","
                                 "\"password\":\"pendamping-rahasia-1\"}",
                                 t1, NULL, NULL),
                 409);
    cr_assert_eq(
        pkt_intake_call(&T, "POST", "/v1/staff/accounts",
                        "{\"login\":\"Bad Login\",\"display_name\":\"\",\"role\":\"root\",\"password\":\"short\"}", t1,
                        NULL, &j),
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
                                 "{\"current_password\":\"kata-sandi-rahasia-1\","
                                 "\"new_password\":\"kata-sandi-rahasia-1\"}",
                                 t2, NULL, NULL),
                 422, "the same password again");
    cr_assert_eq(
        pkt_intake_call(&T, "POST", "/v1/staff/password",
                        "{\"current_password\":\"kata-sandi-rahasia-1\",\"new_password\":\"kata-sandi-baru-2\"}", t2,
                        NULL, NULL),
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
    /* Made and disabled from the command line, each is an event of intake's
     * like a change through the API (security review N1), by "pelukanctl";
     * the refused second add made none. */
    char *sql = pk_asprintf(
        "SELECT count(*) FROM intake.outbox WHERE topic = 'intake.staff_account_changed'"
        " AND position(convert_to('pelukanctl', 'UTF8') IN envelope) > 0"
        " AND position(convert_to((SELECT id FROM intake.staff WHERE login = 'admin1'), 'UTF8') IN envelope) > 0");
    char *by_ctl = pkt_sql_value(T.db, sql);
    cr_assert_str_eq(by_ctl, "2", "created and disabled, once each");
    free(by_ctl);
    free(sql);
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

/* A report whose reporter may be called in `hours` (WIB). */
static char *s_report(const char *hours, bool monitored)
{
    return pk_asprintf("{\"reporter\":{\"kind\":\"witness\",\"relation\":\"tetangga\"},"
                       "\"victim\":{\"sex\":\"F\",\"age\":14,\"name\":\"Siti Rahayu Unik\"},"
                       "\"violence_forms\":[\"fisik\",\"psikis\"],\"place_type\":\"rumah_tangga\",\"perpetrator_"
                       "relation\":\"orang_tua\","
                       "\"incident\":{\"at\":\"2026-11-27T20:00:00+07:00\",\"approximate\":true},"
                       "\"location\":{\"lat\":-7.3512345,\"lon\":108.1012345,\"kecamatan_code\":\"32.06.24\","
                       "\"address\":\"Jalan Kenanga Rahasia 17\"},"
                       "\"account\":\"Ayah tiri memukul setiap malam\",\"urgent\":true,"
                       "\"contact_safety\":{\"safe_hours\":\"%s\",\"safe_channel\":\"call\",\"phone_monitored\":%s}}",
                       hours, monitored ? "true" : "false");
}

/* Submits a report as `reporter`; returns its case id (caller frees). */
static char *s_submit(const char *reporter, const char *hours, bool monitored, const char *key)
{
    char *body = s_report(hours, monitored);
    json_t *j;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports", body, reporter, key, &j), 201);
    char *id = pk_strdup(pkt_json_str(j, "case_id"));
    json_decref(j);
    free(body);
    return id;
}

static int s_case_call(const char *method, const char *id, const char *suffix, const char *body, const char *token,
                       json_t **out)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/staff/cases/%s%s", id, suffix);
    return pkt_intake_call(&T, method, path, body, token, NULL, out);
}

static bool s_access_logged(void *arg)
{
    char *args = pk_asprintf("audit access --case %s", (const char *)arg), *out = NULL;
    bool ok = pkt_ctl(T.env, args, NULL, &out) == 0 && strstr(out, "purpose=confirmation_call");
    free(args);
    free(out);
    return ok;
}

Test(staff, an_admin_confirms_by_phone_and_verifies_and_every_opening_is_recorded)
{
    pkt_intake_start(&T, "t_staff2", NULL);
    pkt_proc_t audit = pkt_service_start("audit", T.env);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-rahasia-1"), 0);
    char *admin = s_token("admin1", "kata-sandi-rahasia-1");
    char *reporter = pkt_intake_register(&T, "081234567890");
    char *id = s_submit(reporter, "00:00-23:59", false, "k1");

    /* The queue shows it; the detail without a purpose shows nothing
     * personal. */
    json_t *j;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases?state=submitted&urgent=true", NULL, admin, NULL, &j), 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "total")), 1);
    cr_assert_str_eq(pkt_json_str(json_array_get(json_object_get(j, "cases"), 0), "case_id"), id);
    json_decref(j);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases?state=nonsense&per_page=500", NULL, admin, NULL, &j), 422);
    json_decref(j);
    cr_assert_eq(s_case_call("GET", id, "", NULL, admin, &j), 200);
    cr_assert_null(json_object_get(j, "personal"));
    cr_assert_str_eq(pkt_json_str(j, "state"), "submitted");
    json_decref(j);
    cr_assert_eq(s_case_call("GET", id, "?purpose=curiosity", NULL, admin, NULL), 422, "a purpose from the list");

    /* Opened for the confirmation call: the report, the phone and the
     * reporter's safety choices, the opening recorded first. */
    cr_assert_eq(s_case_call("GET", id, "?purpose=confirmation_call", NULL, admin, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "personal.reporter_phone"), "+6281234567890");
    cr_assert_str_eq(pkt_json_str(j, "personal.report.victim_name"), "Siti Rahayu Unik");
    cr_assert_str_eq(pkt_json_str(j, "personal.contact_safety.safe_hours"), "00:00-23:59");
    json_decref(j);

    /* Verification needs a call that reached the reporter. */
    cr_assert_eq(s_case_call("POST", id, "/verify", "{}", admin, &j), 409);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "call_required");
    json_decref(j);
    cr_assert_eq(s_case_call("POST", id, "/calls", "{\"outcome\":\"not_reached\"}", admin, &j), 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "call_attempts")), 1);
    cr_assert_str_eq(pkt_json_str(j, "state"), "submitted", "not reached keeps the case open");
    json_decref(j);
    cr_assert_eq(s_case_call("POST", id, "/calls", "{\"outcome\":\"maybe\"}", admin, NULL), 422);
    cr_assert_eq(s_case_call("POST", id, "/calls",
                             "{\"outcome\":\"reached\",\"notes\":\"Pelapor Siti Rahayu Unik membenarkan\"}", admin, &j),
                 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "call_attempts")), 2);
    json_decref(j);
    cr_assert_eq(s_case_call("POST", id, "/verify", "{}", admin, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "verified");
    json_decref(j);
    cr_assert_eq(s_case_call("POST", id, "/verify", "{}", admin, &j), 409);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "invalid_transition");
    cr_assert_str_eq(pkt_json_str(j, "error.fields.state"), "verified", "the 409 names the current state");
    json_decref(j);
    cr_assert_eq(s_case_call("POST", id, "/notes", "{\"text\":\"Korban aman di rumah nenek\"}", admin, NULL), 200);

    /* The reporter's timeline says verified (and shows no staff steps). */
    char path[128];
    snprintf(path, sizeof path, "/v1/reports/%s", id);
    cr_assert_eq(pkt_intake_call(&T, "GET", path, NULL, reporter, NULL, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "verified");
    json_t *timeline = json_object_get(j, "timeline");
    cr_assert_eq(json_array_size(timeline), 2);
    cr_assert_str_eq(pkt_json_str(json_array_get(timeline, 1), "state"), "verified");
    json_decref(j);
    /* The admin's timeline has every step, by whom. */
    cr_assert_eq(s_case_call("GET", id, "", NULL, admin, &j), 200);
    timeline = json_object_get(j, "timeline");
    cr_assert_eq(json_array_size(timeline), 6, "submitted, access, 2 calls, verified, note");
    cr_assert_str_eq(pkt_json_str(json_array_get(timeline, 1), "kind"), "access");
    cr_assert_str_eq(pkt_json_str(json_array_get(timeline, 1), "reason_code"), "confirmation_call");
    json_decref(j);

    /* The sealed notes read back (issue 22 §4): only with a purpose, the
     * reading recorded; the notes at rest stay sealed. */
    cr_assert_eq(s_case_call("GET", id, "/notes", NULL, admin, NULL), 422, "a purpose is asked");
    cr_assert_eq(s_case_call("GET", id, "/notes?purpose=curious", NULL, admin, NULL), 422);
    cr_assert_eq(s_case_call("GET", "00000000000000000000000000000000", "/notes?purpose=case_review", NULL, admin, NULL),
                 404);
    cr_assert_eq(s_case_call("GET", id, "/notes?purpose=case_review", NULL, admin, &j), 200);
    json_t *notes = json_object_get(j, "notes");
    cr_assert_eq(json_array_size(notes), 3, "two calls and a note");
    cr_assert_str_eq(pkt_json_str(json_array_get(notes, 1), "outcome"), "reached");
    cr_assert_str_eq(pkt_json_str(json_array_get(notes, 1), "text"), "Pelapor Siti Rahayu Unik membenarkan");
    cr_assert_str_eq(pkt_json_str(json_array_get(notes, 2), "text"), "Korban aman di rumah nenek");
    cr_assert_str_eq(pkt_json_str(json_array_get(notes, 2), "by"), "Petugas admin1");
    json_decref(j);
    char *plain = pkt_sql_value(T.db, "SELECT count(*) FROM intake.case_note WHERE position("
                                      "convert_to('nenek', 'UTF8') in body_sealed) > 0");
    cr_assert_str_eq(plain, "0", "sealed at rest");
    free(plain);
    cr_assert_eq(s_case_call("GET", id, "", NULL, admin, &j), 200);
    timeline = json_object_get(j, "timeline");
    cr_assert_eq(json_array_size(timeline), 7, "the reading is on the timeline");
    cr_assert_str_eq(pkt_json_str(json_array_get(timeline, 6), "reason_code"), "case_review");
    json_decref(j);

    /* The auditors see the opening: who, which case, why. */
    if (!pkt_wait_until(s_access_logged, id, 30000)) {
        char *metrics = NULL;
        pkt_http_get(audit.metrics_port, "/metrics", &metrics);
        char *alog = pkt_proc_log(&audit);
        cr_assert_fail("pelukanctl audit access lists the opening\n%s\n%s", metrics, alog);
    }

    /* A reporter who may not be called now: refused unless overridden. */
    time_t now = time(NULL) + 7 * 3600;
    struct tm tm;
    gmtime_r(&now, &tm);
    char hours[16];
    snprintf(hours, sizeof hours, "%02d:00-%02d:00", (tm.tm_hour + 2) % 24, (tm.tm_hour + 3) % 24);
    char *reporter2 = pkt_intake_register(&T, "081298765432");
    char *id2 = s_submit(reporter2, hours, false, "k2");
    cr_assert_eq(s_case_call("POST", id2, "/calls", "{\"outcome\":\"reached\"}", admin, &j), 409);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "unsafe_call_time");
    char *answer = json_dumps(j, 0);
    cr_assert_null(strstr(answer, hours), "the reporter's choices are not in an error: %s", answer);
    cr_assert_not_null(json_object_get(json_object_get(json_object_get(j, "error"), "fields"), "contact_safety"));
    free(answer);
    json_decref(j);
    cr_assert_eq(s_case_call("POST", id2, "/calls",
                             "{\"outcome\":\"reached\",\"override_reason\":\"korban dalam bahaya\"}", admin, NULL),
                 200);

    /* Duplicates and rejections. */
    char body[96];
    snprintf(body, sizeof body, "{\"of\":\"%s\"}", id);
    cr_assert_eq(s_case_call("POST", id2, "/duplicate", body, admin, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "duplicate");
    json_decref(j);
    cr_assert_eq(s_case_call("POST", id2, "/reject", "{\"reason_code\":\"spam\"}", admin, &j), 409);
    cr_assert_str_eq(pkt_json_str(j, "error.fields.state"), "duplicate");
    json_decref(j);
    char *id3 = s_submit(reporter2, "00:00-23:59", false, "k3");
    cr_assert_eq(s_case_call("POST", id3, "/reject", "{\"reason_code\":\"because\"}", admin, NULL), 422);
    cr_assert_eq(s_case_call("POST", id3, "/duplicate", "{\"of\":\"00000000000000000000000000000000\"}", admin, NULL),
                 422);
    cr_assert_eq(s_case_call("POST", id3, "/calls", "{\"outcome\":\"false_report\"}", admin, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "rejected", "a false report ends the case");
    json_decref(j);
    /* A rejection's notes are kept, sealed, with the case's other notes. */
    char *id4 = s_submit(reporter2, "00:00-23:59", false, "k4");
    cr_assert_eq(s_case_call("POST", id4, "/reject", "{\"reason_code\":\"out_of_scope\",\"notes\":\"Urusan warisan\"}",
                             admin, &j),
                 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "rejected");
    json_decref(j);
    cr_assert_eq(s_case_call("GET", id4, "/notes?purpose=case_review", NULL, admin, &j), 200);
    cr_assert_str_eq(pkt_json_str(json_array_get(json_object_get(j, "notes"), 0), "text"), "Urusan warisan");
    json_decref(j);
    free(id4);
    cr_assert_eq(s_case_call("GET", "00000000000000000000000000000000", "", NULL, admin, NULL), 404);

    /* Events: every step, none with personal data. */
    char *v = pkt_sql_value(T.db, "SELECT string_agg(topic, ',' ORDER BY seq) FROM intake.outbox"
                                  " WHERE topic LIKE 'intake.case%' OR topic LIKE 'intake.confirmation%'");
    cr_assert_not_null(strstr(v, "intake.case_data_accessed,intake.confirmation_call_recorded,"
                                 "intake.confirmation_call_recorded,intake.case_state_changed"),
                       "%s", v);
    free(v);
    static const char *const secrets[] = {"Siti Rahayu",         "Kenanga", "1234567890",
                                          "korban dalam bahaya", "nenek",   "Urusan warisan"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        char *q = pk_asprintf("SELECT count(*) FROM intake.outbox WHERE position(convert_to('%s', 'UTF8') IN envelope)"
                              " > 0",
                              secrets[i]);
        v = pkt_sql_value(T.db, q);
        cr_assert_str_eq(v, "0", "\"%s\" in an event", secrets[i]);
        free(v);
        free(q);
        q = pk_asprintf("SELECT count(*) FROM intake.case_note WHERE position(convert_to('%s', 'UTF8') IN body_sealed)"
                        " > 0",
                        secrets[i]);
        v = pkt_sql_value(T.db, q);
        cr_assert_str_eq(v, "0", "\"%s\" in a note in clear", secrets[i]);
        free(v);
        free(q);
    }
    cr_assert_eq(pkt_proc_stop(&audit, SIGTERM, 15000), 0);
    pkt_intake_stop(&T);
    char *log = pkt_proc_log(&T.proc);
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        cr_assert_null(strstr(log, secrets[i]), "\"%s\" in the log", secrets[i]);
    free(log);
    free(admin);
    free(reporter);
    free(reporter2);
    free(id);
    free(id2);
    free(id3);
}

/* ---- the authorization matrix ------------------------------------------------ */

typedef struct {
    const char *name;
    unsigned bit; /* INTAKE_* of the caller; 0: anonymous */
    char *token;
    const char *login, *password;
} s_who_t;

/* The route's path with `id` for each "*". */
static char *s_path(const char *pattern, const char *id)
{
    char *out = pk_malloc(strlen(pattern) * 2 + 128);
    size_t n = 0;
    for (const char *p = pattern; *p; p++) {
        if (*p == '*')
            n += (size_t)sprintf(out + n, "%s", id);
        else
            out[n++] = *p;
    }
    out[n] = '\0';
    return out;
}

Test(staff, every_route_as_every_role_is_allowed_or_refused_as_the_table_says)
{
    pkt_intake_start(&T, "t_staff3", NULL);
    pkt_intake_start_dispatch(&T); /* the companion's routes ask it */
    pkt_intake_start_referral(&T); /* the agency's routes ask it */
    s_who_t who[] = {
        {"anonymous", 0, NULL, NULL, NULL},
        {"reporter", INTAKE_REPORTER, NULL, NULL, NULL},
        {"admin", INTAKE_ADMIN, NULL, "m_admin", "matrix-admin-pw"},
        {"companion", INTAKE_COMPANION, NULL, "m_companion", "matrix-companion-pw"},
        {"agency", INTAKE_AGENCY, NULL, "m_agency", "matrix-agency-pw"},
        {"supervisor", INTAKE_SUPERVISOR, NULL, "m_supervisor", "matrix-supervisor-pw"},
        {"auditor", INTAKE_AUDITOR, NULL, "m_auditor", "matrix-auditor-pw"},
    };
    size_t nwho = sizeof who / sizeof who[0];
    who[1].token = pkt_intake_register(&T, "081311112222");
    for (size_t w = 2; w < nwho; w++) {
        cr_assert_eq(s_add(who[w].login, who[w].name, w == 4 ? "uptd_ppa" : NULL, who[w].password), 0);
        who[w].token = s_token(who[w].login, who[w].password);
    }
    int cells = 0;
    for (const intake_route_t *r = intake_routes; r->method; r++) {
        for (size_t w = 0; w < nwho; w++) {
            /* A case id that exists nowhere: allowed callers get past the
             * gate (to a 404, 422, ...), the others stop at it. */
            char *path = s_path(r->pattern, "00000000000000000000000000000000");
            const char *body = strcmp(r->method, "GET") == 0 ? NULL : "{}";
            int st;
            if (strcmp(r->pattern, "/v1/staff/events") == 0 || strstr(r->pattern, "/stream")) {
                /* A stream: its status, then it is left. */
                char auth[128];
                snprintf(auth, sizeof auth, "Authorization: Bearer %s", who[w].token ? who[w].token : "");
                const char *headers[] = {auth, NULL};
                pkt_stream_t *stream = pkt_stream_open(T.port, path, who[w].token ? headers : NULL);
                st = pkt_stream_status(stream, pkt_http_timeout_ms());
                pkt_stream_close(&stream);
            } else {
                st = pkt_intake_call(&T, r->method, path, body, who[w].token, NULL, NULL);
            }
            cr_assert_neq(st, 0, "%s %s as %s: no answer within %d s", r->method, path, who[w].name,
                          pkt_http_timeout_ms() / 1000);
            bool allowed = (r->roles & INTAKE_ANYONE) || (r->roles & who[w].bit);
            if (allowed) {
                cr_assert(st >= 200 && st < 500 && st != 401 && st != 403, "%s %s as %s: allowed by the table, got %d",
                          r->method, path, who[w].name, st);
            } else if (!who[w].token) {
                cr_assert_eq(st, 401, "%s %s anonymously", r->method, path);
            } else if (intake_route_staff(r) && who[w].bit != INTAKE_REPORTER) {
                cr_assert_eq(st, 403, "%s %s as %s: a staff role the table leaves out", r->method, path, who[w].name);
            } else {
                cr_assert_eq(st, 401, "%s %s as %s: not a session this route takes", r->method, path, who[w].name);
            }
            cells++;
            free(path);
            /* Logging out ends the session: log in again. */
            if (allowed && intake_route_staff(r) && strcmp(r->pattern, "/v1/staff/logout") == 0) {
                free(who[w].token);
                who[w].token = s_token(who[w].login, who[w].password);
            }
            if (allowed && who[w].bit == INTAKE_REPORTER && strncmp(r->pattern, "/v1/auth/logout", 15) == 0) {
                free(who[w].token);
                who[w].token = pkt_intake_register(&T, "081311112222");
            }
        }
    }
    int routes = 0;
    while (intake_routes[routes].method)
        routes++;
    cr_assert_eq(cells, routes * (int)nwho, "every cell exercised");

    /* Object-level: a companion sees only the cases assigned to them, an
     * agency user only those referred to its agency, a reporter only
     * their own; for the others the case does not exist. */
    char *id = s_submit(who[1].token, "00:00-23:59", false, "m1");
    char *other = pkt_intake_register(&T, "081399998888");
    char path[128];
    snprintf(path, sizeof path, "/v1/reports/%s", id);
    cr_assert_eq(pkt_intake_call(&T, "GET", path, NULL, other, NULL, NULL), 404, "another reporter's case");
    snprintf(path, sizeof path, "/v1/reports/%s/withdraw", id);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, NULL, other, NULL, NULL), 404);
    cr_assert_eq(s_case_call("GET", id, "", NULL, who[3].token, NULL), 404, "companion, not assigned");
    cr_assert_eq(s_case_call("GET", id, "", NULL, who[4].token, NULL), 404, "agency, not referred");
    json_t *j;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases", NULL, who[3].token, NULL, &j), 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "total")), 0, "a companion's queue holds their cases only");
    json_decref(j);
    char *sql = pk_asprintf("UPDATE intake.cases SET companion_id = (SELECT id FROM intake.staff WHERE login ="
                            " 'm_companion'), agency_code = 'uptd_ppa' WHERE id = '%s';"
                            " INSERT INTO intake.case_agency VALUES ('r1', '%s', 'uptd_ppa', 'sent')",
                            id, id);
    pkt_sql(T.db, sql); /* what dispatch's and referral's events set */
    free(sql);
    cr_assert_eq(s_case_call("GET", id, "", NULL, who[3].token, NULL), 200, "companion, assigned");
    /* Issue 22 §4: asked to take it, the agency sees the case without
     * anything personal, to decide; nothing personal until it accepted. */
    cr_assert_eq(s_case_call("GET", id, "", NULL, who[4].token, NULL), 200, "agency, referred: the case to decide on");
    cr_assert_eq(s_case_call("GET", id, "?purpose=follow_up", NULL, who[4].token, NULL), 404,
                 "agency, referred but not accepted: nothing personal");
    pkt_sql(T.db, "UPDATE intake.case_agency SET state = 'accepted'");
    cr_assert_eq(s_case_call("GET", id, "", NULL, who[4].token, NULL), 200, "agency, accepted");
    cr_assert_eq(s_case_call("GET", id, "?purpose=case_review", NULL, who[3].token, NULL), 403,
                 "personal data is not opened here for a companion");
    cr_assert_eq(s_case_call("GET", id, "?purpose=case_review", NULL, who[5].token, NULL), 200, "supervisor");
    /* Review N12: access ends some hours after the visit completed, and
     * after the referral closed (6 h; moved back in time here). */
    char *ends = pk_asprintf("UPDATE intake.cases SET visit_done_at = now() - interval '5 hours' WHERE id = '%s';"
                             " UPDATE intake.case_agency SET state = 'closed', closed_at = now() - interval '5 hours'"
                             " WHERE case_id = '%s'",
                             id, id);
    pkt_sql(T.db, ends);
    free(ends);
    cr_assert_eq(s_case_call("GET", id, "", NULL, who[3].token, NULL), 200, "companion, 5 h after the visit");
    cr_assert_eq(s_case_call("GET", id, "", NULL, who[4].token, NULL), 200, "agency, 5 h after the close");
    ends = pk_asprintf("UPDATE intake.cases SET visit_done_at = now() - interval '7 hours' WHERE id = '%s';"
                       " UPDATE intake.case_agency SET closed_at = now() - interval '7 hours' WHERE case_id = '%s'",
                       id, id);
    pkt_sql(T.db, ends);
    free(ends);
    cr_assert_eq(s_case_call("GET", id, "", NULL, who[3].token, NULL), 404, "companion, 7 h after the visit: gone");
    cr_assert_eq(s_case_call("GET", id, "", NULL, who[4].token, NULL), 404, "agency, 7 h after the close: gone");
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases", NULL, who[3].token, NULL, &j), 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "total")), 0, "not in the companion's queue either");
    json_decref(j);
    pkt_intake_stop(&T);
    for (size_t w = 0; w < nwho; w++)
        free(who[w].token);
    free(other);
    free(id);
}

/* ---- the read model: the case as the other services move it ------------------ */

/* Puts an event of `producer` about `case_id` in that producer's outbox,
 * as the service itself will; its relay publishes it. */
static void s_emit(const char *producer, const char *case_id, const char *actor_id, Pelukan__V1__Envelope *env)
{
    uint8_t eid[16];
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    Pelukan__V1__Envelope__PayloadCase pc = env->payload_case;
    void *payload = env->companion_assigned; /* the oneof's storage */
    pk_envelope_init(env, eid, producer, case_id, NULL);
    env->payload_case = pc;
    env->companion_assigned = payload;
    actor.kind = strcmp(producer, "referral") == 0 ? PELUKAN__V1__ACTOR__KIND__KIND_AGENCY
                                                   : PELUKAN__V1__ACTOR__KIND__KIND_STAFF;
    actor.id = (char *)actor_id;
    env->actor = &actor;
    char topic[128], *hex;
    pk_outbox_params(env, topic, &hex);
    char *sql = pk_asprintf("INSERT INTO %s.outbox (topic, case_id, envelope) VALUES ('%s', '%s', '%s'::bytea)",
                            producer, topic, case_id, hex);
    pkt_sql(T.db, sql);
    free(sql);
    free(hex);
}

typedef struct {
    const char *token;
    const char *id;
    const char *state;
} s_state_wait_t;

static bool s_reporter_sees(void *arg)
{
    s_state_wait_t *w = arg;
    char path[128];
    snprintf(path, sizeof path, "/v1/reports/%s", w->id);
    json_t *j;
    bool ok = pkt_intake_call(&T, "GET", path, NULL, w->token, NULL, &j) == 200 &&
              strcmp(pkt_json_str(j, "state"), w->state) == 0;
    json_decref(j);
    return ok;
}

Test(staff, the_case_follows_dispatch_and_referral_to_its_close)
{
    pkt_intake_start(&T, "t_staff4", NULL);
    pkt_proc_t dispatch = pkt_service_start("dispatch", T.env), referral = pkt_service_start("referral", T.env);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-rahasia-1"), 0);
    cr_assert_eq(s_add("pendamping1", "companion", NULL, "pendamping-rahasia-1"), 0);
    cr_assert_eq(s_add("uptd1", "agency", "uptd_ppa", "uptd-rahasia-satu"), 0);
    char *admin = s_token("admin1", "kata-sandi-rahasia-1"), *comp = s_token("pendamping1", "pendamping-rahasia-1"),
         *agency = s_token("uptd1", "uptd-rahasia-satu");
    char *companion_id = pkt_sql_value(T.db, "SELECT id FROM intake.staff WHERE login = 'pendamping1'");
    char *reporter = pkt_intake_register(&T, "081355556666");
    char *id = s_submit(reporter, "00:00-23:59", false, "r1");
    cr_assert_eq(s_case_call("POST", id, "/calls", "{\"outcome\":\"reached\"}", admin, NULL), 200);
    cr_assert_eq(s_case_call("POST", id, "/verify", "{}", admin, NULL), 200);
    cr_assert_eq(s_case_call("GET", id, "", NULL, comp, NULL), 404, "not yet the companion's");

    /* The desk's filters: by kind of violence, and a ticket typed by hand. */
    json_t *q;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases?violence_form=psikis", NULL, admin, NULL, &q), 200);
    cr_assert_eq(json_integer_value(json_object_get(q, "total")), 1);
    char *ticket = strdup(pkt_json_str(json_array_get(json_object_get(q, "cases"), 0), "ticket")), tq[96];
    json_decref(q);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases?violence_form=trafficking", NULL, admin, NULL, &q), 200);
    cr_assert_eq(json_integer_value(json_object_get(q, "total")), 0);
    json_decref(q);
    for (char *p = ticket; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    snprintf(tq, sizeof tq, "/v1/staff/cases?ticket=%s", ticket);
    cr_assert_eq(pkt_intake_call(&T, "GET", tq, NULL, admin, NULL, &q), 200);
    cr_assert_eq(json_integer_value(json_object_get(q, "total")), 1, "found by its ticket, in lower case");
    cr_assert_str_eq(pkt_json_str(json_array_get(json_object_get(q, "cases"), 0), "case_id"), id);
    json_decref(q);
    free(ticket);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases?violence_form=pukulan", NULL, admin, NULL, NULL), 422);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases?ticket=PK-1111-1111", NULL, admin, NULL, NULL), 422);
    cr_assert_eq(s_case_call("GET", id, "", NULL, admin, &q), 200);
    cr_assert(json_is_null(json_object_get(q, "identification")), "no identification report yet");
    json_decref(q);

    Pelukan__V1__Envelope env;
    Pelukan__V1__CompanionAssigned ca = PELUKAN__V1__COMPANION_ASSIGNED__INIT;
    ca.visit_id = "visit-1";
    ca.companion_id = companion_id;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_ASSIGNED;
    env.companion_assigned = &ca;
    s_emit("dispatch", id, companion_id, &env);
    s_state_wait_t w = {reporter, id, "assigned"};
    cr_assert(pkt_wait_until(s_reporter_sees, &w, 15000), "assigned");
    cr_assert_eq(s_case_call("GET", id, "", NULL, comp, NULL), 200, "now the companion's");
    json_t *j;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases", NULL, comp, NULL, &j), 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "total")), 1, "in the companion's queue");
    json_decref(j);
    /* The case brief (issue 22 §3): the companion walks in informed; the
     * opening is recorded; never the victim's name or the account. */
    char brief[160];
    snprintf(brief, sizeof brief, "/v1/companion/cases/%s/brief", id);
    cr_assert_eq(pkt_intake_call(&T, "GET", brief, NULL, admin, NULL, NULL), 403, "the companion's only");
    cr_assert_eq(pkt_intake_call(&T, "GET", brief, NULL, comp, NULL, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "address"), "Jalan Kenanga Rahasia 17");
    cr_assert_str_eq(pkt_json_str(j, "perpetrator_relation"), "orang_tua");
    cr_assert_str_eq(pkt_json_str(j, "victim_age_band"), "13-17");
    cr_assert(json_is_true(json_object_get(j, "child")) && json_is_true(json_object_get(j, "urgent")));
    cr_assert_str_eq(pkt_json_str(j, "safe_hours"), "00:00-23:59");
    cr_assert(json_is_false(json_object_get(j, "phone_monitored")));
    char *said = json_dumps(j, 0);
    cr_assert_null(strstr(said, "Siti"), "no name in the brief: %s", said);
    cr_assert_null(strstr(said, "Ayah tiri"), "not her account: %s", said);
    cr_assert_null(strstr(said, "+62"), "not the reporter's number: %s", said);
    free(said);
    json_decref(j);
    cr_assert_eq(s_case_call("GET", id, "", NULL, admin, &j), 200);
    char *tl = json_dumps(json_object_get(j, "timeline"), 0);
    cr_assert_not_null(strstr(tl, "companion_visit"), "the opening is on the timeline: %s", tl);
    free(tl);
    json_decref(j);

    Pelukan__V1__CompanionEnRoute er = PELUKAN__V1__COMPANION_EN_ROUTE__INIT;
    er.visit_id = "visit-1";
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_EN_ROUTE;
    env.companion_en_route = &er;
    s_emit("dispatch", id, companion_id, &env);
    Pelukan__V1__CompanionArrived ar = PELUKAN__V1__COMPANION_ARRIVED__INIT;
    ar.visit_id = "visit-1";
    ar.method = "radius";
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_ARRIVED;
    env.companion_arrived = &ar;
    s_emit("dispatch", id, companion_id, &env);
    Pelukan__V1__IdentificationReportSubmitted ir = PELUKAN__V1__IDENTIFICATION_REPORT_SUBMITTED__INIT;
    ir.visit_id = "visit-1";
    ir.report_id = "ident-1";
    char *consented[] = {"uptd_ppa"}, *recommended[] = {"uptd_ppa", "faskes"}, *needs[] = {"medical"},
         *services[] = {"kesehatan", "rehabilitasi_sosial"};
    ir.referral_consent = true;
    ir.immediate_danger = true;
    ir.situation_confirmed = true;
    ir.guardian_situation = "guardian_is_perpetrator";
    ir.recommended_services = services;
    ir.n_recommended_services = 2;
    ir.consented_agencies = consented;
    ir.n_consented_agencies = 1;
    ir.recommended_agencies = recommended;
    ir.n_recommended_agencies = 2;
    ir.needs = needs;
    ir.n_needs = 1;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_IDENTIFICATION_REPORT_SUBMITTED;
    env.identification_report_submitted = &ir;
    s_emit("dispatch", id, companion_id, &env);
    w.state = "assessed";
    cr_assert(pkt_wait_until(s_reporter_sees, &w, 15000), "assessed");
    /* What the referral form shows: the consent per agency, as codes. */
    cr_assert_eq(s_case_call("GET", id, "", NULL, admin, &q), 200);
    json_t *ident = json_object_get(q, "identification");
    cr_assert(json_is_true(json_object_get(ident, "referral_consent")));
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(ident, "consented_agencies"), 0)), "uptd_ppa");
    cr_assert_eq(json_array_size(json_object_get(ident, "recommended_agencies")), 2);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(ident, "needs"), 0)), "medical");
    /* What the companion found, and what the reporter answered (issue 22
     * §4): the case page says them in words. */
    cr_assert(json_is_true(json_object_get(ident, "immediate_danger")));
    cr_assert(json_is_true(json_object_get(ident, "situation_confirmed")));
    cr_assert_str_eq(pkt_json_str(ident, "guardian_situation"), "guardian_is_perpetrator");
    cr_assert_eq(json_array_size(json_object_get(ident, "recommended_services")), 2);
    json_t *answers = json_object_get(q, "answers");
    cr_assert_str_eq(pkt_json_str(answers, "reporter_kind"), "witness");
    cr_assert_str_eq(pkt_json_str(answers, "reporter_relation"), "tetangga");
    cr_assert_str_eq(pkt_json_str(answers, "victim_sex"), "F");
    cr_assert_str_eq(pkt_json_str(answers, "victim_age_band"), "13-17");
    cr_assert_str_eq(pkt_json_str(answers, "place_type"), "rumah_tangga");
    cr_assert_str_eq(pkt_json_str(answers, "perpetrator_relation"), "orang_tua");
    cr_assert_str_eq(pkt_json_str(answers, "incident_date"), "2026-11-27");
    cr_assert(json_is_true(json_object_get(answers, "incident_approximate")));
    char *text = json_dumps(q, 0);
    cr_assert_null(strstr(text, "Siti"), "nothing personal without a purpose: %s", text);
    cr_assert_null(strstr(text, "Kenanga"), "nothing personal without a purpose: %s", text);
    free(text);
    json_decref(q);

    cr_assert_eq(s_case_call("GET", id, "", NULL, agency, NULL), 404, "not yet referred");
    Pelukan__V1__ReferralCreated rc = PELUKAN__V1__REFERRAL_CREATED__INIT;
    rc.referral_id = "ref-1";
    rc.agency_code = "uptd_ppa";
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CREATED;
    env.referral_created = &rc;
    s_emit("referral", id, "admin", &env);
    /* Asked to take it, the agency sees the case without anything personal
     * and without its timeline, to decide (issue 22 §4); nothing with a
     * purpose until it accepted. */
    int st = 404;
    for (double end = pkt_now_ms() + pkt_wait_ms(); st == 404 && pkt_now_ms() < end;) {
        q = NULL;
        if ((st = s_case_call("GET", id, "", NULL, agency, &q)) == 404)
            usleep(100000);
        else
            break;
        json_decref(q);
    }
    cr_assert_eq(st, 200, "the agency sees the case it is asked to take");
    cr_assert_str_eq(pkt_json_str(json_object_get(q, "answers"), "victim_age_band"), "13-17");
    cr_assert(json_is_true(json_object_get(json_object_get(q, "identification"), "immediate_danger")));
    cr_assert_eq(json_array_size(json_object_get(q, "timeline")), 0, "not its timeline yet");
    json_decref(q);
    cr_assert_eq(s_case_call("GET", id, "?purpose=follow_up", NULL, agency, NULL), 404,
                 "nothing personal before it accepted");
    Pelukan__V1__ReferralAccepted ra = PELUKAN__V1__REFERRAL_ACCEPTED__INIT;
    ra.referral_id = "ref-1";
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_ACCEPTED;
    env.referral_accepted = &ra;
    s_emit("referral", id, "uptd1", &env);
    w.state = "accepted";
    cr_assert(pkt_wait_until(s_reporter_sees, &w, 15000), "accepted");
    cr_assert_eq(s_case_call("GET", id, "", NULL, agency, NULL), 200, "the agency's now");
    Pelukan__V1__ReferralClosed rcl = PELUKAN__V1__REFERRAL_CLOSED__INIT;
    rcl.referral_id = "ref-1";
    rcl.outcome_code = "served";
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CLOSED;
    env.referral_closed = &rcl;
    s_emit("referral", id, "uptd1", &env);
    w.state = "closed";
    cr_assert(pkt_wait_until(s_reporter_sees, &w, 15000), "closed");

    /* The reporter's timeline: every state, in order; the admin's: every
     * step of every service. */
    char path[128];
    snprintf(path, sizeof path, "/v1/reports/%s", id);
    cr_assert_eq(pkt_intake_call(&T, "GET", path, NULL, reporter, NULL, &j), 200);
    static const char *const states[] = {"submitted", "verified", "assigned", "en_route", "on_site",
                                         "assessed",  "referred", "accepted", "closed"};
    json_t *timeline = json_object_get(j, "timeline");
    cr_assert_eq(json_array_size(timeline), 9);
    for (size_t i = 0; i < 9; i++)
        cr_assert_str_eq(pkt_json_str(json_array_get(timeline, i), "state"), states[i]);
    json_decref(j);
    cr_assert_eq(s_case_call("GET", id, "", NULL, admin, &j), 200);
    char *dump = json_dumps(json_object_get(j, "timeline"), 0);
    static const char *const steps[] = {"dispatch:companion_assigned", "dispatch:companion_arrived",
                                        "dispatch:identification_report_submitted", "referral:referral_created",
                                        "referral:referral_closed"};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        cr_assert_not_null(strstr(dump, steps[i]), "%s in %s", steps[i], dump);
    free(dump);
    json_decref(j);
    cr_assert_eq(pkt_proc_stop(&dispatch, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&referral, SIGTERM, 15000), 0);
    pkt_intake_stop(&T);
    free(admin);
    free(comp);
    free(agency);
    free(companion_id);
    free(reporter);
    free(id);
}

/* ---- live events ---------------------------------------------------------------- */

/* Opens the staff's event feed as `token` (resuming after `last_id` when
 * given) and waits until intake has registered it: its first line,
 * "retry: 3000", is written in the same turn as the registration, so
 * events from then on reach it. */
static pkt_stream_t *s_listen(const char *token, const char *last_id)
{
    char auth[128], last[64];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    snprintf(last, sizeof last, "Last-Event-ID: %s", last_id ? last_id : "");
    const char *headers[] = {auth, last_id ? last : NULL, NULL};
    pkt_stream_t *l = pkt_stream_open(T.port, "/v1/staff/events", headers);
    int st = pkt_stream_status(l, pkt_http_timeout_ms());
    cr_assert_eq(st, 200, "the stream opened (0: no answer within %d s)", pkt_http_timeout_ms() / 1000);
    cr_assert_eq(pkt_stream_wait(l, "retry: 3000\n", 1, pkt_http_timeout_ms()), 1, "the stream is registered");
    return l;
}

static int s_count_in(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static bool s_file_has(void *arg)
{
    char **w = arg, *text = NULL;
    bool ok = pk_read_file(w[0], &text, NULL) == 0 && strstr(text, w[1]) && strstr(text, w[2]);
    free(text);
    return ok;
}

/* Security review M1, M5: a stream ends with its session (a disabled
 * account, a logout), and streams are capped per session. */
Test(staff, streams_end_when_access_ends_and_are_capped)
{
    pkt_intake_start(&T, "t_staff_streams", NULL);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-rahasia-1"), 0);
    /* Since security review N1 an admin account is managed by a supervisor. */
    cr_assert_eq(s_add("admin2", "supervisor", NULL, "kata-sandi-rahasia-2"), 0);
    char *id1 = NULL, *a1 = NULL, *a2 = s_token("admin2", "kata-sandi-rahasia-2");
    cr_assert_eq(s_login("admin1", "kata-sandi-rahasia-1", &a1), 200);
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/accounts", NULL, a2, NULL, &j), 200);
    for (size_t i = 0; i < json_array_size(json_object_get(j, "accounts")); i++) {
        json_t *acc = json_array_get(json_object_get(j, "accounts"), i);
        if (strcmp(pkt_json_str(acc, "login"), "admin1") == 0)
            id1 = pk_strdup(pkt_json_str(acc, "id"));
    }
    json_decref(j);
    cr_assert_not_null(id1);

    /* Disabled while watching: the stream ends (the listener would
     * otherwise hold it until it hangs up). */
    pkt_stream_t *l = s_listen(a1, NULL);
    char path[128];
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/disable", id1);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, NULL, a2, NULL, NULL), 200);
    cr_assert(pkt_stream_ended(l, pkt_http_timeout_ms()), "the disabled account's stream ended");
    cr_assert_eq(pkt_stream_count(l, "session_ended"), 1, "it said why");
    pkt_stream_close(&l);

    /* Three streams on one session; a fourth is refused. */
    pkt_stream_t *s[3];
    for (int i = 0; i < 3; i++)
        s[i] = s_listen(a2, NULL);
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", a2);
    const char *h[] = {auth, NULL};
    pkt_stream_t *fourth = pkt_stream_open(T.port, "/v1/staff/events", h);
    cr_assert_eq(pkt_stream_status(fourth, pkt_http_timeout_ms()), 429);
    cr_assert(pkt_stream_ended(fourth, pkt_http_timeout_ms()));
    char *refusal = pkt_stream_body(fourth);
    cr_assert_not_null(strstr(refusal, "too_many_streams"), "%s", refusal);
    free(refusal);
    pkt_stream_close(&fourth);
    /* Logged out: all three end. */
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/logout", NULL, a2, NULL, NULL), 204);
    for (int i = 0; i < 3; i++) {
        cr_assert(pkt_stream_ended(s[i], pkt_http_timeout_ms()), "stream %d ended with the session", i);
        cr_assert_eq(pkt_stream_count(s[i], "session_ended"), 1, "stream %d said why", i);
        pkt_stream_close(&s[i]);
    }
    cr_assert_eq(pkt_metric(T.proc.edge_metrics_port, "pelukan_intake_event_streams"), 0);
    free(id1), free(a1), free(a2);
    pkt_intake_stop(&T);
}

/* The feed's own tick is an hour away: every line below reaches the
 * stream because the case owner's answer to what the desk or the reporter
 * did wakes the feed (performance review §4), and a resumed stream is
 * given what it missed at once. */
Test(staff, staff_watch_cases_live_each_as_their_role_allows_and_resume)
{
    const char *extra[] = {"PELUKAN_INTAKE_FEED_TICK_MS", "3600000", NULL};
    pkt_intake_start(&T, "t_staff5", extra);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-rahasia-1"), 0);
    cr_assert_eq(s_add("pendamping1", "companion", NULL, "pendamping-rahasia-1"), 0);
    char *admin = s_token("admin1", "kata-sandi-rahasia-1"), *comp = s_token("pendamping1", "pendamping-rahasia-1");
    char *reporter = pkt_intake_register(&T, "081377778888");

    /* pelukanctl watch prints the bus events as they happen. */
    char *watch = pk_asprintf("%s/watch-%d", pkt_env("PKTEST_TMP"), (int)getpid());
    pid_t watcher = pkt_ctl_spawn(T.env, "watch", watch);
    char *connected[] = {watch, "receiving from intake", "receiving from intake"};
    cr_assert(pkt_wait_until(s_file_has, connected, 60000), "pelukanctl watch receives intake's stream");

    pkt_stream_t *c = s_listen(comp, NULL);
    pkt_stream_t *a = s_listen(admin, NULL);
    char *id = s_submit(reporter, "00:00-23:59", false, "w1");
    cr_assert_eq(s_case_call("POST", id, "/calls", "{\"outcome\":\"reached\"}", admin, NULL), 200);
    cr_assert_eq(s_case_call("POST", id, "/verify", "{}", admin, NULL), 200);
    int got = pkt_stream_wait(a, "event: case\n", 3, pkt_http_timeout_ms());
    char *abody = pkt_stream_body(a);
    cr_assert_eq(got, 3, "submitted, call, verified:\n%s", abody);
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"case_id\":\"%s\"", id);
    cr_assert_eq(s_count_in(abody, quoted), 3, "%s", abody);
    cr_assert_not_null(strstr(abody, "\"state\":\"verified\""), "%s", abody);
    cr_assert_null(strstr(abody, "Siti"), "no personal data in events");
    /* The edge hands each event to every open stream in one callback
     * (edge/edge_feed.c, s_read): once the admin has the third, the
     * companion's stream has been given (or spared) all three, and what it
     * was given was written in the same turn. */
    char *cbody = pkt_stream_body(c);
    cr_assert_eq(s_count_in(cbody, "event: case"), 0, "not the companion's case:\n%s", cbody);
    free(cbody);
    pkt_stream_close(&c);
    pkt_stream_close(&a);

    /* Resumed after the first event: the two that followed, and not the
     * first. */
    const char *first = strstr(abody, "id: ");
    char last_id[24], first_line[40];
    snprintf(last_id, sizeof last_id, "%lld", atoll(first + 4));
    snprintf(first_line, sizeof first_line, "id: %s\n", last_id);
    pkt_stream_t *r = s_listen(admin, last_id);
    got = pkt_stream_wait(r, "event: case\n", 2, pkt_http_timeout_ms());
    char *rbody = pkt_stream_body(r);
    cr_assert_eq(got, 2, "%s", rbody);
    cr_assert_null(strstr(rbody, first_line), "the first is not sent again:\n%s", rbody);
    free(rbody);
    pkt_stream_close(&r);
    char auth[128], bad_last[] = "Last-Event-ID: not-a-number";
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", admin);
    const char *bad[] = {auth, bad_last, NULL};
    r = pkt_stream_open(T.port, "/v1/staff/events", bad);
    cr_assert_eq(pkt_stream_status(r, pkt_http_timeout_ms()), 400);
    pkt_stream_close(&r);
    /* Without Last-Event-ID the feed starts from now: none of the three,
     * but what happens next (an opening of the case's personal data). */
    r = s_listen(admin, NULL);
    cr_assert_eq(s_case_call("GET", id, "?purpose=confirmation_call", NULL, admin, NULL), 200);
    got = pkt_stream_wait(r, "event: case\n", 1, pkt_http_timeout_ms());
    rbody = pkt_stream_body(r);
    cr_assert_eq(got, 1, "the new call arrives:\n%s", rbody);
    cr_assert_eq(s_count_in(rbody, "event: case\n"), 1, "a new desk sees what happens from now:\n%s", rbody);
    cr_assert_null(strstr(rbody, "\"state\":\"submitted\""), "%s", rbody);
    free(rbody);
    pkt_stream_close(&r);

    /* The watch saw the report and its verification. */
    char *want[] = {watch, "report_submitted", "case_state_changed"};
    cr_assert(pkt_wait_until(s_file_has, want, 60000), "pelukanctl watch printed both events");
    kill(watcher, SIGTERM);
    waitpid(watcher, NULL, 0);
    char *text = NULL;
    cr_assert_eq(pk_read_file(watch, &text, NULL), 0);
    cr_assert_not_null(strstr(text, id), "the case id is on the lines: %s", text);
    free(text);
    free(watch);
    free(abody);
    pkt_intake_stop(&T);
    free(admin);
    free(comp);
    free(reporter);
    free(id);
}

/* Issue 22 §4: the queue is ordered by the one-day promise. Urgent cases
 * whose promise runs are pinned on top; then the others whose promise runs,
 * overdue first, then by time left; then open cases already referred;
 * finished ones last, and left out by "open". The header's counts, and
 * each case's deadline (none once referred). */
Test(staff, the_queue_is_ordered_by_the_one_day_promise)
{
    pkt_intake_start(&T, "t_staff6", NULL);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-rahasia-1"), 0);
    char *admin = s_token("admin1", "kata-sandi-rahasia-1");
    /* name, urgent, hours since it was sent, state */
    struct {
        const char *key;
        bool urgent;
        int hours_ago;
        const char *state;
        char *id;
    } c[] = {
        {"overdue", false, 30, "verified", NULL},   {"soon", false, 21, "submitted", NULL},
        {"urgent", true, 1, "submitted", NULL},     {"fresh", false, 2, "submitted", NULL},
        {"referred", false, 3, "referred", NULL},   {"closed", false, 5, "closed", NULL},
        {"urgent_old", true, 40, "referred", NULL}, /* urgent, but its promise was kept */
    };
    size_t n = sizeof c / sizeof c[0];
    for (size_t i = 0; i < n; i++) {
        char phone[16];
        snprintf(phone, sizeof phone, "08123450%04zu", i);
        char *reporter = pkt_intake_register(&T, phone);
        c[i].id = s_submit(reporter, "00:00-23:59", false, c[i].key);
        char *sql = pk_asprintf("UPDATE intake.cases SET urgent = %s, state = '%s',"
                                " created_at = now() - interval '%d hours' WHERE id = '%s'",
                                c[i].urgent ? "true" : "false", c[i].state, c[i].hours_ago, c[i].id);
        pkt_sql(T.db, sql);
        free(sql);
        free(reporter);
    }
    json_t *j;
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases?state=open", NULL, admin, NULL, &j), 200);
    char *text = json_dumps(j, 0);
    const char *want[] = {"urgent", "overdue", "soon", "fresh", "referred", "urgent_old"};
    json_t *cases = json_object_get(j, "cases");
    cr_assert_eq(json_array_size(cases), 6, "the finished case left out: %s", text);
    for (size_t w = 0; w < 6; w++) {
        const char *id = pkt_json_str(json_array_get(cases, w), "case_id");
        size_t k = 0;
        while (k < n && strcmp(c[k].id, id) != 0)
            k++;
        cr_assert(k < n && strcmp(c[k].key, want[w]) == 0, "place %zu: %s expected, got %s: %s", w, want[w],
                  k < n ? c[k].key : "?", text);
    }
    cr_assert_eq(json_integer_value(json_object_get(j, "overdue")), 1, "%s", text);
    cr_assert_eq(json_integer_value(json_object_get(j, "urgent_open")), 1, "%s", text);
    cr_assert_eq(json_integer_value(json_object_get(j, "total")), 6, "%s", text);
    /* The deadline: a day after sending while the promise runs; none after. */
    cr_assert_not_null(json_string_value(json_object_get(json_array_get(cases, 1), "due_at")), "%s", text);
    cr_assert(json_is_null(json_object_get(json_array_get(cases, 4), "due_at")), "%s", text);
    free(text);
    json_decref(j);
    /* Everything: the finished case last. */
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases", NULL, admin, NULL, &j), 200);
    cases = json_object_get(j, "cases");
    cr_assert_eq(json_array_size(cases), 7);
    cr_assert_str_eq(pkt_json_str(json_array_get(cases, 6), "case_id"), c[5].id, "the closed case last");
    json_decref(j);
    /* The case page has the deadline too. */
    cr_assert_eq(s_case_call("GET", c[0].id, "", NULL, admin, &j), 200);
    const char *due = json_string_value(json_object_get(j, "due_at"));
    cr_assert_not_null(due);
    json_decref(j);
    cr_assert_eq(s_case_call("GET", c[4].id, "", NULL, admin, &j), 200);
    cr_assert(json_is_null(json_object_get(j, "due_at")), "referred: the promise was kept");
    json_decref(j);
    for (size_t i = 0; i < n; i++)
        free(c[i].id);
    free(admin);
    pkt_intake_stop(&T);
}

/* ---- security review N1: nobody alone ---------------------------------------- */

static char s_n1_sink[256];

/* Mails in the notification sink to `to` whose subject holds `subject`. */
static bool s_mailed(void *arg)
{
    const char *const *w = arg;
    FILE *f = fopen(s_n1_sink, "r");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        const char *to = json_string_value(json_object_get(j, "to")),
                   *subject = json_string_value(json_object_get(j, "subject"));
        found = to && subject && strcmp(to, w[0]) == 0 && strstr(subject, w[1]);
        json_decref(j);
    }
    fclose(f);
    return found;
}

/* The account change events in intake's outbox about `staff_id` of
 * `change`, made by `actor` (NULL: any). */
static int s_changes(const char *staff_id, Pelukan__V1__StaffAccountChanged__Change change, const char *actor)
{
    PGconn *conn = pkt_superuser(T.db);
    PGresult *r = PQexec(conn, "SELECT envelope FROM intake.outbox WHERE topic = 'intake.staff_account_changed'");
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(conn));
    int n = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        size_t len;
        unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 0), &len);
        Pelukan__V1__Envelope *e = pelukan__v1__envelope__unpack(NULL, len, raw);
        PQfreemem(raw);
        cr_assert_not_null(e);
        cr_assert_eq(e->payload_case, PELUKAN__V1__ENVELOPE__PAYLOAD_STAFF_ACCOUNT_CHANGED);
        const Pelukan__V1__StaffAccountChanged *a = e->staff_account_changed;
        if (strcmp(a->staff_id, staff_id) == 0 && a->change == change &&
            (!actor || (e->actor && strcmp(e->actor->id, actor) == 0)))
            n++;
        pelukan__v1__envelope__free_unpacked(e, NULL);
    }
    PQclear(r);
    PQfinish(conn);
    return n;
}

/* The id of the account `login`. */
static char *s_staff_id(const char *login)
{
    char *sql = pk_asprintf("SELECT id FROM intake.staff WHERE login = '%s'", login);
    char *id = pkt_sql_value(T.db, sql);
    free(sql);
    return id;
}

#define S_CHANGE(x) PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_##x

/* N1: roles cannot mint the roles that check them. An admin creates,
 * resets, unlocks and disables companions and agency officers only; a
 * supervisor every account. Every change is an event naming who made it;
 * the owner is mailed of a reset, an unlock and a lock-out; a reset
 * password opens nothing until its owner changes it. */
Test(staff, n1_an_admin_cannot_take_over_or_make_a_supervisor)
{
    snprintf(s_n1_sink, sizeof s_n1_sink, "%s/n1-sink-%d.jsonl", pkt_env("PKTEST_TMP"), (int)getpid());
    unlink(s_n1_sink);
    const char *extra[] = {"PELUKAN_NOTIFICATION_SINK_FILE", s_n1_sink, NULL};
    pkt_intake_start(&T, "t_staff7", extra);
    pkt_intake_start_notification(&T);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-admin-1"), 0);
    cr_assert_eq(s_add("spv1", "supervisor", NULL, "kata-sandi-spv-1"), 0);
    cr_assert_eq(s_add("aud1", "auditor", NULL, "kata-sandi-aud-1"), 0);
    char *admin = s_token("admin1", "kata-sandi-admin-1"), *spv = s_token("spv1", "kata-sandi-spv-1");
    char *admin_id = s_staff_id("admin1"), *spv_id = s_staff_id("spv1"), *aud_id = s_staff_id("aud1");
    json_t *j;

    /* The admin: no supervisor, auditor or admin made, taken over, unlocked
     * or disabled (the review's reproduction). */
    static const char *const minted[] = {"supervisor", "auditor", "admin"};
    for (size_t i = 0; i < 3; i++) {
        char *body = pk_asprintf("{\"login\":\"evil%zu\",\"display_name\":\"Evil\",\"role\":\"%s\","
                                 "\"password\":\"kata-sandi-evil-1\"}",
                                 i, minted[i]);
        cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts", body, admin, NULL, &j), 403, "%s", minted[i]);
        cr_assert_str_eq(pkt_json_str(j, "error.code"), "role_not_managed");
        json_decref(j);
        free(body);
    }
    char path[160];
    const char *const targets[] = {spv_id, aud_id};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "/v1/staff/accounts/%s/password", targets[i]);
        cr_assert_eq(pkt_intake_call(&T, "POST", path, "{\"password\":\"taken-over-by-admin1\"}", admin, NULL, NULL),
                     403, "no takeover");
        snprintf(path, sizeof path, "/v1/staff/accounts/%s/unlock", targets[i]);
        cr_assert_eq(pkt_intake_call(&T, "POST", path, NULL, admin, NULL, NULL), 403);
        snprintf(path, sizeof path, "/v1/staff/accounts/%s/disable", targets[i]);
        cr_assert_eq(pkt_intake_call(&T, "POST", path, NULL, admin, NULL, NULL), 403);
    }
    cr_assert_eq(s_login("spv1", "taken-over-by-admin1", NULL), 401, "the supervisor's password is unchanged");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts/00000000000000000000000000000000/unlock", NULL, admin,
                                 NULL, NULL),
                 404);
    /* What an admin does manage: a companion, made and reset. */
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts",
                                 "{\"login\":\"pdp1\",\"display_name\":\"Rina\",\"role\":\"companion\","
                                 "\"password\":\"kata-sandi-rina-1\",\"email\":\"rina@dinsos.example\"}",
                                 admin, NULL, NULL),
                 201);
    char *pdp_id = s_staff_id("pdp1");
    cr_assert_eq(s_changes(pdp_id, S_CHANGE(CREATED), admin_id), 1, "the creation, by the admin, is an event");

    /* The supervisor makes a second supervisor and resets its password. */
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts",
                                 "{\"login\":\"spv2\",\"display_name\":\"Supervisor Dua\",\"role\":\"supervisor\","
                                 "\"password\":\"kata-sandi-spv-2\",\"email\":\"spv2@dinsos.example\"}",
                                 spv, NULL, NULL),
                 201);
    char *spv2_id = s_staff_id("spv2");
    cr_assert_eq(s_changes(spv2_id, S_CHANGE(CREATED), spv_id), 1);
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/password", spv2_id);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, "{\"password\":\"set-by-spv1-for-spv2\"}", spv, NULL, NULL), 200);
    cr_assert_eq(s_changes(spv2_id, S_CHANGE(PASSWORD_RESET), spv_id), 1, "the reset, by spv1, is an event");
    const char *reset_mail[] = {"spv2@dinsos.example", "Kata sandi Anda diatur ulang"};
    cr_assert(pkt_wait_until(s_mailed, (void *)reset_mail, pkt_wait_ms()), "the owner is told of the reset");

    /* The reset password opens nothing but its change. */
    char body[256];
    snprintf(body, sizeof body, "{\"login\":\"spv2\",\"password\":\"set-by-spv1-for-spv2\"}");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/login", body, NULL, NULL, &j), 200);
    cr_assert(json_is_true(json_object_get(j, "password_change_required")));
    char *spv2 = pk_strdup(pkt_json_str(j, "token"));
    json_decref(j);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases", NULL, spv2, NULL, &j), 403);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "password_change_required");
    json_decref(j);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/password",
                                 "{\"current_password\":\"set-by-spv1-for-spv2\","
                                 "\"new_password\":\"only-spv2-knows-this\"}",
                                 spv2, NULL, NULL),
                 204);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases", NULL, spv2, NULL, NULL), 200, "changed: open again");
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/login",
                                 "{\"login\":\"spv2\",\"password\":\"only-spv2-knows-this\"}", NULL, NULL, &j),
                 200);
    cr_assert(json_is_false(json_object_get(j, "password_change_required")));
    json_decref(j);

    /* A lock-out is an event too, and its owner hears of it; so of the unlock. */
    for (int i = 0; i < 5; i++)
        cr_assert_eq(s_login("pdp1", "tebakan-yang-salah", NULL), 401);
    cr_assert_eq(s_changes(pdp_id, S_CHANGE(LOCKED_OUT), "intake"), 1, "the lock-out, by intake itself");
    const char *lock_mail[] = {"rina@dinsos.example", "Akun Anda terkunci"};
    cr_assert(pkt_wait_until(s_mailed, (void *)lock_mail, pkt_wait_ms()), "the owner is told of the lock-out");
    const char *spv_mail[] = {"spv2@dinsos.example", "Akun petugas terkunci"};
    cr_assert(pkt_wait_until(s_mailed, (void *)spv_mail, pkt_wait_ms()), "and the supervisors (N6)");
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/unlock", pdp_id);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, NULL, admin, NULL, NULL), 200);
    cr_assert_eq(s_changes(pdp_id, S_CHANGE(UNLOCKED), admin_id), 1);
    const char *unlock_mail[] = {"rina@dinsos.example", "dibuka kembali"};
    cr_assert(pkt_wait_until(s_mailed, (void *)unlock_mail, pkt_wait_ms()), "the owner is told of the unlock");
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/disable", pdp_id);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, NULL, admin, NULL, NULL), 200);
    cr_assert_eq(s_changes(pdp_id, S_CHANGE(DISABLED), admin_id), 1);

    /* Each list says which accounts its reader manages. */
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/accounts", NULL, admin, NULL, &j), 200);
    json_t *list = json_object_get(j, "accounts");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *a = json_array_get(list, i);
        const char *role = pkt_json_str(a, "role");
        bool want = strcmp(role, "companion") == 0 || strcmp(role, "agency") == 0;
        cr_assert_eq(json_is_true(json_object_get(a, "managed")), want, "an admin and a %s account", role);
    }
    json_decref(j);
    free(admin), free(spv), free(spv2), free(admin_id), free(spv_id), free(aud_id), free(pdp_id), free(spv2_id);
    pkt_intake_stop(&T);
}

/* ---- security review N6: anyone can keep the staff out -------------------------- */

typedef struct {
    const char *from;
    int n, *done, statuses[600];
    volatile bool *stop;
} s_flood_t;

static int s_login_from(const char *from, const char *login, const char *password)
{
    char body[256], xff[96];
    snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", login, password);
    snprintf(xff, sizeof xff, "X-Forwarded-For: %s", from);
    const char *headers[] = {"Content-Type: application/json", xff, NULL};
    return pkt_http("POST", T.port, "/v1/staff/login", body, strlen(body), headers, NULL);
}

static void *s_flood_thread(void *arg)
{
    s_flood_t *f = arg;
    while (!*f->stop && f->n < 600) {
        f->statuses[f->n++] = s_login_from(f->from, "admin1", "tebakan-dari-penyerang");
        __atomic_add_fetch(f->done, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

/* As s_flood_thread, pausing 20 ms after a 429 so that the flood lasts
 * while the other admin signs in (the answers are the same). */
static void *s_spread_thread(void *arg)
{
    s_flood_t *f = arg;
    while (!*f->stop && f->n < 600) {
        int st = s_login_from(f->from, "admin1", "tebakan-dari-penyerang");
        f->statuses[f->n++] = st;
        __atomic_add_fetch(f->done, 1, __ATOMIC_SEQ_CST);
        if (st == 429)
            usleep(20000);
    }
    return NULL;
}

/* Eight addresses, each within its own limits, flood one account: that
 * account's tries hold at most half the password slots, so nobody gets
 * 503 and an admin of another account signs in meanwhile (slots fair per
 * account, security review N6). */
Test(staff, n6_a_flood_on_one_account_from_many_addresses_leaves_the_others_room)
{
    const char *extra[] = {"PELUKAN_HTTP_TRUSTED_PROXIES",
                           "127.0.0.1",
                           "PELUKAN_INTAKE_PASSWORD_SLOTS",
                           "4",
                           "PELUKAN_INTAKE_LOGINS_PER_CLIENT",
                           "600",
                           "PELUKAN_INTAKE_STAFF_MAX_FAILURES",
                           "100",
                           NULL};
    pkt_intake_start(&T, "t_staff10", extra);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-admin-1"), 0);
    cr_assert_eq(s_add("admin2", "admin", NULL, "kata-sandi-admin-2"), 0);
    volatile bool stop = false;
    int done = 0;
    enum { N = 8 };
    static const char *const from[N] = {"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4",
                                        "203.0.113.5", "203.0.113.6", "203.0.113.7", "203.0.113.8"};
    s_flood_t *f = pk_calloc(N, sizeof *f);
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        f[i] = (s_flood_t){.from = from[i], .done = &done, .stop = &stop};
        pthread_create(&th[i], NULL, s_spread_thread, &f[i]);
    }
    for (double end = pkt_now_ms() + pkt_wait_ms();
         __atomic_load_n(&done, __ATOMIC_SEQ_CST) < 40 && pkt_now_ms() < end;)
        usleep(10000);
    for (int k = 0; k < 3; k++)
        cr_assert_eq(s_login_from("198.51.100.7", "admin2", "kata-sandi-admin-2"), 200,
                     "another account signs in during the flood (try %d)", k + 1);
    stop = true;
    int shed = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        for (int k = 0; k < f[i].n; k++) {
            int st = f[i].statuses[k];
            cr_assert(st == 429 || st == 401, "a flood try answered %d (429 or 401: the slots never all taken)", st);
            shed += st == 429;
        }
    }
    cr_assert_gt(shed, 0, "the account's tries beyond half the slots were shed");
    free(f);
    pkt_intake_stop(&T);
}

/* Six clients at one address flood the login with wrong passwords: they
 * get 30 tries a minute and two checks at once, then 429 with Retry-After;
 * the password slots stay free for others, and an admin at another address
 * signs in while the flood goes on. */
Test(staff, n6_a_login_flood_from_one_address_keeps_nobody_else_out)
{
    const char *extra[] = {"PELUKAN_HTTP_TRUSTED_PROXIES",
                           "127.0.0.1",
                           "PELUKAN_INTAKE_LOGINS_PER_CLIENT",
                           "30",
                           "PELUKAN_INTAKE_LOGIN_CHECKS_PER_CLIENT",
                           "2",
                           "PELUKAN_INTAKE_STAFF_MAX_FAILURES",
                           "100",
                           NULL};
    pkt_intake_start(&T, "t_staff8", extra);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-admin-1"), 0);
    cr_assert_eq(s_add("admin2", "admin", NULL, "kata-sandi-admin-2"), 0);
    volatile bool stop = false;
    int done = 0;
    enum { N = 6 };
    s_flood_t *f = pk_calloc(N, sizeof *f);
    pthread_t th[N];
    double t0 = pkt_now_ms();
    for (int i = 0; i < N; i++) {
        f[i] = (s_flood_t){.from = "203.0.113.66", .done = &done, .stop = &stop};
        pthread_create(&th[i], NULL, s_flood_thread, &f[i]);
    }
    /* The flood is on (and past its budget): now the admin signs in. */
    for (double end = pkt_now_ms() + pkt_wait_ms();
         __atomic_load_n(&done, __ATOMIC_SEQ_CST) < 60 && pkt_now_ms() < end;)
        usleep(10000);
    cr_assert_eq(s_login_from("198.51.100.7", "admin2", "kata-sandi-admin-2"), 200,
                 "a correct login from another address gets through the flood");
    stop = true;
    int throttled = 0, checked = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        for (int k = 0; k < f[i].n; k++) {
            int st = f[i].statuses[k];
            cr_assert(st == 429 || st == 401, "a flood try answered %d (429 or 401 only: no slot starved)", st);
            throttled += st == 429;
            checked += st == 401;
        }
    }
    cr_assert_gt(throttled, 0, "the flood was throttled");
    int minutes = 1 + (int)((pkt_now_ms() - t0) / 60000); /* a budget per minute begun (a slow machine) */
    cr_assert_leq(checked, 30 * minutes, "no more than its budget was checked: %d in %d min", checked, minutes);
    free(f);
    pkt_intake_stop(&T);
}

/* A login from `from` with a device token (NULL: none); *device_out gets
 * the token the answer gives (caller frees) when given. */
static int s_login_device(const char *from, const char *login, const char *password, const char *device,
                          char **device_out)
{
    char body[384], xff[96];
    if (device)
        snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\",\"device\":\"%s\"}", login, password,
                 device);
    else
        snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", login, password);
    snprintf(xff, sizeof xff, "X-Forwarded-For: %s", from);
    const char *headers[] = {"Content-Type: application/json", xff, NULL};
    char *text = NULL;
    int st = pkt_http("POST", T.port, "/v1/staff/login", body, strlen(body), headers, &text);
    if (device_out && st == 200) {
        json_t *j = json_loads(text, 0, NULL);
        *device_out = pk_strdup(pkt_json_str(j, "device"));
        json_decref(j);
    }
    free(text);
    return st;
}

/* Security review N6: five wrong passwords from a stranger lock the
 * account for everyone else, but not for the device its owner signed in
 * from before, which has its own budget of wrong tries; the device keeps
 * its token, a made-up token is no device, and a reset forgets every
 * device. */
Test(staff, n6_a_lock_out_keeps_the_stranger_out_not_the_owner)
{
    const char *extra[] = {"PELUKAN_HTTP_TRUSTED_PROXIES", "127.0.0.1", NULL};
    pkt_intake_start(&T, "t_staff9", extra);
    cr_assert_eq(s_add("pdp7", "companion", NULL, "kata-sandi-pdp-7"), 0);
    char *dev = NULL, *dev2 = NULL;
    cr_assert_eq(s_login_device("198.51.100.7", "pdp7", "kata-sandi-pdp-7", NULL, &dev), 200);
    cr_assert(dev && strncmp(dev, "dev_", 4) == 0 && strlen(dev) == 68, "a device token: %s", dev ? dev : "(none)");
    cr_assert_eq(s_login_device("198.51.100.7", "pdp7", "kata-sandi-pdp-7", "dev_zz", NULL), 422);

    /* A stranger locks the account. */
    for (int i = 0; i < 5; i++)
        cr_assert_eq(s_login_device("203.0.113.66", "pdp7", "tebakan-dari-penyerang", NULL, NULL), 401);
    char *locked = pkt_sql_value(T.db, "SELECT locked_until > now() FROM intake.staff WHERE login = 'pdp7'");
    cr_assert_str_eq(locked, "t", "the lock is on");
    free(locked);
    cr_assert_eq(s_login_device("198.51.100.8", "pdp7", "kata-sandi-pdp-7", NULL, NULL), 401,
                 "the right password from an unknown device: locked out");

    /* The owner's device gets through (and keeps its token). */
    cr_assert_eq(s_login_device("198.51.100.9", "pdp7", "kata-sandi-pdp-7", dev, &dev2), 200,
                 "the right password from the owner's device gets through the lock");
    cr_assert_str_eq(dev2, dev, "the device keeps its token");
    locked = pkt_sql_value(T.db, "SELECT locked_until > now() FROM intake.staff WHERE login = 'pdp7'");
    cr_assert_str_eq(locked, "t", "the lock stays on for everyone else");
    free(locked);
    char other[69];
    snprintf(other, sizeof other, "dev_%064d", 7);
    cr_assert_eq(s_login_device("198.51.100.9", "pdp7", "kata-sandi-pdp-7", other, NULL), 401,
                 "a made-up token is no known device");

    /* The known device has its own budget of wrong tries. */
    for (int i = 0; i < 5; i++)
        cr_assert_eq(s_login_device("198.51.100.9", "pdp7", "salah-dari-perangkat", dev2, NULL), 401);
    cr_assert_eq(s_login_device("198.51.100.9", "pdp7", "kata-sandi-pdp-7", dev2, NULL), 401,
                 "its own budget spent: locked out too");
    char *count = pkt_sql_value(T.db, "SELECT count(*) FROM intake.staff_device d JOIN intake.staff s ON s.id ="
                                      " d.staff_id WHERE s.login = 'pdp7'");
    cr_assert_str_eq(count, "1", "one device known: only hashes of its tokens are kept");
    free(count);
    char *clear = pk_asprintf("SELECT count(*) FROM intake.staff_device WHERE token_hash IN ('%s', '%s')", dev, dev2);
    count = pkt_sql_value(T.db, clear);
    cr_assert_str_eq(count, "0", "no token kept in clear");
    free(count);
    free(clear);

    /* A reset (by an admin: a companion's account) forgets every device. */
    cr_assert_eq(s_add("admin9", "admin", NULL, "kata-sandi-admin-9"), 0);
    char *admin = pkt_intake_login(&T, "admin9", "kata-sandi-admin-9", NULL);
    char *id = pkt_sql_value(T.db, "SELECT id FROM intake.staff WHERE login = 'pdp7'"), path[128];
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/password", id);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, "{\"password\":\"kata-sandi-baru-pdp7\"}", admin, NULL, NULL), 200);
    count = pkt_sql_value(T.db, "SELECT count(*) FROM intake.staff_device d JOIN intake.staff s ON s.id ="
                                " d.staff_id WHERE s.login = 'pdp7'");
    cr_assert_str_eq(count, "0", "no device known after a reset");
    free(count);
    free(id);
    free(admin);
    free(dev);
    free(dev2);
    pkt_intake_stop(&T);
}

/* "é" `n` times: 2n bytes, n characters. Caller frees. */
static char *s_accents(int n)
{
    char *s = pk_malloc(2 * (size_t)n + 1);
    for (int i = 0; i < n; i++)
        memcpy(s + 2 * i, "\xc3\xa9", 2);
    s[2 * n] = '\0';
    return s;
}

/* The contract's last disagreements on the staff side (contracts review
 * 12-05): a step without fields takes none (B3-B5), an id longer than
 * its format names nothing (B7), and text is counted in characters (C1). */
Test(staff, steps_without_fields_take_none_ids_are_whole_and_text_is_counted_in_characters)
{
    pkt_intake_start(&T, "t_staff11", NULL);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-rahasia-1"), 0);
    char *admin = s_token("admin1", "kata-sandi-rahasia-1");

    /* A name of 100 characters (200 bytes) is within display_name's 100. */
    char *name = s_accents(100);
    char *body = pk_asprintf("{\"login\":\"pendamping1\",\"display_name\":\"%s\",\"role\":\"companion\","
                             "\"password\":\"pendamping-rahasia-1\",\"phone\":\"0812 7777 0083\"}",
                             name);
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts", body, admin, NULL, &j), 201);
    char *companion = pk_strdup(pkt_json_str(j, "id"));
    json_decref(j);
    free(body);
    free(name);

    /* Fields on a step that takes none: refused, and nothing happens. */
    char path[160];
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/disable", companion);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, "{\"zz_extra\":1}", admin, NULL, &j), 422);
    cr_assert_str_eq(pkt_json_str(j, "error.fields.zz_extra"), "tidak dikenal");
    json_decref(j);
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/unlock", companion);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, "{\"zz_extra\":1}", admin, NULL, NULL), 422);
    char *disabled = pkt_sql_value(T.db, "SELECT disabled FROM intake.staff WHERE login = 'pendamping1'");
    cr_assert_str_eq(disabled, "f", "the refused step changed nothing");
    free(disabled);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/logout", "{\"x\":1}", admin, NULL, NULL), 422);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/staff/cases", NULL, admin, NULL, NULL), 200, "still logged in");
    /* Without a body, or with {}, the same steps run. */
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/disable", companion);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, NULL, admin, NULL, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/unlock", companion);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, "{}", admin, NULL, NULL), 200);

    /* A note on "<id>zz" is not a note on <id>. */
    char *reporter = pkt_intake_register(&T, "081234567891");
    char *id = s_submit(reporter, "00:00-23:59", false, "k-edge");
    cr_assert_eq(s_case_call("POST", id, "zz/notes", "{\"text\":\"salah alamat\"}", admin, &j), 404);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "not_found");
    json_decref(j);
    /* 3,000 characters of 6,000 bytes: within the note's 4,000. */
    char *text = s_accents(3000);
    body = pk_asprintf("{\"text\":\"%s\"}", text);
    cr_assert_eq(s_case_call("POST", id, "/notes", body, admin, NULL), 200);
    free(body);
    cr_assert_eq(s_case_call("GET", id, "/notes?purpose=case_review", NULL, admin, &j), 200);
    json_t *notes = json_object_get(j, "notes");
    cr_assert_eq(json_array_size(notes), 1, "only the note on the case's own id");
    cr_assert_str_eq(pkt_json_str(json_array_get(notes, 0), "text"), text);
    json_decref(j);
    free(text);
    free(id);
    free(reporter);
    free(companion);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/logout", NULL, admin, NULL, NULL), 204);
    free(admin);
    pkt_intake_stop(&T);
}

/* A desk step as an admin would retry it after an error: 200 once it lands. */
typedef struct {
    const char *id, *token;
    int tries, landed;
} s_retry_t;

static bool s_note_lands(void *arg)
{
    s_retry_t *r = arg;
    r->tries++;
    int st = s_case_call("POST", r->id, "/notes", "{\"text\":\"Dicatat setelah sambungan putus\"}", r->token, NULL);
    cr_assert(st == 200 || st == 503, "an answer, and a clear one: %d", st);
    r->landed += st == 200;
    return st == 200;
}

/* Issue 24, step 2: the case owner answers on a connection of its own; cut
 * (the database restarted, say), the next command reconnects, and a step
 * the admin retries is written once. */
Test(staff, the_case_owner_outlives_its_database_connection)
{
    pkt_intake_start(&T, "t_staff_owner", NULL);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-rahasia-1"), 0);
    char *admin = s_token("admin1", "kata-sandi-rahasia-1");
    char *reporter = pkt_intake_register(&T, "081234567892");
    char *id = s_submit(reporter, "00:00-23:59", false, "k-owner");
    cr_assert_eq(s_case_call("POST", id, "/notes", "{\"text\":\"Sebelum\"}", admin, NULL), 200);
    pkt_sql(T.db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                  " WHERE datname = current_database() AND pid <> pg_backend_pid()");
    s_retry_t r = {id, admin, 0, 0};
    cr_assert(pkt_wait_until(s_note_lands, &r, 60000), "the note lands after %d tries", r.tries);
    char *notes = pkt_sql_value(T.db, "SELECT count(*) FROM intake.case_note WHERE kind = 'note'");
    cr_assert_str_eq(notes, "2", "written once: %s notes after %d tries", notes, r.tries);
    free(notes);
    cr_assert_eq(s_case_call("POST", id, "/verify", "{}", admin, NULL), 409, "the owner still checks the life cycle");
    free(id);
    free(reporter);
    free(admin);
    pkt_intake_stop(&T);
}

typedef struct {
    const char *id, *token;
    int status;
} s_note_t;

static void *s_note_thread(void *arg)
{
    s_note_t *n = arg;
    n->status = s_case_call("POST", n->id, "/notes", "{\"text\":\"Ditulis setelah kunci dilepas\"}", n->token, NULL);
    return NULL;
}

static bool s_waits_for_a_lock(void *arg)
{
    (void)arg;
    char *n = pkt_sql_value(T.db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                  " AND wait_event_type = 'Lock'");
    bool waits = atoi(n) > 0;
    free(n);
    return waits;
}

#define S_QUEUED "pelukan_rpc_queued_total{service=\"intake\"}"

typedef struct {
    int port;
    long long want;
} s_queued_t;

static bool s_queued_at_least(void *arg)
{
    s_queued_t *q = arg;
    return pkt_metric(q->port, S_QUEUED) >= q->want;
}

static bool s_two_wait_for_a_lock(void *arg)
{
    (void)arg;
    char *n = pkt_sql_value(T.db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                  " AND wait_event_type = 'Lock'");
    bool waits = atoi(n) >= 2;
    free(n);
    return waits;
}

/* Issue 24, decision 2: the case owner answers on several workers, each
 * with its own connection. A step that waits for a case (locked, here by
 * the test) does not hold up another admin's step on another case; once
 * the case is free, the waiting step is written, once. Two steps waiting
 * hold up neither the sessions nor the queue. */
Test(staff, a_step_waiting_for_its_case_does_not_hold_up_the_desk)
{
    pkt_intake_start(&T, "t_staff_workers", NULL);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-rahasia-1"), 0);
    cr_assert_eq(s_add("admin2", "admin", NULL, "kata-sandi-rahasia-2"), 0);
    char *a1 = s_token("admin1", "kata-sandi-rahasia-1"), *a2 = s_token("admin2", "kata-sandi-rahasia-2");
    char *reporter = pkt_intake_register(&T, "081234567893");
    char *held = s_submit(reporter, "00:00-23:59", false, "k-held"),
         *free_case = s_submit(reporter, "00:00-23:59", false, "k-free");

    PGconn *lock = pkt_superuser(T.db);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT 1 FROM intake.cases WHERE id = '%s' FOR UPDATE", held);
    char sql_lock[160];
    snprintf(sql_lock, sizeof sql_lock, "%s", sql);
    PQclear(PQexec(lock, "BEGIN"));
    PGresult *r = PQexec(lock, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(lock));
    PQclear(r);
    s_note_t waiting = {held, a1, 0};
    pthread_t t;
    pthread_create(&t, NULL, s_note_thread, &waiting);
    cr_assert(pkt_wait_until(s_waits_for_a_lock, NULL, 60000), "admin1's note waits for its case");

    cr_assert_eq(s_case_call("POST", free_case, "/notes", "{\"text\":\"Kasus lain\"}", a2, NULL), 200,
                 "admin2's note on another case is written meanwhile");
    char *n = pkt_sql_value(T.db, "SELECT count(*) FROM intake.case_note WHERE kind = 'note'");
    cr_assert_str_eq(n, "1", "only admin2's so far");
    free(n);

    PQclear(PQexec(lock, "COMMIT"));
    PQfinish(lock);
    pthread_join(t, NULL);
    /* admin1 is told it was written, or (when the wait outlasted her
     * client's tries) that the desk was busy: either way it is written once. */
    cr_assert(waiting.status == 200 || waiting.status == 503, "%d", waiting.status);
    cr_assert(pkt_sql_wait(T.db, "SELECT (count(*) = 2)::int FROM intake.case_note WHERE kind = 'note'", 60000),
              "admin1's note is written");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM intake.case_note WHERE kind = 'note' AND case_id = '%s'", held);
    n = pkt_sql_value(T.db, sql);
    cr_assert_str_eq(n, "1", "once");
    free(n);

    /* Steps waiting on one case hold the workers that run commands (two
     * of three; a third step waits for one of them); the last worker
     * answers only queries, so the desk still checks every session and
     * reads its queue. */
    cr_assert_eq(s_add("admin3", "admin", NULL, "kata-sandi-rahasia-3"), 0);
    cr_assert_eq(s_add("admin4", "admin", NULL, "kata-sandi-rahasia-4"), 0);
    char *a3 = s_token("admin3", "kata-sandi-rahasia-3"), *a4 = s_token("admin4", "kata-sandi-rahasia-4");
    lock = pkt_superuser(T.db);
    PQclear(PQexec(lock, "BEGIN"));
    PQclear(PQexec(lock, sql_lock));
    s_note_t notes[3] = {{held, a1, 0}, {held, a2, 0}, {held, a3, 0}};
    pthread_t th[3];
    pthread_create(&th[0], NULL, s_note_thread, &notes[0]);
    pthread_create(&th[1], NULL, s_note_thread, &notes[1]);
    cr_assert(pkt_wait_until(s_two_wait_for_a_lock, NULL, 60000), "two notes wait for the case");
    /* The third: its session and its step both reach the owner. */
    s_queued_t q = {T.proc.metrics_port, 0};
    q.want = pkt_metric(q.port, S_QUEUED) + 2;
    pthread_create(&th[2], NULL, s_note_thread, &notes[2]);
    cr_assert(pkt_wait_until(s_queued_at_least, &q, 60000), "the third note is queued");
    json_t *queue = NULL;
    int st = pkt_intake_call(&T, "GET", "/v1/staff/cases", NULL, a4, NULL, &queue);
    char *shown = queue ? json_dumps(queue, 0) : NULL;
    cr_assert_eq(st, 200, "the desk still reads its queue: %s", shown ? shown : "");
    free(shown);
    json_decref(queue);
    PQclear(PQexec(lock, "COMMIT"));
    PQfinish(lock);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    cr_assert(pkt_sql_wait(T.db, "SELECT (count(*) = 5)::int FROM intake.case_note WHERE kind = 'note'", 60000),
              "the three waiting notes are written");
    free(a4);
    free(held), free(free_case), free(reporter), free(a1), free(a2), free(a3);
    pkt_intake_stop(&T);
}

/* ---- operations: a backup restores --------------------------------------------- */

static void s_collect(const char *line, void *arg)
{
    char **text = arg, *more = pk_asprintf("%s%s", *text, line);
    free(*text);
    *text = more;
}

/* Runs deploy/<script> with `args` against the test cluster as its
 * superuser; its exit status, and what it printed in `out` when given. */
static int s_deploy(const char *script, const char *args, char **out)
{
    char *cmd = pk_asprintf("cd %s && PGHOST=127.0.0.1 PGPORT=%s PGUSER=postgres PGDATABASE=%s deploy/%s %s 2>&1",
                            pkt_env("PKTEST_ROOT"), pkt_env("PKTEST_PG_PORT"), T.db, script, args);
    char *text = pk_strdup("");
    int rc = pkt_pipe(cmd, NULL, s_collect, &text);
    free(cmd);
    if (out)
        *out = text;
    else
        free(text);
    return rc;
}

static bool s_db_exists(const char *name)
{
    char *sql = pk_asprintf("SELECT count(*) FROM pg_database WHERE datname = '%s'", name);
    char *n = pkt_sql_value("postgres", sql);
    bool yes = strcmp(n, "1") == 0;
    free(n);
    free(sql);
    return yes;
}

/* Operations: deploy/backup.sh copies the database at one moment, closed to
 * everyone but its user; deploy/restore.sh puts the copy into a new, empty
 * database and nowhere else. Intake, started again on the restored
 * database with the master key the copy was made under (kept apart from
 * it), opens the victim's sealed data for the admin, knows the staff's and
 * the reporter's sessions, and takes a new report; what was written after
 * the copy is not in it. A damaged copy is refused. */
Test(staff, a_backup_restores_into_a_new_database_and_nowhere_else)
{
    pkt_intake_start(&T, "t_staff_backup", NULL);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-rahasia-1"), 0);
    char *admin = s_token("admin1", "kata-sandi-rahasia-1");
    char *reporter = pkt_intake_register(&T, "081234567893");
    char *id = s_submit(reporter, "00:00-23:59", false, "k-backup");
    cr_assert_eq(s_case_call("POST", id, "/notes", "{\"text\":\"Sebelum salinan\"}", admin, NULL), 200);

    char *dir = pk_asprintf("%s/backups-%d", pkt_env("PKTEST_TMP"), (int)getpid()), *out = NULL;
    cr_assert_eq(s_deploy("backup.sh", dir, &out), 0, "%s", out);
    const char *at = strstr(out, "backup: ");
    cr_assert_not_null(at, "%s", out);
    char file[512];
    cr_assert_eq(sscanf(at, "backup: %511s", file), 1);
    free(out);
    struct stat sb;
    cr_assert_eq(stat(file, &sb), 0, "%s", file);
    cr_assert_eq(sb.st_mode & 077, 0, "the copy is its user's alone: %o", sb.st_mode & 0777);
    /* What the copy holds, as SQL text (the file itself is compressed). */
    char *sql = pk_asprintf("%s.sql", file), *cmd = pk_asprintf("pg_restore --file=%s %s", sql, file), *text = NULL;
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    cr_assert_eq(pk_read_file(sql, &text, NULL), 0);
    cr_assert_not_null(strstr(text, "COPY intake.cases"), "the cases are in the copy");
    cr_assert_null(strstr(text, "Siti Rahayu"), "the victim's name is sealed in the copy too");
    cr_assert_null(strstr(text, "Kenanga"), "and her address");
    cr_assert_null(strstr(text, "81234567893"), "and the reporter's phone");
    free(text), free(cmd), free(sql);
    cr_assert_eq(s_case_call("POST", id, "/notes", "{\"text\":\"Sesudah salinan\"}", admin, NULL), 200);

    /* Into the database that holds the cases: refused. */
    char *args = pk_asprintf("%s %s", file, T.db);
    cr_assert_neq(s_deploy("restore.sh", args, &out), 0, "restored over a database with cases");
    cr_assert_not_null(strstr(out, "exists"), "%s", out);
    free(out);
    free(args);
    /* A copy changed after it was made: refused, nothing made. */
    char *bad = pk_asprintf("cp %s %s/bad.dump && sed 's/pelukan-[^ ]*\\.dump/bad.dump/' %s.sha256 > %s/bad.dump.sha256"
                            " && printf x >> %s/bad.dump",
                            file, dir, file, dir, dir);
    cr_assert_eq(system(bad), 0);
    free(bad);
    args = pk_asprintf("%s/bad.dump t_staff_backup_bad", dir);
    cr_assert_neq(s_deploy("restore.sh", args, &out), 0, "a damaged copy restored");
    cr_assert_not_null(strstr(out, "does not match"), "%s", out);
    cr_assert(!s_db_exists("t_staff_backup_bad"), "nothing made of a damaged copy");
    free(out);
    free(args);

    /* The server lost: the database gone, the copy restored under its name. */
    cr_assert_eq(pkt_proc_stop(&T.proc, SIGTERM, 20000), 0, "intake stops cleanly");
    char *drop = pk_asprintf("DROP DATABASE %s WITH (FORCE)", T.db);
    pkt_sql("postgres", drop);
    free(drop);
    args = pk_asprintf("%s %s", file, T.db);
    cr_assert_eq(s_deploy("restore.sh", args, &out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "intake: "), "each schema's level: %s", out);
    free(out);
    free(args);
    T.proc = pkt_service_start("intake", T.env);

    json_t *j = NULL;
    cr_assert_eq(s_case_call("GET", id, "?purpose=case_review", NULL, admin, &j), 200, "the admin's session is back");
    cr_assert_str_eq(pkt_json_str(j, "personal.report.victim_name"), "Siti Rahayu Unik", "opened with the same key");
    cr_assert_str_eq(pkt_json_str(j, "personal.reporter_phone"), "+6281234567893", "and her phone, with hers");
    json_decref(j);
    char *notes = pkt_sql_value(T.db, "SELECT string_agg(kind, ',') FROM intake.case_note WHERE kind = 'note'");
    cr_assert_str_eq(notes, "note", "the note before the copy, not the one after: %s", notes);
    free(notes);
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, reporter, NULL, &j), 200, "her session is back");
    cr_assert_eq(json_array_size(json_object_get(j, "reports")), 1);
    json_decref(j);
    char *id2 = s_submit(reporter, "00:00-23:59", false, "k-backup-2");
    cr_assert_str_neq(id2, id, "a new report after the restore");
    cr_assert_eq(pkt_intake_call(&T, "GET", "/v1/reports", NULL, reporter, NULL, &j), 200);
    cr_assert_eq(json_array_size(json_object_get(j, "reports")), 2);
    json_decref(j);
    free(id2), free(id), free(reporter), free(admin), free(dir);
    pkt_intake_stop(&T);
}

/* Security review L6 (NIST SP 800-63B, 5.1.1.2): a new staff password
 * that is common, a keyboard pattern, or built on the district's name or
 * the account's own login and name is refused, by the API and by
 * pelukanctl alike, saying why and never echoing it; a passphrase is
 * taken. */
Test(staff, l6_a_new_password_easy_to_guess_is_refused)
{
    pkt_intake_start(&T, "t_staff_weak", NULL);
    cr_assert_eq(s_add("admin1", "admin", NULL, "kata-sandi-rahasia-1"), 0);
    char *admin = s_token("admin1", "kata-sandi-rahasia-1");
    static const char *const weak[] = {"password1234", "qwertyuiop12", "tasikmalaya2026", "bismillah123",
                                       "sayangkamu123"};
    for (size_t i = 0; i < PK_ARRAY_LEN(weak); i++) {
        char body[160];
        snprintf(body, sizeof body, "{\"current_password\":\"kata-sandi-rahasia-1\",\"new_password\":\"%s\"}", weak[i]);
        json_t *j = NULL;
        cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/password", body, admin, NULL, &j), 422, "%s", weak[i]);
        cr_assert_not_null(strstr(pkt_json_str(j, "error.fields.new_password"), "mudah ditebak"), "%s", weak[i]);
        char *text = json_dumps(j, 0);
        cr_assert_null(strstr(text, weak[i]), "the password is not echoed: %s", text);
        free(text);
        json_decref(j);
    }
    /* Built on the account's own login and name: weak for this account
     * only (the same word with another account's name is taken below). */
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts",
                                 "{\"login\":\"rinawati\",\"display_name\":\"Rinawati\",\"role\":\"companion\","
                                 "\"password\":\"Rinawati19981998\"}",
                                 admin, NULL, &j),
                 422);
    cr_assert_not_null(strstr(pkt_json_str(j, "error.fields.password"), "mudah ditebak"));
    json_decref(j);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/staff/accounts",
                                 "{\"login\":\"yanti\",\"display_name\":\"Yanti\",\"role\":\"companion\","
                                 "\"password\":\"Rinawati19981998\"}",
                                 admin, NULL, NULL),
                 201);
    cr_assert_eq(
        pkt_intake_call(&T, "POST", "/v1/staff/password",
                        "{\"current_password\":\"kata-sandi-rahasia-1\",\"new_password\":\"hujan turun pelan di "
                        "sawah\"}",
                        admin, NULL, NULL),
        204, "a passphrase is taken");

    /* pelukanctl judges the same. */
    char *in = pk_asprintf("%s/weak-%d", pkt_env("PKTEST_TMP"), (int)getpid()), *out = NULL;
    FILE *f = fopen(in, "w");
    fputs("password1234\n", f);
    fclose(f);
    int rc = pkt_ctl(T.env, "staff add --login budi --name 'Budi' --role companion --password-stdin", in, &out);
    cr_assert_neq(rc, 0, "%s", out);
    cr_assert_not_null(strstr(out, "too easy to guess"), "%s", out);
    cr_assert_null(strstr(out, "password1234"), "%s", out);
    free(out);
    unlink(in);
    free(in);
    char *n = pkt_sql_value(T.db, "SELECT count(*) FROM intake.staff WHERE login IN ('budi', 'rinawati')");
    cr_assert_str_eq(n, "0", "no account made with a weak password");
    free(n);
    pkt_intake_stop(&T);
    char *log = pkt_proc_log(&T.proc);
    for (size_t i = 0; i < PK_ARRAY_LEN(weak); i++)
        cr_assert_null(strstr(log, weak[i]), "\"%s\" in the log", weak[i]);
    free(log);
    free(admin);
}
