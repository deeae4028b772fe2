/* ctl_replay.c -- `pelukanctl audit replay` and `audit access`: read the
 * log through the audit's archive ROUTER, one line per event. */
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "pelukan/bus.h"
#include "pelukan/util.h"
#include "pelukan/v1/bus.pb-c.h"

#define S_TIMEOUT_MS 5000
#define S_RETRIES    3
#define S_FOLLOW_MS  500
#define S_PAGE       5000

typedef struct {
    uint64_t from;
    const char *case_id, *type, *actor;
    bool follow, json, access;
} s_query_t;

/* Called for each entry an answer brings, in the log's order. */
typedef void (*s_each_fn)(const s_query_t *q, uint64_t gseq, const char *producer, uint64_t epoch, uint64_t seq,
                          const Pelukan__V1__Envelope *e, void *arg);

/* Sends one request and waits for its reply, retrying on a fresh socket
 * (Lazy Pirate). Returns the reply's frames or NULL. */
static zmsg_t *s_request(const ctl_t *ctl, const char *endpoint, zsock_t **sock, const uint8_t *req, size_t len)
{
    for (int attempt = 0; attempt < S_RETRIES; attempt++) {
        if (!*sock) {
            *sock = zsock_new(ZMQ_DEALER);
            zsock_set_linger(*sock, 0);
            zsock_set_rcvtimeo(*sock, S_TIMEOUT_MS);
            pk_bus_secure_client(*sock, ctl->keys, "audit");
            zsock_connect(*sock, "%s", endpoint);
        }
        zmq_send(zsock_resolve(*sock), req, len, 0);
        zmsg_t *rep = zmsg_recv(*sock);
        if (rep)
            return rep;
        zsock_destroy(sock);
    }
    fprintf(stderr, "pelukanctl: the audit archive at %s does not answer\n", endpoint);
    return NULL;
}

static void s_print_access(const Pelukan__V1__Envelope *e, uint64_t gseq, bool json)
{
    const Pelukan__V1__CaseDataAccessed *a = e->case_data_accessed;
    if (json) {
        ctl_print_entry(stdout, gseq, e->producer, 0, 0, e, true);
        return;
    }
    char fields[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < a->n_fields && used < sizeof fields; i++)
        used += (size_t)snprintf(fields + used, sizeof fields - used, "%s%s", i ? "," : "", a->fields[i]);
    time_t s = (time_t)(e->occurred_at_us / 1000000u);
    struct tm tm;
    char when[32];
    gmtime_r(&s, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%s staff=%s role=%s case=%s purpose=%s fields=%s%s%s entry=%llu\n", when, e->actor ? e->actor->id : "-",
           e->actor && e->actor->role[0] ? e->actor->role : "-", e->case_id, a->purpose_code, fields,
           a->ref[0] ? " ref=" : "", a->ref, (unsigned long long)gseq);
}

/* Asks the archive for the page from `next`: 0 with the reply (its entries'
 * frames left in *rep), their count and where the archive looked up to;
 * CTL_ERROR said on stderr. */
static int s_ask_page(const ctl_t *ctl, const char *endpoint, zsock_t **sock, const s_query_t *q, uint64_t next,
                      zmsg_t **rep, uint32_t *count, uint64_t *moved)
{
    Pelukan__V1__ArchiveRequest req = PELUKAN__V1__ARCHIVE_REQUEST__INIT;
    req.from_gseq = next;
    req.case_id = (char *)(q->case_id ? q->case_id : "");
    req.event_type = (char *)(q->type ? q->type : "");
    req.actor_id = (char *)(q->actor ? q->actor : "");
    req.max_count = S_PAGE;
    uint8_t buf[1024];
    if (pelukan__v1__archive_request__get_packed_size(&req) > sizeof buf) {
        fprintf(stderr, "pelukanctl: filter too long\n");
        return CTL_ERROR;
    }
    size_t len = pelukan__v1__archive_request__pack(&req, buf);
    *rep = s_request(ctl, endpoint, sock, buf, len);
    if (!*rep)
        return CTL_ERROR;
    zframe_t *first = zmsg_pop(*rep);
    Pelukan__V1__ArchiveReply *head =
        first ? pelukan__v1__archive_reply__unpack(NULL, zframe_size(first), zframe_data(first)) : NULL;
    zframe_destroy(&first);
    if (!head || head->status != PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_OK || zmsg_size(*rep) != 2 * head->count) {
        fprintf(stderr, "pelukanctl: the archive refused: %s\n",
                head && head->error[0] ? head->error : "malformed reply");
        if (head)
            pelukan__v1__archive_reply__free_unpacked(head, NULL);
        zmsg_destroy(rep);
        return CTL_ERROR;
    }
    *count = head->count;
    *moved = head->next_gseq;
    pelukan__v1__archive_reply__free_unpacked(head, NULL);
    return CTL_OK;
}

