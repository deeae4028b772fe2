/* http.h -- a thin HTTP/1.1 server interface of our own, on libh2o (libuv).
 *
 * Keeping libh2o behind this interface means a change of HTTP library stays
 * in http.c. Routes are (method, pattern) pairs; a pattern segment "*"
 * matches one path segment, available as a parameter. */
#ifndef PELUKAN_HTTP_H
#define PELUKAN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "pelukan/error.h"
#include "pelukan/log.h"
#include "pelukan/netaddr.h"

typedef struct pk_http pk_http_t;
typedef struct pk_http_req pk_http_req_t;

/* Handles a request. The handler must call pk_http_respond() exactly once,
 * now or later (e.g. after a database commit); until then the request
 * stays valid even if the client goes away. */
typedef void (*pk_http_handler_fn)(pk_http_req_t *req, void *arg);

typedef struct {
    size_t max_body_bytes;  /* larger bodies get 413 from the library */
    int request_timeout_ms; /* headers and body must arrive within this */
} pk_http_limits_t;

/* Creates a server on `loop`. Caller owns return value. */
pk_http_t *pk_http_new(uv_loop_t *loop, const pk_log_t *log, pk_http_limits_t limits);

/* Adds a route. `method` is "GET", "POST", ...; `pattern` a path such as
 * "/v1/reports/x/companion" where "*" segments match anything. */
void pk_http_route(pk_http_t *self, const char *method, const char *pattern, pk_http_handler_fn fn, void *arg);

/* Listens on addr:port (port 0: any free port, see pk_http_port()). */
int pk_http_listen(pk_http_t *self, const char *addr, int port) PK_MUST_CHECK;
int pk_http_port(const pk_http_t *self);

/* Stops listening and frees the server once its connections have ended:
 * requests in progress are answered, idle connections end at the request
 * timeout. Returns at once; the loop ends when everything is closed.
 * Sets *self_p to NULL; accepts NULL. */
void pk_http_close(pk_http_t **self_p);

/* ---- requests ----------------------------------------------------------- */

const char *pk_http_method(const pk_http_req_t *req);
/* The correlation id of the request (the client's X-Request-Id if it is a
 * plain token, else a new random id); also sent back as X-Request-Id. */
const char *pk_http_request_id(const pk_http_req_t *req);
/* The server's log, for handlers that log a rejection. */
const pk_log_t *pk_http_log(const pk_http_req_t *req);
/* The normalised path, without the query string. NUL-terminated. */
const char *pk_http_path(const pk_http_req_t *req);
/* Parameter `i` (0-based) of the "*" segments of the matched route. */
const char *pk_http_param(const pk_http_req_t *req, int i);
/* The first query parameter `name` ("?name=value&..."), %-decoded, or
 * NULL when absent or malformed. Owned by the request. */
const char *pk_http_query(pk_http_req_t *req, const char *name);
/* A request header's value (NUL-terminated copy) or NULL. */
const char *pk_http_header(pk_http_req_t *req, const char *name);
/* The request body (may be empty; not NUL-terminated). */
const char *pk_http_body(const pk_http_req_t *req, size_t *len);
/* The peer's address as text ("127.0.0.1"). */
const char *pk_http_peer(const pk_http_req_t *req);
/* The client's address: the peer's, or, when the peer is a trusted proxy,
 * the one X-Forwarded-For names (see netaddr.h). */
const char *pk_http_client(const pk_http_req_t *req);
/* Trusts `proxies` (which must outlive the server) to tell the client's
 * address; by default nobody is trusted. */
void pk_http_trust_proxies(pk_http_t *self, const pk_netlist_t *proxies);
/* False once the client has gone away; a late response is then dropped. */
bool pk_http_alive(const pk_http_req_t *req);

/* The answer may be cached as `cache_control` says (a static string;
 * every other answer is "no-store"); call before pk_http_respond(). */
void pk_http_cache(pk_http_req_t *req, const char *cache_control);
/* The answer's Content-Security-Policy (a string that outlives the
 * answer; every other answer allows nothing); before pk_http_respond(). */
void pk_http_csp(pk_http_req_t *req, const char *csp);
/* GET and HEAD of a path that no route has go to `fn` instead of a 404
 * (static files of a web app). */
void pk_http_fallback(pk_http_t *self, pk_http_handler_fn fn, void *arg);
/* Adds a response header; call before pk_http_respond(). */
void pk_http_add_header(pk_http_req_t *req, const char *name, const char *value);
/* Whether a response header `name` (any letter case) was added. */
bool pk_http_has_response_header(const pk_http_req_t *req, const char *name);

/* Sends the response and frees the request. `body` is copied. */
void pk_http_respond(pk_http_req_t *req, int status, const char *content_type, const char *body, size_t len);

/* ---- streamed responses (Server-Sent Events) ------------------------------ */

typedef struct pk_http_stream pk_http_stream_t;
/* Called once when the client goes away before the stream ends. */
typedef void (*pk_http_stream_gone_fn)(pk_http_stream_t *stream, void *arg);

/* Answers `req` with a body sent in pieces as they come (no length; the
 * connection carries nothing else). The stream takes the request over:
 * use neither again. Caller owns the stream: pk_http_stream_end(). */
pk_http_stream_t *pk_http_stream_start(pk_http_req_t *req, int status, const char *content_type,
                                       pk_http_stream_gone_fn gone, void *arg);
/* Queues `len` bytes. Returns 0, PK_ECLOSED when the client is gone, or
 * PK_EBUSY when more than 1 MiB waits for a slow client (nothing queued;
 * end the stream). */
int pk_http_stream_send(pk_http_stream_t *stream, const char *data, size_t len);
/* True while the client is there. */
bool pk_http_stream_alive(const pk_http_stream_t *stream);
/* Ends the body after what is queued, and frees the stream; accepts NULL. */
void pk_http_stream_end(pk_http_stream_t **stream_p);

#endif
