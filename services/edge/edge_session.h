/* edge_session.h -- every request's session, checked on the edge and
 * held for a moment (edge_session.c). */
#ifndef EDGE_SESSION_H
#define EDGE_SESSION_H

#include "edge.h"
#include "edge_call.h"

/* Answers held `ttl_ms` (0: none held). Caller owns return value; free
 * with edge_sessions_destroy(). */
edge_sessions_t *edge_sessions_new(int ttl_ms);
void edge_sessions_destroy(edge_sessions_t **self_p);

/* The hash of a reporter's token from "Authorization: Bearer <token>";
 * false when there is none or it is malformed (answered 401; `c` is the
 * caller's to free). */
bool intake_bearer(edge_call_t *c, char hash[65]);
/* Checks "Authorization: Bearer <token>" against reporters' sessions
 * (session.c, as the next); on success fills the reporter id
 * and key and continues with `next`; otherwise answers 401 (503 when the
 * owner cannot check it) and frees `c`. */
void intake_authenticate(edge_call_t *c, void (*next)(edge_call_t *c));
/* The same, and the case `c->case_id` must be hers: another's is
 * answered 404, as her report's view answers it. One question to the
 * owner for both. */
void intake_authenticate_hers(edge_call_t *c, void (*next)(edge_call_t *c));

/* Checks "Authorization: Bearer stf_<token>" against staff sessions;
 * continues with `next` when the staff member's role is one of `roles`,
 * else answers 401 (no valid staff session) or 403 and frees `c`. */
void intake_staff_authenticate(edge_call_t *c, unsigned roles, void (*next)(edge_call_t *c));

#endif
