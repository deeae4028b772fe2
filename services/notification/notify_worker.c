/* notify_worker.c -- the sender: a thread with a blocking connection that
 * claims due messages under a lease, asks their owner for the contact at
 * send time (intake, by GetContact), applies the reporter's safety choices
 * (a phone that may be monitored gets nothing but the app; outside the
 * safe hours a message waits, except a code the reporter just asked for),
 * sends the batch at once, and records each attempt, the message's new
 * state (sent, retried with exponential backoff and jitter, or dead) and
 * its delivery event in one transaction. A message whose lease ran out
 * (the service was killed mid-send) is claimed again and sent with the
 * same message id, which the provider uses to drop the repeat. */
#include <czmq.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notification.h"
#include "pelukan/rpc.h"

struct notify_worker {
    zactor_t *actor;
    notification_t *n;
};

typedef enum { S_SEND, S_IN_APP, S_DEFER, S_RETRY, S_DEAD } s_action_t;

typedef struct {
    char id[PK_ID_HEX_LEN + 1];
    char template_code[40];
    int attempts;
    s_action_t action;
    char detail[32];
    char channel[16];
    notify_job_t job;
} s_item_t;

static void s_set(s_item_t *it, s_action_t action, const char *detail)
{
    it->action = action;
    snprintf(it->detail, sizeof it->detail, "%s", detail);
}

static void s_wipe(char **p)
{
    if (*p) {
        sodium_memzero(*p, strlen(*p));
        free(*p);
        *p = NULL;
    }
}

/* A template's subject and body, as the sender keeps them: templates
 * change only by migration, which runs before the sender starts. */
typedef struct {
    char *subject, *body;
} s_template_t;

static void s_template_free(void **item)
{
    s_template_t *t = *item;
    if (!t)
        return;
    free(t->subject);
    free(t->body);
    free(t);
    *item = NULL;
}

static const s_template_t *s_template(notification_t *n, PGconn *conn, const char *code)
{
    if (!n->templates) {
        n->templates = zhashx_new();
        zhashx_set_destructor(n->templates, s_template_free);
    }
    s_template_t *t = zhashx_lookup(n->templates, code);
    if (t)
        return t;
    const char *p[] = {code};
    PGresult *r = pk_pg_exec_prepared(&n->worker_stmts, conn, n->log,
                                      "SELECT subject, body FROM template WHERE code = $1 AND locale = 'id'", 1, p);
    if (r && PQntuples(r) == 1) {
        t = pk_calloc(1, sizeof *t);
        t->subject = pk_strdup(PQgetvalue(r, 0, 0));
        t->body = pk_strdup(PQgetvalue(r, 0, 1));
        zhashx_insert(n->templates, code, t);
    }
    PQclear(r);
    return t;
}

void notify_templates_clear(notification_t *n)
{
    zhashx_destroy(&n->templates);
}

/* The template's subject and body rendered with `params`. */
static bool s_render(notification_t *n, PGconn *conn, s_item_t *it, const char *params)
{
    const s_template_t *t = s_template(n, conn, it->template_code);
    if (!t)
        return false;
    it->job.subject = notify_render(t->subject, params);
    it->job.text = notify_render(t->body, params);
    return true;
}

/* The contact a message goes to, asked of its owner; for a reporter, with
 * the message's id and template (the opening is recorded with them). */
static Pelukan__V1__CommandReply *s_contact(pk_rpc_client_t *rpc, const char *case_id, const char *staff_id,
                                            const char *role, const s_item_t *it)
{
    Pelukan__V1__CommandRequest req;
    uint8_t id[16];
    pk_rpc_request_init(&req, id, 1000, 1);
    Pelukan__V1__GetContact g = PELUKAN__V1__GET_CONTACT__INIT;
    g.purpose_code = "notification";
    g.template_code = (char *)it->template_code;
    g.message_id = (char *)it->id;
    g.staff_id = (char *)staff_id;
    g.role = (char *)role;
    req.case_id = (char *)case_id;
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_CONTACT;
    req.get_contact = &g;
    Pelukan__V1__CommandReply *reply = NULL;
    return pk_rpc_call(rpc, &req, 1000, 1, &reply) == 0 ? reply : NULL;
}

