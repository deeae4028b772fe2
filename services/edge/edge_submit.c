/* edge_submit.c -- POST /v1/reports: a reporter's report. The edge checks
 * it against the catalogue (intake_report.c), makes the case's id and key,
 * seals with that key the report's personal part and her safety choices,
 * and asks the case owner for the rest (SubmitReports, intake_submit.c):
 * her session, her daily limit, her Idempotency-Key and the case, in one
 * transaction. Reports share commands as they share commits (group
 * commit): one command is in flight at a time, and the reports that come
 * meanwhile wait for its answer, then go together, up to
 * INTAKE_REPORTS_PER_COMMAND (with none in flight, at the end of the
 * loop's turn: a uv_check). One hop and one commit for them all. No
 * plaintext of hers leaves the edge. */
#include "edge_submit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../intake/intake_seal.h"
#include "edge_call.h"
#include "edge_feed.h"
#include "edge_forward.h"
#include "edge_session.h"

#define S_OUTCOME(name) PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_##name
#define S_IN_FLIGHT     1 /* commands at a time: one, so two never hold one reporter's rows in turn (decision 2) */

/* One report waiting to be sent, and what its message points into. */
typedef struct s_item {
    edge_call_t *c;
    struct s_item *next; /* waiting */
    intake_report_t rep;
    Pelukan__V1__SubmitReport s;
    Pelukan__V1__ReportSubmitted codes;
    char *forms[INTAKE_MAX_FORMS];
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES];
    char token_hash[65];
    char key[129];
} s_item_t;

/* The reports of one command. */
typedef struct {
    struct edge_submit *self;
    s_item_t *items[INTAKE_REPORTS_PER_COMMAND];
    int n;
} s_batch_t;

struct edge_submit {
    edge_t *in;
    uv_check_t check;
    s_item_t *head, *tail; /* waiting */
    int in_flight;         /* commands */
};

static void s_send(edge_submit_t *self);

static void s_item_free(s_item_t *it)
{
    free(it->s.personal_sealed.data);
    free(it->s.safety_sealed.data);
    intake_report_clear(&it->rep);
    sodium_memzero(it->token_hash, sizeof it->token_hash);
    free(it);
}

/* A report's answer, from its receipt. */
static void s_answer(edge_call_t *c, const Pelukan__V1__ReportReceipt *r)
{
    switch (r ? r->outcome : S_OUTCOME(UNSPECIFIED)) {
    case S_OUTCOME(CREATED):
        pk_metric_add(c->in->m_reports, 1);
        break;
    case S_OUTCOME(REPLAYED):
        pk_http_add_header(c->req, "Idempotent-Replayed", "true");
        break;
    case S_OUTCOME(NO_SESSION):
        intake_error(c->req, 401, "unauthorized", "Sesi tidak berlaku, silakan masuk lagi", NULL);
        return;
    case S_OUTCOME(IN_PROGRESS):
        intake_error(c->req, 409, "request_in_progress", "Laporan yang sama sedang diproses, coba lagi", NULL);
        return;
    case S_OUTCOME(LIMITED):
        /* Review M7: one reporter cannot flood the admins (each urgent
         * report e-mails them all). */
        pk_metric_add(c->in->m_rejected, 1);
        pk_http_add_header(c->req, "Retry-After", "3600");
        intake_error(c->req, 429, "too_many_reports",
                     "Anda sudah mengirim banyak laporan hari ini. Untuk keadaan darurat hubungi 112 atau SAPA 129",
                     NULL);
        return;
    default: /* no receipt for it: never */
        intake_error(c->req, 500, "internal", "Terjadi kesalahan", NULL);
        return;
    }
    intake_json(c->req, 201,
                json_pack("{s:s, s:s, s:s, s:s}", "case_id", r->case_id, "ticket", r->ticket, "state", r->state,
                          "created_at", r->created_at));
}

static void s_received(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    s_batch_t *b = arg;
    edge_submit_t *self = b->self;
    const Pelukan__V1__ReportReceipts *all =
        rc == 0 && reply->result_case == PELUKAN__V1__COMMAND_REPLY__RESULT_REPORT_RECEIPTS ? reply->report_receipts
                                                                                            : NULL;
    for (int i = 0; i < b->n; i++) {
        edge_call_t *c = b->items[i]->c;
        b->items[i]->c = NULL;
        if (intake_cmd_failed(c, "intake", rc, reply))
            continue; /* answered and freed */
        s_answer(c, all && (size_t)i < all->n_receipts ? all->receipts[i] : NULL);
        edge_call_free(c);
    }
    for (int i = 0; i < b->n; i++)
        s_item_free(b->items[i]);
    free(b);
    if (all)
        edge_feed_kick(self->in->feed); /* the new cases, on the desk now */
    self->in_flight--;
    s_send(self); /* what came meanwhile */
}

/* The reports waiting, up to a command's worth, sent, unless a command is
 * in flight (its answer sends them). */
static void s_send(edge_submit_t *self)
{
    if (self->in_flight >= S_IN_FLIGHT || !self->head)
        return;
    s_batch_t *b = pk_calloc(1, sizeof *b);
    b->self = self;
    Pelukan__V1__SubmitReport *items[INTAKE_REPORTS_PER_COMMAND];
    for (; self->head && b->n < INTAKE_REPORTS_PER_COMMAND; self->head = self->head->next) {
        items[b->n] = &self->head->s;
        b->items[b->n++] = self->head;
    }
    if (!self->head)
        self->tail = NULL;
    Pelukan__V1__SubmitReports all = PELUKAN__V1__SUBMIT_REPORTS__INIT;
    all.n_reports = (size_t)b->n;
    all.reports = items;
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    intake_cmd_system(b->items[0]->c, &req, &actor, "reports");
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUBMIT_REPORTS;
    req.submit_reports = &all;
    self->in_flight++;
    pk_rpc_uv_call(self->in->owner, &req, INTAKE_OWNER_TIMEOUT_MS, INTAKE_OWNER_RETRIES, s_received, b);
}

