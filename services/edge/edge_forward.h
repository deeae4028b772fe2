/* forward.h -- the edge's forwarding routes: a route that only turns a
 * request into another service's command and its reply into JSON is one
 * row of the route table (routes.c) with a forward part, and this file's
 * one handler runs every such row from its descriptors (pelukan/pbjson.h).
 * No forwarding route has code of its own. */
#ifndef INTAKE_EDGE_FORWARD_H
#define INTAKE_EDGE_FORWARD_H

#include <stdbool.h>

#include "pelukan/log.h"
#include "pelukan/pbjson.h"
#include "pelukan/rpc.h"
#include "pelukan/v1/commands.pb-c.h"

struct edge_call;
struct intake_route;

typedef enum {
    INTAKE_TO_DISPATCH = 1,
    INTAKE_TO_REFERRAL,
    INTAKE_TO_OWNER, /* intake's own case owner, behind its command endpoint */
} intake_to_t;

typedef struct intake_forward {
    intake_to_t to;
    const char *command;  /* the CommandRequest's field: "visit_step" */
    const char *path_id;  /* the path's id goes to this field of the command */
    bool path_case;       /* ... or is the request's case (CommandRequest.case_id) */
    const char *missing;  /* the error code (404) when the actor has no agency */
    const char *agency;   /* the actor's agency goes to this field (with `missing`: she must have one) */
    const char *session;  /* the hash of the request's session token goes to this field */
    const char *constant; /* this field holds `value` (a step) */
    int value;
    const char *query;              /* a query parameter (required) ... */
    const char *query_field;        /* ... goes to this field ... */
    const char *const *query_codes; /* ... and is one of these; */
    const char *query_hint;         /* ... or the client is told this */
    const pk_pbjson_rule_t *body;   /* the body's fields; NULL: the route reads no body */
    const char *invalid;            /* the 422's message */
    const char *keyed;              /* an Idempotency-Key makes the command's id, under this name */
    const char *reply;              /* the CommandReply's field shown ... */
    const char *list;               /* ... its items as {"<list>": [...]}; NULL: the message itself */
    const char *shape;              /* the fields shown (pk_pbjson_print) */
    int status;                     /* the HTTP status of a success; 0: 200; 204: no body */
    bool ends_sessions;             /* a success may end sessions: the streams check theirs at once */
} intake_forward_t;

/* The fields the API shows of other services' messages. */
#define INTAKE_SHAPE_VISIT     "visit_id case_id state kecamatan_code? assigned_at_us identification_id? location{lat lon}"
#define INTAKE_SHAPE_COMPANION "companion_id badge on_duty load sex? languages kecamatan_codes"
#define INTAKE_SHAPE_AGENCY    "code name kind services contact"
#define INTAKE_SHAPE_DUTY      "companion_id badge on_duty load" /* a companion's own duty */
/* The desk's queue and case page (edge_cases.c): a case's row, then the
 * rest of the page: its timeline, what the identification report found
 * and says about referring (null before it is in), and what the reporter
 * answered that is not personal, as codes (null: not said). */
#define INTAKE_SHAPE_CASE_ROW                                                                                          \
    "case_id ticket state urgent child kecamatan_code? violence_forms created_at call_attempts call_reached due_at?"   \
    " reach_request?{reason_code at}"
#define INTAKE_SHAPE_QUEUE "cases{" INTAKE_SHAPE_CASE_ROW "} total overdue urgent_open"
#define INTAKE_SHAPE_CASE                                                                                              \
    "timeline{kind state reason_code? actor_kind actor_id? at} identification?{referral_consent consented_agencies"    \
    " recommended_agencies needs immediate_danger? situation_confirmed? guardian_situation? recommended_services}"     \
    " answers{reporter_kind? reporter_relation? victim_sex? victim_age_band? disability? place_type?"                  \
    " perpetrator_relation? incident_date? incident_approximate? desa_code?}"
#define INTAKE_SHAPE_REFERRAL                                                                                          \
    "referral_id case_id agency_code services urgent reason_code legal_basis_code? state decline_reason_code?"         \
    " outcome_code? created_at_us due_at_us follow_ups overdue"

/* The bodies of the routes with code of their own that read theirs by
 * rules, checked at start as the rows' are: an admin's companion profile
 * and a companion's own duty (SetCompanion), an admin's referral
 * (CreateReferral). */
extern const pk_pbjson_rule_t intake_rules_profile[], intake_rules_duty[], intake_rules_referral[];

/* How long the edge waits for another service's (or its owner's)
 * answer, and how often it asks again. */
#define INTAKE_OWNER_TIMEOUT_MS 1000
#define INTAKE_OWNER_RETRIES    2

/* Sends `cmd` to `to` as this request's person (intake_cmd_init), about
 * case `case_id` (NULL: none), in the CommandRequest's field of cmd's type
 * (each command's type is its own), with the rows' timeout and retries. */
void intake_forward_send(struct edge_call *c, intake_to_t to, const char *case_id, ProtobufCMessage *cmd,
                         pk_rpc_uv_done_fn done);
/* The same as the edge's SYSTEM actor `system` (for nobody signed in yet:
 * intake_cmd_system), about no case. */
void intake_forward_system(struct edge_call *c, intake_to_t to, const char *system, ProtobufCMessage *cmd,
                           pk_rpc_uv_done_fn done);
/* Answers a command's reply as row `f` would (its reply, list, shape,
 * status), and frees the call. */
void intake_forward_reply(struct edge_call *c, int rc, const Pelukan__V1__CommandReply *reply,
                          const intake_forward_t *f);

/* Runs the forward part of the request's route (a staff route's handler). */
void intake_forward_run(struct edge_call *c);

/* Answers a command's reply from `service` and frees the call: a failure
 * as intake_cmd_failed() does; otherwise 200 with the reply's field
 * `field` in `shape` (with `list`: its items as {"<list>": [...]}). What
 * a route that checks something first and then forwards answers with. */
void intake_forward_answer(struct edge_call *c, const char *service, int rc, const Pelukan__V1__CommandReply *reply,
                           const char *field, const char *list, const char *shape);

/* 0 when every forwarding row of `routes`, and every INTAKE_SHAPE_*, names
 * fields its messages have;
 * otherwise logs the first wrong name and returns PK_ECONFIG (intake does
 * not start, and a unit test runs this on the table). */
int intake_forward_check(const struct intake_route *routes, const pk_log_t *log);

#endif
