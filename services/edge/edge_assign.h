/* edge_assign.h -- an admin's choice of a companion (edge_assign.c). */
#ifndef EDGE_ASSIGN_H
#define EDGE_ASSIGN_H

#include "edge_call.h"

void edge_assign_suggest(edge_call_t *c); /* GET  /v1/staff/cases/{id}/companions */
void edge_assign_send(edge_call_t *c);    /* POST /v1/staff/cases/{id}/assign */

#endif