static void s_free_contact(Pelukan__V1__CommandReply *reply)
{
    if (!reply)
        return;
    if (reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_CONTACT && reply->contact->phone_e164)
        sodium_memzero(reply->contact->phone_e164, strlen(reply->contact->phone_e164));
    pelukan__v1__command_reply__free_unpacked(reply, NULL);
}

/* Whether a push endpoint names one of the push services the deployment
 * allows (PELUKAN_NOTIFICATION_PUSH_HOSTS): the endpoint comes from a
 * browser, and the service must not be made to call anywhere else. */
static bool s_push_host_ok(const notification_t *n, const char *endpoint)
{
    bool https = strncmp(endpoint, "https://", 8) == 0;
    if (!https && !(n->plaintext && strncmp(endpoint, "http://", 7) == 0))
        return false;
    const char *host = endpoint + (https ? 8 : 7);
    size_t len = strcspn(host, ":/?#@");
    if (host[len] == '@')
        return false; /* no user part */
    for (const char *h = n->push_hosts; *h;) {
        size_t hl = strcspn(h, ",");
        if (hl == len && strncasecmp(h, host, len) == 0)
            return true;
        h += hl + (h[hl] == ',');
    }
    return false;
}

/* To send to `to` once the template renders; dead without one. */
static void s_ready(notification_t *n, PGconn *conn, s_item_t *it, char *to, const char *params)
{
    it->job.to = to;
    bool ok = s_render(n, conn, it, params);
    s_set(it, ok ? S_SEND : S_DEAD, ok ? "" : "no_template");
}

/* The one-time code the reporter asked for, sealed in the row until sent
 * (columns 7 and 8 of s_claim); an expired one is dropped. */
static void s_prepare_otp(notification_t *n, PGconn *conn, const PGresult *r, int i, s_item_t *it)
{
    snprintf(it->channel, sizeof it->channel, "sms");
    if (atoi(PQgetvalue(r, i, 10)) > n->otp_max_age_s) {
        /* A code that reaches the phone after it expired only confuses. */
        s_set(it, S_DEAD, "expired");
        return;
    }
    char ctx[64];
    snprintf(ctx, sizeof ctx, "message:%s", it->id);
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES + 8], key[PK_DATAKEY_BYTES], sealed[512];
    long wn = pk_pg_bytea_get(r, i, 7, wrapped, sizeof wrapped), sn = pk_pg_bytea_get(r, i, 8, sealed, sizeof sealed);
    char plain[512] = "";
    if (wn <= 0 || sn <= PK_SEAL_OVERHEAD || pk_datakey_unwrap(n->keys, ctx, wrapped, (size_t)wn, key) != 0 ||
        pk_open(key, ctx, sealed, (size_t)sn, (uint8_t *)plain) != 0) {
        sodium_memzero(key, sizeof key);
        s_set(it, S_DEAD, "secret_unreadable");
        return;
    }
    sodium_memzero(key, sizeof key);
    json_t *secret = json_loads(plain, 0, NULL);
    sodium_memzero(plain, sizeof plain);
    const char *phone = json_string_value(json_object_get(secret, "phone"));
    char *to = pk_strdup(phone ? phone : ""), *vars = json_dumps(secret, JSON_COMPACT);
    json_decref(secret); /* `phone` went with it */
    s_ready(n, conn, it, to, vars);
    s_wipe(&vars);
}

/* A reporter's message, by her safety choices: kept in the app where her
 * phone may be read or she chose the app, held outside her safe hours, the
 * plain text only on a channel she said is safe. */
static void s_to_reporter(notification_t *n, PGconn *conn, s_item_t *it, const Pelukan__V1__Contact *k,
                          const char *params)
{
    bool safe_channel = strcmp(k->safe_channel, "sms") == 0 || strcmp(k->safe_channel, "whatsapp") == 0;
    if (k->phone_monitored || strcmp(k->safe_channel, "in_app") == 0) {
        s_set(it, S_IN_APP, "in_app");
    } else if (!pk_hours_contain(k->safe_hours, pk_wib_minutes())) {
        s_set(it, S_DEFER, "outside_safe_hours");
    } else if (!k->phone_e164 || !*k->phone_e164) {
        s_set(it, S_DEAD, "no_phone");
    } else {
        snprintf(it->channel, sizeof it->channel, "%s", strcmp(k->safe_channel, "whatsapp") == 0 ? "whatsapp" : "sms");
        if (safe_channel) /* the reporter said this channel is safe: the plain text */
            snprintf(it->template_code + strlen(it->template_code),
                     sizeof it->template_code - strlen(it->template_code), "_safe");
        s_ready(n, conn, it, pk_strdup(k->phone_e164), params);
    }
}

