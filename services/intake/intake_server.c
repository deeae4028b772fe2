/* intake_server.c -- reports and the reporter's safety choices. Handlers
 * validate, then write through the non-blocking database client; an answer
 * goes out only after COMMIT. Her views of her reports are the case
 * owner's (intake_reporter.c, edge/edge_reports.c). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/edge_forward.h"
#include "intake_call.h"
#include "intake_case.h"
#include "intake_dispatch.h"
#include "intake_referral.h"
#include "intake_staff.h"
#include "pelukan/util.h"

/* ---- POST /v1/reports -------------------------------------------------- */

static void s_report_done(const PGresult *r, int status, const char *sqlstate, void *arg)
{
    intake_call_t *c = arg;
    if (status != 0) {
        intake_log_error(c, "POST /v1/reports: database %s (SQLSTATE %s), answered 503",
                         status == PK_EDBCONN   ? "connection lost"
                         : status == PK_ECLOSED ? "closing"
                                                : "error",
                         sqlstate);
        pk_http_add_header(c->req, "Retry-After", "2");
        intake_error(c->req, 503, "unavailable", "Layanan sedang sibuk, coba lagi sebentar", NULL);
        intake_call_free(c);
        return;
    }
    if (PQntuples(r) != 1) {
        /* A concurrent retry with the same key has not committed yet. */
        intake_error(c->req, 409, "request_in_progress", "Laporan yang sama sedang diproses, coba lagi", NULL);
        intake_call_free(c);
        return;
    }
    if (strcmp(PQgetvalue(r, 0, 4), "limited") == 0) {
        /* Review M7: one reporter cannot flood the admins (each urgent
         * report e-mails them all). */
        pk_metric_add(c->in->m_rejected, 1);
        pk_http_add_header(c->req, "Retry-After", "3600");
        intake_error(c->req, 429, "too_many_reports",
                     "Anda sudah mengirim banyak laporan hari ini. Untuk keadaan darurat hubungi 112 atau SAPA 129",
                     NULL);
        intake_call_free(c);
        return;
    }
    bool created = pk_pg_bool(r, 0, 3);
    if (created) {
        pk_metric_add(c->in->m_reports, 1);
        pk_relay_kick(pk_service_relay(c->in->svc));
    } else {
        pk_http_add_header(c->req, "Idempotent-Replayed", "true");
    }
    intake_json(c->req, 201,
                json_pack("{s:s, s:s, s:s, s:s}", "case_id", PQgetvalue(r, 0, 0), "ticket", PQgetvalue(r, 0, 1),
                          "state", PQgetvalue(r, 0, 4), "created_at", PQgetvalue(r, 0, 2)));
    intake_call_free(c);
}

static char *s_text_array(const intake_report_t *rep)
{
    size_t cap = 16;
    for (int i = 0; i < rep->nforms; i++)
        cap += strlen(rep->forms[i]) + 3;
    char *out = pk_malloc(cap);
    size_t n = 0;
    out[n++] = '{';
    for (int i = 0; i < rep->nforms; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "," : "", rep->forms[i]);
    out[n++] = '}';
    out[n] = '\0';
    return out;
}

/* A ticket the reporter can read out on the phone ("PK-7KQ4-M9XD"), drawn
 * at random, so it says nothing of how many reports there are (review
 * L5): 32^8 values, no 0/O or 1/I. A clash fails the insert and the
 * reporter's app retries with the same Idempotency-Key, and a new draw. */
static void s_ticket(char out[16])
{
    uint8_t raw[8];
    randombytes_buf(raw, sizeof raw);
    intake_ticket_from(raw, out);
}

/* A reporter's reports always go to the same writer: a group locks the
 * rows of its reporters (the reporter row, their idempotency keys), and two
 * groups on different connections that shared a reporter could lock them
 * in opposite orders and deadlock. Reporters never shared, never crossed.
 * (FNV-1a over the reporter id.) */
