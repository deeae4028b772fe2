/* http_internal.h -- what http.c and http_stream.c share of pk_http's
 * implementation on libh2o; not part of the interface (pelukan/http.h). */
#ifndef PELUKAN_HTTP_INTERNAL_H
#define PELUKAN_HTTP_INTERNAL_H

#define H2O_USE_LIBUV 1
#include <arpa/inet.h>
#include <h2o.h>

#include "pelukan/http.h"
#include "pelukan/netaddr.h"

#define S_MAX_PARAMS  4
#define S_MAX_HEADERS 16

/* Lives in our heap, not h2o's pool, so that a handler may answer after the
 * client is gone. `link` lives in the request's pool and cuts the tie when
 * h2o disposes of the request. */
struct pk_http_req {
    h2o_req_t *h2o;
    struct pk_http_req **link;
    const pk_log_t *log;
    char request_id[65];
    char *method;
    char *path;
    char *query; /* after '?', raw; NULL when none */
    char *params[S_MAX_PARAMS];
    int nparams;
    char *header_copies[S_MAX_HEADERS];
    int nheader_copies;
    char peer[INET6_ADDRSTRLEN];
    char client[PK_ADDR_TEXT_MAX];
    bool head;                 /* HEAD: answered as GET, without the body */
    const char *cache_control; /* NULL: no-store */
    const char *csp;           /* NULL: nothing allowed */
};

/* Frees a request's own copies (its answer sent or its client gone). */
void pk_http__req_free(pk_http_req_t *req);
/* The reason phrase of a status. */
const char *pk_http__reason(int status);
/* The headers every answer carries: security headers, the cache policy,
 * the request id, and `content_type`. */
void pk_http__common_headers(h2o_req_t *h, const pk_http_req_t *req, const char *content_type);

#endif
