/* edge_reference.c -- the reference data the edge checks requests against
 * and serves (every code with its words; GET /v1/catalog, /v1/regions),
 * asked of the case owner at start (GetReference, intake_reference.c) as
 * the edge's SYSTEM actor "reference", and again each second until it
 * answers: the edge reads no database, not even at start. An API request
 * that comes before waits for it, at most S_WAIT_MS, then is answered 503
 * with Retry-After, as when the owner is away; /readyz says "not ready"
 * until then. */
#include "edge_reference.h"

#include <stdlib.h>
#include <string.h>

#include "edge_call.h"
#include "edge_json.h"
#include "pelukan/error.h"
#include "pelukan/util.h"

#define S_ASK_MS    1000  /* between questions, until the owner answers */
#define S_ANSWER_MS 5000  /* the longest one question waits */
#define S_WAIT_MS   30000 /* the longest a request waits for the data */

typedef struct s_waiting {
    pk_http_req_t *req;
    void (*go)(pk_http_req_t *req, void *arg);
    void *arg;
    uint64_t since_us;
    struct s_waiting *next;
} s_waiting_t;

struct edge_reference {
    edge_t *in;
    uv_timer_t timer;
    bool asking, here;
    s_waiting_t *waiting; /* in the order they came */
};

/* JSON text without its spaces; caller frees. */
static char *s_compact(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    char *out = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : pk_strdup("{}");
    json_decref(j);
    return out;
}

/* The waiting requests run (`here`), or those that waited too long (all
 * when `all`) answered 503. */
static void s_release(edge_reference_t *r, bool all)
{
    uint64_t now = pk_mono_us();
    s_waiting_t **p = &r->waiting;
    while (*p) {
        s_waiting_t *w = *p;
        if (!r->here && !all && now - w->since_us < (uint64_t)S_WAIT_MS * 1000u) {
            p = &w->next;
            continue;
        }
        *p = w->next;
        if (r->here) {
            w->go(w->req, w->arg);
        } else {
            pk_http_add_header(w->req, "Retry-After", "2");
            intake_error(w->req, 503, "unavailable", "Layanan sedang tidak tersedia, coba lagi", NULL);
        }
        free(w);
    }
}

static void s_answered(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_reference_t *r = arg;
    r->asking = false;
    if (rc == PK_ECLOSED)
        return; /* stopping */
    if (rc != 0 || reply->status != PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK ||
        reply->result_case != PELUKAN__V1__COMMAND_REPLY__RESULT_REFERENCE) {
        pk_log_warn(r->in->log, "the case owner did not give the reference data (%s), asking again",
                    rc ? pk_strerror(rc) : reply->error_code);
        return;
    }
    const Pelukan__V1__Reference *ref = reply->reference;
    for (size_t i = 0; i < ref->n_codes; i++)
        intake_catalog_add(r->in->catalog, ref->codes[i]->kind, ref->codes[i]->code, ref->codes[i]->label);
    r->in->catalog_json = s_compact(ref->catalog_json);
    r->in->regions_json = s_compact(ref->regions_json);
    r->here = true;
    pk_service_set_ready(r->in->svc, true);
    uv_timer_stop(&r->timer);
    s_release(r, false);
}

static void s_ask(edge_reference_t *r)
{
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    Pelukan__V1__GetReference get = PELUKAN__V1__GET_REFERENCE__INIT;
    edge_cmd_system(&req, &actor, "reference", NULL);
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_REFERENCE;
    req.get_reference = &get;
    r->asking = true;
    pk_rpc_uv_call(r->in->owner, &req, S_ANSWER_MS, 0, s_answered, r);
}

static void s_tick(uv_timer_t *t)
{
    edge_reference_t *r = t->data;
    if (!r->asking)
        s_ask(r);
    s_release(r, false);
}

edge_reference_t *edge_reference_new(edge_t *in)
{
    edge_reference_t *r = pk_calloc(1, sizeof *r);
    r->in = in;
    uv_timer_init(pk_service_loop(in->svc), &r->timer);
    r->timer.data = r;
    pk_service_set_ready(in->svc, false);
    uv_timer_start(&r->timer, s_tick, S_ASK_MS, S_ASK_MS);
    s_ask(r);
    return r;
}

bool edge_reference_hold(edge_reference_t *r, pk_http_req_t *req, void (*go)(pk_http_req_t *req, void *arg), void *arg)
{
    if (r->here)
        return false;
    s_waiting_t *w = pk_calloc(1, sizeof *w);
    *w = (s_waiting_t){req, go, arg, pk_mono_us(), NULL};
    s_waiting_t **p = &r->waiting;
    while (*p)
        p = &(*p)->next;
    *p = w;
    return true;
}

void edge_reference_destroy(edge_reference_t **r_p)
{
    if (!r_p || !*r_p)
        return;
    edge_reference_t *r = *r_p;
    *r_p = NULL;
    s_release(r, true);
    pk_service_timer_end(&r->timer);
}
