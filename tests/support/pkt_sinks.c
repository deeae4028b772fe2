/* pkt_sinks.c -- real servers on loopback standing in for the providers:
 * an SMS/WhatsApp HTTP gateway (JSON POSTs, an Idempotency-Key honoured
 * like a provider that dedups: a repeated key is answered 200 and counted,
 * not delivered again) and an SMTP server. Each connection has a thread. */
#include "pkt_sinks.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pelukan/util.h"
#include "pktest.h"

typedef struct {
    char key[64], to[256];
    char *text;
    double at_ms; /* when it arrived (pkt_now_ms) */
} s_entry_t;

typedef struct s_server {
    int fd, port;
    pthread_t thread;
    atomic_bool stop;
    atomic_int active;
    pthread_mutex_t mu;
    void (*serve)(struct s_server *s, int fd);
    s_entry_t *entries;
    int n, cap, requests, duplicates;
    zhashx_t *keys; /* Idempotency-Key -> entry index + 1: a repeat found at once, as a provider would */
    /* gateway behaviour */
    int fail_status, fail_left;
    char refuse_to[64];
    int refuse_status;
    int delay_ms;
    atomic_int in_flight; /* requests taken, not yet answered */
    pkt_push_msg_t *pushes; /* push stand-in */
    int npush, cappush;
} s_server_t;

struct pkt_gateway {
    s_server_t s;
};
struct pkt_smtp {
    s_server_t s;
};
struct pkt_push {
    s_server_t s;
};

typedef struct {
    s_server_t *s;
    int fd;
} s_conn_t;

static void *s_conn_thread(void *arg)
{
    s_conn_t *c = arg;
    c->s->serve(c->s, c->fd);
    close(c->fd);
    atomic_fetch_sub(&c->s->active, 1);
    free(c);
    return NULL;
}

static void *s_accept_thread(void *arg)
{
    s_server_t *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {s->fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0)
            continue;
        s_conn_t *c = pk_calloc(1, sizeof *c);
        c->s = s;
        c->fd = fd;
        atomic_fetch_add(&s->active, 1);
        pthread_t t;
        pthread_create(&t, NULL, s_conn_thread, c);
        pthread_detach(t);
    }
    return NULL;
}

static void s_start(s_server_t *s, void (*serve)(s_server_t *, int))
{
    s->serve = serve;
    pthread_mutex_init(&s->mu, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(s->fd, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(s->fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    listen(s->fd, 128);
    pthread_create(&s->thread, NULL, s_accept_thread, s);
}

static void s_stop(s_server_t *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->fd);
    for (int i = 0; i < 100 && atomic_load(&s->active) > 0; i++)
        usleep(50000);
    for (int i = 0; i < s->n; i++)
        free(s->entries[i].text);
    free(s->entries);
    zhashx_destroy(&s->keys);
    pthread_mutex_destroy(&s->mu);
}

static void s_add(s_server_t *s, const char *key, const char *to, const char *text)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->entries = pk_realloc(s->entries, (size_t)s->cap * sizeof *s->entries);
    }
    s_entry_t *e = &s->entries[s->n++];
    if (key[0]) {
        if (!s->keys)
            s->keys = zhashx_new();
        zhashx_insert(s->keys, key, (void *)(intptr_t)s->n);
    }
    snprintf(e->key, sizeof e->key, "%s", key);
    snprintf(e->to, sizeof e->to, "%s", to);
    e->text = pk_strdup(text);
    e->at_ms = pkt_now_ms();
}

/* Reads until `end` is in the buffer (or the peer is gone). */
static ssize_t s_read_until(int fd, char *buf, size_t cap, size_t *have, const char *end)
{
    while (!memmem(buf, *have, end, strlen(end))) {
        if (*have + 1 >= cap)
            return -1;
        ssize_t r = read(fd, buf + *have, cap - 1 - *have);
        if (r <= 0)
            return -1;
        *have += (size_t)r;
        buf[*have] = '\0';
    }
    return (ssize_t)*have;
}

