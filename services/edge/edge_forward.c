/* edge_forward.c -- the one handler of every forwarding route (edge_forward.h): the
 * path's id, the actor's agency, a constant step and the body's fields go
 * into the row's command by name; the reply's message comes back as JSON
 * in the row's shape. A row's names are checked against the descriptors
 * when intake starts (intake_forward_check). */
#include "edge_forward.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_call.h"
#include "edge_feed.h"
#include "edge_routes.h"
#include "pelukan/error.h"
#include "pelukan/util.h"

static const ProtobufCMessageDescriptor *s_message_of(const ProtobufCMessageDescriptor *d, const char *field)
{
    const ProtobufCFieldDescriptor *f = field ? protobuf_c_message_descriptor_get_field_by_name(d, field) : NULL;
    return f && f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED ? f->descriptor : NULL;
}

static const char *s_service(const intake_forward_t *f)
{
    return f->to == INTAKE_TO_DISPATCH ? "dispatch" : f->to == INTAKE_TO_REFERRAL ? "referral" : "intake";
}

static pk_rpc_uv_t *s_rpc(const edge_call_t *c, intake_to_t to)
{
    return to == INTAKE_TO_DISPATCH ? c->in->dispatch_rpc : to == INTAKE_TO_REFERRAL ? c->in->referral : c->in->owner;
}

/* Sends `req` to service `to` with the rows' timeout and retries. */
static void s_call(edge_call_t *c, intake_to_t to, Pelukan__V1__CommandRequest *req, pk_rpc_uv_done_fn done)
{
    pk_rpc_uv_call(s_rpc(c, to), req, INTAKE_OWNER_TIMEOUT_MS, INTAKE_OWNER_RETRIES, done, c);
}

static void s_send(edge_call_t *c, intake_to_t to, const char *system, const char *case_id, ProtobufCMessage *cmd,
                   pk_rpc_uv_done_fn done)
{
    Pelukan__V1__CommandRequest req;
    Pelukan__V1__Actor actor;
    if (system)
        intake_cmd_system(c, &req, &actor, system);
    else
        intake_cmd_init(c, &req, &actor, case_id);
    if (!pk_pbjson_set_oneof(&req.base, cmd)) /* never: every command's type is its own (the receiver refuses it) */
        intake_log_error(c, "no command of the request is a %s", cmd->descriptor->name);
    s_call(c, to, &req, done);
}

void intake_forward_send(edge_call_t *c, intake_to_t to, const char *case_id, ProtobufCMessage *cmd,
                         pk_rpc_uv_done_fn done)
{
    s_send(c, to, NULL, case_id, cmd, done);
}

void intake_forward_system(edge_call_t *c, intake_to_t to, const char *system, ProtobufCMessage *cmd,
                           pk_rpc_uv_done_fn done)
{
    s_send(c, to, system, NULL, cmd, done);
}

static void s_answer(edge_call_t *c, const char *service, int rc, const Pelukan__V1__CommandReply *reply,
                     const intake_forward_t *f)
{
    const char *field = f->reply, *list = f->list, *shape = f->shape;
    if (intake_cmd_failed(c, service, rc, reply))
        return;
    /* Another result than the route's (none): an empty object or list. */
    const ProtobufCMessage *m = pk_pbjson_get_message(&reply->base, field);
    json_t *shown = m ? pk_pbjson_print(m, shape) : json_object();
    if (!shown) { /* intake_forward_check() refused such shapes at start: never */
        intake_log_error(c, "%s %s: the reply does not fit the route's shape", pk_http_method(c->req),
                         pk_http_path(c->req));
        intake_error(c->req, 500, "internal", "Terjadi kesalahan", NULL);
        edge_call_free(c);
        return;
    }
    if (list) {
        json_t *items = json_object_get(shown, "items");
        json_t *out = json_pack("{s:o}", list, items ? json_incref(items) : json_array());
        json_decref(shown);
        shown = out;
    }
    if (f->ends_sessions)
        c->in->sessions_epoch++; /* the streams check their sessions at once */
    if (strcmp(service, "intake") == 0 && (strcmp(pk_http_method(c->req), "GET") != 0 || f->query))
        edge_feed_kick(c->in->feed); /* a step, or an opening, the owner recorded: the desk sees it now */
    if (f->status == 204) {
        json_decref(shown);
        pk_http_respond(c->req, 204, "application/json", "", 0);
    } else {
        intake_json(c->req, f->status ? f->status : 200, shown);
    }
    edge_call_free(c);
}

void intake_forward_reply(edge_call_t *c, int rc, const Pelukan__V1__CommandReply *reply, const intake_forward_t *f)
{
    s_answer(c, s_service(f), rc, reply, f);
}

void intake_forward_answer(edge_call_t *c, const char *service, int rc, const Pelukan__V1__CommandReply *reply,
                           const char *field, const char *list, const char *shape)
{
    s_answer(c, service, rc, reply, &(const intake_forward_t){.reply = field, .list = list, .shape = shape});
}

static void s_answered(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    edge_call_t *c = arg;
    const intake_forward_t *f = c->route->forward;
    s_answer(c, s_service(f), rc, reply, f);
}

