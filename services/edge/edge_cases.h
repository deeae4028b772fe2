/* edge_cases.h -- the desk's queue and case page (edge_cases.c). */
#ifndef INTAKE_EDGE_CASES_H
#define INTAKE_EDGE_CASES_H

#include "pelukan/rpc.h"

struct edge_call;

void edge_cases_queue(struct edge_call *c); /* GET /v1/staff/cases */
void edge_cases_case(struct edge_call *c);  /* GET /v1/staff/cases/{id}[?purpose=] */

/* Asks the case owner for the case of the request's path as the staff
 * member sees it (GetCase; `purpose` NULL: nothing personal); `done` gets
 * the call. For a route that checks the case before it asks another
 * service. */
/* GetCase's answer (edge_cases_ask) to a step on the case: its row, the
 * case's id into the call, when `may` allows the step from its state;
 * otherwise the request is answered (the failure, or 409
 * invalid_transition "Kasus berstatus <state>; <why>", to `to`), the call
 * freed, and NULL returned. */
const Pelukan__V1__CaseRow *edge_cases_may(struct edge_call *c, int rc, const Pelukan__V1__CommandReply *reply,
                                           bool (*may)(const char *state), const char *to, const char *why);
void edge_cases_ask(struct edge_call *c, const char *purpose, pk_rpc_uv_done_fn done);

#endif
