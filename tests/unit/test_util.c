/* test_util.c -- small helpers: UTF-8 validity as PostgreSQL sees it. */
#include <criterion/criterion.h>
#include <string.h>

#include "pelukan/util.h"

static bool s_ok(const char *s)
{
    return pk_utf8_valid(s, strlen(s));
}

Test(util, utf8_accepts_what_postgresql_accepts)
{
    cr_assert(s_ok(""));
    cr_assert(s_ok("Kecamatan Singaparna"));
    cr_assert(s_ok("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "2-, 3- and 4-byte forms");
    cr_assert(s_ok("\xed\x9f\xbf"), "U+D7FF, just below the surrogates");
    cr_assert(s_ok("\xf4\x8f\xbf\xbf"), "U+10FFFF");
}

Test(util, utf8_refuses_what_postgresql_refuses)
{
    cr_assert_not(s_ok("\xc3"), "truncated");
    cr_assert_not(s_ok("\xe2\x82"), "truncated");
    cr_assert_not(s_ok("\xc0\xaf"), "overlong /");
    cr_assert_not(s_ok("\xe0\x80\xaf"), "overlong, 3 bytes");
    cr_assert_not(s_ok("\xf0\x80\x80\xaf"), "overlong, 4 bytes");
    cr_assert_not(s_ok("\xed\xa0\x80"), "surrogate");
    cr_assert_not(s_ok("\xf4\x90\x80\x80"), "above U+10FFFF");
    cr_assert_not(s_ok("\xff"), "never valid");
    cr_assert_not(s_ok("a\x80"), "lone continuation");
    cr_assert_not(pk_utf8_valid("a\0b", 3), "NUL");
}

/* What a length limit of the API counts: characters, not bytes. */
Test(util, utf8_chars_counts_code_points_not_bytes)
{
    cr_assert_eq(pk_utf8_chars(""), 0);
    cr_assert_eq(pk_utf8_chars("abc"), 3);
    cr_assert_eq(pk_utf8_chars("\xc3\xa9t\xc3\xa9"), 3, "été: 5 bytes");
    cr_assert_eq(pk_utf8_chars("\xf0\x9f\x99\x82"), 1, "an emoji: 4 bytes");
    cr_assert_eq(pk_utf8_chars("\xe1\xae\x83"), 1, "Sundanese script: 3 bytes");
}
