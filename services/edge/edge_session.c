/* edge_session.c -- every request's session, checked on the edge: the
 * token's form here, then its session asked of the case owner
 * (ResolveSession, intake_login.c) as the edge's SYSTEM actor "sessions".
 * A staff member's role is checked against the route's, and a password
 * someone else set opens nothing but its change; a reporter's key is
 * unwrapped for the route (her safety choices, her report's view). A
 * reporter's answer is never held: her use keeps her session alive, and
 * one that lapsed is refused at once. A reporter's report checks her
 * session in its own command (edge_submit.c); registration: edge_otp.c; a
 * staff member's login: edge_login.c; a logout is a row of the route table
 * (EndSession).
 *
 * On a route that allows it (INTAKE_ROUTE_HOLDS_SESSION: a companion's
 * position), the answer is held for PELUKAN_INTAKE_SESSION_CACHE_MS (1 s)
 * and forgotten at once when a session may have ended on this edge (a
 * logout, a password changed or reset, an account disabled: edge_t's
 * sessions_epoch). Without it every ping cost a hop to the owner, which
 * halved the pings a second (make bench). There, another edge's logout,
 * or pelukanctl's, is seen that much later; every other route asks each
 * time. */
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../intake/intake_case.h"
#include "edge_call.h"
#include "edge_forward.h"
#include "edge_routes.h"
#include "edge_session.h"
#include "pelukan/error.h"
#include "pelukan/util.h"

#define S_PREFIX "Bearer stf_"

#define S_HELD_MAX 4096 /* sessions held at once; past it an answer is not held */

/* An answer held: a staff member's session as the owner said it was,
 * until `until_us`. */
typedef struct {
    char id[PK_ID_HEX_LEN + 1], role[16], agency[32], name[128];
    bool must_change;
    uint64_t until_us;
} s_held_t;

struct edge_sessions {
    zhashx_t *held; /* token hash -> s_held_t */
    uint64_t ttl_us;
    unsigned epoch; /* edge_t's sessions_epoch when they were held */
};

static void s_held_free(void **item)
{
    free(*item);
    *item = NULL;
}

edge_sessions_t *edge_sessions_new(int ttl_ms)
{
    edge_sessions_t *self = pk_calloc(1, sizeof *self);
    self->held = zhashx_new();
    zhashx_set_destructor(self->held, s_held_free);
    self->ttl_us = (uint64_t)ttl_ms * 1000u;
    return self;
}

void edge_sessions_destroy(edge_sessions_t **self_p)
{
    if (!*self_p)
        return;
    zhashx_destroy(&(*self_p)->held);
    free(*self_p);
    *self_p = NULL;
}

/* The held answers, forgotten if a session may have ended since. */
static edge_sessions_t *s_current(edge_t *in)
{
    edge_sessions_t *self = in->sessions;
    if (self->epoch != in->sessions_epoch) {
        zhashx_purge(self->held);
        self->epoch = in->sessions_epoch;
    }
    return self;
}

/* The answer held for a staff member's `hash`, as the owner gave it, or
 * NULL. */
static const s_held_t *s_held(edge_t *in, const char *hash)
{
    edge_sessions_t *self = s_current(in);
    s_held_t *h = zhashx_lookup(self->held, hash);
    if (h && h->until_us <= pk_mono_us()) {
        zhashx_delete(self->held, hash);
        h = NULL;
    }
    return h;
}

/* Drops the answers past their time, when the table is full. */
static void s_sweep(edge_sessions_t *self)
{
    uint64_t now = pk_mono_us();
    zlistx_t *keys = zhashx_keys(self->held);
    for (const char *k = zlistx_first(keys); k; k = zlistx_next(keys))
        if (((s_held_t *)zhashx_lookup(self->held, k))->until_us <= now)
            zhashx_delete(self->held, k);
    zlistx_destroy(&keys);
}

/* Holds the owner's answer, unless a session may have ended since it was
 * asked (at `asked`, an epoch). */
