/* http_stream.c -- streamed responses (Server-Sent Events) of pk_http,
 * on libh2o's generator: see pelukan/http.h. */
#include "http_internal.h"

#include <stdlib.h>
#include <string.h>

#include "pelukan/util.h"

#define S_STREAM_MAX_QUEUED (1u << 20)

/* h2o sends one buffer at a time and calls `proceed` when it may have the
 * next; what arrives meanwhile waits in `pending`. The buffer being sent
 * must live until then. */
struct pk_http_stream {
    h2o_generator_t gen; /* first: h2o hands it back */
    pk_http_req_t *req;
    char *inflight;
    char *pending;
    size_t npending, cappending;
    bool sending;
    bool ending; /* end requested while sending */
    bool gone;
    pk_http_stream_gone_fn gone_fn;
    void *arg;
};

static void s_stream_free(pk_http_stream_t *s)
{
    free(s->inflight);
    free(s->pending);
    pk_http__req_free(s->req);
    free(s);
}

/* The last piece: after FINAL, h2o calls neither proceed nor stop, and
 * nothing of ours is in flight. */
static void s_stream_final(pk_http_stream_t *s)
{
    if (s->req->h2o && !s->gone)
        h2o_send(s->req->h2o, NULL, 0, H2O_SEND_STATE_FINAL);
    s_stream_free(s);
}

/* Sends what waits, when h2o is ready for it. */
static void s_stream_flush(pk_http_stream_t *s)
{
    h2o_req_t *h = s->req->h2o;
    if (!h || s->gone || s->sending || !s->npending)
        return;
    free(s->inflight);
    s->inflight = s->pending;
    h2o_iovec_t buf = h2o_iovec_init(s->inflight, s->npending);
    s->pending = NULL;
    s->npending = s->cappending = 0;
    s->sending = true;
    h2o_send(h, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
}

static void s_stream_proceed(h2o_generator_t *g, h2o_req_t *h)
{
    (void)h;
    pk_http_stream_t *s = (pk_http_stream_t *)g;
    s->sending = false;
    free(s->inflight);
    s->inflight = NULL;
    s_stream_flush(s);
    if (s->ending && !s->sending)
        s_stream_final(s);
}

static void s_stream_stop(h2o_generator_t *g, h2o_req_t *h)
{
    (void)h;
    pk_http_stream_t *s = (pk_http_stream_t *)g;
    s->gone = true;
    s->sending = false;
    if (s->ending)
        s_stream_free(s);
    else if (s->gone_fn)
        s->gone_fn(s, s->arg); /* the owner ends it, now or later */
}

pk_http_stream_t *pk_http_stream_start(pk_http_req_t *req, int status, const char *content_type,
                                       pk_http_stream_gone_fn gone, void *arg)
{
    pk_http_stream_t *s = pk_calloc(1, sizeof *s);
    s->req = req;
    s->gone_fn = gone;
    s->arg = arg;
    s->gen.proceed = s_stream_proceed;
    s->gen.stop = s_stream_stop;
    h2o_req_t *h = req->h2o;
    if (!h) {
        s->gone = true;
        return s;
    }
    h->res.status = status;
    h->res.reason = pk_http__reason(status);
    pk_http__common_headers(h, req, content_type);
    h2o_add_header_by_str(&h->pool, &h->res.headers, H2O_STRLIT("x-accel-buffering"), 0, NULL, H2O_STRLIT("no"));
    if (req->head) {
        /* HEAD: the headers only; the owner's sends are refused. */
        static h2o_generator_t none = {NULL, NULL};
        h->res.content_length = 0;
        h2o_start_response(h, &none);
        h2o_send(h, NULL, 0, H2O_SEND_STATE_FINAL);
        s->gone = true;
        return s;
    }
    h2o_start_response(h, &s->gen);
    /* The headers go out at once; the client knows the stream is open. */
    s->sending = true;
    h2o_send(h, NULL, 0, H2O_SEND_STATE_IN_PROGRESS);
    return s;
}

int pk_http_stream_send(pk_http_stream_t *s, const char *data, size_t len)
{
    if (s->gone || !s->req->h2o)
        return PK_ECLOSED;
    if (s->npending + len > S_STREAM_MAX_QUEUED)
        return PK_EBUSY;
    if (s->npending + len > s->cappending) {
        s->cappending = (s->npending + len) * 2;
        s->pending = pk_realloc(s->pending, s->cappending);
    }
    memcpy(s->pending + s->npending, data, len);
    s->npending += len;
    s_stream_flush(s);
    return 0;
}

bool pk_http_stream_alive(const pk_http_stream_t *s)
{
    return !s->gone && s->req->h2o;
}

void pk_http_stream_end(pk_http_stream_t **stream_p)
{
    if (!stream_p || !*stream_p)
        return;
    pk_http_stream_t *s = *stream_p;
    *stream_p = NULL;
    if (s->gone || !s->req->h2o) {
        s_stream_free(s);
        return;
    }
    s->ending = true;
    if (!s->sending)
        s_stream_final(s); /* else in proceed, after what is queued */
}
