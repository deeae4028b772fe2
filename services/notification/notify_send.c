/* notify_send.c -- the channels, over libcurl: an SMS/WhatsApp gateway
 * spoken to with a JSON POST and a bearer token (the message id as the
 * Idempotency-Key, so that a retried call is not delivered twice by a
 * provider that honours it), e-mail over SMTP, Web Push to the browser's
 * push service (encrypted for the browser, notify_webpush.c), and a sink
 * file when no provider is configured (development). All jobs of a batch run at once
 * on one curl multi handle. Logs never carry addresses or texts. */
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "notification.h"
#include "notify_webpush.h"

typedef struct {
    notify_job_t *job;
    CURL *easy;
    struct curl_slist *headers, *rcpt;
    char *payload;
    size_t len, off;
    bool smtp;
} s_transfer_t;

char *notify_render(const char *body, const char *params_json)
{
    json_t *params = params_json ? json_loads(params_json, 0, NULL) : NULL;
    size_t cap = strlen(body) + 256, n = 0;
    char *out = pk_malloc(cap);
    for (const char *p = body; *p;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        const char *value = NULL;
        char number[24]; /* an integer parameter (a count), as text */
        size_t skip = 1;
        if (end && end - p < 40) {
            char name[40];
            snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
            json_t *v = json_object_get(params, name);
            if (json_is_integer(v)) { /* a count */
                snprintf(number, sizeof number, "%lld", (long long)json_integer_value(v));
                value = number;
            } else {
                value = json_string_value(v);
            }
            skip = (size_t)(end - p) + 1;
            if (!value)
                value = "";
        }
        size_t add = value ? strlen(value) : 1;
        if (n + add + 1 > cap) {
            cap = (n + add + 1) * 2;
            out = pk_realloc(out, cap);
        }
        if (value) {
            memcpy(out + n, value, add);
            n += add;
        } else {
            out[n++] = *p;
        }
        p += skip;
    }
    out[n] = '\0';
    json_decref(params);
    return out;
}

static size_t s_read(char *buf, size_t size, size_t nitems, void *arg)
{
    s_transfer_t *t = arg;
    size_t room = size * nitems, left = t->len - t->off, n = left < room ? left : room;
    memcpy(buf, t->payload + t->off, n);
    t->off += n;
    return n;
}

static size_t s_discard(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

static void s_sink(const notification_t *n, notify_job_t *job)
{
    /* The sink holds phone numbers and codes: this user's eyes only. */
    int fd = open(n->sink_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        job->ok = false;
        snprintf(job->detail, sizeof job->detail, "sink_unwritable");
        return;
    }
    json_t *line = json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s}", "at_us", (json_int_t)pk_now_us(), "message_id",
                             job->message_id, "channel", job->channel, "to", job->to, "subject",
                             job->subject && *job->subject ? job->subject : NULL, "text", job->text);
    char *text = json_dumps(line, JSON_COMPACT);
    fprintf(f, "%s\n", text);
    free(text);
    json_decref(line);
    job->ok = fclose(f) == 0;
    snprintf(job->detail, sizeof job->detail, job->ok ? "sink" : "sink_unwritable");
}

static bool s_http_setup(const notification_t *n, s_transfer_t *t)
{
    notify_job_t *job = t->job;
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "message_id", job->message_id, "channel", job->channel, "to",
                             job->to, "text", job->text);
    t->payload = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    char auth[600], idem[96];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", n->sms_token);
    snprintf(idem, sizeof idem, "Idempotency-Key: %s", job->message_id);
    t->headers = curl_slist_append(NULL, "Content-Type: application/json");
    t->headers = curl_slist_append(t->headers, auth);
    t->headers = curl_slist_append(t->headers, idem);
    curl_easy_setopt(t->easy, CURLOPT_URL, n->sms_url);
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->payload);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, s_discard);
    return true;
}

/* A push: {"title","body"} encrypted for the subscription, POSTed to its
 * endpoint with the VAPID header; kept an hour by the push service. */
static bool s_push_setup(const notification_t *n, s_transfer_t *t)
{
    notify_job_t *job = t->job;
    json_t *j = json_pack("{s:s, s:s}", "title", "PELUKAN", "body", job->text);
    char *plain = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    size_t len = 0;
    uint8_t *body = notify_webpush_encrypt(job->push_p256dh, job->push_auth, plain, &len);
    free(plain);
    char vapid[1200] = "Authorization: ";
    if (!body || !notify_vapid_header(n->vapid, job->to, vapid + strlen(vapid), sizeof vapid - strlen(vapid))) {
        free(body);
        job->ok = false;
        job->permanent = true;
        snprintf(job->detail, sizeof job->detail, "push_keys");
        return false;
    }
    t->payload = (char *)body;
    t->len = len;
    t->headers = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    t->headers = curl_slist_append(t->headers, "Content-Encoding: aes128gcm");
    t->headers = curl_slist_append(t->headers, "TTL: 3600");
    t->headers = curl_slist_append(t->headers, "Urgency: high");
    t->headers = curl_slist_append(t->headers, vapid);
    curl_easy_setopt(t->easy, CURLOPT_URL, job->to);
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->payload);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE, (long)t->len);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, s_discard);
    /* The endpoint is the browser's: no redirect followed, https only
     * unless the deployment allowed plain text (the local stand-ins). */
    curl_easy_setopt(t->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, n->plaintext ? "http,https" : "https");
    return true;
}

