/* edge_call.c -- one API request in flight, and what the routes that send
 * commands share: the request's actor and correlation, the answer to a
 * failed command, and the reading of a request's body into the call (the
 * checks of its fields: edge_json.c). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../intake/intake_case.h"
#include "edge.h"
#include "edge_call.h"
#include "edge_json.h"
#include "pelukan/util.h"

void *edge_call_new_as(edge_t *in, pk_http_req_t *req, size_t size, void (*clear)(edge_call_t *c))
{
    edge_call_t *c = pk_calloc(1, size);
    c->in = in;
    c->req = req;
    c->clear = clear;
    pk_metric_add(in->m_requests, 1);
    return c;
}

edge_call_t *edge_call_new(edge_t *in, pk_http_req_t *req)
{
    return edge_call_new_as(in, req, sizeof(edge_call_t), NULL);
}

/* Passwords in a body are wiped before it is freed. */
void intake_wipe_passwords(json_t *body)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strstr(key, "password") && json_is_string(v))
            sodium_memzero((char *)json_string_value(v), strlen(json_string_value(v)));
    }
}

void edge_call_free(edge_call_t *c)
{
    if (c->clear)
        c->clear(c);
    if (c->pw_slot)
        c->in->pw_busy--;
    sodium_memzero(c->reporter_key, sizeof c->reporter_key);
    intake_wipe_passwords(c->body); /* whichever way the request ended */
    json_decref(c->body);
    free(c);
}

void intake_token_hash(const char *token, char out[65])
{
    uint8_t d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const uint8_t *)token, strlen(token));
    pk_hex(d, sizeof d, out);
}

bool intake_invalid(edge_call_t *c, json_t *errors, const char *message)
{
    if (json_object_size(errors) == 0) {
        json_decref(errors);
        return false;
    }
    intake_error(c->req, 422, "validation_failed", message, errors);
    edge_call_free(c);
    return true;
}

void intake_first_name(const char *display_name, char *out, size_t cap)
{
    size_t n = strcspn(display_name, " ");
    snprintf(out, cap, "%.*s", (int)(n < cap - 1 ? n : cap - 1), display_name);
}

static const struct {
    const char *code, *message;
} s_messages[] = {
    {"companion_not_found", "Pendamping tidak ditemukan atau belum pernah bertugas"},
    {"companion_off_duty", "Pendamping sedang tidak bertugas"},
    {"companion_at_capacity", "Pendamping sudah menangani kunjungan sebanyak batasnya"},
    {"case_already_assigned", "Kasus ini sudah punya pendamping"},
    {"case_erased", "Data kasus ini sudah dihapus"},
    {"visit_not_found", "Kunjungan tidak ditemukan"},
    {"invalid_visit_state", "Langkah ini tidak sesuai status kunjungan"},
    {"no_visit", "Belum ada pendamping untuk laporan ini"},
    {"not_en_route", "Pendamping belum berangkat"},
    {"visit_over", "Kunjungan sudah berakhir"},
    {"arrived", "Pendamping sudah tiba"},
    {"companion_not_registered", "Aktifkan status tugas Anda dulu"},
    {"agency_not_found", "Lembaga tidak ditemukan"},
    {"identification_pending", "Laporan identifikasi belum diterima; rujukan tanpa persetujuan perlu dasar hukum"},
    {"consent_required", "Korban belum menyetujui rujukan ke lembaga ini; catat dasar hukumnya"},
    {"already_referred", "Kasus ini sudah dirujuk ke lembaga ini dan rujukannya masih berjalan"},
    {"referral_not_found", "Rujukan tidak ditemukan"},
    {"invalid_referral_state", "Langkah ini tidak sesuai status rujukan"},
    {"invalid_value", "Data tidak valid"},
    {"not_found", "Tidak ditemukan"},
    {"case_not_found", "Kasus tidak ditemukan"},
    {"erasure_pending", "Penghapusan kasus ini sudah menunggu persetujuan"},
    {"second_supervisor_required", "Penghapusan harus disetujui supervisor lain, bukan yang memintanya"},
    {"already_approved", "Penghapusan ini sudah disetujui atau dihentikan"},
    {"approver_not_trusted_yet", "Akun Anda atau akun peminta baru dibuat, diatur ulang atau dibuka oleh orang lain"
                                 " (lihat trust_days): minta supervisor lain menyetujui"},
    {"erasure_over", "Penghapusan ini sudah dijalankan atau dihentikan"},
    {"role_not_managed", "Akun admin, supervisor dan auditor hanya dapat diatur oleh supervisor"},
    {"login_taken", "Nama pengguna sudah dipakai"},
    {"forbidden", "Peran Anda tidak boleh melakukan langkah ini"},
    {"invalid_transition", "Langkah ini tidak sesuai status kasus"},
    {"call_required", "Catat dulu panggilan konfirmasi yang tersambung sebelum memverifikasi"},
    {"unsafe_call_time", "Pelapor meminta tidak ditelepon saat ini; telepon hanya jika perlu, dan tulis alasannya"},
};

/* What a refusal's code tells the client besides its message: the field
 * to look at. A reporter's safety choices are her personal data: shown only
 * in a recorded opening, never in an error. */
