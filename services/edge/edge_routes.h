/* edge_routes.h -- the API's routes (edge_routes.c). */
#ifndef EDGE_ROUTES_H
#define EDGE_ROUTES_H

#include "edge.h"

struct edge_call;

/* The routes of the API: method, path pattern ("*" = one segment), who may
 * call it (INTAKE_* bits of intake_case.h: the authorization matrix), and
 * its handler. Reporter and anonymous routes take the request as it comes
 * (`handler`); staff routes run after the staff member was authenticated
 * and their role checked against `roles` (`staff`). The OpenAPI file
 * describes exactly these (a test checks), and a test calls every route
 * as every role. */
typedef struct intake_route {
    const char *method;
    const char *pattern;
    unsigned roles;
    pk_http_handler_fn handler;
    void (*staff)(struct edge_call *c);
    const struct intake_forward *forward; /* a staff route that only forwards (forward.h) */
    unsigned flags;                       /* INTAKE_ROUTE_* */
} intake_route_t;

/* The session's answer may be held a moment (session.c): only
 * where a session that ended a second ago does no harm. */
#define INTAKE_ROUTE_HOLDS_SESSION 1u
/* Served from the edge's own settings (the help numbers, the app's
 * identity): never waits for the owner's reference data at start
 * (reference.c), so a reporter in danger sees the numbers to
 * call at once. */
#define INTAKE_ROUTE_OWN_SETTINGS 2u

/* The table (routes.c). */
extern const intake_route_t intake_routes[];

/* A staff route: the session checked and the role too before it runs. */
static inline bool intake_route_staff(const intake_route_t *r)
{
    return r->staff || (r->forward && r->roles != INTAKE_REPORTER);
}

#endif
