/* test_netaddr.c -- the client's address behind trusted proxies (review H3). */
#include <criterion/criterion.h>
#include <string.h>

#include "pelukan/netaddr.h"

static const char *s_client(const char *peer, const char *xff, const char *trusted)
{
    static char out[PK_ADDR_TEXT_MAX];
    char err[128];
    pk_netlist_t *list = pk_netlist_parse(trusted, err, sizeof err);
    cr_assert_not_null(list, "%s", err);
    pk_client_address(peer, xff, list, out);
    pk_netlist_destroy(&list);
    return out;
}

Test(netaddr, x_forwarded_for_counts_only_from_a_trusted_proxy)
{
    /* Nobody trusted: the header is the client's word, and ignored. */
    cr_assert_str_eq(s_client("203.0.113.9", "198.51.100.1", ""), "203.0.113.9");
    /* nginx on loopback: the right-most address is the client. */
    cr_assert_str_eq(s_client("127.0.0.1", "198.51.100.1", "127.0.0.1"), "198.51.100.1");
    /* A forged entry to the left proves nothing. */
    cr_assert_str_eq(s_client("127.0.0.1", "1.2.3.4, 198.51.100.1", "127.0.0.1"), "198.51.100.1");
    /* A chain of trusted proxies is walked from the right. */
    cr_assert_str_eq(s_client("10.0.0.5", "1.2.3.4, 198.51.100.1, 10.0.0.7", "10.0.0.0/8"), "198.51.100.1");
    /* Every hop trusted: the left-most stands. */
    cr_assert_str_eq(s_client("10.0.0.5", "10.0.0.9, 10.0.0.7", "10.0.0.0/8"), "10.0.0.9");
    /* Garbage in the header: the last address vouched for stands. */
    cr_assert_str_eq(s_client("127.0.0.1", "evil, <script>", "127.0.0.1"), "127.0.0.1");
    cr_assert_str_eq(s_client("127.0.0.1", "1.2.3.4, x, 198.51.100.1", "127.0.0.1"), "198.51.100.1");
    cr_assert_str_eq(s_client("127.0.0.1", "", "127.0.0.1"), "127.0.0.1");
    /* IPv6 proxies and clients. */
    cr_assert_str_eq(s_client("::1", "2001:db8::42", "::1, 127.0.0.1"), "2001:db8::42");
    cr_assert_str_eq(s_client("fd00::1", "2001:db8::42", "fd00::/8"), "2001:db8::42");
    cr_assert_str_eq(s_client("fe80::1", "2001:db8::42", "fd00::/8"), "fe80::1");
}

Test(netaddr, bad_lists_are_refused_and_ipv6_is_bucketed_by_64)
{
    char err[128];
    cr_assert_null(pk_netlist_parse("10.0.0.0/33", err, sizeof err));
    cr_assert_not_null(strstr(err, "10.0.0.0/33"), "%s", err);
    cr_assert_null(pk_netlist_parse("nginx", err, sizeof err));
    cr_assert_null(pk_netlist_parse("::1/", err, sizeof err));
    char out[PK_ADDR_TEXT_MAX];
    pk_client_bucket("2001:db8:1:2:aaaa:bbbb:cccc:dddd", out);
    cr_assert_str_eq(out, "2001:db8:1:2::/64");
    pk_client_bucket("2001:db8:1:2::9", out);
    cr_assert_str_eq(out, "2001:db8:1:2::/64");
    pk_client_bucket("198.51.100.1", out);
    cr_assert_str_eq(out, "198.51.100.1");
}
