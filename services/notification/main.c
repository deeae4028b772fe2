/* main.c -- the PELUKAN notification service: its settings, the SendOtp
 * command, the events that become messages, and the shared main. A
 * message is a row written in the transaction that took the command or
 * consumed the event (with the subscriber's offsets), so none is lost; the
 * sender thread (notify_worker.c) delivers it. */
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notification.h"
#include "notify_webpush.h"

#ifndef PK_DEFAULT_VAR_DIR
#define PK_DEFAULT_VAR_DIR "var"
#endif

static const pk_config_def_t s_settings[] = {
    {"PELUKAN_NOTIFICATION_SMS_URL", PK_CFG_STRING, "",
     "SMS/WhatsApp gateway: JSON POST {message_id, channel, to, text}; empty: the sink file", NULL, 0, 0},
    {"PELUKAN_NOTIFICATION_SMS_TOKEN", PK_CFG_SECRET, "", "bearer token of the gateway", NULL, 0, 0},
    {"PELUKAN_NOTIFICATION_SMTP_URL", PK_CFG_STRING, "",
     "SMTP server for staff e-mail (smtp://host:port); empty: the sink file", NULL, 0, 0},
    {"PELUKAN_NOTIFICATION_PLAINTEXT", PK_CFG_BOOL, "false",
     "allow an http:// gateway and SMTP without TLS (a provider stand-in or relay on this host only)", NULL, 0, 0},
    {"PELUKAN_NOTIFICATION_SMTP_FROM", PK_CFG_STRING, "pelukan@localhost", "sender address of staff e-mail", NULL, 0,
     0},
    {"PELUKAN_NOTIFICATION_SINK_FILE", PK_CFG_STRING, PK_DEFAULT_VAR_DIR "/notification-sink.jsonl",
     "development: where messages go when a channel has no provider (holds phone numbers and codes)", NULL, 0, 0},
    {"PELUKAN_NOTIFICATION_MAX_ATTEMPTS", PK_CFG_INT, "8", "attempts before a message is dead-lettered", NULL, 1, 100},
    {"PELUKAN_NOTIFICATION_BACKOFF_MS", PK_CFG_INT, "2000", "first retry delay; doubles each attempt, with jitter",
     NULL, 10, 3600000},
    {"PELUKAN_NOTIFICATION_BACKOFF_MAX_MS", PK_CFG_INT, "900000", "longest retry delay", NULL, 10, 86400000},
    {"PELUKAN_NOTIFICATION_LEASE_S", PK_CFG_INT, "60",
     "a message being sent is claimed again after this if its sender died", NULL, 1, 3600},
    {"PELUKAN_NOTIFICATION_SAFE_RECHECK_S", PK_CFG_INT, "300",
     "a message waiting for the reporter's safe hours is looked at again after this", NULL, 1, 86400},
    {"PELUKAN_NOTIFICATION_CONCURRENCY", PK_CFG_INT, "32", "messages sent at once", NULL, 1, 1000},
    {"PELUKAN_NOTIFICATION_TIMEOUT_MS", PK_CFG_INT, "5000", "a provider call's time limit", NULL, 100, 120000},
    {"PELUKAN_NOTIFICATION_OTP_MAX_AGE_S", PK_CFG_INT, "600",
     "a one-time code not delivered by then is dropped (it would arrive expired)", NULL, 30, 86400},
    {"PELUKAN_NOTIFICATION_URGENT_COALESCE_S", PK_CFG_INT, "300",
     "after an urgent-report mail to the admins, the next waits this long and counts the reports meanwhile", NULL, 0,
     86400},
    {"PELUKAN_NOTIFICATION_POLL_MS", PK_CFG_INT, "50", "how often the sender looks for due messages", NULL, 5, 60000},
    {"PELUKAN_NOTIFICATION_VAPID_KEY_FILE", PK_CFG_STRING, "",
     "Web Push: the VAPID private key (P-256, PEM: openssl ecparam -name prime256v1 -genkey -noout); empty: no push,"
     " staff alerts go by SMS",
     NULL, 0, 0},
    {"PELUKAN_NOTIFICATION_VAPID_SUBJECT", PK_CFG_STRING, "mailto:pelukan@localhost",
     "Web Push: how a push service may reach the office about its pushes", NULL, 0, 0},
    {"PELUKAN_NOTIFICATION_PUSH_HOSTS", PK_CFG_STRING,
     "fcm.googleapis.com,updates.push.services.mozilla.com,web.push.apple.com",
     "Web Push: the push services a browser's subscription may name (hosts, comma-separated)", NULL, 0, 0},
    PK_CONFIG_END,
};

