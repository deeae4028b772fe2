/* referral.h -- the referral service: the agency directory, referrals and
 * their follow-ups (referral_commands.c), the deadlines that keep the loop
 * closed (referral_clock.c), and what it learns from intake and dispatch
 * (main.c). */
#ifndef REFERRAL_H
#define REFERRAL_H

#include "pelukan/clock.h"
#include "pelukan/service.h"
#include "pelukan/util.h"

typedef struct {
    pk_service_t *svc;
    const pk_log_t *log;
    const pk_keyring_t *keys;
    int accept_deadline_s; /* a referral not accepted by then is overdue */
    int case_deadline_s;   /* the service standard: referred within */
    int tpks_deadline_s;   /* sexual violence: reported to the police within */
    int tick_ms;           /* how often deadlines are checked */
    pk_clock_t *clock;     /* the deadlines' (referral_clock.c) */
    pk_arena_t *reply_mem; /* the command thread's reply results */
    pk_pg_stmts_t stmts;   /* prepared on the command thread's connection */
    pk_metric_t *m_created, *m_overdue, *m_deadline_events, *m_deadline_checks;
} referral_t;

/* The command server's handler, its reply cleanup, and its queries. */
int referral_command(PGconn *conn, const Pelukan__V1__CommandRequest *req, Pelukan__V1__CommandReply *reply, void *arg);
void referral_command_done(Pelukan__V1__CommandReply *reply, void *arg);
bool referral_is_query(const Pelukan__V1__CommandRequest *req);

/* OpenNotes: the follow-up notes of the request's case, the opening
 * recorded (referral_notes.c). */
int referral_open_notes(PGconn *conn, referral_t *r, const Pelukan__V1__CommandRequest *req,
                        Pelukan__V1__CommandReply *reply);

/* Raises ReferralOverdue and the deadline events due at `now` in one
 * transaction on `conn`; returns how many events, or a PK_E* code. */
int referral_check_deadlines(PGconn *conn, referral_t *r);

/* The clock that checks the deadlines every tick_ms (pelukan/clock.h).
 * Caller owns return value (pk_clock_destroy). */
pk_clock_t *referral_clock_new(referral_t *r);

#endif
