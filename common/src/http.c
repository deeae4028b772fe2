/* http.c -- the pk_http interface implemented on libh2o's libuv build. */
#include "http_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pelukan/crypto.h"
#include "pelukan/util.h"

typedef struct s_route {
    char *method;
    char *pattern;
    pk_http_handler_fn fn;
    void *arg;
    struct s_route *next;
} s_route_t;

typedef struct {
    h2o_handler_t super; /* must be first: h2o hands us this pointer */
    pk_http_t *http;
} s_handler_t;

struct pk_http {
    uv_loop_t *loop;
    const pk_log_t *log;
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    uv_tcp_t listener;
    bool listening;
    int port;
    s_route_t *routes;
    int open_handles;
    int grace_ms;
    uint64_t drain_deadline_us;
    const pk_netlist_t *trusted_proxies;
    pk_http_handler_fn fallback; /* GET/HEAD of a path no route has */
    void *fallback_arg;
};

static void s_link_dispose(void *p)
{
    struct pk_http_req **link = p;
    if (*link)
        (*link)->h2o = NULL;
}

void pk_http__req_free(pk_http_req_t *req)
{
    if (req->h2o && req->link)
        *req->link = NULL;
    free(req->method);
    free(req->path);
    free(req->query);
    for (int i = 0; i < req->nparams; i++)
        free(req->params[i]);
    for (int i = 0; i < req->nheader_copies; i++)
        free(req->header_copies[i]);
    free(req);
}

/* Matches `path` against `pattern` segment by segment; "*" captures. */
static bool s_match(const char *pattern, const char *path, pk_http_req_t *req)
{
    req->nparams = 0;
    const char *p = pattern, *q = path;
    while (*p && *q) {
        const char *pe = strchr(p, '/'), *qe = strchr(q, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ql = qe ? (size_t)(qe - q) : strlen(q);
        if (pl == 1 && *p == '*') {
            if (ql == 0 || req->nparams == S_MAX_PARAMS)
                return false;
            req->params[req->nparams++] = pk_strndup(q, ql);
        } else if (pl != ql || strncmp(p, q, pl) != 0) {
            return false;
        }
        p += pl;
        q += ql;
        if (*p == '/' && *q == '/') {
            p++;
            q++;
        } else if (*p || *q) {
            return false;
        }
    }
    return *p == '\0' && *q == '\0';
}

static void s_clear_params(pk_http_req_t *req)
{
    for (int i = 0; i < req->nparams; i++)
        free(req->params[i]);
    req->nparams = 0;
}

static bool s_url_decode(char *s);

/* Text a handler will read must be UTF-8 without control characters
 * (security review L1): such a path, query or header is refused before
 * it reaches a handler, SQL or a log. */
static bool s_text_ok(const char *s, size_t len, bool tab_ok)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && !(tab_ok && ch == '\t')) || ch == 0x7f)
            return false;
    }
    return pk_utf8_valid(s, len);
}

/* A path as the client sent it that h2o's normalisation would change the
 * meaning of: an encoded '/', '\\', '.' or NUL, or a dot segment. h2o
 * decodes and resolves these before routing, so "/v1/reports/..%2F..%2Fx"
 * would reach another route than its prefix says (contracts review A1, A2)
 * and "<id>%00x" an id cut short (B8). None names a resource here. */
static bool s_path_plain(const h2o_req_t *hreq)
{
    size_t len = hreq->query_at != SIZE_MAX && hreq->query_at < hreq->path.len ? hreq->query_at : hreq->path.len;
    const char *p = hreq->path.base;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '%' && i + 2 < len) {
            char hex[3] = {p[i + 1], p[i + 2], '\0'};
            if (!strcasecmp(hex, "2f") || !strcasecmp(hex, "5c") || !strcasecmp(hex, "2e") || !strcmp(hex, "00"))
                return false;
        }
        bool segment_start = i == 0 || p[i - 1] == '/';
        size_t dots = 0;
        while (segment_start && i + dots < len && p[i + dots] == '.')
            dots++;
        if (segment_start && (dots == 1 || dots == 2) && (i + dots == len || p[i + dots] == '/'))
            return false;
    }
    return !memchr(hreq->path_normalized.base, '\0', hreq->path_normalized.len);
}

