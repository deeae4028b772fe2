/* test_intake_openapi.c -- every route the intake registers is described in
 * services/intake/openapi.yaml, with its method; every forwarding row fits
 * the messages it names. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/edge/edge_forward.h"
#include "../../services/edge/edge_routes.h"
#include "../../services/intake/intake.h"
#include "../../services/intake/intake_case.h"
#include "../support/pktest.h"
#include "pelukan/error.h"
#include "pelukan/log.h"
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

/* Every forwarding row names a command, fields and a reply its messages
 * have (intake refuses to start otherwise), and a wrong row is caught. */
Test(intake_openapi, every_forwarding_row_fits_its_messages)
{
    pk_log_t *log = pk_log_new("test", PK_LOG_ERROR, PK_LOG_LOGFMT, 2);
    int forwards = 0;
    for (const intake_route_t *r = intake_routes; r->method; r++)
        forwards += r->forward != NULL;
    cr_assert_geq(forwards, 15);
    cr_assert_eq(intake_forward_check(intake_routes, log), 0);
    static const pk_pbjson_rule_t typo[] = {{"reson_code", PK_PBJSON_CODE, true, 0, NULL, NULL}, {.field = NULL}};
    const intake_route_t wrong[][2] = {
        {{"GET", "/v1/x", INTAKE_ADMIN, NULL, NULL,
          &(const intake_forward_t){INTAKE_TO_DISPATCH, "list_visitz", .reply = "visits", .shape = "items"}, false},
         {.method = NULL}},
        {{"POST", "/v1/x/*", INTAKE_ADMIN, NULL, NULL,
          &(const intake_forward_t){INTAKE_TO_DISPATCH, "visit_step", .path_id = "visit_id",
                                    .missing = "visit_not_found", .body = typo, .reply = "visit", .shape = "visit_id"},
          false},
         {.method = NULL}},
        {{"GET", "/v1/x/*", INTAKE_ADMIN, NULL, NULL,
          &(const intake_forward_t){INTAKE_TO_DISPATCH, "get_visit", .reply = "visit", .shape = "visit_id"}, false},
         {.method = NULL}},
        {{"GET", "/v1/x", INTAKE_ADMIN, NULL, NULL,
          &(const intake_forward_t){INTAKE_TO_REFERRAL, "list_agencies", .reply = "agencies", .shape = "items{cod}"},
          false},
         {.method = NULL}},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
        cr_assert_eq(intake_forward_check(wrong[i], log), PK_ECONFIG, "wrong row %zu", i);
    pk_log_destroy(&log);
}