static void s_hold(edge_t *in, const char *hash, const Pelukan__V1__ResolvedSession *s, unsigned asked)
{
    if (!in->sessions->ttl_us || !s->holds || asked != in->sessions_epoch)
        return;
    edge_sessions_t *self = s_current(in);
    if (zhashx_size(self->held) >= S_HELD_MAX)
        s_sweep(self);
    if (zhashx_size(self->held) >= S_HELD_MAX)
        return;
    s_held_t *h = pk_calloc(1, sizeof *h);
    snprintf(h->id, sizeof h->id, "%s", s->id);
    snprintf(h->role, sizeof h->role, "%s", s->role);
    snprintf(h->agency, sizeof h->agency, "%s", s->agency_code);
    snprintf(h->name, sizeof h->name, "%s", s->display_name);
    h->must_change = s->password_change_required;
    h->until_us = pk_mono_us() + self->ttl_us;
    zhashx_update(self->held, hash, h);
}

typedef struct {
    edge_call_t *c;
    char hash[65];
    bool reporter;  /* a reporter's session, else a staff member's */
    bool hers;      /* a reporter's, and c->case_id must be hers */
    unsigned epoch; /* the sessions' when asked */
    unsigned roles; /* a staff route's */
    void (*next)(edge_call_t *c);
} s_check_t;

/* The token after "Bearer " ("stf_" and 64 hex), or NULL. */
static const char *s_token(pk_http_req_t *req)
{
    const char *h = pk_http_header(req, "authorization");
    size_t skip = strlen(S_PREFIX);
    if (!h || strncmp(h, S_PREFIX, skip) != 0)
        return NULL;
    return strlen(h + skip) == 64 && strspn(h + skip, "0123456789abcdef") == 64 ? h + 7 : NULL;
}

static void s_unauthorized(edge_call_t *c)
{
    intake_error(c->req, 401, "unauthorized", "Sesi tidak berlaku, silakan masuk lagi", NULL);
    edge_call_free(c);
}

/* A staff member's session: who, as what; false when answered 403. */
static bool s_staff(edge_call_t *c, unsigned roles, const Pelukan__V1__ResolvedSession *s)
{
    snprintf(c->staff_id, sizeof c->staff_id, "%s", s->id);
    snprintf(c->staff_role, sizeof c->staff_role, "%s", s->role);
    snprintf(c->staff_agency, sizeof c->staff_agency, "%s", s->agency_code);
    snprintf(c->staff_name, sizeof c->staff_name, "%s", s->display_name);
    c->role_bit = intake_role_bit(c->staff_role);
    if (!(c->role_bit & roles)) {
        intake_error(c->req, 403, "forbidden", "Peran Anda tidak berhak atas tindakan ini",
                     json_pack("{s:s}", "role", c->staff_role));
        edge_call_free(c);
        return false;
    }
    /* A password someone else set (a reset) opens nothing but its change
     * (security review N1). */
    const char *pattern = c->route ? c->route->pattern : "";
    if (s->password_change_required && strcmp(pattern, "/v1/staff/password") != 0 &&
        strcmp(pattern, "/v1/staff/logout") != 0) {
        intake_error(c->req, 403, "password_change_required",
                     "Kata sandi Anda diatur ulang oleh orang lain: ganti dulu dengan kata sandi Anda sendiri", NULL);
        edge_call_free(c);
        return false;
    }
    return true;
}

/* A reporter's session: who, and her key unwrapped; false when it does
 * not open. */
static bool s_reporter(edge_call_t *c, const Pelukan__V1__ResolvedSession *s)
{
    char context[64];
    snprintf(context, sizeof context, "reporter:%s", s->id);
    if (strlen(s->id) > PK_ID_HEX_LEN ||
        pk_datakey_unwrap(c->in->keys, context, s->wrapped_key.data, s->wrapped_key.len, c->reporter_key) != 0)
        return false;
    snprintf(c->reporter_id, sizeof c->reporter_id, "%s", s->id);
    return true;
}

/* The session (or none) checked, and the request goes on with `next`. */
static void s_go(const s_check_t *k, const Pelukan__V1__ResolvedSession *s)
{
    if (!s || !s->holds || (k->reporter && !s_reporter(k->c, s))) {
        s_unauthorized(k->c);
    } else if (k->hers && !s->case_hers) { /* as GetReport answers another's case */
        intake_error(k->c->req, 404, "not_found", intake_cmd_message("not_found"), NULL);
        edge_call_free(k->c);
    } else if (k->reporter || s_staff(k->c, k->roles, s))
        k->next(k->c);
}

