/* edge_call.h -- one API request in flight, and what its steps share
 * (edge_call.c). */
#ifndef EDGE_CALL_H
#define EDGE_CALL_H

#include "edge.h"
#include "edge_json.h"
#include "pelukan/v1/commands.pb-c.h"

/* One request in flight: what every route's steps share. A route whose
 * steps need more keeps it in a struct of its own whose first member is
 * this one (the libuv way: the handle embeds the common part), made by
 * edge_call_new_as() and cast back in its callbacks. */
typedef struct edge_call {
    edge_t *in;
    pk_http_req_t *req;
    const struct intake_route *route;
    json_t *body;
    void (*next)(struct edge_call *c);  /* after her session is checked (edge_session.c) */
    void (*clear)(struct edge_call *c); /* a typed request's own state, wiped and released */
    char case_id[PK_ID_HEX_LEN + 1];
    /* A reporter's request: who, and her key (edge_session.c). */
    char reporter_id[PK_ID_HEX_LEN + 1];
    uint8_t reporter_key[PK_DATAKEY_BYTES];
    /* A staff member's request: who, and as what. */
    char staff_id[PK_ID_HEX_LEN + 1];
    char staff_role[16];
    char staff_agency[32];
    char staff_name[128]; /* her display name */
    unsigned role_bit;
    bool pw_slot; /* holds one of the password-hash slots until freed (edge_password.c) */
} edge_call_t;

/* Passwords in a body (members whose name holds "password") are wiped;
 * edge_call_free() wipes the call's body's. */
void intake_wipe_passwords(json_t *body);
/* Caller owns return value; free with edge_call_free(), which wipes the
 * call's key and its body's passwords. */
edge_call_t *edge_call_new(edge_t *in, pk_http_req_t *req);
/* A typed request: `size` bytes, zeroed, whose first member is an
 * edge_call_t; edge_call_free() calls `clear` (or nothing) on it first.
 * Caller owns return value. */
void *edge_call_new_as(edge_t *in, pk_http_req_t *req, size_t size, void (*clear)(edge_call_t *c));
void edge_call_free(edge_call_t *c);

/* The SHA-256 of a session token, in hex: what the owner keeps of it. */
void intake_token_hash(const char *token, char out[65]);

/* When `errors` (field -> message) holds any, answers 422
 * validation_failed with them and `message`, frees `c` and returns true;
 * otherwise drops `errors` and returns false. Takes `errors`. */
bool intake_invalid(edge_call_t *c, json_t *errors, const char *message);

/* ---- commands to other services ------------------------------------------------ */

/* Starts a command as this request's staff member (agency users act as
 * KIND_AGENCY), with its correlation id and case. */
void intake_cmd_init(const edge_call_t *c, Pelukan__V1__CommandRequest *req, Pelukan__V1__Actor *actor,
                     const char *case_id);
/* A command as the edge's SYSTEM actor `id`, outside any request (a
 * timer's, a stream registry's); `correlation` may be NULL. */
void edge_cmd_system(Pelukan__V1__CommandRequest *req, Pelukan__V1__Actor *actor, const char *id,
                     const char *correlation);
/* Starts a command as the edge's own SYSTEM actor `id` (for nobody signed
 * in yet, or a question no person asks), with the request's correlation
 * id. */
void intake_cmd_system(const edge_call_t *c, Pelukan__V1__CommandRequest *req, Pelukan__V1__Actor *actor,
                       const char *id);
/* Answers a command that failed: its typed error (422 with the field
 * named), or 503 "<service>_unavailable" when `rc` says no answer came.
 * Returns true (and frees `c`) unless the reply is OK. */
bool intake_cmd_failed(edge_call_t *c, const char *service, int rc, const Pelukan__V1__CommandReply *reply);
/* The Indonesian message for an error code of another service. */
const char *intake_cmd_message(const char *code);
/* The request's JSON body into c->body ({} when it has none); false when
 * the body was refused (answered and `c` freed). */
bool intake_take_body(edge_call_t *c);
/* The request's JSON body (into c->body) and a new errors object holding
 * its members other than `allowed`; NULL when the body was refused (answered
 * and `c` freed). */
json_t *intake_strict_body(edge_call_t *c, const char *const *allowed);
/* The first word of a staff member's display name (what a reporter sees of
 * a companion), cut to fit `cap`. */
void intake_first_name(const char *display_name, char *out, size_t cap);

/* A log line on a request's path, with the request's correlation id (the
 * X-Request-Id it came with or was given), so that every line of one
 * request can be found together. */
#define intake_log(c, level, ...)                                                                                      \
    pk_log_write((c)->in->log, (level), (c)->req ? pk_http_request_id((c)->req) : NULL, __VA_ARGS__)
#define intake_log_info(c, ...)  intake_log((c), PK_LOG_INFO, __VA_ARGS__)
#define intake_log_warn(c, ...)  intake_log((c), PK_LOG_WARN, __VA_ARGS__)
#define intake_log_error(c, ...) intake_log((c), PK_LOG_ERROR, __VA_ARGS__)

#endif
