/* test_services.c -- the five services as processes: start, migrate, health,
 * readiness across a lost connection, bad configuration, changed migration. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../support/pktest.h"
#include "pelukan/util.h"

static const char *const s_services[] = {"intake", "notification", "dispatch", "referral", "audit"};

static bool s_not_ready(void *arg)
{
    return pkt_http_get(*(int *)arg, "/readyz", NULL) == 503;
}

static bool s_ready(void *arg)
{
    return pkt_http_get(*(int *)arg, "/readyz", NULL) == 200;
}

Test(services, all_five_start_migrate_answer_health_and_stop_cleanly)
{
    free(pkt_db_create("t_services"));
    pkt_env_t *env = pkt_env_new("t_services");
    pkt_proc_t procs[5];
    for (int i = 0; i < 5; i++)
        procs[i] = pkt_service_start(s_services[i], env);
    for (int i = 0; i < 5; i++) {
        /* Each service's own health; intake's edge (its http_port) next. */
        int port = procs[i].owner_http_port ? procs[i].owner_http_port : procs[i].http_port;
        char *body = NULL;
        cr_assert_eq(pkt_http_get(port, "/healthz", &body), 200);
        cr_assert_not_null(strstr(body, s_services[i]));
        free(body);
        /* Ready once the async connection is up: poll, no sleep. */
        double deadline = pkt_now_ms() + pkt_wait_ms();
        int st = 0;
        while ((st = pkt_http_get(port, "/readyz", NULL)) != 200 && pkt_now_ms() < deadline)
            usleep(10000);
        cr_assert_eq(st, 200, "%s ready", s_services[i]);
        cr_assert_eq(pkt_http_get(procs[i].metrics_port, "/metrics", &body), 200);
        cr_assert_not_null(strstr(body, "pelukan_db_connected{service="), "%s", body);
        free(body);
        char *sql = pk_asprintf("SELECT count(*) FROM %s.schema_migration", s_services[i]);
        char *n = pkt_sql_value("t_services", sql);
        cr_assert_geq(atoi(n), 2, "bus and own migrations applied for %s", s_services[i]);
        free(n);
        free(sql);
    }
    /* intake's edge: its health, ready once it has the owner's code lists,
     * and no database at all (issue 24, step 3). */
    char *body = NULL;
    cr_assert_eq(pkt_http_get(procs[0].http_port, "/healthz", &body), 200);
    cr_assert_not_null(strstr(body, "\"service\":\"edge\""), "%s", body);
    free(body);
    cr_assert(pkt_wait_until(s_ready, &procs[0].http_port, pkt_wait_ms()), "the edge is ready");
    cr_assert_eq(pkt_http_get(procs[0].http_port, "/readyz", &body), 200);
    cr_assert_null(strstr(body, "database"), "the edge has no database to be ready on: %s", body);
    free(body);
    cr_assert_eq(pkt_http_get(procs[0].edge_metrics_port, "/metrics", &body), 200);
    cr_assert_null(strstr(body, "pelukan_db_connected"), "%s", body);
    cr_assert_not_null(strstr(body, "pelukan_intake_requests_total{service=\"edge\"}"), "%s", body);
    free(body);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(pkt_proc_stop(&procs[i], SIGTERM, 15000), 0, "%s exits 0 on SIGTERM", s_services[i]);
        char *log = pkt_proc_log(&procs[i]);
        cr_assert_not_null(strstr(log, "msg=\"stopped cleanly\""), "%s", log);
        free(log);
    }
    pkt_env_destroy(&env);
}

Test(services, readiness_follows_the_database_connection)
{
    free(pkt_db_create("t_ready"));
    pkt_env_t *env = pkt_env_new("t_ready");
    pkt_proc_t p = pkt_service_start("referral", env);
    cr_assert(pkt_wait_until(s_ready, &p.http_port, 10000));
    /* Lock the role out and kill its session: the service must say it is not
     * ready, keep answering health, and recover when the role may log in. */
    pkt_sql("t_ready", "ALTER ROLE referral NOLOGIN; SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE usename = 'referral' AND datname = 't_ready'");
    cr_assert(pkt_wait_until(s_not_ready, &p.http_port, 10000), "readyz turns 503");
    cr_assert_eq(pkt_http_get(p.http_port, "/healthz", NULL), 200);
    pkt_sql("t_ready", "ALTER ROLE referral LOGIN");
    bool back = pkt_wait_until(s_ready, &p.http_port, 15000);
    char *log = pkt_proc_log(&p);
    cr_assert(back, "readyz back to 200 after reconnect; the service said:\n%s", log);
    cr_assert_eq(pkt_proc_stop(&p, SIGTERM, 15000), 0);
    cr_assert_not_null(strstr(log, "reconnecting in"), "%s", log);
    free(log);
    pkt_env_destroy(&env);
}