static pk_db_group_t *s_writer_for(const intake_t *in, const char *reporter_id)
{
    uint32_t h = 2166136261u;
    for (const char *p = reporter_id; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return in->groups[h % (uint32_t)in->nwriters];
}

/* The report's one statement ($1 reporter, $2 key, $3 case id, $4 wrapped
 * key, $5 sealed personal data, $6-$19 the report's codes, $20 topic, $21
 * envelope, $22 sealed contact safety, $23 ticket, $24 reports per day):
 * the key claims the request; only then the case, its first timeline step
 * and its event; a retry gets the first answer. Reports that arrive
 * together share one commit (group commit). Shared with the benchmark that
 * measures PostgreSQL alone on it (tests/bench/bench_intake.c). */
const char intake_sql_report_submit[] =
    "WITH lim AS (SELECT CASE WHEN $24::int = 0 THEN false ELSE (SELECT count(*) FROM (SELECT 1 FROM cases"
    "   WHERE reporter_id = $1 AND created_at > now() - interval '1 day' LIMIT $24::int) x) >= $24::int END"
    "   AS over),"
    " k AS (INSERT INTO idempotency (reporter_id, key, case_id) SELECT $1, $2, $3 WHERE NOT (SELECT over FROM lim)"
    "   ON CONFLICT DO NOTHING RETURNING case_id),"
    " c AS (INSERT INTO cases (id, ticket, reporter_id, state, wrapped_key, personal_sealed, reporter_kind,"
    "   witness_relation, victim_sex, victim_age_band, child, disability, violence_forms, place_type,"
    "   perpetrator_relation, incident_at, incident_approx, kecamatan_code, desa_code, urgent)"
    "   SELECT $3, $23, $1, 'submitted',"
    "   $4::bytea, $5::bytea, $6, NULLIF($7, ''), NULLIF($8, ''), NULLIF($9, ''), $10, $11, $12::text[],"
    "   NULLIF($13, ''), NULLIF($14, ''), to_timestamp(NULLIF($15, '0')::bigint), $16, NULLIF($17, ''),"
    "   NULLIF($18, ''), $19 FROM k RETURNING id, ticket, created_at, state),"
    " e AS (INSERT INTO case_event (case_id, state, actor_kind) SELECT id, 'submitted', 'reporter' FROM c),"
    " o AS (" PK_OUTBOX_INSERT_SELECT(
        "$20", "id",
        "$21") " FROM c),"
               " s AS (UPDATE reporter SET safety_sealed = $22::bytea WHERE id = $1 AND $22::bytea IS NOT NULL"
               "   AND EXISTS (SELECT 1 FROM c))"
               " SELECT id, ticket, " PK_SQL_UTC(
                   "created_at") ", true, state"
                                 " FROM c"
                                 " UNION ALL SELECT x.id, x.ticket, " PK_SQL_UTC(
                                     "x.created_at") ","
                                                     "   false, 'submitted' FROM idempotency i JOIN cases x ON x.id = "
                                                     "i.case_id"
                                                     "   WHERE i.reporter_id = $1 AND i.key = $2 AND NOT EXISTS "
                                                     "(SELECT 1 FROM k)"
                                                     " UNION ALL SELECT '', '', '', false, 'limited' WHERE (SELECT "
                                                     "over FROM lim) AND NOT EXISTS"
                                                     "   (SELECT 1 FROM idempotency i WHERE i.reporter_id = $1 AND "
                                                     "i.key = $2)";

/* The ReportSubmitted event of a parsed report: codes only, nothing that
 * names her (the personal part travels sealed, never on the bus). */
static void s_report_event(intake_call_t *c, const intake_report_t *rep, char topic[128], char **env_hex)
{
    Pelukan__V1__Envelope env;
    Pelukan__V1__Actor actor;
    uint8_t eid[16];
    intake_envelope(c, c->reporter_id, c->case_id, &env, eid, &actor);
    Pelukan__V1__ReportSubmitted rs = PELUKAN__V1__REPORT_SUBMITTED__INIT;
    char *forms[INTAKE_MAX_FORMS];
    for (int i = 0; i < rep->nforms; i++)
        forms[i] = (char *)rep->forms[i];
    rs.reporter_kind = (char *)rep->reporter_kind;
    rs.n_violence_forms = (size_t)rep->nforms;
    rs.violence_forms = forms;
    rs.place_type = (char *)rep->place_type;
    rs.kecamatan_code = (char *)rep->kecamatan;
    const char *kec_name = rep->kecamatan[0] ? intake_catalog_label(c->in->catalog, "kecamatan", rep->kecamatan) : NULL;
    rs.kecamatan_name = (char *)(kec_name ? kec_name : "");
    rs.desa_code = (char *)rep->desa;
    rs.urgent = rep->urgent;
    rs.child_victim = rep->child;
    rs.victim_age_band = (char *)rep->age_band;
    rs.victim_sex = (char *)rep->victim_sex;
    rs.perpetrator_relation = (char *)rep->perpetrator_relation;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_REPORT_SUBMITTED;
    env.report_submitted = &rs;
    pk_outbox_params(&env, topic, env_hex);
}

/* The report's personal part (with her safety choices) sealed under a new
 * data key of the case; the wrapped key returned in `wrapped`. */
static char *s_report_sealed(intake_call_t *c, const intake_report_t *rep, uint8_t wrapped[PK_WRAPPED_KEY_BYTES])
{
    char context[64];
    snprintf(context, sizeof context, "case:%s", c->case_id);
    uint8_t dkey[PK_DATAKEY_BYTES];
    pk_datakey_new(c->in->keys, context, dkey, wrapped);
    if (rep->safety)
        json_object_set(rep->personal, "contact_safety", rep->safety);
    char *sealed_hex = intake_seal_json(dkey, context, "personal", rep->personal);
    sodium_memzero(dkey, sizeof dkey);
    return sealed_hex;
}

/* The report's row, its event and her idempotency key, in her writer's
 * next group commit (one reporter, one writer: no deadlocks). */
static void s_report_submit(intake_call_t *c, const char *key, const intake_report_t *rep)
{
    intake_t *in = c->in;
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES];
    char *sealed_hex = s_report_sealed(c, rep, wrapped);
    /* The reporter's safety choices, sealed with the reporter's key. */
    char owner[64];
    snprintf(owner, sizeof owner, "reporter:%s", c->reporter_id);
    char *safety_hex = rep->safety ? intake_seal_json(c->reporter_key, owner, "safety", rep->safety) : NULL;
    char topic[128], *env_hex;
    s_report_event(c, rep, topic, &env_hex);
    char *wrapped_hex = pk_pg_bytea(wrapped, sizeof wrapped);
    char *forms_text = s_text_array(rep);
    char incident[24], ticket[16], per_day[16];
    snprintf(per_day, sizeof per_day, "%d", in->reports_per_day);
    snprintf(incident, sizeof incident, "%lld", (long long)rep->incident_at);
    s_ticket(ticket);
    const char *p[] = {c->reporter_id,
                       key,
                       c->case_id,
                       wrapped_hex,
                       sealed_hex,
                       rep->reporter_kind,
                       rep->witness_relation,
                       rep->victim_sex,
                       rep->age_band,
                       rep->child ? "t" : "f",
                       rep->disability ? "t" : "f",
                       forms_text,
                       rep->place_type,
                       rep->perpetrator_relation,
                       incident,
                       rep->incident_approx ? "t" : "f",
                       rep->kecamatan,
                       rep->desa,
                       rep->urgent ? "t" : "f",
                       topic,
                       env_hex,
                       safety_hex,
                       ticket,
                       per_day};
    pk_db_group_add(s_writer_for(in, c->reporter_id), intake_sql_report_submit, 24, p, s_report_done, c);
    free(wrapped_hex);
    free(sealed_hex);
    free(forms_text);
    free(env_hex);
    free(safety_hex);
}

