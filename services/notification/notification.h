/* notification.h -- the notification service: messages from events and
 * from the OTP command (main.c), a sender thread that asks the owners for
 * contacts, applies the reporter's safety rules, sends and records
 * (notify_worker.c), and the channels over libcurl (notify_send.c). */
#ifndef NOTIFICATION_H
#define NOTIFICATION_H

#include <curl/curl.h>

#include "pelukan/service.h"
#include "pelukan/util.h"

typedef struct notify_worker notify_worker_t;
typedef struct notify_vapid notify_vapid_t;

typedef struct {
    pk_service_t *svc;
    const pk_log_t *log;
    const pk_keyring_t *keys;
    const char *sms_url, *sms_token, *smtp_url, *smtp_from, *sink_file;
    bool plaintext; /* PELUKAN_NOTIFICATION_PLAINTEXT: no TLS required */
    notify_vapid_t *vapid;  /* Web Push's key; NULL: no push, SMS instead */
    const char *push_hosts; /* the push services a subscription may name (comma-separated hosts) */
    const char *intake_rpc;
    int otp_max_age_s;
    int urgent_coalesce_s; /* urgent-report mails to the admins: at most one per this (review M7) */
    int max_attempts, backoff_ms, backoff_max_ms, lease_s, safe_recheck_s, concurrency, timeout_ms, poll_ms;
    notify_worker_t *worker;
    pk_pg_stmts_t stmts;        /* the command thread's */
    pk_pg_stmts_t worker_stmts; /* the sender thread's */
    struct _zhashx_t *templates; /* the sender thread's: code -> subject and body, read once each */
    pk_metric_t *m_sent, *m_retried, *m_dead, *m_deferred, *m_in_app;
} notification_t;

/* One delivery to make: filled by the worker, sent by notify_send(). */
typedef struct {
    const char *message_id;
    const char *channel; /* "sms", "whatsapp", "email", "push" */
    char *to;            /* a phone, e-mail addresses separated by ',', or a push endpoint (wiped after) */
    char *push_p256dh, *push_auth; /* a push subscription's keys (base64url) */
    char *subject;
    char *text;
    /* result */
    bool ok, permanent;
    char detail[32]; /* "http_503", "smtp_550", "timeout", ... */
} notify_job_t;

/* Sends the jobs at once (libcurl multi): an HTTP gateway for sms and
 * whatsapp, SMTP for e-mail, the browser's push service for push, or the
 * sink file when the channel has no provider. Fills each job's result. */
void notify_send(const notification_t *n, CURLM *multi, notify_job_t *jobs, size_t njobs);

/* The sender's one transfer handle, kept across its rounds so that the
 * connections to a provider are kept open and used again. Caller owns
 * return value. */
CURLM *notify_multi_new(const notification_t *n);
/* Accepts NULL. */
void notify_multi_destroy(CURLM **multi_p);

/* Drops the sender's templates (at its end). */
void notify_templates_clear(notification_t *n);

/* Fills `{name}` placeholders of `body` from the JSON object `params`
 * (unknown names are left out). Caller owns return value. */
char *notify_render(const char *body, const char *params_json);

notify_worker_t *notify_worker_new(notification_t *n);
void notify_worker_destroy(notify_worker_t **w_p);

#endif