static const char *s_header(const char *head, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = head; (p = strstr(p, "\r\n")) != NULL; p += 2) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n;
            while (*v == ' ')
                v++;
            size_t len = strcspn(v, "\r\n");
            snprintf(out, cap, "%.*s", (int)len, v);
            return out;
        }
    }
    return NULL;
}

/* ---- the HTTP gateway ------------------------------------------------------------ */

/* One HTTP request in `buf` (64 KiB; *have bytes in it): its body and
 * length, and how many bytes of `buf` it took. false: the peer is gone. */
static bool s_read_request(int fd, char *buf, size_t *have, char **body, size_t *blen, size_t *need)
{
    if (s_read_until(fd, buf, 1 << 16, have, "\r\n\r\n") < 0)
        return false;
    *body = strstr(buf, "\r\n\r\n") + 4;
    char clen[16] = "0";
    s_header(buf, "Content-Length", clen, sizeof clen);
    *blen = (size_t)atol(clen);
    *need = (size_t)(*body - buf) + *blen;
    while (*have < *need) {
        ssize_t r = read(fd, buf + *have, (1 << 16) - 1 - *have);
        if (r <= 0)
            return false;
        *have += (size_t)r;
    }
    return true;
}

static void s_serve_http(s_server_t *s, int fd)
{
    char *buf = pk_malloc(1 << 16);
    size_t have = 0;
    for (;;) {
        char *body;
        size_t need, blen;
        if (!s_read_request(fd, buf, &have, &body, &blen, &need))
            break;
        char key[64] = "";
        s_header(buf, "Idempotency-Key", key, sizeof key);
        json_t *j = json_loadb(body, blen, 0, NULL);
        const char *to = json_string_value(json_object_get(j, "to")),
                   *text = json_string_value(json_object_get(j, "text"));
        int status = 200;
        atomic_fetch_add(&s->in_flight, 1);
        pthread_mutex_lock(&s->mu);
        s->requests++;
        if (!to || !text) {
            status = 400;
        } else if (s->refuse_to[0] && strcmp(s->refuse_to, to) == 0) {
            status = s->refuse_status;
        } else if (s->fail_left > 0) {
            s->fail_left--;
            status = s->fail_status;
        } else {
            bool seen = key[0] && s->keys && zhashx_lookup(s->keys, key);
            if (seen)
                s->duplicates++; /* delivered already: the provider drops the repeat */
            else
                s_add(s, key, to, text);
        }
        int delay = s->delay_ms;
        pthread_mutex_unlock(&s->mu);
        json_decref(j);
        if (delay > 0)
            usleep((useconds_t)delay * 1000u); /* a slow provider: the answer comes late */
        char resp[128];
        int n = snprintf(resp, sizeof resp,
                         "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", status);
        bool written = write(fd, resp, (size_t)n) == n;
        atomic_fetch_sub(&s->in_flight, 1);
        if (!written)
            break;
        memmove(buf, buf + need, have - need);
        have -= need;
        buf[have] = '\0';
    }
    free(buf);
}

pkt_gateway_t *pkt_gateway_start(void)
{
    pkt_gateway_t *g = pk_calloc(1, sizeof *g);
    s_start(&g->s, s_serve_http);
    return g;
}

int pkt_gateway_port(const pkt_gateway_t *g)
{
    return g->s.port;
}

void pkt_gateway_fail(pkt_gateway_t *g, int status, int count)
{
    pthread_mutex_lock(&g->s.mu);
    g->s.fail_status = status;
    g->s.fail_left = count;
    pthread_mutex_unlock(&g->s.mu);
}

void pkt_gateway_delay(pkt_gateway_t *g, int ms)
{
    pthread_mutex_lock(&g->s.mu);
    g->s.delay_ms = ms;
    pthread_mutex_unlock(&g->s.mu);
}

int pkt_gateway_in_flight(pkt_gateway_t *g)
{
    return atomic_load(&g->s.in_flight);
}

void pkt_gateway_refuse(pkt_gateway_t *g, const char *to, int status)
{
    pthread_mutex_lock(&g->s.mu);
    snprintf(g->s.refuse_to, sizeof g->s.refuse_to, "%s", to);
    g->s.refuse_status = status;
    pthread_mutex_unlock(&g->s.mu);
}

