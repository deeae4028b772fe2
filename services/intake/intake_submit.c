/* intake_submit.c -- the case owner's answer to reporters' reports, the
 * ones that reached the edge together (services/edge/edge_submit.c), asked as its
 * SYSTEM actor "reports" in one command. It commits itself (rpc.h), in two
 * round trips, each one implicit transaction: first one statement for
 * every report's session, kept alive, and her key; then a pipeline of
 * every report (group commit): while her session still holds, her daily limit, her
 * Idempotency-Key claimed, then the case, its first step, its
 * ReportSubmitted event and her safety choices (sealed again with her own
 * key). A report's personal part arrives sealed with its case's key, which
 * the edge made: the owner never opens it. Answered as IDEMPOTENT (nothing
 * stored: a repeat finds each key's claim and gets its report). The
 * statements are intake_store.c's. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "intake_store.h"
#include "pelukan/bus.h"
#include "pelukan/crypto.h"
#include "pelukan/rpc.h"

#define S_OUTCOME(name) PELUKAN__V1__REPORT_RECEIPT__OUTCOME__OUTCOME_##name

static bool s_code_ok(const char *code)
{
    size_t n = strlen(code);
    return n >= 1 && n <= 64 && strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Her safety choices, sealed by the edge with the case's key, sealed
 * again with hers (`out`, *len 0 when there are none); false when they do
 * not open. */
static bool s_safety(const intake_owner_t *o, const Pelukan__V1__SubmitReport *s, const char *case_id,
                     const char *reporter_id, const uint8_t wrapped[PK_WRAPPED_KEY_BYTES], uint8_t *out, size_t *len)
{
    *len = 0;
    size_t n = s->safety_sealed.len;
    if (n == 0)
        return true;
    if (n <= PK_SEAL_OVERHEAD || n > 512)
        return false;
    char ctx[64];
    uint8_t case_key[PK_DATAKEY_BYTES], her_key[PK_DATAKEY_BYTES], plain[512];
    snprintf(ctx, sizeof ctx, "case:%s", case_id);
    bool ok = pk_datakey_unwrap(o->keys, ctx, s->wrapped_key.data, s->wrapped_key.len, case_key) == 0;
    snprintf(ctx, sizeof ctx, "case:%s:safety", case_id);
    ok = ok && pk_open(case_key, ctx, s->safety_sealed.data, n, plain) == 0;
    snprintf(ctx, sizeof ctx, "reporter:%s", reporter_id);
    ok = ok && pk_datakey_unwrap(o->keys, ctx, wrapped, PK_WRAPPED_KEY_BYTES, her_key) == 0;
    if (ok) {
        snprintf(ctx, sizeof ctx, "reporter:%s:safety", reporter_id);
        pk_seal(her_key, ctx, plain, n - PK_SEAL_OVERHEAD, out);
        *len = n;
    }
    sodium_memzero(plain, sizeof plain);
    sodium_memzero(case_key, sizeof case_key);
    sodium_memzero(her_key, sizeof her_key);
    return ok;
}

/* A ticket she can read out on the phone ("PK-7KQ4-M9XD"), drawn at
 * random, so it says nothing of how many reports there are (review L5). A
 * clash fails the statement: her app repeats the report with the same
 * key, and a new draw. */
static void s_ticket(char out[16])
{
    uint8_t raw[8];
    randombytes_buf(raw, sizeof raw);
    intake_ticket_from(raw, out);
}

/* One report on its way to the store: what the owner adds to it. */
typedef struct {
    const intake_reporter_key_t *her; /* her id and key, from her session */
    uint8_t safety[512];
    char topic[128], ticket[16];
    char *env_hex;
    intake_report_row_t row;
} s_report_t;

/* Her report's row: her safety choices sealed again with her key, its
 * ReportSubmitted event (by her), a ticket. false when her choices do not
 * open. */
static bool s_row(const intake_owner_t *o, const Pelukan__V1__SubmitReport *s, s_report_t *r)
{
    r->row = (intake_report_row_t){.report = s,
                                   .reporter_id = r->her->id,
                                   .case_id = s->case_id,
                                   .safety = r->safety,
                                   .topic = r->topic,
                                   .ticket = r->ticket};
    if (!s_safety(o, s, s->case_id, r->her->id, r->her->wrapped, r->safety, &r->row.safety_len))
        return false;
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    pk_envelope_init(&env, eid, "intake", s->case_id, s->correlation_id);
    actor.kind = PELUKAN__V1__ACTOR__KIND__KIND_REPORTER;
    actor.id = (char *)r->her->id;
    env.actor = &actor;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REPORT_SUBMITTED;
    env.report_submitted = s->codes;
    pk_outbox_params(&env, r->topic, &r->env_hex);
    r->row.envelope_hex = r->env_hex;
    s_ticket(r->ticket);
    return true;
}

