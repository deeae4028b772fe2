/* edge_streams.h -- the edge's live streams, one registry (issue 24): the
 * staff feed (edge_feed.c) and the approach of a companion
 * (edge_approach.c) are streams of one list under one limit policy (per
 * session, per account and in all: PELUKAN_INTAKE_STREAMS_*), and a stream
 * lasts as long as the access it was opened with (security review M1, M2,
 * M5, M6): within a second, and at once when a session may have ended
 * (edge_t.sessions_epoch), the case owner is asked which of their
 * sessions still hold (CheckSessions); the others' streams end, saying
 * why, and a staff member's role and agency are her account's as it is
 * now. */
#ifndef INTAKE_EDGE_STREAMS_H
#define INTAKE_EDGE_STREAMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "edge.h"

struct edge_call;

typedef enum { EDGE_STREAM_FEED, EDGE_STREAM_APPROACH, EDGE_STREAM_KINDS } edge_stream_kind_t;

typedef struct edge_stream {
    struct edge_stream *next;
    pk_http_stream_t *http;
    edge_stream_kind_t kind;
    char token_hash[65];             /* the session it lives on */
    char account[PK_ID_HEX_LEN + 1]; /* the staff member's or the reporter's */
    unsigned role_bit;               /* the staff member's, as her account is now; 0: a reporter */
    char agency[32];                 /* the staff member's agency, as it is now */
    char case_id[PK_ID_HEX_LEN + 1]; /* an approach's case */
    long long cursor;                /* the feed's last entry handed on (seen or not) */
    uint64_t last_us;                /* monotonic: when it was last sent something */
    bool busy;                       /* its producer waits for an answer for it: kept until then */
    bool dead, checked;
    bool asked;          /* named in the check of the sessions under way */
    const pk_log_t *log; /* the service's: why a stream ended */
    char request_id[72]; /* the request that opened it: its log lines' correlation */
} edge_stream_t;

typedef struct edge_streams edge_streams_t;

/* The registry and its timer. Caller owns return value. */
edge_streams_t *edge_streams_new(edge_t *in);
/* Every stream ends ("server_stopping"). After the producers are
 * destroyed. Accepts NULL. */
void edge_streams_destroy(edge_streams_t **reg_p);

/* A stream of `kind` for the call's request (its session, account, role
 * and agency; the route's path id as its case), when the limits allow: the
 * request is the stream's then ("retry: 3000" sent). Otherwise answers
 * 429. Frees the call either way; NULL when refused. */
edge_stream_t *edge_stream_open(edge_streams_t *reg, struct edge_call *c, edge_stream_kind_t kind);

/* The open streams, newest first (the producers walk them). */
edge_stream_t *edge_streams_first(edge_streams_t *reg);

/* Sends a frame as it is; a stream gone or too slow to keep up dies. */
void edge_stream_send(edge_stream_t *s, const char *frame, size_t len);
/* Sends an event of JSON `data` (taken). */
void edge_stream_event(edge_stream_t *s, const char *event, json_t *data);
/* Says why ("end" event), and ends it at the next reap. */
void edge_stream_end(edge_stream_t *s, const char *reason);
/* Ends and forgets the streams that died (and no producer waits for). */
void edge_streams_reap(edge_streams_t *reg);

#endif
