/* test_http.c -- the pk_http interface over real sockets. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* A stream: two pieces now, a third and the end 50 ms later, on a timer. */
static pk_http_stream_t *s_stream;
static uv_timer_t s_later;
static int s_gone;

static bool s_stream_over(void *arg)
{
    (void)arg;
    return __atomic_load_n(&s_stream, __ATOMIC_SEQ_CST) == NULL;
}

static void s_stream_gone(pk_http_stream_t *st, void *arg)
{
    (void)arg;
    s_gone++;
    pk_http_stream_end(&st);
    s_stream = NULL;
}

static void s_later_cb(uv_timer_t *t)
{
    uv_close((uv_handle_t *)t, NULL);
    if (!s_stream)
        return;
    cr_assert_eq(pk_http_stream_send(s_stream, "c\n", 2), 0);
    pk_http_stream_end(&s_stream);
}

static void s_streamer(pk_http_req_t *req, void *arg)
{
    (void)arg;
    bool head = strcmp(pk_http_method(req), "HEAD") == 0;
    s_stream = pk_http_stream_start(req, 200, "text/event-stream", s_stream_gone, NULL);
    if (head) { /* the headers went out; the owner's sends are refused */
        cr_assert_not(pk_http_stream_alive(s_stream));
        cr_assert_eq(pk_http_stream_send(s_stream, "a\n", 2), PK_ECLOSED);
        pk_http_stream_end(&s_stream);
        return;
    }
    cr_assert(pk_http_stream_alive(s_stream));
    cr_assert_eq(pk_http_stream_send(s_stream, "a\n", 2), 0);
    cr_assert_eq(pk_http_stream_send(s_stream, "b\n", 2), 0);
    char *big = pk_calloc(1, (1u << 20) + 1);
    cr_assert_eq(pk_http_stream_send(s_stream, big, (1u << 20) + 1), PK_EBUSY, "a slow client is not buffered forever");
    free(big);
    uv_timer_init(&loop, &s_later);
    uv_timer_start(&s_later, s_later_cb, 50, 0);
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
    signal(SIGPIPE, SIG_IGN); /* as the services do: a client that left is an error code */
    log_ = pk_log_new("test", PK_LOG_ERROR, PK_LOG_LOGFMT, 2);
    uv_loop_init(&loop);
    http = pk_http_new(&loop, log_, (pk_http_limits_t){1024, 5000});
    pk_http_route(http, "POST", "/v1/reports/*/companion", s_echo, NULL);
    pk_http_route(http, "GET", "/v1/ping", s_echo, NULL);
    pk_http_route(http, "GET", "/v1/stream", s_streamer, NULL);
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
    cr_assert_str_eq(pkt_last_header("Allow"), "POST", "a 405 names the methods (RFC 9110)");
    free(body);
    cr_assert_eq(pkt_http("DELETE", port, "/v1/ping", NULL, 0, NULL, NULL), 405);
    cr_assert_str_eq(pkt_last_header("Allow"), "GET, HEAD");
    cr_assert_eq(pkt_http_get(port, "/v1/nothing", &body), 404);
    cr_assert_not_null(strstr(body, "\"code\":\"not_found\""));
    free(body);
    cr_assert_eq(pkt_http_get(port, "/v1/reports//companion", NULL), 404, "empty segment does not match *");
}

Test(http, oversized_body_is_413)
{
    char big[4096];
    memset(big, 'a', sizeof big);
    char *body = NULL;
    cr_assert_eq(pkt_http("POST", port, "/v1/reports/a/companion", big, sizeof big, NULL, &body), 413);
    cr_assert_str_eq(body, "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"Isi permintaan terlalu besar\"}}",
                     "the library's own answer in the JSON error shape: %s", body);
    cr_assert_str_eq(pkt_last_header("Content-Type"), "application/json");
    free(body);
    cr_assert_eq(pkt_http_get(port, "/v1/ping", NULL), 200, "server still serves");
}

