/* edge_cases.h -- the desk's queue and case page (edge_cases.c). */
#ifndef INTAKE_EDGE_CASES_H
#define INTAKE_EDGE_CASES_H

struct intake_call;

void edge_cases_queue(struct intake_call *c); /* GET /v1/staff/cases */
void edge_cases_case(struct intake_call *c);  /* GET /v1/staff/cases/{id}[?purpose=] */

#endif