/* The request's field at fault, or NULL. */
static const char *s_wrong(const Pelukan__V1__SubmitReports *all)
{
    if (all->n_reports == 0 || all->n_reports > INTAKE_REPORTS_PER_COMMAND)
        return "reports";
    for (size_t i = 0; i < all->n_reports; i++) {
        const Pelukan__V1__SubmitReport *s = all->reports[i];
        if (strlen(s->token_hash) != 64 || strspn(s->token_hash, "0123456789abcdef") != 64)
            return "token_hash";
        if (!intake_idempotency_key_ok(s->idempotency_key))
            return "idempotency_key";
        if (!pk_id_ok(s->case_id) || s->wrapped_key.len != PK_WRAPPED_KEY_BYTES ||
            s->personal_sealed.len <= PK_SEAL_OVERHEAD || !s->codes)
            return "wrapped_key";
        for (size_t f = 0; f < s->codes->n_violence_forms; f++) /* they become a text[] literal */
            if (!s_code_ok(s->codes->violence_forms[f]))
                return "violence_forms";
    }
    return NULL;
}

/* The receipts, in order, in the arena. */
static Pelukan__V1__ReportReceipts *s_receipts(intake_owner_t *o, size_t n, Pelukan__V1__CommandReply *reply)
{
    Pelukan__V1__ReportReceipts *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__report_receipts__init(out);
    out->receipts = pk_arena_alloc(&o->mem, n * sizeof *out->receipts);
    for (out->n_receipts = 0; out->n_receipts < n; out->n_receipts++) {
        out->receipts[out->n_receipts] = pk_arena_alloc(&o->mem, sizeof **out->receipts);
        pelukan__v1__report_receipt__init(out->receipts[out->n_receipts]);
    }
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_REPORT_RECEIPTS;
    reply->report_receipts = out;
    return out;
}

/* The reports whose sessions hold, their rows made, written together;
 * PK_EINVAL when one's safety choices do not open (nothing written). */
static int s_write(PGconn *conn, intake_owner_t *o, const Pelukan__V1__SubmitReports *all, s_report_t *r,
                   const intake_reporter_key_t *keys, Pelukan__V1__ReportReceipt **receipts)
{
    size_t n = all->n_reports, q = 0;
    const intake_report_row_t **rows = pk_malloc(n * sizeof *rows);
    Pelukan__V1__ReportReceipt **outs = pk_malloc(n * sizeof *outs);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        r[i].her = &keys[i];
        if (!keys[i].found) {
            receipts[i]->outcome = S_OUTCOME(NO_SESSION);
        } else if (!s_row(o, all->reports[i], &r[i])) {
            rc = PK_EINVAL;
        } else {
            rows[q] = &r[i].row;
            outs[q++] = receipts[i];
        }
    }
    if (rc == 0 && q > 0)
        rc = intake_store_submit_many(conn, o, rows, (int)q, &o->mem, outs);
    free(rows);
    free(outs);
    return rc;
}

int intake_submit_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                          Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__SubmitReports *all = req->submit_reports;
    if (req->actor->kind != PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM || strcmp(req->actor->id, "reports") != 0)
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    const char *wrong = s_wrong(all);
    if (wrong)
        return PK_RPC_INVALID(reply, wrong);
    size_t n = all->n_reports;
    Pelukan__V1__ReportReceipts *receipts = s_receipts(o, n, reply);
    s_report_t *r = pk_calloc(n, sizeof *r);
    intake_reporter_key_t *keys = pk_calloc(n, sizeof *keys);
    const char **hashes = pk_malloc(n * sizeof *hashes);
    for (size_t i = 0; i < n; i++)
        hashes[i] = all->reports[i]->token_hash;
    int rc = intake_store_reporter_sessions(conn, o, hashes, (int)n, keys);
    free(hashes);
    if (rc == 0)
        rc = s_write(conn, o, all, r, keys, receipts->receipts);
    for (size_t i = 0; i < n; i++) {
        free(r[i].env_hex);
        sodium_memzero(r[i].safety, sizeof r[i].safety);
    }
    free(r);
    free(keys);
    if (rc == PK_EINVAL)
        return PK_RPC_INVALID(reply, "safety_sealed");
    return rc == 0 ? PK_RPC_IDEMPOTENT : PK_EDB;
}