static bool s_said(void *arg)
{
    const pkt_proc_t *p = arg;
    char *log = pkt_proc_log(p);
    bool said = log && strstr(log, "subscriber referral: database unavailable");
    free(log);
    return said;
}

/* A bus consumer whose first read of its offsets fails (the database went
 * away between its connection and its first statement: here, the table is
 * not there) stays up and reads them at its next try. It crashed: its
 * replay socket is made by that read, and the poll loop used it anyway
 * (czmq's assertion in zsock_events, the readiness test's rare failure). */
Test(services, a_consumer_whose_first_offset_read_fails_reads_them_at_its_next_try)
{
    free(pkt_db_create("t_offsets"));
    pkt_env_t *env = pkt_env_new("t_offsets");
    pkt_proc_t p = pkt_service_start("referral", env);
    cr_assert(pkt_wait_until(s_ready, &p.http_port, 10000), "referral made its tables");
    cr_assert_eq(pkt_proc_stop(&p, SIGTERM, 15000), 0);
    pkt_sql("t_offsets", "ALTER TABLE referral.consumer_offset RENAME TO consumer_offset_away");
    p = pkt_service_start("referral", env);
    cr_assert(pkt_wait_until(s_said, &p, 10000), "the first read of the offsets failed");
    pkt_sql("t_offsets", "ALTER TABLE referral.consumer_offset_away RENAME TO consumer_offset");
    cr_assert(pkt_sql_wait("t_offsets",
                           "SELECT count(*) FROM pg_stat_activity WHERE usename = 'referral'"
                           " AND query LIKE 'SELECT epoch, last_seq FROM consumer_offset%'",
                           pkt_wait_ms()),
              "the next try read them, in a process still running");
    cr_assert(pkt_wait_until(s_ready, &p.http_port, 10000));
    cr_assert_eq(pkt_proc_stop(&p, SIGTERM, 15000), 0, "and it stops cleanly");
    pkt_env_destroy(&env);
}

/* The edge keeps nothing: with no PostgreSQL to reach and no case owner
 * to ask, it starts, answers its health, says it is not ready (it has not
 * the code lists) and stops cleanly; it never opens a connection. */
Test(services, the_edge_runs_without_any_database)
{
    pkt_env_t *env = pkt_env_new("t_no_such_database");
    pkt_env_set(env, "PELUKAN_DB_URL", "host=127.0.0.1 port=1 dbname=none connect_timeout=1");
    pkt_proc_t edge = pkt_service_start("edge", env);
    char *body = NULL;
    cr_assert_eq(pkt_http_get(edge.http_port, "/readyz", &body), 503);
    cr_assert_not_null(strstr(body, "\"service\":false"), "not ready without the owner's code lists: %s", body);
    cr_assert_null(strstr(body, "database"), "%s", body);
    free(body);
    cr_assert_eq(pkt_proc_stop(&edge, SIGTERM, 15000), 0, "the edge stops cleanly");
    char *log = pkt_proc_log(&edge);
    cr_assert_null(strstr(log, "database"), "no word of a database: %s", log);
    cr_assert_not_null(strstr(log, "msg=\"stopped cleanly\""), "%s", log);
    free(log);
    pkt_env_destroy(&env);
}

/* Runs a service with one setting changed; returns its exit status and
 * its output. */
static int s_run_with(const char *name, const char *value, char **out)
{
    free(pkt_db_create("t_config"));
    pkt_env_t *env = pkt_env_new("t_config");
    pkt_env_set(env, name, value);
    pkt_proc_t p = pkt_service_spawn("intake", env);
    int rc = pkt_proc_wait(&p, 30000);
    *out = pkt_proc_log(&p);
    pkt_env_destroy(&env);
    return rc;
}