/* A staff member's own phone: an admin on duty (issue 22 §1), a companion
 * given a visit (§3). By Web Push where her browser subscribed (to a push
 * service the deployment allows), else by SMS to her mobile; neither: the
 * e-mail and the app carry it, nothing failed. */
static void s_to_staff_phone(notification_t *n, PGconn *conn, s_item_t *it, const Pelukan__V1__Contact *k,
                             const char *params)
{
    snprintf(it->channel, sizeof it->channel, "sms");
    if (n->vapid && k->push_endpoint[0] && s_push_host_ok(n, k->push_endpoint)) {
        snprintf(it->channel, sizeof it->channel, "push");
        it->job.push_p256dh = pk_strdup(k->push_p256dh);
        it->job.push_auth = pk_strdup(k->push_auth);
        s_ready(n, conn, it, pk_strdup(k->push_endpoint), params);
    } else if (!k->phone_e164 || !*k->phone_e164) {
        s_set(it, S_IN_APP, "no_phone");
    } else {
        s_ready(n, conn, it, pk_strdup(k->phone_e164), params);
    }
}

/* Staff e-mail: every address of the contact, comma-separated. */
static void s_to_emails(notification_t *n, PGconn *conn, s_item_t *it, const Pelukan__V1__Contact *k,
                        const char *params)
{
    size_t len = 1;
    for (size_t e = 0; e < k->n_emails; e++)
        len += strlen(k->emails[e]) + 1;
    char *to = pk_calloc(1, len);
    for (size_t e = 0; e < k->n_emails; e++) {
        if (e)
            strcat(to, ",");
        strcat(to, k->emails[e]);
    }
    snprintf(it->channel, sizeof it->channel, "email");
    if (!*to) {
        free(to);
        s_set(it, S_DEAD, "no_address");
    } else {
        s_ready(n, conn, it, to, params);
    }
}

/* Decides what to do with one claimed row (columns of s_claim). */
static void s_prepare(notification_t *n, PGconn *conn, pk_rpc_client_t *rpc, const PGresult *r, int i, s_item_t *it,
                      bool *owner_down)
{
    snprintf(it->id, sizeof it->id, "%s", PQgetvalue(r, i, 0));
    snprintf(it->template_code, sizeof it->template_code, "%s", PQgetvalue(r, i, 4));
    it->attempts = atoi(PQgetvalue(r, i, 9));
    it->job.message_id = it->id;
    const char *audience = PQgetvalue(r, i, 1), *recipient = PQgetvalue(r, i, 2), *case_id = PQgetvalue(r, i, 3),
               *params = PQgetvalue(r, i, 6);
    if (strcmp(audience, "otp") == 0) {
        s_prepare_otp(n, conn, r, i, it);
        return;
    }
    /* Once intake did not answer in this round, the others wait for the
     * next attempt instead of each waiting for the same silence. */
    Pelukan__V1__CommandReply *c = *owner_down                         ? NULL
                                   : strcmp(audience, "reporter") == 0 ? s_contact(rpc, case_id, "", "", it)
                                   : strcmp(audience, "staff") == 0    ? s_contact(rpc, "", recipient, "", it)
                                                                       : s_contact(rpc, "", "", recipient, it);
    if (!c) {
        *owner_down = true;
        s_set(it, S_RETRY, "contact_unavailable");
        return;
    }
    if (c->status != PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK ||
        c->result_case != PELUKAN__V1__COMMAND_REPLY__RESULT_CONTACT) {
        bool gone = c->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_NOT_FOUND;
        s_set(it, gone ? S_DEAD : S_RETRY, gone ? "contact_gone" : "contact_refused");
    } else if (strcmp(audience, "reporter") == 0) {
        s_to_reporter(n, conn, it, c->contact, params);
    } else if (strcmp(PQgetvalue(r, i, 5), "sms") == 0) {
        s_to_staff_phone(n, conn, it, c->contact, params);
    } else {
        s_to_emails(n, conn, it, c->contact, params);
    }
    s_free_contact(c);
}

