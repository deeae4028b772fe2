/* pkt_intake.h -- an intake service under test, with a stand-in for the
 * notification service that answers SendOtp commands (so reporters can
 * register), and JSON calls to its API. */
#ifndef PKT_INTAKE_H
#define PKT_INTAKE_H

#include <czmq.h>
#include <jansson.h>

#include "pktest.h"

typedef struct {
    char db[32];
    pkt_env_t *env;
    pkt_proc_t proc;
    zsock_t *notif; /* ROUTER on the notification's command endpoint */
    int port;
    pkt_proc_t dispatch; /* when started by pkt_intake_start_dispatch() */
    bool has_dispatch;
    pkt_proc_t referral; /* when started by pkt_intake_start_referral() */
    bool has_referral;
    pkt_proc_t notification; /* the real one, instead of the stand-in */
    bool has_notification;
} pkt_intake_t;

/* A new database `db`, an environment (plus `extra` name/value pairs,
 * NULL-terminated), the stand-in, and intake started and healthy. */
void pkt_intake_start(pkt_intake_t *t, const char *db, const char *const *extra);
/* Starts the dispatch (referral) service beside intake, on the same database. */
void pkt_intake_start_dispatch(pkt_intake_t *t);
void pkt_intake_start_referral(pkt_intake_t *t);
/* Replaces the SendOtp stand-in with the real notification service. */
void pkt_intake_start_notification(pkt_intake_t *t);
/* Stops intake (and dispatch; each must exit 0) and frees everything. */
void pkt_intake_stop(pkt_intake_t *t);

/* A request with a JSON body (or NULL) and a bearer token (or NULL);
 * returns the status and, when `out` is given, the decoded answer. */
int pkt_intake_call(pkt_intake_t *t, const char *method, const char *path, const char *body, const char *token,
                    const char *idem, json_t **out);
/* Adds a staff account through pelukanctl (agency may be NULL). */
void pkt_intake_staff(pkt_intake_t *t, const char *login, const char *name, const char *role, const char *agency,
                      const char *password);
/* Logs in; returns the token and, when `staff_id` is given, the staff id
 * (caller frees both). */
char *pkt_intake_login(pkt_intake_t *t, const char *login, const char *password, char **staff_id);
/* Waits up to 20 s for the case's state in intake to be `want`. */
bool pkt_intake_wait_state(pkt_intake_t *t, const char *case_id, const char *want);
/* A string at "a.b.c" in `j`, or "". */
const char *pkt_json_str(json_t *j, const char *path);
/* Registers `phone` through the one-time code and returns the reporter's
 * session token (caller frees). */
char *pkt_intake_register(pkt_intake_t *t, const char *phone);
/* Receives one SendOtp command and answers it: its code and phone. */
bool pkt_intake_take_otp(pkt_intake_t *t, char code[8], char phone[24]);
/* The same on any notification stand-in ROUTER (benchmarks); false when
 * nothing came within 5 s or it was not a SendOtp. */
bool pkt_otp_answer(zsock_t *notif, char code[8], char phone[24]);

#endif