/* ---- messages --------------------------------------------------------------- */

/* Adds a message (once per source) in the caller's transaction. */
static int s_message(PGconn *conn, notification_t *n, const char *source, const char *audience, const char *recipient,
                     const char *case_id, const char *template_code, const char *channel, json_t *params)
{
    char id[PK_ID_HEX_LEN + 1];
    pk_id_new(id);
    char *ptext = json_dumps(params ? params : json_object(), JSON_COMPACT);
    json_decref(params);
    const char *p[] = {id, source, audience, recipient, case_id, template_code, channel, ptext};
    int rc = pk_pg_run(conn, n->log,
                       "INSERT INTO message (id, source, audience, recipient, case_id, template_code, channel, params)"
                       " VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6, $7, $8::jsonb) ON CONFLICT (source) DO NOTHING",
                       8, p);
    free(ptext);
    return rc;
}

/* One alert of urgent reports to `recipient` of `audience` by `channel`
 * (review M7: never one per report). The first in a while goes at once;
 * the next within PELUKAN_NOTIFICATION_URGENT_COALESCE_S of the last to
 * the same recipient waits until then, and the reports meanwhile join it:
 * one message with a count and their kecamatan. No case (it may name
 * several), nothing personal. */
static int s_urgent_to(PGconn *conn, notification_t *n, const char *source, const char *audience, const char *recipient,
                       const char *template_code, const char *channel, const char *kecamatan)
{
    char id[PK_ID_HEX_LEN + 1], window[16];
    pk_id_new(id);
    snprintf(window, sizeof window, "%d", n->urgent_coalesce_s);
    const char *p[] = {id, source, kecamatan, window, audience, recipient, template_code, channel};
    return pk_pg_run(
        conn, n->log,
        "WITH waiting AS (SELECT id FROM message WHERE template_code = $7 AND audience = $5"
        "   AND recipient = $6 AND state = 'pending' AND attempts = 0 AND next_attempt_at > now()"
        "   ORDER BY created_at DESC LIMIT 1 FOR UPDATE),"
        " joined AS (UPDATE message m SET params = jsonb_build_object("
        "   'count', coalesce((m.params->>'count')::int, 1) + 1,"
        "   'kecamatan', CASE WHEN $3 = ANY (string_to_array(m.params->>'kecamatan', ', ')) THEN m.params->>'kecamatan'"
        "     ELSE (m.params->>'kecamatan') || ', ' || $3 END)"
        "   FROM waiting w WHERE m.id = w.id RETURNING m.id)"
        " INSERT INTO message (id, source, audience, recipient, template_code, channel, params, next_attempt_at)"
        " SELECT $1, $2, $5, $6, $7, $8, jsonb_build_object('count', 1, 'kecamatan', $3),"
        "   greatest(now(), (SELECT max(created_at) FROM message WHERE template_code = $7"
        "     AND audience = $5 AND recipient = $6) + make_interval(secs => $4::int))"
        " WHERE NOT EXISTS (SELECT 1 FROM joined) ON CONFLICT (source) DO NOTHING",
        8, p);
}

/* Runs `fn` for each admin on duty (issue 22 §1) with the message source
 * "<event>:duty:<admin>", until one fails. */
