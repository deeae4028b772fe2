/* edge_throttle.c -- staff logins per client address (security review
 * N6): before a password slot is taken, a client address gets
 * PELUKAN_INTAKE_LOGINS_PER_CLIENT tries a minute and at most
 * PELUKAN_INTAKE_LOGIN_CHECKS_PER_CLIENT checks at once, so a flood from
 * one address neither fills the password slots nor keeps the staff at
 * other addresses out (the address is proxy-aware: pk_http_client). A
 * second table, keyed by login, keeps the slots fair per account: one
 * account's logins hold at most half the password slots at once, so a
 * flood on one account from many addresses leaves the others room. In
 * memory: one intake process serves the logins; a restart forgets. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge.h"
#include "pelukan/util.h"

#define S_ENTRIES 4096 /* addresses remembered at once */
#define S_PROBES  16
#define S_MINUTE  60000000u

typedef struct {
    char client[72];    /* an address, or "account:" and a login */
    uint64_t window_us; /* when this minute's count began */
    int tries, in_flight;
} s_entry_t;

struct intake_throttle {
    s_entry_t entries[S_ENTRIES];
    int per_minute, checks;
};

intake_throttle_t *intake_throttle_new(int per_minute, int checks)
{
    intake_throttle_t *th = pk_calloc(1, sizeof *th);
    th->per_minute = per_minute;
    th->checks = checks;
    return th;
}

void intake_throttle_destroy(intake_throttle_t **th_p)
{
    if (th_p) {
        free(*th_p);
        *th_p = NULL;
    }
}

static uint32_t s_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

/* The entry of `client`, or a free (or the stalest idle) one taken for it;
 * NULL when every candidate is busy. */
static s_entry_t *s_entry(intake_throttle_t *th, const char *client, uint64_t now)
{
    uint32_t h = s_hash(client);
    s_entry_t *spare = NULL;
    for (int i = 0; i < S_PROBES; i++) {
        s_entry_t *e = &th->entries[(h + (uint32_t)i) % S_ENTRIES];
        if (strcmp(e->client, client) == 0)
            return e;
        /* Without a per-minute budget (the accounts' table) an entry is
         * free as soon as nothing of it is in flight. */
        bool idle =
            e->in_flight == 0 && (!e->client[0] || now - e->window_us >= S_MINUTE || th->per_minute == INT32_MAX);
        if (idle && (!spare || e->window_us < spare->window_us))
            spare = e;
    }
    if (spare) {
        memset(spare, 0, sizeof *spare);
        snprintf(spare->client, sizeof spare->client, "%s", client);
        spare->window_us = now;
    }
    return spare;
}

int intake_throttle_take(intake_throttle_t *th, const char *client)
{
    uint64_t now = pk_now_us();
    s_entry_t *e = s_entry(th, client ? client : "", now);
    if (!e)
        return 1;
    if (now - e->window_us >= S_MINUTE) {
        e->window_us = now;
        e->tries = 0;
    }
    if (e->tries >= th->per_minute)
        return (int)((e->window_us + S_MINUTE - now) / 1000000u) + 1;
    if (e->in_flight >= th->checks)
        return 1;
    e->tries++;
    e->in_flight++;
    return 0;
}

void intake_throttle_done(intake_throttle_t *th, const char *client)
{
    s_entry_t *e = s_entry(th, client ? client : "", pk_now_us());
    if (e && e->in_flight > 0)
        e->in_flight--;
}
