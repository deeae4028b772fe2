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
void edge_cases_ask(struct edge_call *c, const char *purpose, pk_rpc_uv_done_fn done);

#endif