typedef int (*s_duty_fn)(PGconn *conn, notification_t *n, const char *source, const char *staff_id, void *arg);
static int s_each_on_duty(PGconn *conn, notification_t *n, const char *eid, s_duty_fn fn, void *arg)
{
    PGresult *r = pk_pg_exec(conn, n->log, "SELECT staff_id FROM admin_on_duty ORDER BY staff_id", 0, NULL);
    if (!r)
        return PK_EDB;
    int rc = 0;
    char source[80];
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        snprintf(source, sizeof source, "%s:duty:%.32s", eid, PQgetvalue(r, i, 0));
        rc = fn(conn, n, source, PQgetvalue(r, i, 0), arg);
    }
    PQclear(r);
    return rc;
}

static int s_urgent_duty(PGconn *conn, notification_t *n, const char *source, const char *staff_id, void *kecamatan)
{
    return s_urgent_to(conn, n, source, "staff", staff_id, "urgent_report_sms", "sms", kecamatan);
}

/* An urgent report: mailed to every admin, texted to each admin on duty
 * (issue 22 §1), by the kecamatan's name. */
static int s_urgent(PGconn *conn, notification_t *n, const char *eid, const Pelukan__V1__ReportSubmitted *rs)
{
    const char *kecamatan = rs->kecamatan_name[0] ? rs->kecamatan_name : rs->kecamatan_code;
    char source[80];
    snprintf(source, sizeof source, "%s:admins", eid);
    int rc = s_urgent_to(conn, n, source, "role", "admin", "urgent_report", "email", kecamatan);
    return rc ? rc : s_each_on_duty(conn, n, eid, s_urgent_duty, (void *)kecamatan);
}

typedef struct {
    const char *case_id, *id, *en;
} s_reach_t;

static int s_reach_duty(PGconn *conn, notification_t *n, const char *source, const char *staff_id, void *arg)
{
    const s_reach_t *r = arg;
    return s_message(conn, n, source, "staff", staff_id, r->case_id, "reach_requested_sms", "sms",
                     json_pack("{s:s, s:s}", "alasan", r->id, "reason", r->en));
}

/* A companion asks the office to reach the reporter (issue 22 §3): every
 * admin mailed, each admin on duty texted, the why in words. */
static int s_reach(PGconn *conn, notification_t *n, const char *eid, const char *case_id, const char *reason)
{
    static const struct {
        const char *code, *id, *en;
    } why[] = {
        {"cannot_find_place", "tidak menemukan tempatnya", "cannot find the place"},
        {"arrange_meeting", "mengatur waktu bertemu", "to arrange a meeting"},
        {"need_information", "perlu keterangan", "needs information"},
        {"reporter_absent", "tidak ada orang di tempat", "nobody at the place"},
        {"other", "alasan lain", "another reason"},
    };
    size_t w = PK_ARRAY_LEN(why) - 1;
    for (size_t i = 0; i < PK_ARRAY_LEN(why); i++)
        if (strcmp(why[i].code, reason) == 0)
            w = i;
    char source[80];
    snprintf(source, sizeof source, "%s:admins", eid);
    int rc = s_message(conn, n, source, "role", "admin", case_id, "reach_requested", "email",
                       json_pack("{s:s, s:s}", "alasan", why[w].id, "reason", why[w].en));
    s_reach_t r = {case_id, why[w].id, why[w].en};
    return rc ? rc : s_each_on_duty(conn, n, eid, s_reach_duty, &r);
}

/* Who is on duty, from intake's account changes. */
static int s_duty(PGconn *conn, notification_t *n, const Pelukan__V1__StaffAccountChanged *a)
{
    const char *p[] = {a->staff_id};
    if (a->change == PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_ON_DUTY)
        return pk_pg_run(conn, n->log, "INSERT INTO admin_on_duty (staff_id) VALUES ($1) ON CONFLICT DO NOTHING", 1, p);
    return pk_pg_run(conn, n->log, "DELETE FROM admin_on_duty WHERE staff_id = $1", 1, p);
}

