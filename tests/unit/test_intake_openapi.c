/* test_intake_openapi.c -- every route the intake registers is described in
 * services/intake/openapi.yaml, with its method. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/intake/intake.h"
#include "../support/pktest.h"
#include "pelukan/util.h"

/* "/v1/reports/x/withdraw" -> "/v1/reports/{id}/withdraw". */
static void s_openapi_path(const char *pattern, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = pattern; *p && n + 5 < cap; p++) {
        if (*p == '*') {
            memcpy(out + n, "{id}", 4);
            n += 4;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

Test(intake_openapi, every_route_is_described)
{
    char *path = pk_asprintf("%s/services/intake/openapi.yaml", pkt_env("PKTEST_ROOT"));
    char *doc = NULL;
    cr_assert_eq(pk_read_file(path, &doc, NULL), 0, "%s", path);
    int routes = 0;
    for (const intake_route_t *r = intake_routes; r->method; r++, routes++) {
        char p[128], key[160], method[16];
        s_openapi_path(r->pattern, p, sizeof p);
        snprintf(key, sizeof key, "\n  %s:\n", p);
        const char *at = strstr(doc, key);
        cr_assert_not_null(at, "%s %s is not in openapi.yaml", r->method, p);
        /* The method must appear before the next path entry. */
        const char *body = at + strlen(key);
        const char *next = strstr(body, "\n  /");
        size_t span = next ? (size_t)(next - body) : strlen(body);
        size_t i = 0;
        for (; r->method[i] && i < sizeof method - 1; i++)
            method[i] = (char)tolower((unsigned char)r->method[i]);
        method[i] = '\0';
        snprintf(key, sizeof key, "\n    %s:", method);
        char *section = pk_strndup(body - 1, span + 1);
        cr_assert_not_null(strstr(section, key), "%s %s: method not described", r->method, p);
        free(section);
    }
    cr_assert_geq(routes, 7);
    free(doc);
    free(path);
}
