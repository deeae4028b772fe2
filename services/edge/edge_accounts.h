/* edge_accounts.h -- the account routes that carry a password. */
#ifndef INTAKE_EDGE_ACCOUNTS_H
#define INTAKE_EDGE_ACCOUNTS_H

struct edge_call;

/* POST /v1/staff/accounts */
void intake_staff_account_create(struct edge_call *c);
/* POST /v1/staff/accounts/{id}/password */
void intake_staff_account_reset(struct edge_call *c);

#endif