static bool s_request_clean(const pk_http_req_t *req, const h2o_req_t *hreq)
{
    if (!s_text_ok(req->path, strlen(req->path), false))
        return false;
    for (size_t i = 0; i < hreq->headers.size; i++)
        if (!s_text_ok(hreq->headers.entries[i].value.base, hreq->headers.entries[i].value.len, true))
            return false;
    if (!req->query)
        return true;
    char *copy = pk_strdup(req->query);
    bool ok = s_url_decode(copy) && s_text_ok(copy, strlen(copy), false);
    free(copy);
    return ok;
}

static void s_error(pk_http_req_t *req, int status, const char *code, const char *message)
{
    char body[256];
    int n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, message);
    pk_http_respond(req, status, "application/json", body, (size_t)n);
}

/* The correlation id: the client's X-Request-Id when it is a plain token
 * (letters, digits, '-', '_', at most 64), otherwise a new random one. */
static void s_request_id(pk_http_req_t *req, h2o_req_t *hreq)
{
    ssize_t i = h2o_find_header_by_str(&hreq->headers, H2O_STRLIT("x-request-id"), -1);
    if (i >= 0) {
        h2o_iovec_t v = hreq->headers.entries[i].value;
        bool plain = v.len > 0 && v.len < sizeof req->request_id;
        for (size_t k = 0; plain && k < v.len; k++) {
            char ch = v.base[k];
            plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                    ch == '_';
        }
        if (plain) {
            memcpy(req->request_id, v.base, v.len);
            req->request_id[v.len] = '\0';
            return;
        }
    }
    pk_id_new(req->request_id);
}

/* Who asked: the peer's address, and the client's (the last
 * X-Forwarded-For, the one our proxy wrote by appending, when the peer is a
 * trusted proxy). */
static void s_addresses(const pk_http_t *self, pk_http_req_t *req, h2o_req_t *hreq)
{
    struct sockaddr_storage ss;
    socklen_t sl = hreq->conn->callbacks->get_peername(hreq->conn, (struct sockaddr *)&ss);
    if (sl && ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, req->peer, sizeof req->peer);
    else if (sl && ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, req->peer, sizeof req->peer);
    char *xff = NULL;
    for (ssize_t i = -1; (i = h2o_find_header_by_str(&hreq->headers, H2O_STRLIT("x-forwarded-for"), i)) != -1;) {
        free(xff);
        xff = pk_strndup(hreq->headers.entries[i].value.base, hreq->headers.entries[i].value.len);
    }
    pk_client_address(req->peer, xff, self->trusted_proxies, req->client);
    free(xff);
}

static void s_route(pk_http_t *self, pk_http_req_t *req);

static int s_on_req(h2o_handler_t *h, h2o_req_t *hreq)
{
    pk_http_t *self = ((s_handler_t *)h)->http;
    pk_http_req_t *req = pk_calloc(1, sizeof *req);
    req->h2o = hreq;
    req->log = self->log;
    req->link = h2o_mem_alloc_shared(&hreq->pool, sizeof *req->link, s_link_dispose);
    *req->link = req;
    req->method = pk_strndup(hreq->method.base, hreq->method.len);
    s_request_id(req, hreq);
    req->path = pk_strndup(hreq->path_normalized.base, hreq->path_normalized.len);
    if (hreq->query_at != SIZE_MAX && hreq->query_at < hreq->path.len)
        req->query = pk_strndup(hreq->path.base + hreq->query_at + 1, hreq->path.len - hreq->query_at - 1);
    s_addresses(self, req, hreq);
    if (!s_path_plain(hreq)) {
        s_error(req, 404, "not_found", "Alamat tidak ditemukan");
        return 0;
    }
    if (!s_request_clean(req, hreq)) {
        s_error(req, 400, "bad_request", "Permintaan tidak valid (alamat atau header bukan teks UTF-8)");
        return 0;
    }

    s_route(self, req);
    return 0;
}