/* The body into `cmd`; false when the request was answered (and freed). */
static bool s_body(edge_call_t *c, const intake_forward_t *f, ProtobufCMessage *cmd)
{
    if (!intake_take_body(c))
        return false;
    json_t *errors = json_object();
    pk_pbjson_read(c->body, cmd, f->body, errors);
    return !intake_invalid(c, errors, f->invalid ? f->invalid : "Data tidak valid");
}

/* The actor's agency, which a row may need (the path's ids were checked
 * as every route's are, main.c); false when the request was answered 404.
 * A row without `missing` takes an actor without an agency too (""). */
static bool s_found(edge_call_t *c, const intake_forward_t *f)
{
    if (!f->agency || !f->missing || c->staff_agency[0])
        return true;
    intake_error(c->req, 404, f->missing, intake_cmd_message(f->missing), NULL);
    edge_call_free(c);
    return false;
}

/* With an Idempotency-Key, the command's id is the key's (with who and
 * which id): a step sent again after a lost connection is the same
 * command, which the owner answers from its record. */
static void s_command_id(const edge_call_t *c, const char *name, const char *id, const char *key, uint8_t cid[16])
{
    char *seed = pk_asprintf("%s:%s:%s:%s", name, c->staff_id, id, key);
    crypto_generichash(cid, 16, (const uint8_t *)seed, strlen(seed), NULL, 0);
    free(seed);
}

void intake_forward_run(edge_call_t *c)
{
    const intake_forward_t *f = c->route->forward;
    const char *id = pk_http_param(c->req, 0);
    if (!s_found(c, f))
        return;
    const char *key = f->keyed ? pk_http_header(c->req, "idempotency-key") : NULL;
    if (key && !intake_idempotency_key_ok(key)) {
        intake_error(c->req, 400, "bad_idempotency_key", "Idempotency-Key: 1-128 huruf, angka atau . _ : -", NULL);
        edge_call_free(c);
        return;
    }
    const char *q = f->query ? pk_http_query(c->req, f->query) : NULL;
    if (f->query && !pk_code_in(q, f->query_codes)) {
        intake_error(c->req, 422, "validation_failed", f->invalid ? f->invalid : "Data tidak valid",
                     json_pack("{s:s}", f->query, f->query_hint));
        edge_call_free(c);
        return;
    }
    const ProtobufCMessageDescriptor *d = s_message_of(&pelukan__v1__command_request__descriptor, f->command);
    ProtobufCMessage *cmd = pk_calloc(1, d->sizeof_message);
    d->message_init(cmd);
    if (!f->body || s_body(c, f, cmd)) {
        if (f->path_id)
            pk_pbjson_set_string(cmd, f->path_id, id);
        if (f->agency)
            pk_pbjson_set_string(cmd, f->agency, c->staff_agency);
        if (f->constant)
            pk_pbjson_set_int(cmd, f->constant, f->value);
        char session[65];
        if (f->session) {
            intake_token_hash(pk_http_header(c->req, "authorization") + 7, session);
            pk_pbjson_set_string(cmd, f->session, session);
        }
        if (q)
            pk_pbjson_set_string(cmd, f->query_field, q);
        Pelukan__V1__CommandRequest req;
        Pelukan__V1__Actor actor;
        intake_cmd_init(c, &req, &actor, f->path_case ? id : NULL);
        pk_pbjson_set_message(&req.base, f->command, cmd);
        uint8_t cid[16];
        if (key) {
            s_command_id(c, f->keyed, id, key, cid);
            req.command_id = (ProtobufCBinaryData){sizeof cid, cid};
        }
        s_call(c, f->to, &req, s_answered);
    }
    pk_pbjson_release(cmd);
    free(cmd);
}

/* ---- the rows, checked ------------------------------------------------------------ */

static bool s_settable(const ProtobufCMessageDescriptor *d, const char *field, ProtobufCType type)
{
    const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field_by_name(d, field);
    return fd && fd->type == type && fd->label != PROTOBUF_C_LABEL_REPEATED;
}

/* What is wrong with one row, in `bad`; false when nothing. */
static bool s_row_wrong(const intake_route_t *r, char *bad, size_t len)
{
    const intake_forward_t *f = r->forward;
    const ProtobufCMessageDescriptor *cmd = s_message_of(&pelukan__v1__command_request__descriptor, f->command);
    const ProtobufCMessageDescriptor *reply = s_message_of(&pelukan__v1__command_reply__descriptor, f->reply);
    bool takes_id = strchr(r->pattern, '*') != NULL;
    const char *why = !cmd                                                               ? "no such command"
                      : !reply                                                           ? "no such reply"
                      : r->staff || r->handler                                           ? "a handler besides the row"
                      : f->to < INTAKE_TO_DISPATCH || f->to > INTAKE_TO_OWNER            ? "no service"
                      : takes_id != (f->path_id || f->path_case)                         ? "the path's id unused"
                      : f->query && !(f->query_field && f->query_codes && f->query_hint) ? "a query without its field"
                      : f->query && !s_settable(cmd, f->query_field, PROTOBUF_C_TYPE_STRING) ? "no such query field"
                      : f->path_id && !s_settable(cmd, f->path_id, PROTOBUF_C_TYPE_STRING)   ? "no such id field"
                      : f->agency && !s_settable(cmd, f->agency, PROTOBUF_C_TYPE_STRING)     ? "no such agency field"
                      : f->constant && !s_settable(cmd, f->constant, PROTOBUF_C_TYPE_ENUM)   ? "no such step field"
                      : f->session && !s_settable(cmd, f->session, PROTOBUF_C_TYPE_STRING)   ? "no such session field"
                                                                                             : NULL;
    if (why) {
        snprintf(bad, len, "%s", why);
        return true;
    }
    if (f->body && !pk_pbjson_rules_ok(cmd, f->body, bad, len))
        return true;
    return !pk_pbjson_shape_ok(reply, f->shape, bad, len);
}