static void s_resolved(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    s_check_t *k = arg;
    edge_call_t *c = k->c;
    if (rc != 0 || reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INTERNAL) {
        /* No session can be checked now (the database is away): a clear
         * 503, to be tried again. */
        intake_log_error(c, "%s %s: the session could not be checked (%s), answered 503", pk_http_method(c->req),
                         pk_http_path(c->req), rc ? pk_strerror(rc) : "the case owner's database");
        pk_http_add_header(c->req, "Retry-After", "2");
        intake_error(c->req, 503, "unavailable", "Layanan sedang sibuk, coba lagi sebentar", NULL);
        edge_call_free(c);
    } else if (!intake_cmd_failed(c, "intake", rc, reply)) {
        const Pelukan__V1__ResolvedSession *s =
            reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_RESOLVED_SESSION ? reply->resolved_session : NULL;
        if (s && !k->reporter && c->route && (c->route->flags & INTAKE_ROUTE_HOLDS_SESSION))
            s_hold(c->in, k->hash, s, k->epoch);
        s_go(k, s);
    }
    free(k);
}

/* The session `k` names, held or asked of the owner; then k->next. */
static void s_resolve(s_check_t *k)
{
    edge_call_t *c = k->c;
    bool holds = !k->reporter && c->route && (c->route->flags & INTAKE_ROUTE_HOLDS_SESSION);
    const s_held_t *h = holds ? s_held(c->in, k->hash) : NULL;
    if (h) {
        Pelukan__V1__ResolvedSession s = PELUKAN__V1__RESOLVED_SESSION__INIT;
        s.holds = true;
        s.id = (char *)h->id;
        s.role = (char *)h->role;
        s.agency_code = (char *)h->agency;
        s.display_name = (char *)h->name;
        s.password_change_required = h->must_change;
        s_go(k, &s);
        free(k);
        return;
    }
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    Pelukan__V1__ResolveSession rs = PELUKAN__V1__RESOLVE_SESSION__INIT;
    intake_cmd_system(c, &req, &actor, "sessions");
    rs.token_hash = k->hash;
    rs.reporter = k->reporter;
    rs.case_id = k->hers ? c->case_id : "";
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_RESOLVE_SESSION;
    req.resolve_session = &rs;
    pk_rpc_uv_call(c->in->owner, &req, 1000, 2, s_resolved, k);
}

void intake_staff_authenticate(edge_call_t *c, unsigned roles, void (*next)(edge_call_t *c))
{
    const char *token = s_token(c->req);
    if (!token) {
        intake_error(c->req, 401, "unauthorized", "Masuk sebagai petugas terlebih dahulu", NULL);
        edge_call_free(c);
        return;
    }
    s_check_t *k = pk_calloc(1, sizeof *k);
    *k = (s_check_t){.c = c, .epoch = c->in->sessions_epoch, .roles = roles, .next = next};
    intake_token_hash(token, k->hash);
    s_resolve(k);
}

bool intake_bearer(edge_call_t *c, char hash[65])
{
    const char *h = pk_http_header(c->req, "authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0 || strlen(h + 7) != 64 || strspn(h + 7, "0123456789abcdef") != 64) {
        intake_error(c->req, 401, "unauthorized", "Masuk terlebih dahulu", NULL);
        return false;
    }
    intake_token_hash(h + 7, hash);
    return true;
}

/* A reporter's session; `hers`: and c->case_id is her case. */
static void s_reporter_check(edge_call_t *c, bool hers, void (*next)(edge_call_t *c))
{
    s_check_t *k = pk_calloc(1, sizeof *k);
    *k = (s_check_t){.c = c, .reporter = true, .hers = hers, .next = next};
    if (!intake_bearer(c, k->hash)) {
        free(k);
        edge_call_free(c);
        return;
    }
    s_resolve(k);
}

void intake_authenticate(edge_call_t *c, void (*next)(edge_call_t *c))
{
    s_reporter_check(c, false, next);
}

void intake_authenticate_hers(edge_call_t *c, void (*next)(edge_call_t *c))
{
    s_reporter_check(c, true, next);
}