Test(http, head_is_get_without_the_body)
{
    char *body = NULL;
    cr_assert_eq(pkt_http("HEAD", port, "/v1/ping", NULL, 0, NULL, &body), 200);
    cr_assert_str_eq(body, "", "no body");
    cr_assert_str_eq(pkt_last_header("Content-Length"), "20", "the length of the body GET would have");
    free(body);
    cr_assert_eq(pkt_http("HEAD", port, "/v1/stream", NULL, 0, NULL, &body), 200, "a stream's headers only");
    cr_assert_str_eq(pkt_last_header("Content-Type"), "text/event-stream");
    free(body);
    cr_assert_eq(pkt_http("HEAD", port, "/v1/reports/x/companion", NULL, 0, NULL, NULL), 405, "no GET, no HEAD");
    cr_assert_eq(pkt_http_get(port, "/v1/ping", NULL), 200, "the server goes on");
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

Test(http, a_stream_sends_its_pieces_as_they_come_and_ends)
{
    char *body = NULL;
    cr_assert_eq(pkt_http_get(port, "/v1/stream", &body), 200);
    cr_assert_str_eq(body, "a\nb\nc\n");
    cr_assert_str_eq(pkt_last_header("Content-Type"), "text/event-stream");
    free(body);
    cr_assert_eq(pkt_http_get(port, "/v1/ping", NULL), 200, "the server goes on");
}

/* h2o learns that a client left when it next writes to it: here the
 * timer's last piece. The stream is then freed on whichever path comes
 * first (the owner's end or h2o's stop): under valgrind, without a leak or
 * a bad access. */
Test(http, a_client_that_leaves_mid_stream_costs_nothing)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    const char req[] = "GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n";
    cr_assert_eq(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    char buf[512];
    cr_assert_gt(read(fd, buf, sizeof buf), 0, "the headers and the first pieces");
    close(fd); /* before the last piece */
    /* No clock: the stream is over once either path ended it; a request
     * answered after that is the fence that a second end would have come
     * before. */
    cr_assert(pkt_wait_until(s_stream_over, NULL, pkt_wait_ms()), "the stream ended");
    cr_assert_eq(pkt_http_get(port, "/v1/ping", NULL), 200);
    cr_assert_leq(__atomic_load_n(&s_gone, __ATOMIC_SEQ_CST), 1);
    cr_assert_eq(pkt_http_get(port, "/v1/ping", NULL), 200, "the server goes on");
}

/* Security review L1, L3, L12: what is not UTF-8 text is refused as JSON
 * before a handler sees it; every answer says what a browser must not do
 * with it, and no version banner. */
Test(http, non_text_paths_headers_and_queries_are_400_and_answers_are_hardened)
{
    char *body = NULL;
    cr_assert_eq(pkt_http_get(port, "/v1/reports/ab%ffcd/companion", &body), 400);
    cr_assert_not_null(strstr(body, "\"code\":\"bad_request\""), "%s", body);
    free(body);
    const char *bad_header[] = {"X-Test: caf\xe9", NULL};
    cr_assert_eq(pkt_http("GET", port, "/v1/ping", NULL, 0, bad_header, NULL), 400);
    cr_assert_eq(pkt_http_get(port, "/v1/ping?purpose=case_review%00x", NULL), 400, "a NUL cuts nothing");
    cr_assert_eq(pkt_http_get(port, "/v1/ping?purpose=%zz", NULL), 400, "malformed escapes are not ignored");
    const char *good_header[] = {"X-Test: kaf\xc3\xa9", NULL};
    cr_assert_eq(pkt_http("GET", port, "/v1/ping?purpose=case_review", NULL, 0, good_header, &body), 200);
    free(body);
    cr_assert_str_eq(pkt_last_header("X-Content-Type-Options"), "nosniff");
    cr_assert_str_eq(pkt_last_header("Referrer-Policy"), "no-referrer");
    cr_assert_not_null(strstr(pkt_last_header("Content-Security-Policy"), "default-src 'none'"));
    cr_assert_null(pkt_last_header("Server"), "no version banner");
}
