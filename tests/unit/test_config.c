/* test_config.c -- the settings table: defaults, checks, unknown names. */
#include <criterion/criterion.h>
#include <string.h>

#include "pelukan/config.h"

static const pk_config_def_t s_own[] = {
    {"PELUKAN_INTAKE_OTP_TTL_S", PK_CFG_INT, "300", "OTP lifetime", NULL, 30, 3600},
    {"PELUKAN_INTAKE_DEV_PRINT_OTP", PK_CFG_BOOL, "false", "print codes", NULL, 0, 0},
    {"PELUKAN_INTAKE_TOKEN", PK_CFG_SECRET, NULL, "required secret", NULL, 0, 0},
    PK_CONFIG_END,
};
static const pk_config_def_t *const s_tables[] = {s_own, NULL};

static pk_config_t *s_load(char *const *envp, char *err)
{
    return pk_config_new("intake", s_tables, envp, err, 256);
}

Test(config, defaults_and_given_values)
{
    char err[256] = "";
    char *envp[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null",        "PELUKAN_INTAKE_TOKEN=s3cret",
                    "PELUKAN_INTAKE_DEV_PRINT_OTP=yes",         "HOME=/root",
                    "PELUKAN_AUDIT_WHATEVER=not ours to judge", NULL};
    pk_config_t *c = s_load(envp, err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(pk_config_int(c, "PELUKAN_INTAKE_OTP_TTL_S"), 300);
    cr_assert(pk_config_bool(c, "PELUKAN_INTAKE_DEV_PRINT_OTP"));
    cr_assert_eq(pk_config_own_int(c, "HTTP_PORT"), 8080);
    cr_assert_str_eq(pk_config_service_str(c, "audit", "PUB"), "tcp://127.0.0.1:7441");
    cr_assert_str_eq(pk_config_str(c, "PELUKAN_LOG_LEVEL"), "info");
    pk_config_destroy(&c);
    cr_assert_null(c);
}

Test(config, bad_port_names_the_variable)
{
    char err[256] = "";
    char *envp[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", "PELUKAN_INTAKE_TOKEN=x", "PELUKAN_INTAKE_HTTP_PORT=70000",
                    NULL};
    cr_assert_null(s_load(envp, err));
    cr_assert_str_eq(err, "PELUKAN_INTAKE_HTTP_PORT=\"70000\" is not a valid port (1-65535)");
}

Test(config, out_of_range_and_not_a_number)
{
    char err[256] = "";
    char *envp1[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", "PELUKAN_INTAKE_TOKEN=x", "PELUKAN_INTAKE_OTP_TTL_S=5", NULL};
    cr_assert_null(s_load(envp1, err));
    cr_assert_not_null(strstr(err, "PELUKAN_INTAKE_OTP_TTL_S=\"5\" is out of range (30..3600)"), "%s", err);
    char *envp2[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", "PELUKAN_INTAKE_TOKEN=x", "PELUKAN_INTAKE_OTP_TTL_S=5m",
                     NULL};
    cr_assert_null(s_load(envp2, err));
    cr_assert_not_null(strstr(err, "is not an integer"), "%s", err);
}

Test(config, unknown_own_or_common_variable_is_an_error)
{
    char err[256] = "";
    char *envp[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", "PELUKAN_INTAKE_TOKEN=x", "PELUKAN_INTAKE_HTTP_PROT=1", NULL};
    cr_assert_null(s_load(envp, err));
    cr_assert_not_null(strstr(err, "PELUKAN_INTAKE_HTTP_PROT is not a setting"), "%s", err);
    char *envp2[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", "PELUKAN_INTAKE_TOKEN=x", "PELUKAN_LOGLEVEL=debug", NULL};
    cr_assert_null(s_load(envp2, err));
    cr_assert_not_null(strstr(err, "PELUKAN_LOGLEVEL"), "%s", err);
    /* make run's own settings, left exported in the user's shell (issue 15). */
    char *envp3[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", "PELUKAN_INTAKE_TOKEN=x", "PELUKAN_VAR_DIR=/tmp/v",
                     "PELUKAN_PG_PORT=55433", NULL};
    pk_config_t *cfg = s_load(envp3, err);
    cr_assert_not_null(cfg, "%s", err);
    pk_config_destroy(&cfg);
}

Test(config, required_enum_endpoint_and_file)
{
    char err[256] = "";
    char *envp[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", NULL};
    cr_assert_null(s_load(envp, err));
    cr_assert_not_null(strstr(err, "PELUKAN_INTAKE_TOKEN is required"), "%s", err);

    char *envp2[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", "PELUKAN_INTAKE_TOKEN=x", "PELUKAN_LOG_LEVEL=loud", NULL};
    cr_assert_null(s_load(envp2, err));
    cr_assert_not_null(strstr(err, "is not one of debug|info|warn|error"), "%s", err);

    char *envp3[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", "PELUKAN_INTAKE_TOKEN=x", "PELUKAN_AUDIT_PUB=localhost:1",
                     NULL};
    cr_assert_null(s_load(envp3, err));
    cr_assert_not_null(strstr(err, "PELUKAN_AUDIT_PUB=\"localhost:1\" is not a ZeroMQ endpoint"), "%s", err);

    char *envp4[] = {"PELUKAN_INTAKE_TOKEN=x", "PELUKAN_MASTER_KEY_FILE=/nonexistent/key", NULL};
    cr_assert_null(s_load(envp4, err));
    cr_assert_str_eq(err, "PELUKAN_MASTER_KEY_FILE=\"/nonexistent/key\": cannot read file: No such file or directory");
}

Test(config, secrets_are_never_echoed)
{
    char err[256] = "";
    char *envp[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", "PELUKAN_INTAKE_TOKEN=x", "PELUKAN_INTAKE_DEV_PRINT_OTP=maybe",
                    NULL};
    cr_assert_null(s_load(envp, err));
    cr_assert_not_null(strstr(err, "maybe"));
    static const pk_config_def_t secret_int[] = {{"PELUKAN_INTAKE_PIN", PK_CFG_SECRET, "", "pin", NULL, 0, 0},
                                                 PK_CONFIG_END};
    const pk_config_def_t *const tables[] = {secret_int, NULL};
    char *envp2[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", "PELUKAN_INTAKE_PIN=1234",
                     "PELUKAN_INTAKE_DB_URL=password=hunter2", NULL};
    pk_config_t *c = pk_config_new("intake", tables, envp2, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    pk_config_destroy(&c);
}

Test(config, a_tool_may_lack_default_files_but_not_given_ones)
{
    static const pk_config_def_t own[] = {
        {"PELUKAN_INTAKE_CA_FILE", PK_CFG_FILE, "/nonexistent/default.pem", "a file only some commands read", NULL, 0,
         0},
        PK_CONFIG_END,
    };
    const pk_config_def_t *const tables[] = {own, NULL};
    char err[256] = "";
    char *envp[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", NULL};
    cr_assert_null(pk_config_new("intake", tables, envp, err, sizeof err), "a service needs its default file");
    cr_assert_not_null(strstr(err, "PELUKAN_INTAKE_CA_FILE=\"/nonexistent/default.pem\": cannot read file"), "%s", err);
    pk_config_t *c = pk_config_new_tool("intake", tables, envp, err, sizeof err);
    cr_assert_not_null(c, "a tool does not, until it uses it: %s", err);
    pk_config_destroy(&c);
    char *envp2[] = {"PELUKAN_MASTER_KEY_FILE=/dev/null", "PELUKAN_INTAKE_CA_FILE=/nonexistent/given.pem", NULL};
    cr_assert_null(pk_config_new_tool("intake", tables, envp2, err, sizeof err), "given, it must be there");
}