static Pelukan__V1__Channel s_channel_enum(const char *c)
{
    if (strcmp(c, "sms") == 0)
        return PELUKAN__V1__CHANNEL__CHANNEL_SMS;
    if (strcmp(c, "whatsapp") == 0)
        return PELUKAN__V1__CHANNEL__CHANNEL_WHATSAPP;
    if (strcmp(c, "email") == 0)
        return PELUKAN__V1__CHANNEL__CHANNEL_EMAIL;
    if (strcmp(c, "in_app") == 0)
        return PELUKAN__V1__CHANNEL__CHANNEL_IN_APP;
    if (strcmp(c, "push") == 0)
        return PELUKAN__V1__CHANNEL__CHANNEL_PUSH;
    return PELUKAN__V1__CHANNEL__CHANNEL_UNSPECIFIED;
}

static int s_event(notification_t *n, PGconn *conn, const s_item_t *it, bool sent, bool dead)
{
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    pk_envelope_init(&env, eid, "notification", NULL, NULL);
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    actor.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    actor.id = "";
    env.actor = &actor;
    Pelukan__V1__NotificationSent s = PELUKAN__V1__NOTIFICATION_SENT__INIT;
    Pelukan__V1__NotificationFailed f = PELUKAN__V1__NOTIFICATION_FAILED__INIT;
    if (sent) {
        s.message_id = (char *)it->id;
        s.channel = s_channel_enum(it->channel);
        s.template_code = (char *)it->template_code;
        s.attempt = (uint32_t)it->attempts;
        env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_NOTIFICATION_SENT;
        env.notification_sent = &s;
    } else {
        f.message_id = (char *)it->id;
        f.channel = s_channel_enum(it->channel);
        f.template_code = (char *)it->template_code;
        f.attempts = (uint32_t)it->attempts;
        f.reason_code = (char *)it->detail;
        f.dead_letter = dead;
        env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_NOTIFICATION_FAILED;
        env.notification_failed = &f;
    }
    return pk_outbox_add(conn, n->log, &env);
}

/* What a sent item's answer makes of it: sent, dead (a permanent failure or
 * the last attempt) or tried again. */
static void s_outcome(notification_t *n, s_item_t *it)
{
    if (it->action == S_SEND) {
        if (it->job.ok)
            s_set(it, S_SEND, it->job.detail);
        else if (it->job.permanent || it->attempts >= n->max_attempts)
            s_set(it, S_DEAD, it->job.detail);
        else
            s_set(it, S_RETRY, it->job.detail);
        if (it->action == S_SEND)
            pk_metric_add(n->m_sent, 1);
    }
    if (it->action == S_RETRY && it->attempts >= n->max_attempts)
        it->action = S_DEAD;
}

static int s_record_sent(notification_t *n, PGconn *conn, s_item_t *it, const char *attempt)
{
    if (it->action == S_IN_APP) {
        snprintf(it->channel, sizeof it->channel, "in_app");
        pk_metric_add(n->m_in_app, 1);
    }
    const char *p[] = {it->id, attempt, it->detail, it->channel};
    int rc = pk_pg_run(conn, n->log,
                       "WITH a AS (INSERT INTO attempt (message_id, n, outcome, detail) VALUES ($1, $2::int, 'sent',"
                       " $3)) UPDATE message SET state = 'sent', sent_at = now(), sent_channel = $4,"
                       " secret_sealed = NULL, wrapped_key = NULL, lease_until = NULL, last_error = NULL"
                       " WHERE id = $1",
                       4, p);
    return rc == 0 ? s_event(n, conn, it, true, false) : rc;
}

/* Tried again after an exponential backoff with jitter (+-20 %), capped;
 * each failed attempt is a fact too, for the auditors. */
static int s_record_retry(notification_t *n, PGconn *conn, s_item_t *it, const char *attempt)
{
    double ms = (double)n->backoff_ms;
    for (int k = 1; k < it->attempts && ms < n->backoff_max_ms; k++)
        ms *= 2;
    if (ms > n->backoff_max_ms)
        ms = n->backoff_max_ms;
    ms *= 0.8 + 0.4 * ((double)randombytes_uniform(1000) / 1000.0);
    char delay[24];
    snprintf(delay, sizeof delay, "%.0f", ms);
    pk_metric_add(n->m_retried, 1);
    const char *q[] = {it->id, attempt, it->detail, delay};
    int rc = pk_pg_run(conn, n->log,
                       "WITH a AS (INSERT INTO attempt (message_id, n, outcome, detail) VALUES ($1, $2::int, 'retry',"
                       " $3)) UPDATE message SET state = 'pending', last_error = $3, lease_until = NULL,"
                       " next_attempt_at = now() + make_interval(secs => $4::float8 / 1000) WHERE id = $1",
                       4, q);
    return rc == 0 ? s_event(n, conn, it, false, false) : rc;
}