/* The end of the loop's turn. */
static void s_turn_end(uv_check_t *h)
{
    uv_check_stop(h);
    s_send(h->data);
}

/* The report's codes, as its ReportSubmitted event says them. */
static void s_codes(const edge_t *in, s_item_t *it)
{
    const intake_report_t *rep = &it->rep;
    Pelukan__V1__ReportSubmitted *rs = &it->codes;
    pelukan__v1__report_submitted__init(rs);
    for (int i = 0; i < rep->nforms; i++)
        it->forms[i] = (char *)rep->forms[i];
    rs->reporter_kind = (char *)rep->reporter_kind;
    rs->n_violence_forms = (size_t)rep->nforms;
    rs->violence_forms = it->forms;
    rs->place_type = (char *)rep->place_type;
    rs->kecamatan_code = (char *)rep->kecamatan;
    const char *name = rep->kecamatan[0] ? intake_catalog_label(in->catalog, "kecamatan", rep->kecamatan) : NULL;
    rs->kecamatan_name = (char *)(name ? name : "");
    rs->desa_code = (char *)rep->desa;
    rs->urgent = rep->urgent;
    rs->child_victim = rep->child;
    rs->victim_age_band = (char *)rep->age_band;
    rs->victim_sex = (char *)rep->victim_sex;
    rs->perpetrator_relation = (char *)rep->perpetrator_relation;
}

/* The report as the owner takes it: its personal part (with her safety
 * choices) and, apart, her choices, each sealed with the case's new key. */
static void s_message(edge_call_t *c, s_item_t *it)
{
    const intake_report_t *rep = &it->rep;
    char owner[64];
    snprintf(owner, sizeof owner, "case:%s", c->case_id);
    uint8_t dkey[PK_DATAKEY_BYTES];
    pk_datakey_new(c->in->keys, owner, dkey, it->wrapped);
    if (rep->safety)
        json_object_set(rep->personal, "contact_safety", rep->safety);
    Pelukan__V1__SubmitReport *s = &it->s;
    pelukan__v1__submit_report__init(s);
    s->personal_sealed.data = intake_seal_json_raw(dkey, owner, "personal", rep->personal, &s->personal_sealed.len);
    if (rep->safety)
        s->safety_sealed.data = intake_seal_json_raw(dkey, owner, "safety", rep->safety, &s->safety_sealed.len);
    sodium_memzero(dkey, sizeof dkey);
    s_codes(c->in, it);
    s->token_hash = it->token_hash;
    s->idempotency_key = it->key;
    s->wrapped_key = (ProtobufCBinaryData){sizeof it->wrapped, it->wrapped};
    s->codes = &it->codes;
    s->witness_relation = (char *)rep->witness_relation;
    s->disability = rep->disability;
    s->incident_at = rep->incident_at;
    s->incident_approx = rep->incident_approx;
    s->case_id = c->case_id;
    s->correlation_id = (char *)pk_http_request_id(c->req);
}

/* Queued: sent at the end of the loop's turn, or when the command in
 * flight is answered. */
static void s_queue(edge_submit_t *self, s_item_t *it)
{
    if (self->tail)
        self->tail->next = it;
    else
        self->head = it;
    self->tail = it;
    if (self->in_flight < S_IN_FLIGHT)
        uv_check_start(&self->check, s_turn_end);
}

void intake_report_create(pk_http_req_t *req, void *arg)
{
    edge_call_t *c = edge_call_new(arg, req);
    s_item_t *it = pk_calloc(1, sizeof *it);
    if (!(c->body = intake_body(req)) || !intake_bearer(c, it->token_hash))
        goto refused;
    const char *key = pk_http_header(req, "idempotency-key");
    if (!intake_idempotency_key_ok(key)) {
        intake_error(req, 400, "idempotency_key_required",
                     "Header Idempotency-Key wajib diisi: 1-128 huruf, angka atau . _ : -, agar laporan tidak terkirim "
                     "dua kali",
                     NULL);
        goto refused;
    }
    json_t *fields = json_object();
    if (intake_report_parse(c->body, c->in->catalog, (int64_t)(pk_now_us() / 1000000u), &it->rep, fields) != 0) {
        intake_error(req, 422, "validation_failed", "Data laporan tidak valid", fields);
        goto refused;
    }
    json_decref(fields);
    snprintf(it->key, sizeof it->key, "%s", key);
    pk_id_new(c->case_id);
    it->c = c;
    s_message(c, it);
    s_queue(c->in->submit, it);
    return;
refused:
    free(it);
    edge_call_free(c);
}

edge_submit_t *edge_submit_new(edge_t *in, uv_loop_t *loop)
{
    edge_submit_t *self = pk_calloc(1, sizeof *self);
    self->in = in;
    uv_check_init(loop, &self->check);
    self->check.data = self;
    return self;
}

static void s_closed(uv_handle_t *h)
{
    free(h->data);
}

void edge_submit_destroy(edge_submit_t **self_p)
{
    edge_submit_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    for (s_item_t *it = self->head, *next; it; it = next) { /* never sent: answered 503 */
        next = it->next;
        intake_cmd_failed(it->c, "intake", PK_ECLOSED, NULL);
        s_item_free(it);
    }
    uv_close((uv_handle_t *)&self->check, s_closed);
}