static const char *s_state_name(Pelukan__V1__CaseState s)
{
    switch (s) {
    case PELUKAN__V1__CASE_STATE__CASE_STATE_VERIFIED:
        return "diverifikasi";
    case PELUKAN__V1__CASE_STATE__CASE_STATE_REJECTED:
        return "ditolak";
    case PELUKAN__V1__CASE_STATE__CASE_STATE_CLOSED:
        return "selesai";
    default:
        return NULL;
    }
}

/* ---- events -> messages: one small function a kind of event ----------------- */

/* A time in WIB as the messages say it ("05-12-2026 14:30"). */
static void s_wib(uint64_t at_us, char out[32])
{
    time_t at = (time_t)(at_us / 1000000u) + 7 * 3600;
    struct tm tm;
    gmtime_r(&at, &tm);
    strftime(out, 32, "%d-%m-%Y %H:%M", &tm);
}

typedef int (*s_on_fn)(PGconn *conn, notification_t *n, const Pelukan__V1__Envelope *e, const char *eid);

static int s_on_report(PGconn *conn, notification_t *n, const Pelukan__V1__Envelope *e, const char *eid)
{
    return e->report_submitted->urgent ? s_urgent(conn, n, eid, e->report_submitted) : PK_ENOENT;
}

static int s_on_reach(PGconn *conn, notification_t *n, const Pelukan__V1__Envelope *e, const char *eid)
{
    return s_reach(conn, n, eid, e->case_id, e->reporter_contact_requested->reason_code);
}

static int s_on_state(PGconn *conn, notification_t *n, const Pelukan__V1__Envelope *e, const char *eid)
{
    const char *state = s_state_name(e->case_state_changed->to_state);
    if (!state)
        return PK_ENOENT;
    char source[80];
    snprintf(source, sizeof source, "%s:reporter", eid);
    return s_message(conn, n, source, "reporter", "", e->case_id, "case_update", "auto",
                     json_pack("{s:s}", "state", state));
}

static int s_on_assigned(PGconn *conn, notification_t *n, const Pelukan__V1__Envelope *e, const char *eid)
{
    const Pelukan__V1__CompanionAssigned *a = e->companion_assigned;
    char source[80], visit[9];
    snprintf(source, sizeof source, "%s:companion", eid);
    snprintf(visit, sizeof visit, "%s", a->visit_id);
    int rc = s_message(conn, n, source, "staff", a->companion_id, e->case_id, "companion_assigned", "email",
                       json_pack("{s:s}", "visit", visit));
    /* And a text (or a push) to her phone, where she is (issue 22 §3):
     * nothing personal, the app says the rest. */
    snprintf(source, sizeof source, "%s:companion:sms", eid);
    return rc ? rc
              : s_message(conn, n, source, "staff", a->companion_id, e->case_id, "companion_assigned_sms", "sms",
                          json_pack("{s:s}", "visit", visit));
}

static int s_on_referral(PGconn *conn, notification_t *n, const Pelukan__V1__Envelope *e, const char *eid)
{
    char source[80], role[48], ref[9];
    snprintf(source, sizeof source, "%s:agency", eid);
    snprintf(role, sizeof role, "agency:%s", e->referral_created->agency_code);
    snprintf(ref, sizeof ref, "%s", e->referral_created->referral_id);
    return s_message(conn, n, source, "role", role, e->case_id, "referral_received", "email",
                     json_pack("{s:s}", "referral", ref));
}

static int s_on_overdue(PGconn *conn, notification_t *n, const Pelukan__V1__Envelope *e, const char *eid)
{
    char source[80], ref[9];
    snprintf(source, sizeof source, "%s:admins", eid);
    snprintf(ref, sizeof ref, "%s", e->referral_overdue->referral_id);
    return s_message(conn, n, source, "role", "admin", e->case_id, "referral_overdue", "email",
                     json_pack("{s:s}", "referral", ref));
}