static int s_record_dead(notification_t *n, PGconn *conn, s_item_t *it, const char *attempt)
{
    pk_metric_add(n->m_dead, 1);
    const char *p[] = {it->id, attempt, it->detail};
    int rc = pk_pg_run(conn, n->log,
                       "WITH a AS (INSERT INTO attempt (message_id, n, outcome, detail) VALUES ($1, $2::int, 'dead',"
                       " $3)) UPDATE message SET state = 'dead', last_error = $3, lease_until = NULL,"
                       " secret_sealed = NULL, wrapped_key = NULL WHERE id = $1",
                       3, p);
    if (rc == 0)
        rc = s_event(n, conn, it, false, true);
    pk_log_warn(n->log, "message %s (%s) dead after %d attempts: %s", it->id, it->template_code, it->attempts,
                it->detail);
    return rc;
}

/* Outside the reporter's safe hours: looked at again later, the attempt
 * not counted. */
static int s_record_defer(notification_t *n, PGconn *conn, const s_item_t *it)
{
    char delay[24];
    snprintf(delay, sizeof delay, "%d", n->safe_recheck_s * 1000);
    pk_metric_add(n->m_deferred, 1);
    const char *q[] = {it->id, delay};
    return pk_pg_run(conn, n->log,
                     "UPDATE message SET state = 'pending', attempts = attempts - 1, lease_until = NULL,"
                     " last_error = 'outside_safe_hours',"
                     " next_attempt_at = now() + make_interval(secs => $2::float8 / 1000) WHERE id = $1",
                     2, q);
}

/* Writes every item's outcome in one transaction. */
static int s_record(notification_t *n, PGconn *conn, s_item_t *items, int count)
{
    if (pk_pg_run(conn, n->log, "BEGIN", 0, NULL) != 0)
        return PK_EDB;
    int rc = 0;
    for (int i = 0; i < count && rc == 0; i++) {
        s_item_t *it = &items[i];
        char attempt[16];
        snprintf(attempt, sizeof attempt, "%d", it->attempts);
        s_outcome(n, it);
        switch (it->action) {
        case S_SEND:
        case S_IN_APP:
            rc = s_record_sent(n, conn, it, attempt);
            break;
        case S_RETRY:
            rc = s_record_retry(n, conn, it, attempt);
            break;
        case S_DEAD:
            rc = s_record_dead(n, conn, it, attempt);
            break;
        case S_DEFER:
            rc = s_record_defer(n, conn, it);
            break;
        }
    }
    if (rc != 0 || pk_pg_run(conn, n->log, "COMMIT", 0, NULL) != 0) {
        PQclear(PQexec(conn, "ROLLBACK"));
        return PK_EDB;
    }
    return 0;
}

/* One round: claim, prepare, send, record. Returns the rows claimed. */
static int s_round(notification_t *n, PGconn *conn, pk_rpc_client_t *rpc, CURLM *multi)
{
    char lease[16], limit[16];
    snprintf(lease, sizeof lease, "%d", n->lease_s);
    snprintf(limit, sizeof limit, "%d", n->concurrency);
    const char *p[] = {lease, limit};
    PGresult *r = pk_pg_exec_prepared(
        &n->worker_stmts, conn, n->log,
        "UPDATE message m SET state = 'sending', lease_until = now() + make_interval(secs => $1::int),"
        " attempts = attempts + 1 WHERE id IN (SELECT id FROM message WHERE (state = 'pending' AND next_attempt_at"
        " <= now()) OR (state = 'sending' AND lease_until < now()) ORDER BY next_attempt_at LIMIT $2::int FOR UPDATE"
        " SKIP LOCKED) RETURNING id, audience, recipient, coalesce(case_id, ''), template_code, channel,"
        " params::text, wrapped_key, secret_sealed, attempts, extract(epoch FROM now() - created_at)::int",
        2, p);
    if (!r)
        return PK_EDB;
    int count = PQntuples(r);
    if (count == 0) {
        PQclear(r);
        return 0;
    }
    s_item_t *items = pk_calloc((size_t)count, sizeof *items);
    bool owner_down = false;
    for (int i = 0; i < count; i++)
        s_prepare(n, conn, rpc, r, i, &items[i], &owner_down);
    PQclear(r);
    notify_job_t *jobs = pk_calloc((size_t)count, sizeof *jobs);
    int *index = pk_calloc((size_t)count, sizeof *index), njobs = 0;
    for (int i = 0; i < count; i++) {
        if (items[i].action != S_SEND)
            continue;
        items[i].job.channel = items[i].channel;
        jobs[njobs] = items[i].job;
        index[njobs++] = i;
    }
    notify_send(n, multi, jobs, (size_t)njobs);
    for (int k = 0; k < njobs; k++)
        items[index[k]].job = jobs[k];
    int rc = s_record(n, conn, items, count);
    for (int i = 0; i < count; i++) {
        s_wipe(&items[i].job.to);
        s_wipe(&items[i].job.push_p256dh);
        s_wipe(&items[i].job.push_auth);
        s_wipe(&items[i].job.text);
        free(items[i].job.subject);
    }
    free(jobs);
    free(index);
    free(items);
    return rc == 0 ? count : rc;
}