static void s_report_write(intake_call_t *c)
{
    const char *key = pk_http_header(c->req, "idempotency-key");
    if (!intake_idempotency_key_ok(key)) {
        intake_error(c->req, 400, "idempotency_key_required",
                     "Header Idempotency-Key wajib diisi: 1-128 huruf, angka atau . _ : -, agar laporan tidak terkirim "
                     "dua kali",
                     NULL);
        intake_call_free(c);
        return;
    }
    intake_report_t rep;
    json_t *fields = json_object();
    if (intake_report_parse(c->body, c->in->catalog, (int64_t)(pk_now_us() / 1000000u), &rep, fields) != 0) {
        intake_error(c->req, 422, "validation_failed", "Data laporan tidak valid", fields);
        intake_call_free(c);
        return;
    }
    json_decref(fields);
    pk_id_new(c->case_id);
    s_report_submit(c, key, &rep);
    intake_report_clear(&rep);
}

void intake_report_create(pk_http_req_t *req, void *arg)
{
    intake_call_t *c = intake_call_new(arg, req);
    if (!(c->body = intake_body(req))) {
        intake_call_free(c);
        return;
    }
    intake_authenticate(c, s_report_write);
}

/* ---- the reporter's safety choices ------------------------------------------ */

static void s_safety_kept(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_call_t *c = arg;
    if (intake_cmd_failed(c, "intake", rc, reply))
        return;
    pk_http_respond(c->req, 204, "application/json", "", 0);
    intake_call_free(c);
}

static void s_safety_write(intake_call_t *c)
{
    json_t *fields = json_object();
    if (intake_safety_check(c->body, c->in->catalog, "", fields) != 0) {
        intake_error(c->req, 422, "validation_failed", "Data tidak valid", fields);
        intake_call_free(c);
        return;
    }
    json_decref(fields);
    char owner[64];
    snprintf(owner, sizeof owner, "reporter:%s", c->reporter_id);
    size_t len;
    uint8_t *sealed = intake_seal_json_raw(c->reporter_key, owner, "safety", c->body, &len);
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    Pelukan__V1__SetSafety set = PELUKAN__V1__SET_SAFETY__INIT;
    intake_cmd_init(c, &req, &actor, NULL);
    set.safety_sealed = (ProtobufCBinaryData){len, sealed};
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SET_SAFETY;
    req.set_safety = &set;
    intake_forward_call(c, INTAKE_TO_OWNER, &req, s_safety_kept);
    free(sealed);
}

void intake_contact_safety(pk_http_req_t *req, void *arg)
{
    intake_call_t *c = intake_call_new(arg, req);
    if (!(c->body = intake_body(req))) {
        intake_call_free(c);
        return;
    }
    intake_authenticate(c, s_safety_write);
}
