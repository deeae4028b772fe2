/* util.c -- allocation policy, clocks and small helpers. */
#include "pelukan/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void s_oom(size_t size)
{
    fprintf(stderr, "level=fatal msg=\"out of memory allocating %zu bytes, aborting\"\n", size);
    abort();
}

void *pk_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        s_oom(size);
    return p;
}

void *pk_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        s_oom(n * size);
    return p;
}

void *pk_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        s_oom(size);
    return p;
}

char *pk_strdup(const char *s)
{
    return pk_strndup(s, strlen(s));
}

char *pk_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = pk_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *pk_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    int n = vasprintf(&out, fmt, ap);
    va_end(ap);
    if (n < 0)
        s_oom(strlen(fmt));
    return out;
}

uint64_t pk_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t pk_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void pk_hex(const void *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
}

void pk_be64_put(uint64_t v, uint8_t out[8])
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(v >> (56 - 8 * i));
}

uint64_t pk_be64_get(const void *in)
{
    const uint8_t *p = in;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

int pk_read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    size_t cap = 4096, n = 0;
    char *buf = pk_malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            buf = pk_realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f) ? -EIO : 0;
    fclose(f);
    if (err) {
        free(buf);
        return err;
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return 0;
}

size_t pk_utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80; /* every byte but a continuation */
    return n;
}

bool pk_utf8_valid(const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c < 0x80) {
            if (c == 0)
                return false;
            i++;
            continue;
        }
        size_t n;
        unsigned lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
            hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            lo = c == 0xf0 ? 0x90 : 0x80;
            hi = c == 0xf4 ? 0x8f : 0xbf; /* nothing above U+10FFFF */
        } else {
            return false;
        }
        if (len - i <= n || p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= n; k++)
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
        i += n + 1;
    }
    return true;
}

struct pk_arena {
    pk_arena_t *next;
    max_align_t data[];
};

void *pk_arena_alloc(pk_arena_t **arena, size_t size)
{
    pk_arena_t *b = pk_calloc(1, sizeof *b + size);
    b->next = *arena;
    *arena = b;
    return b->data;
}

char *pk_arena_strdup(pk_arena_t **arena, const char *s)
{
    size_t n = strlen(s) + 1;
    char *out = pk_arena_alloc(arena, n);
    memcpy(out, s, n);
    return out;
}

void pk_arena_free(pk_arena_t **arena)
{
    while (*arena) {
        pk_arena_t *b = *arena;
        *arena = b->next;
        free(b);
    }
}

int pk_wib_minutes(void)
{
    uint64_t min = pk_now_us() / 60000000u + 7u * 60u;
    return (int)(min % 1440u);
}

bool pk_hours_contain(const char *range, int minutes)
{
    int h1, m1, h2, m2;
    if (!range || !*range || sscanf(range, "%d:%d-%d:%d", &h1, &m1, &h2, &m2) != 4)
        return true;
    int from = h1 * 60 + m1, to = h2 * 60 + m2;
    if (to == 23 * 60 + 59)
        to = 24 * 60; /* the apps' last choice, "until midnight": the day's last minute is in it */
    if (from <= to)
        return minutes >= from && minutes < to;
    return minutes >= from || minutes < to; /* across midnight */
}

bool pk_code_in(const char *v, const char *const *set)
{
    for (; v && *set; set++)
        if (strcmp(*set, v) == 0)
            return true;
    return false;
}
