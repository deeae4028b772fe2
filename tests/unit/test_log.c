/* test_log.c -- one line per record, levels, escaping, JSON. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "pelukan/log.h"

static char *s_capture(pk_log_format_t fmt, pk_log_level_t min, void (*emit)(pk_log_t *))
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pk_log_t *log = pk_log_new("intake", min, fmt, fds[1]);
    emit(log);
    pk_log_destroy(&log);
    cr_assert_null(log);
    close(fds[1]);
    static char buf[8192];
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void s_emit_injection(pk_log_t *log)
{
    pk_log_write(log, PK_LOG_WARN, "req-1", "bad value \"%s\"", "x\nlevel=error msg=forged");
}

Test(log, logfmt_record_is_one_line_with_fields)
{
    char *out = s_capture(PK_LOG_LOGFMT, PK_LOG_DEBUG, s_emit_injection);
    cr_assert_not_null(strstr(out, " level=warn service=intake cid=\"req-1\" msg=\"bad value \\\"x\\nlevel=error"));
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "exactly one newline, at the end: %s", out);
    cr_assert_eq(strncmp(out, "ts=20", 5), 0);
}

static void s_emit_levels(pk_log_t *log)
{
    pk_log_debug(log, "hidden");
    pk_log_info(log, "hidden too");
    pk_log_error(log, "shown %d", 42);
}

Test(log, records_below_the_level_are_dropped)
{
    char *out = s_capture(PK_LOG_LOGFMT, PK_LOG_WARN, s_emit_levels);
    cr_assert_null(strstr(out, "hidden"));
    cr_assert_not_null(strstr(out, "level=error service=intake msg=\"shown 42\""));
}

Test(log, json_record_escapes)
{
    char *out = s_capture(PK_LOG_JSON, PK_LOG_DEBUG, s_emit_injection);
    cr_assert_not_null(strstr(out, "\"level\":\"warn\",\"service\":\"intake\",\"cid\":\"req-1\""), "%s", out);
    cr_assert_not_null(strstr(out, "\\\"x\\nlevel=error msg=forged\\\"\"}\n"), "%s", out);
}

Test(log, level_names_parse)
{
    pk_log_level_t l;
    cr_assert_eq(pk_log_level_parse("warn", &l), 0);
    cr_assert_eq(l, PK_LOG_WARN);
    cr_assert_neq(pk_log_level_parse("verbose", &l), 0);
}

static void s_emit_bytes(pk_log_t *log)
{
    pk_log_warn(log, "path /v1/x/ab\xff\xfe"
                     "cd kafe\xc3\xa9");
}

/* Review L1: bytes that are not UTF-8 never reach the log raw, so a JSON
 * line stays JSON; UTF-8 text stays as it is. */
Test(log, bytes_that_are_not_utf8_are_replaced)
{
    char *out = s_capture(PK_LOG_JSON, PK_LOG_DEBUG, s_emit_bytes);
    cr_assert_not_null(strstr(out, "ab\\ufffd\\ufffdcd kafe\xc3\xa9"), "%s", out);
    cr_assert_null(strchr(out, '\xff'), "%s", out);
}
