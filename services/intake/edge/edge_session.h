/* edge_session.h -- every request's session, checked on the edge and
 * held for a moment (edge_session.c; intake_call.h declares the checks). */
#ifndef EDGE_SESSION_H
#define EDGE_SESSION_H

#include "../intake.h"

/* Answers held `ttl_ms` (0: none held). Caller owns return value; free
 * with edge_sessions_destroy(). */
edge_sessions_t *edge_sessions_new(int ttl_ms);
void edge_sessions_destroy(edge_sessions_t **self_p);

#endif