static int s_on_deadline(PGconn *conn, notification_t *n, const Pelukan__V1__Envelope *e, const char *eid)
{
    const Pelukan__V1__DeadlineEvent *d = e->deadline;
    bool risk = d->status == PELUKAN__V1__DEADLINE_EVENT__STATUS__STATUS_AT_RISK,
         breached = d->status == PELUKAN__V1__DEADLINE_EVENT__STATUS__STATUS_BREACHED;
    if (!risk && !breached)
        return PK_ENOENT;
    const char *what = d->kind == PELUKAN__V1__DEADLINE_EVENT__KIND__KIND_SERVICE_ONE_DAY ? "rujukan dalam 1 hari"
                       : d->kind == PELUKAN__V1__DEADLINE_EVENT__KIND__KIND_TPKS_POLICE_72H
                           ? "lapor polisi 3x24 jam (UU TPKS)"
                           : "3x24 jam (UU PDP)";
    /* The due time in WIB, and a short case reference (not the ticket). */
    char source[80], when[32], ref[9];
    s_wib(d->due_at_us, when);
    snprintf(ref, sizeof ref, "%s", e->case_id);
    snprintf(source, sizeof source, "%s:admins", eid);
    return s_message(conn, n, source, "role", "admin", e->case_id, risk ? "deadline_at_risk" : "deadline_breached",
                     "email", json_pack("{s:s, s:s, s:s}", "deadline", what, "case", ref, "due", when));
}

/* Every supervisor hears, in time to stop it (N1). */
static int s_on_erasure(PGconn *conn, notification_t *n, const Pelukan__V1__Envelope *e, const char *eid)
{
    const Pelukan__V1__ErasureScheduled *es = e->erasure_scheduled;
    char source[80], when[32], ref[9], req[9];
    s_wib(es->run_at_us, when);
    snprintf(ref, sizeof ref, "%s", e->case_id);
    snprintf(req, sizeof req, "%s", es->erasure_id);
    snprintf(source, sizeof source, "%s:supervisors", eid);
    return s_message(
        conn, n, source, "role", "supervisor", e->case_id, "erasure_scheduled", "email",
        json_pack("{s:s, s:s, s:s, s:s}", "case", ref, "reason", es->reason_code, "at", when, "erasure", req));
}

/* The owner hears of every reset, unlock and lock-out (N1); duty changes
 * say whom to text (issue 22 §1). */
static int s_on_account(PGconn *conn, notification_t *n, const Pelukan__V1__Envelope *e, const char *eid)
{
    const Pelukan__V1__StaffAccountChanged *a = e->staff_account_changed;
    if (a->staff_id[0] && (a->change == PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_ON_DUTY ||
                           a->change == PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_OFF_DUTY ||
                           a->change == PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_DISABLED))
        return s_duty(conn, n, a); /* no mail for these */
    const char *tpl = a->change == PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_PASSWORD_RESET ? "account_reset"
                      : a->change == PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_UNLOCKED   ? "account_unlocked"
                      : a->change == PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_LOCKED_OUT ? "account_locked"
                                                                                                   : NULL;
    if (!tpl || !a->staff_id[0])
        return PK_ENOENT;
    char source[80], when[32], by[48];
    s_wib(e->occurred_at_us, when);
    /* Who, as a role and a short id the supervisors can look up. */
    snprintf(by, sizeof by, "%s %.8s", e->actor && e->actor->role[0] ? e->actor->role : "sistem",
             e->actor ? e->actor->id : "");
    snprintf(source, sizeof source, "%s:owner", eid);
    int rc = s_message(conn, n, source, "staff", a->staff_id, "", tpl, "email",
                       json_pack("{s:s, s:s}", "at", when, "by", by));
    if (rc != 0 || a->change != PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_LOCKED_OUT)
        return rc;
    /* A lock-out may be someone keeping the staff out (review N6): the
     * supervisors hear of it too, with the account's role and short id. */
    char who[48];
    snprintf(who, sizeof who, "%s %.8s", a->role, a->staff_id);
    snprintf(source, sizeof source, "%s:supervisors", eid);
    return s_message(conn, n, source, "role", "supervisor", "", "account_locked_supervisors", "email",
                     json_pack("{s:s, s:s}", "at", when, "who", who));
}