/* Hands each entry of a page to `each`; returns the gseq after the last. */
static uint64_t s_each_entry(zmsg_t *rep, uint32_t count, const s_query_t *q, s_each_fn each, void *arg, uint64_t next)
{
    for (uint32_t i = 0; i < count; i++) {
        zframe_t *pos = zmsg_pop(rep), *body = zmsg_pop(rep);
        size_t plen = zframe_size(pos);
        if (plen >= PK_BUS_HEADER_BYTES + 8) {
            uint64_t epoch, seq, gseq = pk_be64_get(zframe_data(pos) + PK_BUS_HEADER_BYTES);
            pk_bus_header_read(zframe_data(pos), &epoch, &seq);
            char producer[65];
            size_t nl = plen - PK_BUS_HEADER_BYTES - 8 < 64 ? plen - PK_BUS_HEADER_BYTES - 8 : 64;
            memcpy(producer, zframe_data(pos) + PK_BUS_HEADER_BYTES + 8, nl);
            producer[nl] = '\0';
            Pelukan__V1__Envelope *e = pk_envelope_unpack(zframe_data(body), zframe_size(body), zframe_size(body));
            each(q, gseq, producer, epoch, seq, e, arg);
            pk_envelope_free(e);
            next = gseq + 1;
        }
        zframe_destroy(&pos);
        zframe_destroy(&body);
    }
    return next;
}

static int s_run(const ctl_t *ctl, const s_query_t *q, s_each_fn each, void *arg)
{
    const char *endpoint = pk_config_str(ctl->cfg, "PELUKAN_AUDIT_ARCHIVE");
    zsock_t *sock = NULL;
    uint64_t next = q->from ? q->from : 1;
    int rc = CTL_OK;
    for (;;) {
        zmsg_t *rep = NULL;
        uint32_t count = 0;
        uint64_t moved = 0;
        if ((rc = s_ask_page(ctl, endpoint, &sock, q, next, &rep, &count, &moved)) != CTL_OK)
            break;
        next = s_each_entry(rep, count, q, each, arg, next);
        zmsg_destroy(&rep);
        bool looked_further = moved > next; /* entries looked at, none of which matched */
        if (looked_further)
            next = moved;
        if (count == 0 && !looked_further) {
            if (!q->follow || zsys_interrupted)
                break;
            fflush(stdout);
            zclock_sleep(S_FOLLOW_MS);
            if (zsys_interrupted)
                break;
        }
    }
    zsock_destroy(&sock);
    return rc;
}

static int s_parse(int argc, char **argv, s_query_t *q, const char *cmd)
{
    for (int i = 0; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--follow") == 0 && !q->access) {
            q->follow = true;
            continue;
        }
        if (strcmp(argv[i], "--json") == 0) {
            q->json = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "pelukanctl audit %s: unknown argument \"%s\"\n", cmd, argv[i]);
            return CTL_ERROR;
        }
        if (strcmp(argv[i], "--from") == 0 && !q->access)
            q->from = strtoull(v, NULL, 10);
        else if (strcmp(argv[i], "--case") == 0)
            q->case_id = v;
        else if (strcmp(argv[i], "--type") == 0 && !q->access)
            q->type = v;
        else if (strcmp(argv[i], "--staff") == 0 && q->access)
            q->actor = v;
        else {
            fprintf(stderr, "pelukanctl audit %s: unknown argument \"%s\"\n", cmd, argv[i]);
            return CTL_ERROR;
        }
        i++;
    }
    return CTL_OK;
}

static void s_print(const s_query_t *q, uint64_t gseq, const char *producer, uint64_t epoch, uint64_t seq,
                    const Pelukan__V1__Envelope *e, void *arg)
{
    (void)arg;
    if (q->access && e && e->case_data_accessed)
        s_print_access(e, gseq, q->json);
    else if (!q->access)
        ctl_print_entry(stdout, gseq, producer, epoch, seq, e, q->json);
}

typedef struct {
    uint64_t *gseqs;
    size_t n, cap;
} s_gseqs_t;

static void s_collect(const s_query_t *q, uint64_t gseq, const char *producer, uint64_t epoch, uint64_t seq,
                      const Pelukan__V1__Envelope *e, void *arg)
{
    (void)q, (void)producer, (void)epoch, (void)seq, (void)e;
    s_gseqs_t *g = arg;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 64;
        g->gseqs = pk_realloc(g->gseqs, g->cap * sizeof *g->gseqs);
    }
    g->gseqs[g->n++] = gseq;
}

int ctl_audit_case_entries(const ctl_t *ctl, const char *case_id, uint64_t **gseqs, size_t *n)
{
    s_query_t q = {.case_id = case_id};
    s_gseqs_t g = {0};
    int rc = s_run(ctl, &q, s_collect, &g);
    *gseqs = g.gseqs;
    *n = g.n;
    return rc;
}

int ctl_audit_replay(const ctl_t *ctl, int argc, char **argv)
{
    s_query_t q = {0};
    if (s_parse(argc, argv, &q, "replay") != CTL_OK)
        return CTL_ERROR;
    return s_run(ctl, &q, s_print, NULL);
}

int ctl_audit_access(const ctl_t *ctl, int argc, char **argv)
{
    s_query_t q = {.access = true, .type = "case_data_accessed"};
    if (s_parse(argc, argv, &q, "access") != CTL_OK)
        return CTL_ERROR;
    if (!q.case_id == !q.actor) {
        fprintf(stderr, "pelukanctl audit access: give --case ID or --staff ID\n");
        return CTL_ERROR;
    }
    return s_run(ctl, &q, s_print, NULL);
}
