/* log.c -- one-line records in logfmt or JSON, written with one write(2). */
#include "pelukan/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "pelukan/error.h"
#include "pelukan/util.h"

#define PK_LOG_LINE_MAX 2048

struct pk_log {
    char *service;
    pk_log_level_t min_level;
    pk_log_format_t format;
    int fd;
};

static const char *const s_level_names[] = {"debug", "info", "warn", "error"};

pk_log_t *pk_log_new(const char *service, pk_log_level_t min_level, pk_log_format_t format, int fd)
{
    pk_log_t *self = pk_calloc(1, sizeof *self);
    self->service = pk_strdup(service);
    self->min_level = min_level;
    self->format = format;
    self->fd = fd;
    return self;
}

void pk_log_destroy(pk_log_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->service);
    free(*self_p);
    *self_p = NULL;
}

int pk_log_level_parse(const char *text, pk_log_level_t *out)
{
    for (size_t i = 0; i < PK_ARRAY_LEN(s_level_names); i++) {
        if (strcmp(text, s_level_names[i]) == 0) {
            *out = (pk_log_level_t)i;
            return 0;
        }
    }
    return PK_EINVAL;
}

bool pk_log_enabled(const pk_log_t *self, pk_log_level_t level)
{
    return self && level >= self->min_level;
}

/* The length of the valid UTF-8 sequence at `p` (2 to 4 bytes), or 0. */
static size_t s_utf8_len(const unsigned char *p)
{
    size_t n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n && pk_utf8_valid(p, n) ? n : 0;
}

/* Appends `src` to buf at *pos, escaping quotes, backslashes and control
 * characters, so the value stays inside one quoted string on one line;
 * bytes that are not UTF-8 become U+FFFD, so a JSON line stays JSON
 * (security review L1). */
static void s_append_escaped(char *buf, size_t cap, size_t *pos, const char *src)
{
    for (const unsigned char *p = (const unsigned char *)src; *p && *pos + 8 < cap; p++) {
        if (*p >= 0x80) {
            size_t n = s_utf8_len(p);
            if (n) {
                memcpy(buf + *pos, p, n);
                *pos += n;
                p += n - 1;
            } else {
                *pos += (size_t)snprintf(buf + *pos, cap - *pos, "\\ufffd");
            }
        } else if (*p == '"' || *p == '\\') {
            buf[(*pos)++] = '\\';
            buf[(*pos)++] = (char)*p;
        } else if (*p == '\n') {
            buf[(*pos)++] = '\\';
            buf[(*pos)++] = 'n';
        } else if (*p < 0x20 || *p == 0x7f) {
            *pos += (size_t)snprintf(buf + *pos, cap - *pos, "\\u%04x", *p);
        } else {
            buf[(*pos)++] = (char)*p;
        }
    }
}

static void s_append(char *buf, size_t cap, size_t *pos, const char *src)
{
    size_t n = strlen(src);
    if (*pos + 2 >= cap)
        return;
    if (n > cap - *pos - 2)
        n = cap - *pos - 2;
    memcpy(buf + *pos, src, n);
    *pos += n;
}

void pk_log_write(const pk_log_t *self, pk_log_level_t level, const char *cid, const char *fmt, ...)
{
    if (!pk_log_enabled(self, level))
        return;

    char msg[PK_LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[40];
    size_t tl = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + tl, sizeof ts - tl, ".%03dZ", (int)(tv.tv_usec / 1000));

    char line[PK_LOG_LINE_MAX + 256];
    size_t pos = 0;
    const size_t cap = sizeof line;
    if (self->format == PK_LOG_JSON) {
        s_append(line, cap, &pos, "{\"ts\":\"");
        s_append(line, cap, &pos, ts);
        s_append(line, cap, &pos, "\",\"level\":\"");
        s_append(line, cap, &pos, s_level_names[level]);
        s_append(line, cap, &pos, "\",\"service\":\"");
        s_append_escaped(line, cap, &pos, self->service);
        if (cid && *cid) {
            s_append(line, cap, &pos, "\",\"cid\":\"");
            s_append_escaped(line, cap, &pos, cid);
        }
        s_append(line, cap, &pos, "\",\"msg\":\"");
        s_append_escaped(line, cap, &pos, msg);
        s_append(line, cap, &pos, "\"}");
    } else {
        s_append(line, cap, &pos, "ts=");
        s_append(line, cap, &pos, ts);
        s_append(line, cap, &pos, " level=");
        s_append(line, cap, &pos, s_level_names[level]);
        s_append(line, cap, &pos, " service=");
        s_append_escaped(line, cap, &pos, self->service);
        if (cid && *cid) {
            s_append(line, cap, &pos, " cid=\"");
            s_append_escaped(line, cap, &pos, cid);
            s_append(line, cap, &pos, "\"");
        }
        s_append(line, cap, &pos, " msg=\"");
        s_append_escaped(line, cap, &pos, msg);
        s_append(line, cap, &pos, "\"");
    }
    line[pos++] = '\n';
    /* One write(2) per record: lines from several threads never interleave. */
    ssize_t ignored = write(self->fd, line, pos);
    (void)ignored;
}