/* Erased: the case's messages go, sent or not, with their attempts. */
static int s_on_erased(PGconn *conn, notification_t *n, const Pelukan__V1__Envelope *e, const char *eid)
{
    (void)eid;
    const char *p[] = {e->case_id};
    if (!e->case_id[0])
        return PK_ENOENT;
    if (pk_pg_run(conn, n->log, "DELETE FROM attempt WHERE message_id IN (SELECT id FROM message WHERE case_id = $1)",
                  1, p) != 0 ||
        pk_pg_run(conn, n->log, "DELETE FROM message WHERE case_id = $1", 1, p) != 0 ||
        pk_outbox_redact_case(conn, n->log, "notification", e->case_id) != 0)
        return PK_EDB;
    return 0;
}

/* What each kind of event becomes; the others are not notification's. */
static const struct {
    Pelukan__V1__Envelope__PayloadCase kind;
    s_on_fn on;
} s_events[] = {
    {PELUKAN__V1__ENVELOPE__PAYLOAD_REPORT_SUBMITTED, s_on_report},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_REPORTER_CONTACT_REQUESTED, s_on_reach},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_STATE_CHANGED, s_on_state},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_ASSIGNED, s_on_assigned},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_CREATED, s_on_referral},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_REFERRAL_OVERDUE, s_on_overdue},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_DEADLINE, s_on_deadline},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_ERASURE_SCHEDULED, s_on_erasure},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_STAFF_ACCOUNT_CHANGED, s_on_account},
    {PELUKAN__V1__ENVELOPE__PAYLOAD_CASE_ERASED, s_on_erased},
};

static int s_apply(PGconn *conn, const pk_bus_event_t *ev, void *arg)
{
    const Pelukan__V1__Envelope *e = ev->envelope;
    char eid[33];
    pk_hex(e->event_id.data, e->event_id.len < 16 ? e->event_id.len : 16, eid);
    for (size_t i = 0; i < PK_ARRAY_LEN(s_events); i++)
        if (s_events[i].kind == e->payload_case)
            return s_events[i].on(conn, arg, e, eid);
    return PK_ENOENT;
}

/* Security review N8: a SendOtp carries a one-time code (six digits) for
 * an Indonesian mobile number (+62 8..., 9 to 12 digits after +62), and
 * nothing else: the command cannot be used to send other text, or to
 * other numbers. */
static bool s_otp_ok(const char *phone, const char *code)
{
    size_t cl = strlen(code), pl = strlen(phone);
    return cl == 6 && strspn(code, "0123456789") == 6 && pl >= 12 && pl <= 15 && strncmp(phone, "+628", 4) == 0 &&
           strspn(phone + 1, "0123456789") == pl - 1;
}

/* SendOtp: the phone and the code are sealed in the row (its own key,
 * wrapped by the master key) and wiped once sent or dead. */