/* The route of the request's method and path; else the fallback (a GET of
 * a path no route has), a 405 naming the methods the path has, or a 404. */
static void s_route(pk_http_t *self, pk_http_req_t *req)
{
    /* HEAD is answered wherever GET is, without the body (RFC 9110 9.3.2). */
    req->head = strcmp(req->method, "HEAD") == 0;
    const char *method = req->head ? "GET" : req->method;
    char allow[64] = "";
    for (s_route_t *r = self->routes; r; r = r->next) {
        if (!s_match(r->pattern, req->path, req)) {
            s_clear_params(req);
            continue;
        }
        if (strcmp(r->method, method) == 0) {
            r->fn(req, r->arg);
            return;
        }
        s_clear_params(req);
        if (!strstr(allow, r->method) && strlen(allow) + strlen(r->method) + 8 < sizeof allow)
            snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s%s", allow[0] ? ", " : "", r->method,
                     strcmp(r->method, "GET") == 0 ? ", HEAD" : "");
    }
    if (!allow[0] && self->fallback && strcmp(method, "GET") == 0) {
        self->fallback(req, self->fallback_arg);
        return;
    }
    if (allow[0]) {
        /* A 405 names the methods the resource has (RFC 9110 15.5.6). */
        pk_http_add_header(req, "Allow", allow);
        s_error(req, 405, "method_not_allowed", "Metode tidak diizinkan untuk alamat ini");
    } else {
        s_error(req, 404, "not_found", "Alamat tidak ditemukan");
    }
}

/* ---- the library's own error answers ---------------------------------------- */

/* h2o answers some requests itself, before any handler runs: a body over
 * the size limit (413), a malformed request (400). Its answer is plain
 * text; this filter puts it in the JSON error shape every other answer
 * has, so that a client needs to read one shape only. */
typedef struct {
    h2o_ostream_t super;
    h2o_iovec_t body;
    bool sent;
} s_error_ostream_t;

static void s_error_ostream_send(h2o_ostream_t *os, h2o_req_t *h, h2o_iovec_t *bufs, size_t n, h2o_send_state_t state)
{
    (void)bufs;
    (void)n;
    s_error_ostream_t *self = (s_error_ostream_t *)os;
    h2o_iovec_t out = self->sent ? h2o_iovec_init(NULL, 0) : self->body;
    self->sent = true;
    h2o_ostream_send_next(os, h, &out, out.len ? 1 : 0, state);
}

