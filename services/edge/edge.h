/* edge.h -- the HTTP edge's state: what it serves, the clients it asks
 * (the case owner, dispatch, referral, notification) and its limits, read
 * from intake's settings at start (main.c). */
#ifndef EDGE_H
#define EDGE_H

#include "../intake/intake.h"
#include "edge_notify.h"

typedef struct edge_streams edge_streams_t;
typedef struct edge_sessions edge_sessions_t;
typedef struct edge_feed edge_feed_t;
typedef struct edge_submit edge_submit_t;
typedef struct edge_pings edge_pings_t;
typedef struct edge_approach edge_approach_t;
typedef struct edge_reference edge_reference_t;
typedef struct intake_throttle intake_throttle_t;

typedef struct edge {
    pk_service_t *svc;
    const pk_log_t *log;
    const pk_keyring_t *keys;
    intake_catalog_t *catalog;
    char *catalog_json, *regions_json; /* GET /v1/catalog, /v1/regions */
    edge_reference_t *reference;       /* how the edge has them: asked of the owner (edge_reference.c) */
    struct intake_web *web;            /* the web apps at / (edge_web.c) */
    intake_notify_t *notify;
    bool dev_print_otp;
    int otp_ttl_s;           /* a code's lifetime, told with it (edge_otp.c) */
    int otp_phone_alert_day; /* codes for one phone a day before the staff are alerted (edge_otp.c) */
    int pw_slots, pw_busy;   /* password hashes allowed at once, and taken (edge_password.c) */
    int streams_per_session, streams_per_account, streams_max; /* the live streams' limits (edge_streams.c) */
    struct intake_route_ctx *route_ctx;                        /* one per route (main.c) */
    edge_streams_t *streams;                                   /* every live stream (edge_streams.c) */
    edge_sessions_t *sessions;                                 /* sessions' answers held a moment (edge_session.c) */
    int session_cache_ms;
    edge_feed_t *feed;           /* the staff's live feed (edge_feed.c) */
    int feed_tick_ms;            /* ... asking for what the edge did not cause */
    intake_throttle_t *throttle; /* staff logins per client address (edge_throttle.c) */
    intake_throttle_t *account_throttle; /* ... and per account: half the password slots at most */
    edge_pings_t *pings;                 /* the companions' pings, batched (edge_pings.c) */
    pk_rpc_uv_t *dispatch_rpc;           /* commands to dispatch */
    edge_approach_t *approach;           /* the companion's approach, watched (edge_approach.c) */
    pk_rpc_uv_t *referral;               /* commands to referral */
    pk_rpc_uv_t *owner;                  /* commands to intake's case owner */
    edge_submit_t *submit;               /* reports on their way to the owner (edge_submit.c) */
    /* Bumped whenever a session may have ended (a logout, an account
     * disabled, a password reset): the live streams check their sessions
     * at their next tick. One hook, so that no file that ends sessions
     * calls into the streams. */
    unsigned sessions_epoch;
    const char *push_public_key; /* Web Push's VAPID public key; "": no push (edge_push.c) */
    pk_metric_t *m_requests, *m_reports, *m_otp_sent, *m_otp_failed, *m_rejected;
    pk_metric_t *m_otp_phone_alert; /* codes for one phone asked by many clients (review N4) */
} edge_t;

#endif