static int s_command(PGconn *conn, const Pelukan__V1__CommandRequest *req, Pelukan__V1__CommandReply *reply, void *arg)
{
    notification_t *n = arg;
    if (req->command_case != PELUKAN__V1__COMMAND_REQUEST__COMMAND_SEND_OTP) {
        reply->status = PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID;
        reply->error_code = "unknown_command";
        return PK_RPC_READ_ONLY;
    }
    const Pelukan__V1__SendOtp *o = req->send_otp;
    if (!s_otp_ok(o->phone_e164, o->code)) {
        reply->status = PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID;
        reply->error_code = "invalid_value";
        return PK_RPC_READ_ONLY;
    }
    char id[PK_ID_HEX_LEN + 1], ctx[64];
    pk_id_new(id);
    snprintf(ctx, sizeof ctx, "message:%s", id);
    json_t *secret = json_pack("{s:s, s:s}", "phone", o->phone_e164, "code", o->code);
    char *plain = json_dumps(secret, JSON_COMPACT);
    json_decref(secret);
    size_t len = strlen(plain);
    uint8_t key[PK_DATAKEY_BYTES], wrapped[PK_WRAPPED_KEY_BYTES];
    pk_datakey_new(n->keys, ctx, key, wrapped);
    char *shex = pk_pg_sealed(key, ctx, plain, len), *whex = pk_pg_bytea(wrapped, sizeof wrapped);
    sodium_memzero(key, sizeof key);
    sodium_memzero(plain, len);
    free(plain);
    char cmd[33];
    pk_hex(req->command_id.data, 16, cmd);
    const char *p[] = {id, cmd, whex, shex};
    PGresult *r = pk_pg_exec_prepared(&n->stmts, conn, n->log,
                                      "INSERT INTO message (id, source, audience, template_code, channel, wrapped_key,"
                                      " secret_sealed) VALUES ($1, 'otp:' || $2, 'otp', 'otp', 'sms', $3::bytea,"
                                      " $4::bytea)",
                                      4, p);
    free(whex);
    free(shex);
    if (!r)
        return PK_EDB;
    PQclear(r);
    return 0;
}

/* ---- life ----------------------------------------------------------------------- */

static void s_metrics(notification_t *n, pk_metrics_t *m)
{
    n->m_sent = pk_metrics_counter(m, "pelukan_notification_sent_total", NULL, "messages delivered to a provider");
    n->m_retried = pk_metrics_counter(m, "pelukan_notification_retried_total", NULL, "attempts to be retried");
    n->m_dead = pk_metrics_counter(m, "pelukan_notification_dead_total", NULL, "messages dead-lettered");
    n->m_deferred = pk_metrics_counter(m, "pelukan_notification_deferred_total", NULL,
                                       "messages held for the reporter's safe hours");
    n->m_in_app = pk_metrics_counter(m, "pelukan_notification_in_app_total", NULL,
                                     "messages kept in the app (phone may be monitored, or the reporter's choice)");
}

/* Web Push, when a VAPID key is given: a key that cannot be read refuses
 * the start. */
static int s_push(notification_t *n, const pk_config_t *cfg)
{
    n->push_hosts = pk_config_str(cfg, "PELUKAN_NOTIFICATION_PUSH_HOSTS");
    const char *vapid = pk_config_str(cfg, "PELUKAN_NOTIFICATION_VAPID_KEY_FILE");
    if (!*vapid)
        return 0;
    n->vapid = notify_vapid_load(vapid, pk_config_str(cfg, "PELUKAN_NOTIFICATION_VAPID_SUBJECT"));
    if (!n->vapid) {
        pk_log_error(n->log, "PELUKAN_NOTIFICATION_VAPID_KEY_FILE is not a readable P-256 private key, exiting");
        return PK_ECONFIG;
    }
    pk_log_info(n->log, "Web Push on: public key %s (intake's PELUKAN_INTAKE_PUSH_PUBLIC_KEY must be this)",
                notify_vapid_public(n->vapid));
    return 0;
}

