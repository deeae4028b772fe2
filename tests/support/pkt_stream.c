/* pkt_stream.c -- a live HTTP stream (Server-Sent Events) read by a thread
 * of its own, so that a test waits for what arrives, never for a time. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pelukan/util.h"
#include "pktest.h"

struct pkt_stream {
    int port;
    char *path;
    char **headers; /* NULL-terminated copy */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char *body; /* what arrived, NUL-terminated; under `lock` */
    size_t len, cap;
    char head[4096]; /* the response's header lines */
    size_t head_len;
    int status;       /* under `lock`; 0 until the headers are in */
    bool ended;       /* the transfer is over (server, error or close) */
    atomic_bool stop; /* the test hangs up */
};

static size_t s_on_header(char *data, size_t size, size_t n, void *arg)
{
    pkt_stream_t *s = arg;
    size_t len = size * n;
    pthread_mutex_lock(&s->lock);
    if (s->head_len + len < sizeof s->head) {
        memcpy(s->head + s->head_len, data, len);
        s->head_len += len;
        s->head[s->head_len] = '\0';
    }
    pthread_mutex_unlock(&s->lock);
    return len;
}

static size_t s_on_data(char *data, size_t size, size_t n, void *arg)
{
    pkt_stream_t *s = arg;
    size_t len = size * n;
    pthread_mutex_lock(&s->lock);
    if (s->len + len + 1 > s->cap) {
        s->cap = (s->len + len + 1) * 2;
        s->body = pk_realloc(s->body, s->cap);
    }
    memcpy(s->body + s->len, data, len);
    s->len += len;
    s->body[s->len] = '\0';
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    return atomic_load(&s->stop) ? 0 : len;
}

/* Called often while the transfer runs, data or not: how the test's
 * hang-up reaches a quiet stream. */
static int s_on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    pkt_stream_t *s = arg;
    (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&s->stop) ? 1 : 0;
}

static void *s_run(void *arg)
{
    pkt_stream_t *s = arg;
    CURL *c = curl_easy_init();
    char url[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->port, s->path);
    struct curl_slist *hl = NULL;
    for (char **h = s->headers; *h; h++)
        hl = curl_slist_append(hl, *h);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, s_on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    /* No overall timeout: the test closes the stream when it has seen
     * what it waits for; a deadline bounds every wait instead. */
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    (void)rc;
    pthread_mutex_lock(&s->lock);
    s->status = (int)status;
    s->ended = true;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return NULL;
}

pkt_stream_t *pkt_stream_open(int port, const char *path, const char *const *headers)
{
    pkt_stream_t *s = pk_calloc(1, sizeof *s);
    s->port = port;
    s->path = pk_strdup(path);
    size_t n = 0;
    while (headers && headers[n])
        n++;
    s->headers = pk_calloc(n + 1, sizeof *s->headers);
    for (size_t i = 0; i < n; i++)
        s->headers[i] = pk_strdup(headers[i]);
    s->body = pk_calloc(1, 1);
    s->cap = 1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->changed, NULL);
    cr_assert_eq(pthread_create(&s->thread, NULL, s_run, s), 0);
    return s;
}

static void s_deadline(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* The status line is in once a header line has come; curl knows the code
 * from then on, but only in its own thread: read it from the text. */
static int s_status_locked(const pkt_stream_t *s)
{
    if (s->status)
        return s->status;
    const char *line = strstr(s->head, "HTTP/");
    const char *blank = strstr(s->head, "\r\n\r\n");
    if (!line || !blank)
        return 0; /* not every header yet */
    const char *sp = strchr(line, ' ');
    return sp ? atoi(sp + 1) : 0;
}

int pkt_stream_status(pkt_stream_t *s, int timeout_ms)
{
    struct timespec ts;
    s_deadline(&ts, timeout_ms);
    pthread_mutex_lock(&s->lock);
    int st;
    while ((st = s_status_locked(s)) == 0 && !s->ended)
        if (pthread_cond_timedwait(&s->changed, &s->lock, &ts) != 0)
            break;
    st = s_status_locked(s);
    pthread_mutex_unlock(&s->lock);
    return st;
}

static int s_count_locked(const pkt_stream_t *s, const char *needle)
{
    int n = 0;
    size_t nl = strlen(needle);
    for (const char *p = s->body; (p = strstr(p, needle)); p += nl)
        n++;
    return n;
}

int pkt_stream_count(pkt_stream_t *s, const char *needle)
{
    pthread_mutex_lock(&s->lock);
    int n = s_count_locked(s, needle);
    pthread_mutex_unlock(&s->lock);
    return n;
}

int pkt_stream_wait(pkt_stream_t *s, const char *needle, int count, int timeout_ms)
{
    struct timespec ts;
    s_deadline(&ts, timeout_ms);
    pthread_mutex_lock(&s->lock);
    int n;
    while ((n = s_count_locked(s, needle)) < count && !s->ended)
        if (pthread_cond_timedwait(&s->changed, &s->lock, &ts) != 0)
            break;
    n = s_count_locked(s, needle);
    pthread_mutex_unlock(&s->lock);
    return n;
}

bool pkt_stream_ended(pkt_stream_t *s, int timeout_ms)
{
    struct timespec ts;
    s_deadline(&ts, timeout_ms);
    pthread_mutex_lock(&s->lock);
    while (!s->ended)
        if (pthread_cond_timedwait(&s->changed, &s->lock, &ts) != 0)
            break;
    bool ended = s->ended;
    pthread_mutex_unlock(&s->lock);
    return ended;
}

char *pkt_stream_body(pkt_stream_t *s)
{
    pthread_mutex_lock(&s->lock);
    char *copy = pk_strdup(s->body);
    pthread_mutex_unlock(&s->lock);
    return copy;
}

void pkt_stream_close(pkt_stream_t **s_p)
{
    pkt_stream_t *s = *s_p;
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    bool by_server = s->ended;
    pthread_mutex_unlock(&s->lock);
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    int st = s_status_locked(s);
    /* Cut by the client (timed_out): the last frame may be partial. */
    pkt_record("GET", s->port, s->path, (const char *const *)s->headers, NULL, 0, st, !by_server, s->head, s->body,
               s->len);
    for (char **h = s->headers; *h; h++)
        free(*h);
    free(s->headers);
    free(s->path);
    free(s->body);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
    free(s);
    *s_p = NULL;
}
