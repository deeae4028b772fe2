/* test_http.c -- the pk_http interface over real sockets. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../support/pktest.h"
#include "pelukan/http.h"
#include "pelukan/util.h"

static uv_loop_t loop;
static uv_async_t stop_async;
static pk_http_t *http;
static pthread_t thread;
static pk_log_t *log_;
static int port;

static void s_echo(pk_http_req_t *req, void *arg)
{
    size_t len;
    const char *body = pk_http_body(req, &len);
    const char *h = pk_http_header(req, "x-test");
    char *out = pk_asprintf("%s %s %s [%.*s] %s", pk_http_method(req), pk_http_path(req),
                            pk_http_param(req, 0) ? pk_http_param(req, 0) : "-", (int)len, body, h ? h : "-");
    pk_http_add_header(req, "X-Answer", "42");
    pk_http_respond(req, 200, "text/plain", out, strlen(out));
    free(out);
}

static void s_stop(uv_async_t *a)
{
    pk_http_close(&http);
    uv_close((uv_handle_t *)a, NULL);
}

static void *s_run(void *arg)
{
    uv_run(&loop, UV_RUN_DEFAULT);
    return NULL;
}

static void s_setup(void)
{
    log_ = pk_log_new("test", PK_LOG_ERROR, PK_LOG_LOGFMT, 2);
    uv_loop_init(&loop);
    http = pk_http_new(&loop, log_, (pk_http_limits_t){1024, 5000});
    pk_http_route(http, "POST", "/v1/reports/*/companion", s_echo, NULL);
    pk_http_route(http, "GET", "/v1/ping", s_echo, NULL);
    cr_assert_eq(pk_http_listen(http, "127.0.0.1", 0), 0);
    port = pk_http_port(http);
    uv_async_init(&loop, &stop_async, s_stop);
    pthread_create(&thread, NULL, s_run, NULL);
}

static void s_teardown(void)
{
    uv_async_send(&stop_async);
    pthread_join(thread, NULL);
    cr_assert_null(http);
    cr_assert_eq(uv_loop_close(&loop), 0, "every handle closed");
    pk_log_destroy(&log_);
}

TestSuite(http, .init = s_setup, .fini = s_teardown);

Test(http, routes_params_headers_body)
{
    char *body = NULL;
    const char *headers[] = {"X-Test: hello", NULL};
    int st = pkt_http("POST", port, "/v1/reports/abc123/companion", "{}", 2, headers, &body);
    cr_assert_eq(st, 200);
    cr_assert_str_eq(body, "POST /v1/reports/abc123/companion abc123 [{}] hello");
    free(body);
    cr_assert_eq(pkt_http_get(port, "/v1/ping", &body), 200);
    cr_assert_str_eq(body, "GET /v1/ping - [] -");
    free(body);
}

Test(http, unknown_path_404_wrong_method_405_as_json)
{
    char *body = NULL;
    cr_assert_eq(pkt_http_get(port, "/v1/reports/x/companion", &body), 405);
    cr_assert_not_null(strstr(body, "\"code\":\"method_not_allowed\""));
    free(body);
    cr_assert_eq(pkt_http_get(port, "/v1/nothing", &body), 404);
    cr_assert_not_null(strstr(body, "\"code\":\"not_found\""));
    free(body);
    cr_assert_eq(pkt_http_get(port, "/v1/reports//companion", NULL), 404, "empty segment does not match *");
}

Test(http, oversized_body_is_413)
{
    char big[4096];
    memset(big, 'a', sizeof big);
    cr_assert_eq(pkt_http("POST", port, "/v1/reports/a/companion", big, sizeof big, NULL, NULL), 413);
    cr_assert_eq(pkt_http_get(port, "/v1/ping", NULL), 200, "server still serves");
}

Test(http, request_id_is_echoed_when_plain_and_made_otherwise)
{
    const char *given[] = {"X-Request-Id: abc-123_XY", NULL};
    cr_assert_eq(pkt_http("GET", port, "/v1/ping", NULL, 0, given, NULL), 200);
    cr_assert_str_eq(pkt_last_header("X-Request-Id"), "abc-123_XY");
    const char *odd[] = {"X-Request-Id: <script>", NULL};
    cr_assert_eq(pkt_http("GET", port, "/v1/ping", NULL, 0, odd, NULL), 200);
    cr_assert_eq(strlen(pkt_last_header("X-Request-Id")), 32, "a fresh id replaces an unsafe one");
    cr_assert_eq(pkt_http_get(port, "/v1/ping", NULL), 200);
    cr_assert_eq(strlen(pkt_last_header("X-Request-Id")), 32);
}