static int s_start(pk_service_t *svc, void **state_p)
{
    notification_t *n = pk_calloc(1, sizeof *n);
    *state_p = n;
    n->svc = svc;
    n->log = pk_service_log(svc);
    n->keys = pk_service_keyring(svc);
    const pk_config_t *cfg = pk_service_config(svc);
    n->urgent_coalesce_s = (int)pk_config_int(cfg, "PELUKAN_NOTIFICATION_URGENT_COALESCE_S");
    n->sms_url = pk_config_str(cfg, "PELUKAN_NOTIFICATION_SMS_URL");
    n->sms_token = pk_config_str(cfg, "PELUKAN_NOTIFICATION_SMS_TOKEN");
    n->smtp_url = pk_config_str(cfg, "PELUKAN_NOTIFICATION_SMTP_URL");
    n->smtp_from = pk_config_str(cfg, "PELUKAN_NOTIFICATION_SMTP_FROM");
    n->plaintext = pk_config_bool(cfg, "PELUKAN_NOTIFICATION_PLAINTEXT");
    /* Codes and alerts travel encrypted unless told otherwise (review L8). */
    if (!n->plaintext && strncmp(n->sms_url, "http://", 7) == 0) {
        pk_log_error(n->log, "PELUKAN_NOTIFICATION_SMS_URL is http://: codes would travel in clear; use https:// "
                             "(or PELUKAN_NOTIFICATION_PLAINTEXT=true for a stand-in on this host), exiting");
        return PK_ECONFIG;
    }
    n->sink_file = pk_config_str(cfg, "PELUKAN_NOTIFICATION_SINK_FILE");
    n->intake_rpc = pk_config_service_str(cfg, "intake", "RPC");
    n->max_attempts = (int)pk_config_int(cfg, "PELUKAN_NOTIFICATION_MAX_ATTEMPTS");
    n->backoff_ms = (int)pk_config_int(cfg, "PELUKAN_NOTIFICATION_BACKOFF_MS");
    n->backoff_max_ms = (int)pk_config_int(cfg, "PELUKAN_NOTIFICATION_BACKOFF_MAX_MS");
    n->lease_s = (int)pk_config_int(cfg, "PELUKAN_NOTIFICATION_LEASE_S");
    n->safe_recheck_s = (int)pk_config_int(cfg, "PELUKAN_NOTIFICATION_SAFE_RECHECK_S");
    n->concurrency = (int)pk_config_int(cfg, "PELUKAN_NOTIFICATION_CONCURRENCY");
    n->timeout_ms = (int)pk_config_int(cfg, "PELUKAN_NOTIFICATION_TIMEOUT_MS");
    n->poll_ms = (int)pk_config_int(cfg, "PELUKAN_NOTIFICATION_POLL_MS");
    n->otp_max_age_s = (int)pk_config_int(cfg, "PELUKAN_NOTIFICATION_OTP_MAX_AGE_S");
    s_metrics(n, pk_service_metrics(svc));
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return PK_ESYS;
    if (!*n->sms_url || !*n->smtp_url)
        pk_log_warn(n->log,
                    "no %s%s%s provider set: those messages go to the sink file %s (development only: it holds "
                    "phone numbers and codes)",
                    *n->sms_url ? "" : "SMS/WhatsApp", !*n->sms_url && !*n->smtp_url ? " or " : "",
                    *n->smtp_url ? "" : "SMTP", n->sink_file);
    int rc = s_push(n, cfg);
    if (rc != 0)
        return rc;
    n->worker = notify_worker_new(n);
    return 0;
}

static void s_stop(pk_service_t *svc, void *state)
{
    (void)svc;
    notification_t *n = state;
    if (!n)
        return;
    notify_worker_destroy(&n->worker);
    notify_vapid_free(&n->vapid);
    curl_global_cleanup();
    free(n);
}

int main(int argc, char **argv)
{
    static const char *const producers[] = {"intake", "dispatch", "referral", NULL};
    static const pk_service_def_t def = {.name = "notification",
                                         .settings = s_settings,
                                         .start = s_start,
                                         .stop = s_stop,
                                         .consumes = producers,
                                         .apply = s_apply,
                                         .command = s_command};
    return pk_service_main(&def, argc, argv);
}
