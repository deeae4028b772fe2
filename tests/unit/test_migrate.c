/* test_migrate.c -- forward-only migrations on a real PostgreSQL. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../support/pktest.h"
#include "pelukan/db.h"
#include "pelukan/migrate.h"

static char dir[256];
static char *conninfo;
static pk_log_t *log_;
static char logpath[300];

static void s_write(const char *name, const char *sql)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(sql, f);
    fclose(f);
}

static void s_setup(void)
{
    free(pkt_db_create("t_migrate"));
    conninfo = pkt_role_create("t_migrate", "mig");
    snprintf(dir, sizeof dir, "%s/migrate-XXXXXX", pkt_env("PKTEST_TMP"));
    cr_assert_not_null(mkdtemp(dir));
    snprintf(logpath, sizeof logpath, "%s.log", dir);
    FILE *f = fopen(logpath, "w");
    log_ = pk_log_new("test", PK_LOG_INFO, PK_LOG_LOGFMT, fileno(f));
}

static void s_teardown(void)
{
    pk_log_destroy(&log_);
    free(conninfo);
}

TestSuite(migrate, .init = s_setup, .fini = s_teardown);

static int s_run(void)
{
    PGconn *c = pk_pg_connect(conninfo, log_, 5000);
    cr_assert_not_null(c);
    int rc = pk_migrate_run(c, log_, "mig", "mig", dir);
    PQfinish(c);
    return rc;
}

static char *s_log(void)
{
    char *text = NULL;
    FILE *f = fopen(logpath, "r");
    size_t n = 0;
    getdelim(&text, &n, '\0', f);
    fclose(f);
    return text;
}

Test(migrate, applies_in_order_once)
{
    s_write("0002_more.sql", "INSERT INTO thing VALUES (2);");
    s_write("0001_first.sql", "CREATE TABLE thing (n int PRIMARY KEY); INSERT INTO thing VALUES (1);");
    cr_assert_eq(s_run(), 0);
    cr_assert_eq(s_run(), 0, "a second run applies nothing");
    char *n = pkt_sql_value("t_migrate", "SELECT string_agg(n::text, ',' ORDER BY n) FROM mig.thing");
    cr_assert_str_eq(n, "1,2");
    free(n);
    n = pkt_sql_value("t_migrate", "SELECT count(*) FROM mig.schema_migration");
    cr_assert_str_eq(n, "2");
    free(n);
}

Test(migrate, changed_applied_file_is_refused_by_name)
{
    s_write("0001_first.sql", "CREATE TABLE thing (n int);");
    cr_assert_eq(s_run(), 0);
    s_write("0001_first.sql", "CREATE TABLE thing (n bigint);");
    cr_assert_eq(s_run(), PK_ECHECKSUM);
    char *text = s_log();
    cr_assert_not_null(strstr(text, "/0001_first.sql was changed after it was applied"), "%s", text);
    free(text);
}

Test(migrate, failing_file_rolls_back_and_stops)
{
    s_write("0001_ok.sql", "CREATE TABLE a (n int);");
    s_write("0002_bad.sql", "CREATE TABLE b (n int); SELECT nosuchcolumn FROM a;");
    s_write("0003_after.sql", "CREATE TABLE c (n int);");
    cr_assert_eq(s_run(), PK_EDB);
    char *v = pkt_sql_value("t_migrate", "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                                         "WHERE schemaname = 'mig'");
    cr_assert_str_eq(v, "a,schema_migration", "0002 left nothing behind and 0003 did not run");
    free(v);
    char *text = s_log();
    cr_assert_not_null(strstr(text, "migration mig/0002_bad.sql failed"), "%s", text);
    free(text);
}

Test(migrate, bad_names_and_duplicate_versions)
{
    s_write("1_short.sql", "SELECT 1;");
    cr_assert_eq(s_run(), PK_EINVAL);
    char path[400];
    snprintf(path, sizeof path, "%s/1_short.sql", dir);
    unlink(path);
    s_write("0001_a.sql", "SELECT 1;");
    s_write("0001_b.sql", "SELECT 1;");
    cr_assert_eq(s_run(), PK_EINVAL);
}

Test(migrate, wrong_schema_is_refused)
{
    s_write("0001_a.sql", "SELECT 1;");
    PGconn *c = pk_pg_connect(conninfo, log_, 5000);
    cr_assert_eq(pk_migrate_run(c, log_, "intake", "x", dir), PK_EINVAL);
    PQfinish(c);
}
