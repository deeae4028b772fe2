/* edge_login.h -- a staff member's password on the edge: the login and
 * the password change (edge_login.c). */
#ifndef EDGE_LOGIN_H
#define EDGE_LOGIN_H

#include "pelukan/http.h"

struct edge_call;

/* POST /v1/staff/login: anyone may try. */
void intake_staff_login(pk_http_req_t *req, void *arg);
/* POST /v1/staff/password, after authentication. */
void intake_staff_password(struct edge_call *c);

#endif
