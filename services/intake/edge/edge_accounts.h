/* edge_accounts.h -- the account routes that carry a password. */
#ifndef INTAKE_EDGE_ACCOUNTS_H
#define INTAKE_EDGE_ACCOUNTS_H

struct intake_call;

/* POST /v1/staff/accounts */
void intake_staff_account_create(struct intake_call *c);
/* POST /v1/staff/accounts/{id}/password */
void intake_staff_account_reset(struct intake_call *c);

#endif