static void s_error_filter_setup(h2o_filter_t *f, h2o_req_t *h, h2o_ostream_t **slot)
{
    ssize_t i = h2o_find_header(&h->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    bool library_text = h->res.status >= 400 && i >= 0 && h->res.headers.entries[i].value.len >= 10 &&
                        memcmp(h->res.headers.entries[i].value.base, "text/plain", 10) == 0;
    if (library_text) {
        const char *code = h->res.status == 413 ? "payload_too_large" : h->res.status == 400 ? "bad_request" : "error";
        const char *message = h->res.status == 413   ? "Isi permintaan terlalu besar"
                              : h->res.status == 400 ? "Permintaan tidak valid"
                                                     : "Permintaan tidak dapat dilayani";
        char text[192];
        int len = snprintf(text, sizeof text, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, message);
        s_error_ostream_t *os = (s_error_ostream_t *)h2o_add_ostream(h, sizeof *os, slot);
        os->super.do_send = s_error_ostream_send;
        os->body = h2o_strdup(&h->pool, text, (size_t)len);
        os->sent = false;
        h2o_set_header(&h->pool, &h->res.headers, H2O_TOKEN_CONTENT_TYPE, H2O_STRLIT("application/json"), 1);
        h->res.content_length = (size_t)len;
        slot = &os->super.next;
    }
    h2o_setup_next_ostream(h, slot);
}

pk_http_t *pk_http_new(uv_loop_t *loop, const pk_log_t *log, pk_http_limits_t limits)
{
    pk_http_t *self = pk_calloc(1, sizeof *self);
    self->loop = loop;
    self->log = log;
    h2o_config_init(&self->config);
    self->config.max_request_entity_size = limits.max_body_bytes ? limits.max_body_bytes : 64 * 1024;
    self->config.http1.upgrade_to_http2 = 0;
    self->config.server_name = h2o_iovec_init(H2O_STRLIT("")); /* no version banner (review L3) */
    if (limits.request_timeout_ms > 0)
        self->config.http1.req_timeout = (uint64_t)limits.request_timeout_ms;
    self->grace_ms = (int)self->config.http1.req_timeout + 1000;
    h2o_hostconf_t *host = h2o_config_register_host(&self->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    s_handler_t *handler = (s_handler_t *)h2o_create_handler(path, sizeof *handler);
    handler->super.on_req = s_on_req;
    handler->http = self;
    h2o_create_filter(path, sizeof(h2o_filter_t))->on_setup_ostream = s_error_filter_setup;
    h2o_create_filter(&host->fallback_path, sizeof(h2o_filter_t))->on_setup_ostream = s_error_filter_setup;
    h2o_context_init(&self->ctx, loop, &self->config);
    self->accept_ctx.ctx = &self->ctx;
    self->accept_ctx.hosts = self->config.hosts;
    return self;
}

void pk_http_route(pk_http_t *self, const char *method, const char *pattern, pk_http_handler_fn fn, void *arg)
{
    s_route_t *r = pk_calloc(1, sizeof *r);
    r->method = pk_strdup(method);
    r->pattern = pk_strdup(pattern);
    r->fn = fn;
    r->arg = arg;
    s_route_t **tail = &self->routes;
    while (*tail)
        tail = &(*tail)->next;
    *tail = r;
}

typedef struct {
    uv_tcp_t tcp;
    pk_http_t *http;
} s_conn_t;

static void s_conn_closed(uv_handle_t *h)
{
    s_conn_t *c = pk_container_of((uv_tcp_t *)h, s_conn_t, tcp);
    c->http->open_handles--;
    free(c);
}

static void s_on_accept(uv_stream_t *listener, int status)
{
    pk_http_t *self = pk_container_of((uv_tcp_t *)listener, pk_http_t, listener);
    if (status != 0) {
        pk_log_warn(self->log, "accept failed: %s, connection dropped", uv_strerror(status));
        return;
    }
    s_conn_t *c = pk_calloc(1, sizeof *c);
    c->http = self;
    uv_tcp_init(self->loop, &c->tcp);
    self->open_handles++;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, s_conn_closed);
        return;
    }
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)&c->tcp, s_conn_closed);
    h2o_accept(&self->accept_ctx, sock);
}

int pk_http_listen(pk_http_t *self, const char *addr, int port)
{
    struct sockaddr_storage sa;
    if (uv_ip4_addr(addr, port, (struct sockaddr_in *)&sa) != 0 &&
        uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&sa) != 0) {
        pk_log_error(self->log, "HTTP listen address \"%s\" is not an IP address", addr);
        return PK_EINVAL;
    }
    uv_tcp_init(self->loop, &self->listener);
    self->listening = true;
    int r = uv_tcp_bind(&self->listener, (struct sockaddr *)&sa, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&self->listener, 128, s_on_accept);
    if (r != 0) {
        pk_log_error(self->log, "HTTP listen on %s:%d failed: %s", addr, port, uv_strerror(r));
        return PK_ESYS;
    }
    struct sockaddr_storage bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&self->listener, (struct sockaddr *)&bound, &len);
    self->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

int pk_http_port(const pk_http_t *self)
{
    return self->port;
}

static void s_listener_closed(uv_handle_t *h)
{
    (void)h;
}

static void s_reaper_closed(uv_handle_t *h)
{
    free(h);
}

/* Runs one loop iteration after the context was disposed: by then the
 * library's timers and async handle, embedded in *self, are closed. */