/* A connection to the database that listens for new messages; NULL when
 * the database is away. */
static PGconn *s_connect(notification_t *n)
{
    PGconn *conn = PQconnectdb(pk_service_conninfo(n->svc));
    if (PQstatus(conn) == CONNECTION_OK && pk_pg_run(conn, n->log, "LISTEN notification_due", 0, NULL) == 0)
        return conn;
    PQfinish(conn);
    return NULL;
}

/* Whether a message was inserted since the last look (the notices are
 * read off the connection, and dropped: they carry nothing). */
static bool s_woken(PGconn *conn)
{
    bool woken = false;
    if (!PQconsumeInput(conn))
        return true; /* broken: the round finds out, and connects again */
    for (PGnotify *note; (note = PQnotifies(conn)) != NULL; PQfreemem(note))
        woken = true;
    return woken;
}

/* Rounds, one after another while they come back full or a message was
 * inserted meanwhile; between them the thread waits for its pipe ($TERM),
 * a notice of a new message on its connection, or the poll. */
static void s_actor(zsock_t *pipe, void *arg)
{
    notify_worker_t *w = arg;
    notification_t *n = w->n;
    pk_rpc_client_t *rpc = pk_rpc_client_new(n->intake_rpc, 0, pk_service_bus_keys(n->svc), "intake");
    CURLM *multi = notify_multi_new(n);
    PGconn *conn = NULL;
    zsock_signal(pipe, 0);
    int wait_ms = 0; /* at once: messages may be waiting from before a restart */
    for (;;) {
        zmq_pollitem_t items[] = {{zsock_resolve(pipe), 0, ZMQ_POLLIN, 0},
                                  {NULL, conn ? PQsocket(conn) : -1, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, conn ? 2 : 1, wait_ms) < 0 && zmq_errno() != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN)
            break; /* $TERM */
        if (!conn || PQstatus(conn) != CONNECTION_OK) {
            PQfinish(conn);
            conn = s_connect(n);
            if (!conn) {
                wait_ms = 1000; /* the database is away: messages wait in it */
                continue;
            }
        }
        s_woken(conn); /* this round takes what they announced */
        int got = s_round(n, conn, rpc, multi);
        if (got < 0)
            pk_log_warn(n->log, "sender: a round failed (%s); its messages are claimed again when their lease ends",
                        pk_strerror(got));
        /* A full round: there may be more; a notice meanwhile: there is. */
        wait_ms = got == n->concurrency || (got >= 0 && s_woken(conn)) ? 0 : n->poll_ms;
    }
    PQfinish(conn);
    notify_multi_destroy(&multi);
    notify_templates_clear(n);
    pk_rpc_client_destroy(&rpc);
}

notify_worker_t *notify_worker_new(notification_t *n)
{
    notify_worker_t *w = pk_calloc(1, sizeof *w);
    w->n = n;
    w->actor = zactor_new(s_actor, w);
    return w;
}

void notify_worker_destroy(notify_worker_t **w_p)
{
    if (!w_p || !*w_p)
        return;
    zactor_destroy(&(*w_p)->actor);
    free(*w_p);
    *w_p = NULL;
}