static int s_count(s_server_t *s, const char *to, char *text, size_t cap)
{
    int n = 0;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n; i++)
        if (!to || strstr(s->entries[i].to, to)) {
            n++;
            if (text)
                snprintf(text, cap, "%s", s->entries[i].text);
        }
    pthread_mutex_unlock(&s->mu);
    return n;
}

int pkt_gateway_delivered(pkt_gateway_t *g, const char *to, char *text, size_t cap)
{
    return s_count(&g->s, to, text, cap);
}

int pkt_gateway_arrivals(pkt_gateway_t *g, const char *to, double *at_ms, int cap)
{
    int n = 0;
    pthread_mutex_lock(&g->s.mu);
    for (int i = 0; i < g->s.n && n < cap; i++)
        if (!to || strstr(g->s.entries[i].to, to))
            at_ms[n++] = g->s.entries[i].at_ms;
    pthread_mutex_unlock(&g->s.mu);
    return n;
}

bool pkt_gateway_arrival_of(pkt_gateway_t *g, const char *key, double *at_ms)
{
    pthread_mutex_lock(&g->s.mu);
    intptr_t i = g->s.keys ? (intptr_t)zhashx_lookup(g->s.keys, key) : 0;
    if (i)
        *at_ms = g->s.entries[i - 1].at_ms;
    pthread_mutex_unlock(&g->s.mu);
    return i != 0;
}

void pkt_gateway_counts(pkt_gateway_t *g, int *requests, int *delivered, int *duplicates)
{
    pthread_mutex_lock(&g->s.mu);
    *requests = g->s.requests;
    *delivered = g->s.n;
    *duplicates = g->s.duplicates;
    pthread_mutex_unlock(&g->s.mu);
}

void pkt_gateway_stop(pkt_gateway_t **g_p)
{
    if (!g_p || !*g_p)
        return;
    s_stop(&(*g_p)->s);
    free(*g_p);
    *g_p = NULL;
}

/* ---- the SMTP server --------------------------------------------------------------- */

static bool s_say(int fd, const char *line)
{
    size_t n = strlen(line);
    return write(fd, line, n) == (ssize_t)n;
}

static void s_serve_smtp(s_server_t *s, int fd)
{
    char *buf = pk_malloc(1 << 16);
    size_t have = 0;
    char rcpt[256] = "";
    if (!s_say(fd, "220 pktest ESMTP\r\n"))
        goto out;
    for (;;) {
        if (s_read_until(fd, buf, 1 << 16, &have, "\r\n") < 0)
            break;
        char *eol = strstr(buf, "\r\n");
        size_t used = (size_t)(eol - buf) + 2;
        char cmd[512];
        snprintf(cmd, sizeof cmd, "%.*s", (int)(eol - buf), buf);
        memmove(buf, buf + used, have - used);
        have -= used;
        buf[have] = '\0';
        if (strncasecmp(cmd, "EHLO", 4) == 0 || strncasecmp(cmd, "HELO", 4) == 0) {
            s_say(fd, "250 pktest\r\n");
        } else if (strncasecmp(cmd, "MAIL FROM", 9) == 0) {
            rcpt[0] = '\0';
            s_say(fd, "250 OK\r\n");
        } else if (strncasecmp(cmd, "RCPT TO", 7) == 0) {
            char *a = strchr(cmd, '<'), *b = a ? strchr(a, '>') : NULL;
            if (a && b)
                snprintf(rcpt + strlen(rcpt), sizeof rcpt - strlen(rcpt), "%s%.*s", rcpt[0] ? "," : "",
                         (int)(b - a - 1), a + 1);
            s_say(fd, "250 OK\r\n");
        } else if (strncasecmp(cmd, "DATA", 4) == 0) {
            s_say(fd, "354 go on\r\n");
            if (s_read_until(fd, buf, 1 << 16, &have, "\r\n.\r\n") < 0)
                break;
            char *end = strstr(buf, "\r\n.\r\n");
            char *data = pk_strndup(buf, (size_t)(end - buf));
            size_t dused = (size_t)(end - buf) + 5;
            memmove(buf, buf + dused, have - dused);
            have -= dused;
            buf[have] = '\0';
            char id[64] = "";
            s_header(data, "Message-ID", id, sizeof id);
            pthread_mutex_lock(&s->mu);
            s->requests++;
            s_add(s, id, rcpt, data);
            pthread_mutex_unlock(&s->mu);
            free(data);
            s_say(fd, "250 queued\r\n");
        } else if (strncasecmp(cmd, "QUIT", 4) == 0) {
            s_say(fd, "221 bye\r\n");
            break;
        } else {
            s_say(fd, "250 OK\r\n");
        }
    }
out:
    free(buf);
}