Test(services, malformed_configuration_is_a_one_line_error_naming_the_variable)
{
    char *out = NULL;
    cr_assert_eq(s_run_with("PELUKAN_INTAKE_HTTP_PORT", "70000", &out), 2);
    cr_assert_str_eq(out, "pelukan-intake: configuration error: PELUKAN_INTAKE_HTTP_PORT=\"70000\" is not a valid port "
                          "(1-65535)\n");
    free(out);
    cr_assert_eq(s_run_with("PELUKAN_INTAKE_MASTER_KEY_FILE", "/nonexistent/master.key", &out), 2);
    cr_assert_not_null(strstr(out, "PELUKAN_INTAKE_MASTER_KEY_FILE=\"/nonexistent/master.key\" cannot read file"), "%s",
                       out);
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s", out);
    free(out);
    /* A key file that others may read is refused before it is read. */
    cr_assert_eq(s_run_with("PELUKAN_INTAKE_MASTER_KEY_FILE", "/etc/hostname", &out), 2);
    cr_assert_not_null(strstr(out, "PELUKAN_INTAKE_MASTER_KEY_FILE=\"/etc/hostname\" is open to group or others"), "%s",
                       out);
    free(out);
    char *key = pk_asprintf("%s/short.key", pkt_env("PKTEST_TMP"));
    FILE *f = fopen(key, "w");
    fputs("abcd\n", f);
    fclose(f);
    chmod(key, 0600);
    cr_assert_eq(s_run_with("PELUKAN_INTAKE_MASTER_KEY_FILE", key, &out), 2);
    cr_assert_not_null(strstr(out, "not a 32-byte key"), "%s", out);
    free(out);
    free(key);
    cr_assert_eq(s_run_with("PELUKAN_INTAKE_PUB", "127.0.0.1:5555", &out), 2);
    cr_assert_not_null(strstr(out, "PELUKAN_INTAKE_PUB=\"127.0.0.1:5555\" is not a ZeroMQ endpoint"), "%s", out);
    free(out);
}

Test(services, an_applied_migration_that_changed_stops_the_service_naming_the_file)
{
    /* A private copy of the SQL tree, so the repository's files stay. */
    char root[300];
    snprintf(root, sizeof root, "%s/sqlcopy-XXXXXX", pkt_env("PKTEST_TMP"));
    cr_assert_not_null(mkdtemp(root));
    char *cmd = pk_asprintf("mkdir -p %s/common %s/services && cp -r %s/common/sql %s/common/ && "
                            "cp -r %s/services/referral %s/services/",
                            root, root, pkt_env("PKTEST_ROOT"), root, pkt_env("PKTEST_ROOT"), root);
    cr_assert_eq(system(cmd), 0);
    free(cmd);

    free(pkt_db_create("t_checksum"));
    pkt_env_t *env = pkt_env_new("t_checksum");
    pkt_env_set(env, "PELUKAN_SQL_DIR", root);
    pkt_proc_t p = pkt_service_start("referral", env);
    cr_assert_eq(pkt_proc_stop(&p, SIGTERM, 15000), 0);

    char *file = pk_asprintf("%s/services/referral/sql/0001_agencies.sql", root);
    FILE *f = fopen(file, "a");
    fputs("-- edited after it was applied\n", f);
    fclose(f);
    p = pkt_service_spawn("referral", env);
    cr_assert_eq(pkt_proc_wait(&p, 30000), 1, "refuses to start");
    char *log = pkt_proc_log(&p);
    char *want = pk_asprintf("migration %s was changed after it was applied", file);
    cr_assert_not_null(strstr(log, want), "%s", log);
    free(want);
    free(log);
    free(file);
    pkt_env_destroy(&env);
}

static bool s_leading(void *arg)
{
    return pkt_metric(*(int *)arg, "pelukan_bus_relay_leader{service=\"audit\",producer=\"audit\"}") == 1;
}

Test(services, a_second_signal_during_shutdown_does_not_break_it)
{
    free(pkt_db_create("t_twice"));
    pkt_env_t *env = pkt_env_new("t_twice");
    pkt_proc_t p = pkt_service_start("audit", env);
    /* Signal while the actor threads run: the waits for them are what a
     * second signal used to interrupt. */
    cr_assert(pkt_wait_until(s_leading, &p.metrics_port, 10000), "the relay leads");
    kill(p.pid, SIGINT);
    kill(p.pid, SIGTERM);
    kill(p.pid, SIGTERM);
    cr_assert_eq(pkt_proc_wait(&p, 15000), 0, "still a clean exit");
    char *log = pkt_proc_log(&p);
    cr_assert_not_null(strstr(log, "msg=\"stopped cleanly\""), "%s", log);
    cr_assert_not_null(strstr(log, "relay for audit stepping down: stopping"), "%s", log);
    free(log);
    pkt_env_destroy(&env);
}