static bool s_smtp_setup(const notification_t *n, s_transfer_t *t)
{
    notify_job_t *job = t->job;
    char *list = pk_strdup(job->to), *save = NULL;
    for (char *a = strtok_r(list, ",", &save); a; a = strtok_r(NULL, ",", &save))
        t->rcpt = curl_slist_append(t->rcpt, a);
    free(list);
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    t->payload =
        pk_asprintf("Date: %s\r\nFrom: %s\r\nTo: undisclosed-recipients:;\r\nMessage-ID: <%s@pelukan>\r\n"
                    "Subject: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n%s\r\n",
                    date, n->smtp_from, job->message_id, job->subject ? job->subject : "", job->text);
    t->len = strlen(t->payload);
    t->smtp = true;
    curl_easy_setopt(t->easy, CURLOPT_URL, n->smtp_url);
    /* STARTTLS required (or smtps://), unless the relay is a local stand-in. */
    curl_easy_setopt(t->easy, CURLOPT_USE_SSL, n->plaintext ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
    curl_easy_setopt(t->easy, CURLOPT_MAIL_FROM, n->smtp_from);
    curl_easy_setopt(t->easy, CURLOPT_MAIL_RCPT, t->rcpt);
    curl_easy_setopt(t->easy, CURLOPT_READFUNCTION, s_read);
    curl_easy_setopt(t->easy, CURLOPT_READDATA, t);
    curl_easy_setopt(t->easy, CURLOPT_UPLOAD, 1L);
    return true;
}

/* A finished transfer's outcome. 4xx other than 408 and 429 is permanent:
 * the provider refused this message and will refuse it again. */
static void s_outcome(s_transfer_t *t, CURLcode rc)
{
    notify_job_t *job = t->job;
    long code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    if (t->smtp) {
        job->ok = rc == CURLE_OK;
        job->permanent = code >= 500 && code < 600; /* SMTP 5xx: permanent */
        if (rc == CURLE_OK)
            snprintf(job->detail, sizeof job->detail, "smtp_%ld", code ? code : 250);
        else if (code)
            snprintf(job->detail, sizeof job->detail, "smtp_%ld", code);
        else
            snprintf(job->detail, sizeof job->detail, "curl_%d", (int)rc);
        return;
    }
    if (rc != CURLE_OK) {
        job->ok = false;
        snprintf(job->detail, sizeof job->detail, rc == CURLE_OPERATION_TIMEDOUT ? "timeout" : "curl_%d", (int)rc);
        return;
    }
    snprintf(job->detail, sizeof job->detail, "http_%ld", code);
    job->ok = code >= 200 && code < 300;
    job->permanent = code >= 400 && code < 500 && code != 408 && code != 429;
}

CURLM *notify_multi_new(const notification_t *n)
{
    CURLM *multi = curl_multi_init();
    /* A connection to each provider per send at once, kept between rounds. */
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)n->concurrency);
    return multi;
}

void notify_multi_destroy(CURLM **multi_p)
{
    if (!multi_p || !*multi_p)
        return;
    curl_multi_cleanup(*multi_p);
    *multi_p = NULL;
}

void notify_send(const notification_t *n, CURLM *multi, notify_job_t *jobs, size_t njobs)
{
    s_transfer_t *ts = pk_calloc(njobs ? njobs : 1, sizeof *ts);
    size_t active = 0;
    for (size_t i = 0; i < njobs; i++) {
        notify_job_t *job = &jobs[i];
        bool email = strcmp(job->channel, "email") == 0, push = strcmp(job->channel, "push") == 0;
        const char *url = email ? n->smtp_url : push ? job->to : n->sms_url;
        if (!url || !*url) {
            s_sink(n, job);
            continue;
        }
        s_transfer_t *t = &ts[i];
        t->job = job;
        t->easy = curl_easy_init();
        curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
        curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, (long)n->timeout_ms);
        curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(n->timeout_ms < 3000 ? n->timeout_ms : 3000));
        if (!(email ? s_smtp_setup(n, t) : push ? s_push_setup(n, t) : s_http_setup(n, t))) {
            curl_easy_cleanup(t->easy);
            t->easy = NULL;
            continue;
        }
        curl_multi_add_handle(multi, t->easy);
        active++;
    }
    int running = (int)active;
    while (running > 0) {
        curl_multi_perform(multi, &running);
        if (running > 0)
            curl_multi_poll(multi, NULL, 0, 200, NULL);
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        s_transfer_t *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        s_outcome(t, msg->data.result);
    }
    for (size_t i = 0; i < njobs; i++) {
        s_transfer_t *t = &ts[i];
        if (!t->easy)
            continue;
        curl_multi_remove_handle(multi, t->easy);
        curl_easy_cleanup(t->easy);
        curl_slist_free_all(t->headers);
        curl_slist_free_all(t->rcpt);
        if (t->payload) {
            memset(t->payload, 0, t->len ? t->len : strlen(t->payload)); /* it held the address and the text */
            free(t->payload);
        }
    }
    free(ts);
}