pkt_smtp_t *pkt_smtp_start(void)
{
    pkt_smtp_t *m = pk_calloc(1, sizeof *m);
    s_start(&m->s, s_serve_smtp);
    return m;
}

int pkt_smtp_port(const pkt_smtp_t *m)
{
    return m->s.port;
}

int pkt_smtp_received(pkt_smtp_t *m, const char *rcpt, char *data, size_t cap)
{
    return s_count(&m->s, rcpt, data, cap);
}

void pkt_smtp_stop(pkt_smtp_t **m_p)
{
    if (!m_p || !*m_p)
        return;
    s_stop(&(*m_p)->s);
    free(*m_p);
    *m_p = NULL;
}

/* ---- the push service --------------------------------------------------------------- */

static void s_serve_push(s_server_t *s, int fd)
{
    char *buf = pk_malloc(1 << 16);
    size_t have = 0;
    for (;;) {
        char *body;
        size_t need, blen;
        if (!s_read_request(fd, buf, &have, &body, &blen, &need))
            break;
        pkt_push_msg_t m = {0};
        sscanf(buf, "POST %255s ", m.path);
        s_header(buf, "Authorization", m.authorization, sizeof m.authorization);
        s_header(buf, "Content-Encoding", m.encoding, sizeof m.encoding);
        s_header(buf, "TTL", m.ttl, sizeof m.ttl);
        m.len = blen;
        m.body = pk_malloc(m.len ? m.len : 1);
        memcpy(m.body, body, m.len);
        pthread_mutex_lock(&s->mu);
        s->requests++;
        if (s->npush == s->cappush) {
            s->cappush = s->cappush ? s->cappush * 2 : 16;
            s->pushes = pk_realloc(s->pushes, (size_t)s->cappush * sizeof *s->pushes);
        }
        s->pushes[s->npush++] = m;
        pthread_mutex_unlock(&s->mu);
        static const char resp[] = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
        if (write(fd, resp, sizeof resp - 1) != (ssize_t)(sizeof resp - 1))
            break;
        memmove(buf, buf + need, have - need);
        have -= need;
        buf[have] = '\0';
    }
    free(buf);
}

pkt_push_t *pkt_push_start(void)
{
    pkt_push_t *p = pk_calloc(1, sizeof *p);
    s_start(&p->s, s_serve_push);
    return p;
}

int pkt_push_port(const pkt_push_t *p)
{
    return p->s.port;
}

int pkt_push_received(pkt_push_t *p, pkt_push_msg_t *last)
{
    pthread_mutex_lock(&p->s.mu);
    int n = p->s.npush;
    if (last && n > 0) {
        *last = p->s.pushes[n - 1];
        last->body = pk_malloc(last->len ? last->len : 1);
        memcpy(last->body, p->s.pushes[n - 1].body, last->len);
    }
    pthread_mutex_unlock(&p->s.mu);
    return n;
}

void pkt_push_stop(pkt_push_t **p_p)
{
    if (!*p_p)
        return;
    s_stop(&(*p_p)->s);
    for (int i = 0; i < (*p_p)->s.npush; i++)
        free((*p_p)->s.pushes[i].body);
    free((*p_p)->s.pushes);
    free(*p_p);
    *p_p = NULL;
}