static const struct {
    const char *code, *field, *hint;
} s_hints[] = {
    {"unsafe_call_time", "contact_safety", "lihat pilihan pelapor dengan ?purpose=confirmation_call sebelum menelepon"},
    {"invalid_value", "phone", "nomor HP Indonesia, mis. 0812-3456-7890; wajib diisi saat mulai piket"},
};

/* The refusal's fields: the one at fault (422), its details (codes), the
 * code's hint; NULL when none. */
static json_t *s_fields(const Pelukan__V1__CommandReply *reply, const char *code)
{
    json_t *fields = json_object();
    if (reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID && reply->error_field &&
        reply->error_field[0])
        json_object_set_new(fields, reply->error_field, json_string("tidak valid"));
    /* A hint the edge keeps for the code (and, for a wrong value, its field). */
    for (size_t i = 0; i < reply->n_error_details; i++)
        json_object_set_new(fields, reply->error_details[i]->field, json_string(reply->error_details[i]->value));
    for (size_t i = 0; i < PK_ARRAY_LEN(s_hints); i++)
        if (strcmp(s_hints[i].code, code) == 0 &&
            (strcmp(code, "invalid_value") != 0 || json_object_get(fields, s_hints[i].field)))
            json_object_set_new(fields, s_hints[i].field, json_string(s_hints[i].hint));
    if (json_object_size(fields) == 0) {
        json_decref(fields);
        return NULL;
    }
    return fields;
}

const char *intake_cmd_message(const char *code)
{
    for (size_t i = 0; i < PK_ARRAY_LEN(s_messages); i++)
        if (strcmp(s_messages[i].code, code) == 0)
            return s_messages[i].message;
    return "Permintaan tidak dapat diproses";
}

bool intake_cmd_failed(edge_call_t *c, const char *service, int rc, const Pelukan__V1__CommandReply *reply)
{
    if (rc != 0) {
        intake_log_warn(c, "%s did not answer (%s): %s %s answered 503", service, pk_strerror(rc),
                        pk_http_method(c->req), pk_http_path(c->req));
        /* The case owner is intake itself: to its clients, plainly
         * "unavailable", as when the database is (the error table). */
        bool own = strcmp(service, "intake") == 0;
        char code[48];
        snprintf(code, sizeof code, "%s%sunavailable", own ? "" : service, own ? "" : "_");
        pk_http_add_header(c->req, "Retry-After", "2"); /* every 503 says when to try again (openapi.yaml) */
        intake_error(c->req, 503, code, "Layanan sedang tidak tersedia, coba lagi", NULL);
        edge_call_free(c);
        return true;
    }
    if (reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK)
        return false;
    int status = pk_rpc_http_status(reply->status);
    if (status == 503)
        pk_http_add_header(c->req, "Retry-After", "2");
    const char *code = reply->error_code && reply->error_code[0] ? reply->error_code : "internal";
    intake_error(c->req, status, status == 422 ? "validation_failed" : code, intake_cmd_message(code),
                 s_fields(reply, code));
    edge_call_free(c);
    return true;
}

void intake_cmd_init(const edge_call_t *c, Pelukan__V1__CommandRequest *req, Pelukan__V1__Actor *actor,
                     const char *case_id)
{
    pelukan__v1__command_request__init(req);
    pelukan__v1__actor__init(actor);
    actor->kind = c->reporter_id[0]              ? PELUKAN__V1__ACTOR__KIND__KIND_REPORTER
                  : c->role_bit == INTAKE_AGENCY ? PELUKAN__V1__ACTOR__KIND__KIND_AGENCY
                                                 : PELUKAN__V1__ACTOR__KIND__KIND_STAFF;
    actor->id = (char *)(c->reporter_id[0] ? c->reporter_id : c->staff_id);
    actor->role = (char *)c->staff_role; /* "" for a reporter */
    req->actor = actor;
    req->correlation_id = (char *)pk_http_request_id(c->req);
    req->case_id = (char *)(case_id ? case_id : "");
}

void edge_cmd_system(Pelukan__V1__CommandRequest *req, Pelukan__V1__Actor *actor, const char *id,
                     const char *correlation)
{
    pelukan__v1__command_request__init(req);
    pelukan__v1__actor__init(actor);
    actor->kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    actor->id = (char *)id;
    req->actor = actor;
    req->correlation_id = (char *)(correlation ? correlation : "");
}

void intake_cmd_system(const edge_call_t *c, Pelukan__V1__CommandRequest *req, Pelukan__V1__Actor *actor,
                       const char *id)
{
    intake_cmd_init(c, req, actor, NULL);
    actor->kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    actor->id = (char *)id;
    actor->role = "";
}

bool intake_take_body(edge_call_t *c)
{
    /* A step whose fields are all optional may be sent without a body, or
     * with an empty one, whatever its Content-Type: it means {}. */
    size_t len;
    (void)pk_http_body(c->req, &len);
    if (!(c->body = len == 0 ? json_object() : intake_body(c->req)))
        edge_call_free(c);
    return c->body != NULL;
}

json_t *intake_strict_body(edge_call_t *c, const char *const *allowed)
{
    if (!intake_take_body(c))
        return NULL;
    json_t *errors = json_object();
    intake_only_fields(c->body, allowed, errors);
    return errors;
}
