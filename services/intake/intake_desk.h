/* intake_desk.h -- the case owner's answers to the desk: its steps on a case
 * (CaseStep, intake_desk.c), erasure (EraseCase, intake_erasure.c) and the
 * staff accounts (ManageAccount, intake_accounts.c). */
#ifndef INTAKE_DESK_H
#define INTAKE_DESK_H

#include <libpq-fe.h>

#include <stdbool.h>
#include <string.h>

#include "intake.h"
#include "pelukan/v1/commands.pb-c.h"

/* True when the command's actor is a staff member in `role` (vouched for
 * by the edge, as every owner command's is). */
static inline bool intake_actor_is(const Pelukan__V1__CommandRequest *req, const char *role)
{
    return req->actor->kind == PELUKAN__V1__ACTOR__KIND__KIND_STAFF && req->actor->role &&
           strcmp(req->actor->role, role) == 0;
}

/* A staff member, or an agency's user: a person the desk knows. */
static inline bool intake_actor_is_staff(const Pelukan__V1__CommandRequest *req)
{
    return req->actor->kind == PELUKAN__V1__ACTOR__KIND__KIND_STAFF ||
           req->actor->kind == PELUKAN__V1__ACTOR__KIND__KIND_AGENCY;
}

/* Adds `field` -> `value` (a code, never personal data) to a refusal's
 * details, in the command thread's arena. */
void intake_reply_detail(intake_owner_t *o, Pelukan__V1__CommandReply *reply, const char *field, const char *value);

/* A pk_rpc_handler_fn for CaseStep, from the edge (its actor vouched for). */
int intake_desk_step(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                     Pelukan__V1__CommandReply *reply);

/* CaseStep's REACH_REQUEST and REACH_DONE (intake_reach.c). */
int intake_reach_step(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                      Pelukan__V1__CommandReply *reply);

/* EraseCase: the erasure of a case, from the edge (a supervisor)
 * (intake_erasure.c). */
int intake_erasure_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                           Pelukan__V1__CommandReply *reply);
/* The case owner's clock (intake_clock.c), in the transaction it opened:
 * the approved erasures whose time came and what the retention of closed
 * cases says, a few at a time. The cases erased, or PK_EDB; *more when
 * more may be due. */
int intake_erasure_sweep(PGconn *conn, intake_owner_t *o, bool *more) PK_MUST_CHECK;

/* ManageAccount: the staff accounts, from the edge (intake_accounts.c). */
int intake_accounts_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                            Pelukan__V1__CommandReply *reply);

/* Duty: an admin's duty, read or set (intake_duty.c). */
int intake_duty_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply);

/* ListReports: a reporter's own reports (intake_reporter.c). */
int intake_reporter_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                            Pelukan__V1__CommandReply *reply);

/* OpenNotes: the case's sealed notes read back (intake_notes.c). */
int intake_notes_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                         Pelukan__V1__CommandReply *reply);

/* GetBrief: the companion's brief of her case (intake_brief.c). */
int intake_brief_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                         Pelukan__V1__CommandReply *reply);

/* ListCases and GetCase: the desk's queue and one case (intake_cases.c). */
int intake_cases_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                         Pelukan__V1__CommandReply *reply);

/* Push: a staff member's own Web Push subscription (intake_subscription.c). */
int intake_subscription_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                                Pelukan__V1__CommandReply *reply);

/* EndSession: a logout (intake_subscription.c). */
int intake_session_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                           Pelukan__V1__CommandReply *reply);
/* SetSafety: a reporter's own safety choices (intake_subscription.c). */
int intake_safety_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                          Pelukan__V1__CommandReply *reply);

/* RequestCode and VerifyCode: a reporter's registration (intake_code.c). */
int intake_code_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply);
/* SubmitReports: reporters' reports, those that came together
 * (intake_submit.c). */
int intake_submit_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                          Pelukan__V1__CommandReply *reply);
/* ClaimPassword, OpenSession, SetPassword (intake_login.c). */
int intake_login_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                         Pelukan__V1__CommandReply *reply);

/* GetReference: the codes, the catalogue and the regions, for the edge
 * (intake_reference.c). */
int intake_reference_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                             Pelukan__V1__CommandReply *reply);

/* CheckSessions and ReadFeed: the edge's live streams (intake_feed.c). */
int intake_feed_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply);

#endif