static void s_reap(uv_timer_t *t)
{
    pk_http_t *self = t->data;
    h2o_config_dispose(&self->config);
    for (s_route_t *r = self->routes, *next; r; r = next) {
        next = r->next;
        free(r->method);
        free(r->pattern);
        free(r);
    }
    free(self);
    uv_close((uv_handle_t *)t, s_reaper_closed);
}

/* Waits for the connections to end, then disposes of the context. */
static void s_drain(uv_timer_t *t)
{
    pk_http_t *self = t->data;
    bool timed_out = pk_mono_us() >= self->drain_deadline_us;
    if (self->open_handles > 0 && !timed_out)
        return;
    uv_timer_stop(t);
    if (self->open_handles > 0) {
        /* The library cannot drop a live connection from outside; leave
         * it to process exit rather than free memory it still uses. */
        pk_log_warn(self->log, "%d HTTP connection(s) still open after the grace period, stopping the loop",
                    self->open_handles);
        uv_stop(self->loop);
        return;
    }
    h2o_context_dispose(&self->ctx);
    uv_timer_start(t, s_reap, 0, 0);
}

void pk_http_close(pk_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_http_t *self = *self_p;
    *self_p = NULL;
    /* Requests in progress are answered; h2o then closes their connection
     * instead of keeping it alive. Idle connections end at the request
     * timeout, or when their client closes them. */
    self->ctx.shutdown_requested = 1;
    if (self->listening)
        uv_close((uv_handle_t *)&self->listener, s_listener_closed);
    self->drain_deadline_us = pk_mono_us() + (uint64_t)self->grace_ms * 1000u;
    uv_timer_t *t = pk_calloc(1, sizeof *t);
    uv_timer_init(self->loop, t);
    t->data = self;
    uv_timer_start(t, s_drain, 0, 20);
}

const char *pk_http_method(const pk_http_req_t *req)
{
    return req->method;
}

const char *pk_http_request_id(const pk_http_req_t *req)
{
    return req->request_id;
}

const pk_log_t *pk_http_log(const pk_http_req_t *req)
{
    return req->log;
}

const char *pk_http_path(const pk_http_req_t *req)
{
    return req->path;
}

const char *pk_http_param(const pk_http_req_t *req, int i)
{
    return i >= 0 && i < req->nparams ? req->params[i] : NULL;
}

const char *pk_http_header(pk_http_req_t *req, const char *name)
{
    if (!req->h2o || req->nheader_copies == S_MAX_HEADERS)
        return NULL;
    ssize_t i = h2o_find_header_by_str(&req->h2o->headers, name, strlen(name), -1);
    if (i < 0)
        return NULL;
    h2o_iovec_t v = req->h2o->headers.entries[i].value;
    char *copy = pk_strndup(v.base, v.len);
    req->header_copies[req->nheader_copies++] = copy;
    return copy;
}

static int s_hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes %XX and '+' in place; returns false on a malformed escape. */
static bool s_url_decode(char *s)
{
    char *o = s;
    for (char *i = s; *i; i++) {
        if (*i == '+') {
            *o++ = ' ';
        } else if (*i == '%') {
            int hi = s_hexval(i[1]), lo = hi < 0 ? -1 : s_hexval(i[2]);
            if (lo < 0 || (hi == 0 && lo == 0))
                return false; /* malformed, or a NUL that would cut the value */
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = *i;
        }
    }
    *o = '\0';
    return true;
}

const char *pk_http_query(pk_http_req_t *req, const char *name)
{
    if (!req->query || req->nheader_copies == S_MAX_HEADERS)
        return NULL;
    size_t n = strlen(name);
    for (const char *p = req->query; *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            char *v = pk_strndup(p + n + 1, len - n - 1);
            if (!s_url_decode(v)) {
                free(v);
                return NULL;
            }
            req->header_copies[req->nheader_copies++] = v;
            return v;
        }
        p = end ? end + 1 : p + len;
    }
    return NULL;
}