/* Her profile as an admin sets it (all of it), and her duty as she sets
 * it (what the body leaves out is kept; her kecamatan checked by dispatch). */
static const char *const s_sexes[] = {"F", "M", NULL};
const pk_pbjson_rule_t intake_rules_profile[] = {
    {"sex", PK_PBJSON_CODE_OR_NULL, true, 1, "F, M atau null", s_sexes},
    {"languages", PK_PBJSON_CODES, true, 10, "wajib: daftar kode bahasa", NULL},
    {"kecamatan_codes", PK_PBJSON_CODES, true, 60, "wajib: daftar kode kecamatan", NULL},
    {.field = NULL}};
const pk_pbjson_rule_t intake_rules_duty[] = {{"on_duty", PK_PBJSON_BOOL, true, 0, NULL, NULL},
                                              {"sex", PK_PBJSON_CODE_OR_NULL, false, 1, "F atau M", s_sexes},
                                              {"languages", PK_PBJSON_CODES, false, 10, NULL, NULL},
                                              {"kecamatan_codes", PK_PBJSON_CODES, false, 60, NULL, NULL},
                                              {.field = NULL}};
/* What an admin's referral asks for: where to, which services, why. */
const pk_pbjson_rule_t intake_rules_referral[] = {
    {"agency_code", PK_PBJSON_CODE, true, 0, NULL, NULL},       {"services", PK_PBJSON_CODES, true, 8, NULL, NULL},
    {"reason_code", PK_PBJSON_CODE, true, 0, NULL, NULL},       {"urgent", PK_PBJSON_BOOL, false, 0, NULL, NULL},
    {"legal_basis_code", PK_PBJSON_CODE, false, 0, NULL, NULL}, {.field = NULL}};

/* What the routes with code of their own answer in (a shape) or read (rules),
 * and the message each is of. */
static const struct {
    const ProtobufCMessageDescriptor *desc;
    const char *shape;
    const pk_pbjson_rule_t *rules;
} s_own[] = {
    {&pelukan__v1__visit__descriptor, INTAKE_SHAPE_VISIT, NULL},
    {&pelukan__v1__companion__descriptor, INTAKE_SHAPE_COMPANION, NULL},
    {&pelukan__v1__companion__descriptor, INTAKE_SHAPE_DUTY, NULL},
    {&pelukan__v1__agency__descriptor, INTAKE_SHAPE_AGENCY, NULL},
    {&pelukan__v1__referral__descriptor, INTAKE_SHAPE_REFERRAL, NULL},
    {&pelukan__v1__case_row__descriptor, INTAKE_SHAPE_CASE_ROW, NULL},
    {&pelukan__v1__case_queue__descriptor, INTAKE_SHAPE_QUEUE, NULL},
    {&pelukan__v1__case_view__descriptor, INTAKE_SHAPE_CASE, NULL},
    {&pelukan__v1__set_companion__descriptor, NULL, intake_rules_profile},
    {&pelukan__v1__set_companion__descriptor, NULL, intake_rules_duty},
    {&pelukan__v1__create_referral__descriptor, NULL, intake_rules_referral},
};

int intake_forward_check(const intake_route_t *routes, const pk_log_t *log)
{
    for (size_t i = 0; i < PK_ARRAY_LEN(s_own); i++) {
        char bad[160] = "";
        bool ok = s_own[i].shape ? pk_pbjson_shape_ok(s_own[i].desc, s_own[i].shape, bad, sizeof bad)
                                 : pk_pbjson_rules_ok(s_own[i].desc, s_own[i].rules, bad, sizeof bad);
        if (!ok) {
            pk_log_error(log, "%s \"%s\": %s, refusing to start", s_own[i].shape ? "the shape" : "the rules of",
                         s_own[i].shape ? s_own[i].shape : s_own[i].desc->short_name, bad);
            return PK_ECONFIG;
        }
    }
    for (const intake_route_t *r = routes; r->method; r++) {
        char bad[160] = "";
        if (r->forward && s_row_wrong(r, bad, sizeof bad)) {
            pk_log_error(log, "route %s %s: %s, refusing to start", r->method, r->pattern, bad);
            return PK_ECONFIG;
        }
    }
    return 0;
}