const char *pk_http_body(const pk_http_req_t *req, size_t *len)
{
    if (!req->h2o || !req->h2o->entity.base) {
        *len = 0;
        return "";
    }
    *len = req->h2o->entity.len;
    return req->h2o->entity.base;
}

const char *pk_http_peer(const pk_http_req_t *req)
{
    return req->peer;
}

const char *pk_http_client(const pk_http_req_t *req)
{
    return req->client;
}

void pk_http_trust_proxies(pk_http_t *self, const pk_netlist_t *proxies)
{
    self->trusted_proxies = proxies;
}

bool pk_http_alive(const pk_http_req_t *req)
{
    return req->h2o != NULL;
}

void pk_http_cache(pk_http_req_t *req, const char *cache_control)
{
    req->cache_control = cache_control;
}

void pk_http_csp(pk_http_req_t *req, const char *csp)
{
    req->csp = csp;
}

void pk_http_fallback(pk_http_t *self, pk_http_handler_fn fn, void *arg)
{
    self->fallback = fn;
    self->fallback_arg = arg;
}

void pk_http_add_header(pk_http_req_t *req, const char *name, const char *value)
{
    if (!req->h2o)
        return;
    h2o_req_t *h = req->h2o;
    h2o_iovec_t n = h2o_strdup(&h->pool, name, strlen(name));
    h2o_iovec_t v = h2o_strdup(&h->pool, value, strlen(value));
    h2o_add_header_by_str(&h->pool, &h->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

bool pk_http_has_response_header(const pk_http_req_t *req, const char *name)
{
    return req->h2o && h2o_find_header_by_str(&req->h2o->res.headers, name, strlen(name), -1) != -1;
}

const char *pk_http__reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 423:
        return "Locked";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

/* The headers of every response: its type, no caching, the correlation
 * id, and what a browser must not do with it (review L3). */
void pk_http__common_headers(h2o_req_t *h, const pk_http_req_t *req, const char *content_type)
{
    /* Every 401 says how to authenticate (RFC 9110 11.6.1). */
    if (h->res.status == 401)
        h2o_add_header_by_str(&h->pool, &h->res.headers, H2O_STRLIT("www-authenticate"), 0, NULL,
                              H2O_STRLIT("Bearer realm=\"pelukan\""));
    h2o_add_header(&h->pool, &h->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    const char *cc = req->cache_control ? req->cache_control : "no-store";
    h2o_add_header(&h->pool, &h->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, cc, strlen(cc));
    h2o_iovec_t rid = h2o_strdup(&h->pool, req->request_id, strlen(req->request_id));
    h2o_add_header_by_str(&h->pool, &h->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, rid.base, rid.len);
    h2o_add_header_by_str(&h->pool, &h->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
                          H2O_STRLIT("nosniff"));
    h2o_add_header_by_str(&h->pool, &h->res.headers, H2O_STRLIT("referrer-policy"), 0, NULL, H2O_STRLIT("no-referrer"));
    const char *csp = req->csp ? req->csp : "default-src 'none'; frame-ancestors 'none'";
    h2o_add_header_by_str(&h->pool, &h->res.headers, H2O_STRLIT("content-security-policy"), 0, NULL, csp, strlen(csp));
}

void pk_http_respond(pk_http_req_t *req, int status, const char *content_type, const char *body, size_t len)
{
    h2o_req_t *h = req->h2o;
    if (h) {
        static h2o_generator_t generator = {NULL, NULL};
        h->res.status = status;
        h->res.reason = pk_http__reason(status);
        /* A known length keeps HTTP/1.1 connections alive (without it the
         * library can only end the body by closing the connection). */
        h->res.content_length = len;
        pk_http__common_headers(h, req, content_type);
        h2o_iovec_t buf = h2o_strdup(&h->pool, body, req->head ? 0 : len);
        h2o_start_response(h, &generator);
        h2o_send(h, &buf, buf.len ? 1 : 0, H2O_SEND_STATE_FINAL);
    }
    pk_http__req_free(req);
}
