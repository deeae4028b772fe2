/* intake_store.h -- the case owner's statements: one function each, on the
 * command server's connection inside the transaction it opened for the
 * command (common/src/rpc.c), so a command reads as straight-line code and
 * its SQL is here, not beside it. Each returns 0, PK_ENOENT when the row it
 * reads is not there, or PK_EDB (the server rolls back and answers
 * STATUS_INTERNAL). */
#ifndef INTAKE_STORE_H
#define INTAKE_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "intake.h"
#include "pelukan/crypto.h"
#include "pelukan/util.h"
#include "pelukan/v1/commands.pb-c.h"

/* For the store's files (intake_store.c, intake_store_people.c): one
 * statement on the worker's connection, prepared once per session (NULL,
 * logged, on failure); the same, 0 or PK_EDB; a text column of row `i` in
 * the arena ("" when NULL). */
PGresult *intake_store_exec(PGconn *conn, intake_owner_t *o, const char *sql, int n, const char *const *p);
int intake_store_run(PGconn *conn, intake_owner_t *o, const char *sql, int n, const char *const *p) PK_MUST_CHECK;
/* The one row of `sql`: 0 (*out holds it; the caller clears it),
 * PK_ENOENT (none: *out NULL) or PK_EDB. */
int intake_store_one(PGconn *conn, intake_owner_t *o, const char *sql, int n, const char *const *p,
                     PGresult **out) PK_MUST_CHECK;
char *intake_store_text(pk_arena_t **arena, const PGresult *r, int i, int col);
/* The first column of the statement's first row, as a boolean (false when
 * no row) or a number (0 when no row); 0 or PK_EDB. */
int intake_store_flag(PGconn *conn, intake_owner_t *o, const char *sql, int n, const char *const *p, bool *out);
int intake_store_count(PGconn *conn, intake_owner_t *o, const char *sql, int n, const char *const *p, int *out);
/* A bytea column of row 0 in the arena (NULL and 0 when NULL). */
uint8_t *intake_store_blob(pk_arena_t **arena, const PGresult *r, int col, size_t *len);
/* Every row of `r` (NULL: the statement failed) as messages of `desc`
 * (pelukan/pbrow.h) into *items and *n, in the arena; `r` cleared. 0 or
 * PK_EDB. */
int intake_store_read_all(intake_owner_t *o, PGresult *r, const ProtobufCMessageDescriptor *desc, pk_arena_t **arena,
                          ProtobufCMessage ***items, size_t *n) PK_MUST_CHECK;
/* The one row of `r` (NULL: the statement failed) into `msg` by its
 * columns' names (pelukan/pbrow.h), strings in the arena; `r` cleared.
 * 0, PK_ENOENT (no row) or PK_EDB. */
int intake_store_read_one(intake_owner_t *o, PGresult *r, ProtobufCMessage *msg, pk_arena_t **arena) PK_MUST_CHECK;

/* A case as a desk step needs it, locked until the step's transaction
 * ends (no other step runs between the check and the write). The keys and
 * the reporter's safety choices stay sealed: the command opens what it
 * needs. */
typedef struct {
    char state[16];
    char reporter_id[PK_ID_HEX_LEN + 1];
    bool call_reached;
    uint8_t case_key[PK_WRAPPED_KEY_BYTES];
    size_t case_key_len; /* 0: erased */
    uint8_t reporter_key[PK_WRAPPED_KEY_BYTES];
    size_t reporter_key_len;
    uint8_t safety[512];
    size_t safety_len;
} intake_desk_case_t;

int intake_store_desk_case(PGconn *conn, intake_owner_t *o, const char *case_id, intake_desk_case_t *out) PK_MUST_CHECK;

/* Whether case `case_id` exists, and is reporter `reporter_id`'s unless
 * that is "". */
int intake_store_case_exists(PGconn *conn, intake_owner_t *o, const char *case_id, const char *reporter_id,
                             bool *exists) PK_MUST_CHECK;

/* What a desk step changes in the case row. */
typedef struct {
    const char *case_id;
    const char *to;           /* the new state, or NULL */
    bool call;                /* a confirmation call: one more attempt */
    bool reached;             /* ... that reached someone */
    const char *duplicate_of; /* or NULL */
} intake_desk_change_t;

/* Applies `ch`; the case's state and call attempts after it. */
int intake_store_desk_change(PGconn *conn, intake_owner_t *o, const intake_desk_change_t *ch, char state[16],
                             int *call_attempts) PK_MUST_CHECK;

/* A timeline entry by staff member `staff_id` (NULL: by the case's
 * reporter): `kind` "state" (the state entered, with its reason), "call"
 * (reason: the outcome) or "note"; the entry holds the case's state
 * `state`. */
int intake_store_timeline(PGconn *conn, intake_owner_t *o, const char *case_id, const char *kind, const char *state,
                          const char *reason_code, const char *staff_id) PK_MUST_CHECK;

/* An internal note or a call's note, sealed (`sealed_hex`, a bytea literal). */
int intake_store_note(PGconn *conn, intake_owner_t *o, const char *case_id, const char *staff_id, const char *kind,
                      const char *outcome, const char *sealed_hex) PK_MUST_CHECK;

/* A reporter's own reports, the newest 200 first (in `arena`). */
int intake_store_reports(PGconn *conn, intake_owner_t *o, const char *reporter_id, pk_arena_t **arena,
                         Pelukan__V1__Reports *out) PK_MUST_CHECK;

/* ---- openings and notes (intake_notes.c) -------------------------------------- */

/* The case's timeline entry of an opening: $1 the case, $2 the purpose,
 * $3 the staff member it names (the API's openings and GetPlace's). */
#define INTAKE_SQL_ACCESS_EVENT                                                                                        \
    "INSERT INTO case_event (case_id, kind, state, reason_code, actor_kind, actor_id)"                                 \
    " SELECT id, 'access', state, $2, 'staff', $3 FROM cases WHERE id = $1"

/* The wrapped key of case `case_id` into `wrapped` (PK_WRAPPED_KEY_BYTES);
 * PK_ENOENT when there is no such case or its key is gone (erased). */
int intake_store_case_key(PGconn *conn, intake_owner_t *o, const char *case_id, uint8_t *wrapped) PK_MUST_CHECK;
/* The case's timeline entry of an opening by `staff` for `purpose`. */
int intake_store_access(PGconn *conn, intake_owner_t *o, const char *case_id, const char *purpose,
                        const char *staff) PK_MUST_CHECK;

/* A note of the case, still sealed. */
typedef struct {
    const char *kind, *outcome, *at, *by; /* outcome "" when none */
    uint8_t *sealed;
    size_t sealed_len; /* 0: none */
} intake_note_row_t;

/* The case's notes, oldest first, into `*rows` (in `arena`). */
int intake_store_notes(PGconn *conn, intake_owner_t *o, const char *case_id, pk_arena_t **arena,
                       intake_note_row_t **rows, int *n) PK_MUST_CHECK;

/* The case as its companion's brief needs it (the sealed parts sealed). */
typedef struct {
    char case_id[PK_ID_HEX_LEN + 1];
    char reporter_id[PK_ID_HEX_LEN + 1];
    uint8_t case_key[PK_WRAPPED_KEY_BYTES], reporter_key[PK_WRAPPED_KEY_BYTES];
    bool case_key_known, reporter_key_known;
    uint8_t *personal, *safety; /* in the arena; NULL when none */
    size_t personal_len, safety_len;
    Pelukan__V1__Brief plain; /* the unsealed columns, strings in the arena */
} intake_brief_row_t;

/* Case `case_id` for its companion `companion` while her access lasts
 * (PK_ENOENT otherwise). */
int intake_store_brief(PGconn *conn, intake_owner_t *o, const char *case_id, const char *companion, pk_arena_t **arena,
                       intake_brief_row_t *out) PK_MUST_CHECK;

/* ---- what other services ask (intake_contact.c, intake_place.c) ---------------- */

/* A case's state, its kecamatan and its sealed personal part, as GetPlace
 * needs them. */
typedef struct {
    char state[16];
    char kecamatan_code[16];
    uint8_t case_key[PK_WRAPPED_KEY_BYTES];
    bool case_key_known;
    uint8_t *personal; /* in the arena; NULL when none */
    size_t personal_len;
} intake_place_row_t;

int intake_store_place(PGconn *conn, intake_owner_t *o, const char *case_id, pk_arena_t **arena,
                       intake_place_row_t *out) PK_MUST_CHECK;

/* The reporter of a case, her contact still sealed. */
typedef struct {
    char reporter_id[PK_ID_HEX_LEN + 1];
    uint8_t key[PK_WRAPPED_KEY_BYTES];
    bool key_known;          /* false: erased */
    uint8_t *phone, *safety; /* in the arena; NULL when none */
    size_t phone_len, safety_len;
} intake_reporter_row_t;

int intake_store_case_reporter(PGconn *conn, intake_owner_t *o, const char *case_id, pk_arena_t **arena,
                               intake_reporter_row_t *out) PK_MUST_CHECK;

/* Staff contacts into `out` (in `arena`): one member's (`staff_id`: her
 * e-mail, her mobile, her browser's push subscription), or every active
 * e-mail of a role, or of an agency's users (`role` "agency:<code>"). */
int intake_store_staff_contact(PGconn *conn, intake_owner_t *o, const char *staff_id, const char *role,
                               pk_arena_t **arena, Pelukan__V1__Contact *out) PK_MUST_CHECK;

/* One of reporter `reporter_id`'s reports as she sees it (in `arena`);
 * PK_ENOENT when it is not hers. */
int intake_store_report(PGconn *conn, intake_owner_t *o, const char *case_id, const char *reporter_id,
                        pk_arena_t **arena, Pelukan__V1__ReportView *out) PK_MUST_CHECK;

/* ---- reaching the reporter (intake_reach.c) --------------------------------- */

/* Case `case_id` as its companion `companion` sees it while her access
 * lasts, locked: its state, and whether a request to reach the reporter
 * already waits. PK_ENOENT when it is not hers (or no longer). */
int intake_store_reach_case(PGconn *conn, intake_owner_t *o, const char *case_id, const char *companion, char state[16],
                            bool *waiting) PK_MUST_CHECK;
/* Marks the request (why) on the case. */
int intake_store_reach_mark(PGconn *conn, intake_owner_t *o, const char *case_id, const char *reason) PK_MUST_CHECK;
/* The request answered by admin `admin` (a timeline entry); *answered
 * false when none was waiting. */
int intake_store_reach_done(PGconn *conn, intake_owner_t *o, const char *case_id, const char *admin,
                            bool *answered) PK_MUST_CHECK;

/* ---- erasure (intake_erasure.c) -------------------------------------------- */

/* Opens erasure request `id` of case `case_id` by supervisor `staff`: 0
 * with *asked, or PK_ENOENT (no such case); *asked false when one is open. */
int intake_store_erasure_ask(PGconn *conn, intake_owner_t *o, const char *case_id, const char *id, const char *reason,
                             const char *staff, bool *asked) PK_MUST_CHECK;

/* An erasure request, locked, as its approver or stopper sees it. */
typedef struct {
    char case_id[PK_ID_HEX_LEN + 1];
    char requested_by[PK_ID_HEX_LEN + 1];
    char reason_code[32];
    bool approved;
    bool over;      /* run or stopped */
    bool untrusted; /* `staff` (or the asker) changed by another lately */
} intake_erasure_row_t;

/* PK_ENOENT when there is none. `staff` is who looks, `trust_days` how
 * long a change by another makes an account untrusted. */
int intake_store_erasure_find(PGconn *conn, intake_owner_t *o, const char *id, const char *staff, int trust_days,
                              intake_erasure_row_t *out) PK_MUST_CHECK;
/* Approves it: it runs in `cooling_s`. */
int intake_store_erasure_approve(PGconn *conn, intake_owner_t *o, const char *id, const char *staff,
                                 int cooling_s) PK_MUST_CHECK;
int intake_store_erasure_stop(PGconn *conn, intake_owner_t *o, const char *id, const char *staff) PK_MUST_CHECK;

/* An approved erasure whose time came. */
typedef struct {
    char id[PK_ID_HEX_LEN + 1];
    char case_id[PK_ID_HEX_LEN + 1];
    char reason_code[32];
    char approved_by[PK_ID_HEX_LEN + 1]; /* a supervisor, or "retention" */
} intake_erasure_due_t;

/* At most `cap` of them, the oldest first, into `out`; their number in *n. */
int intake_store_erasures_due(PGconn *conn, intake_owner_t *o, intake_erasure_due_t *out, int cap,
                              int *n) PK_MUST_CHECK;
/* Cases that ended more than `retention_s` ago, at most `cap`. */
int intake_store_cases_expired(PGconn *conn, intake_owner_t *o, int retention_s, char (*ids)[PK_ID_HEX_LEN + 1],
                               int cap, int *n) PK_MUST_CHECK;
/* The retention's own erasure request `id` of `case_id`: approved by
 * itself and due at once (a rule, not a person). */
int intake_store_retention_ask(PGconn *conn, intake_owner_t *o, const char *id, const char *case_id) PK_MUST_CHECK;
/* Runs due erasure `id` once, unless stopped: deletes the case and
 * everything intake holds of it; *erased says whether it did. */
int intake_store_erase(PGconn *conn, intake_owner_t *o, const char *id, bool *erased) PK_MUST_CHECK;

/* ---- staff accounts (intake_accounts.c) ------------------------------------ */

/* The role of account `id` into `role`; PK_ENOENT when there is none. */
int intake_store_staff_role(PGconn *conn, intake_owner_t *o, const char *id, char role[16]) PK_MUST_CHECK;
/* Every account, by role and login, as the reply's items (in `arena`). */
int intake_store_staff_list(PGconn *conn, intake_owner_t *o, pk_arena_t **arena,
                            Pelukan__V1__StaffAccounts *out) PK_MUST_CHECK;
/* Makes account `id` as `m` says, changed by `by`; *made false when its
 * login is taken. */
int intake_store_staff_create(PGconn *conn, intake_owner_t *o, const Pelukan__V1__ManageAccount *m, const char *id,
                              const char *by, bool *made) PK_MUST_CHECK;
/* Disables account `id` and ends its sessions. */
int intake_store_staff_disable(PGconn *conn, intake_owner_t *o, const char *id) PK_MUST_CHECK;
/* Lifts the lock-out of account `id`, changed by `by`. */
int intake_store_staff_unlock(PGconn *conn, intake_owner_t *o, const char *id, const char *by) PK_MUST_CHECK;
/* A new password (`hash`) for account `id`, changed by `by`, to be changed
 * at the next login: its lock-out lifted, its sessions and known devices
 * ended. */
int intake_store_staff_reset(PGconn *conn, intake_owner_t *o, const char *id, const char *hash,
                             const char *by) PK_MUST_CHECK;

/* ---- an admin's duty (intake_duty.c) --------------------------------------- */

/* Staff member `id`'s duty and number, and the admins on duty (in `arena`). */
int intake_store_duty(PGconn *conn, intake_owner_t *o, const char *id, pk_arena_t **arena,
                      Pelukan__V1__DutyStatus *out) PK_MUST_CHECK;
/* Sets it; `phone` "" keeps the number kept. */
int intake_store_duty_set(PGconn *conn, intake_owner_t *o, const char *id, bool on_duty,
                          const char *phone) PK_MUST_CHECK;

/* The sessions among `hashes` (a text[] parameter) that still hold, as
 * their accounts are now (a reporter's: role ""). */
int intake_store_sessions(PGconn *conn, intake_owner_t *o, const char *hashes, pk_arena_t **arena,
                          Pelukan__V1__Sessions *out) PK_MUST_CHECK;

/* The staff feed: numbers the timeline entries committed since the last
 * read, then reads up to `limit` entries after `after` (< 0: the head
 * only). */
int intake_store_feed(PGconn *conn, intake_owner_t *o, long long after, int limit, pk_arena_t **arena,
                      Pelukan__V1__Feed *out) PK_MUST_CHECK;

/* A staff member's Web Push subscription set, dropped or read; whether
 * one is kept (intake_store_people.c). */
int intake_store_push(PGconn *conn, intake_owner_t *o, const char *staff_id, const Pelukan__V1__Push *push,
                      bool *subscribed) PK_MUST_CHECK;

/* A password check claimed (intake_store_people.c): a login's by `login`
 * with its device, or a password change's by `staff_id` (login ""). `out`
 * holds the account and its hash when it may be checked (else its staff_id
 * stays unset); `locked` says this try locked it. */
int intake_store_claim(PGconn *conn, intake_owner_t *o, const char *login, const char *staff_id,
                       const char *device_hash, pk_arena_t **arena, Pelukan__V1__PasswordClaim *out,
                       bool *locked) PK_MUST_CHECK;
/* A right password's session: the wrong tries forgotten, the session and
 * the device kept; PK_ENOENT when the account was disabled meanwhile. */
int intake_store_open_session(PGconn *conn, intake_owner_t *o, const char *staff_id, const char *token_hash,
                              const char *device_hash, pk_arena_t **arena,
                              Pelukan__V1__StaffSession *out) PK_MUST_CHECK;
/* A new password hash, and every session but `keep_token_hash` ended. */
int intake_store_set_password(PGconn *conn, intake_owner_t *o, const char *staff_id, const char *hash,
                              const char *keep_token_hash, int *ended) PK_MUST_CHECK;

/* A reporter's registration (intake_store_people.c): may a code be sent
 * (if so it is kept); a code's try counted, then compared with each code
 * it may match (`failure_id` the try's, when `matched`); why the holder's
 * own code refused it ("expired", "exhausted", "open" or "none"); and a
 * matched try's session, her registration with it if she is new. */
int intake_store_code_request(PGconn *conn, intake_owner_t *o, const Pelukan__V1__RequestCode *rq,
                              Pelukan__V1__CodeRequested *out) PK_MUST_CHECK;
int intake_store_code_try(PGconn *conn, intake_owner_t *o, const Pelukan__V1__VerifyCode *v, char failure_id[24],
                          bool *matched) PK_MUST_CHECK;
int intake_store_code_refused(PGconn *conn, intake_owner_t *o, const Pelukan__V1__VerifyCode *v,
                              char why[16]) PK_MUST_CHECK;
int intake_store_code_session(PGconn *conn, intake_owner_t *o, const Pelukan__V1__VerifyCode *v, const char *failure_id,
                              pk_arena_t **arena, Pelukan__V1__CodeVerified *out, bool *registered) PK_MUST_CHECK;

/* A staff member's session of a token's hash, with her account as it is
 * now (`holds` false when none; intake_store_people.c). */
int intake_store_resolve(PGconn *conn, intake_owner_t *o, const Pelukan__V1__ResolveSession *rs, pk_arena_t **arena,
                         Pelukan__V1__ResolvedSession *out) PK_MUST_CHECK;

/* The reporter whose session each of `hashes` (a token's hash) names,
 * while it holds, kept alive by her use (at most one write a minute): her
 * id and her key, wrapped, or `found` false; one statement for them all
 * (intake_store_people.c). */
typedef struct {
    bool found; /* her session holds */
    char id[PK_ID_HEX_LEN + 1];
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES];
} intake_reporter_key_t;

int intake_store_reporter_sessions(PGconn *conn, intake_owner_t *o, const char *const *hashes, int n,
                                   intake_reporter_key_t *out) PK_MUST_CHECK;

/* A report as its one statement writes it (intake_sql_report_submit). */
typedef struct {
    const Pelukan__V1__SubmitReport *report;
    const char *reporter_id, *case_id, *ticket;
    const char *topic, *envelope_hex; /* its ReportSubmitted, for the outbox */
    const uint8_t *safety;            /* her choices sealed with her key */
    size_t safety_len;                /* 0: none given */
} intake_report_row_t;

/* Writes the reports, each while her session holds, unless her key was
 * used before (that report's receipt) or she is over her reports a day
 * (o->cfg->reports_per_day; 0: no limit), pipelined: one round trip and one
 * implicit transaction; the receipts into out[i], their strings in
 * `arena`. PK_EDB when any failed (then none is written). */
int intake_store_submit_many(PGconn *conn, intake_owner_t *o, const intake_report_row_t *const *rows, int n,
                             pk_arena_t **arena, Pelukan__V1__ReportReceipt *const *out) PK_MUST_CHECK;

/* A reporter's safety choices, sealed with her key, replace hers
 * (intake_store.c). */
int intake_store_set_safety(PGconn *conn, intake_owner_t *o, const char *reporter_id,
                            const ProtobufCBinaryData *sealed) PK_MUST_CHECK;

/* Ends the session `token_hash` of staff member or reporter `who` (`all`:
 * every session of hers); how many ended (intake_store_people.c). */
int intake_store_end_sessions(PGconn *conn, intake_owner_t *o, bool staff, const char *who, const char *token_hash,
                              bool all, int *ended) PK_MUST_CHECK;

/* Deletes expired codes, code requests and wrong codes older than
 * `keep_s`, ended sessions; how many rows went (intake_store_people.c). */
int intake_store_purge(PGconn *conn, intake_owner_t *o, int keep_s, long *deleted) PK_MUST_CHECK;

/* ---- the read model: other services' events on a case (intake_readmodel.c) ---- */
/* Each on the subscriber's connection, in its transaction with the
 * event's offset, unprepared; 0 or PK_EDB (logged) (intake_store.c). */

/* A referral of the case: `state` "sent" (made, to `agency`), "accepted",
 * "declined" or "closed" (its agency "" then). */
int intake_store_case_agency(PGconn *conn, const pk_log_t *log, const char *referral_id, const char *case_id,
                             const char *state, const char *agency) PK_MUST_CHECK;
/* What the identification report found and says about referring, as codes. */
int intake_store_identification(PGconn *conn, const pk_log_t *log, const char *case_id,
                                const Pelukan__V1__IdentificationReportSubmitted *s) PK_MUST_CHECK;
/* The case's visit completed (`done`), or a new assignment started one. */
int intake_store_visit_done(PGconn *conn, const pk_log_t *log, const char *case_id, bool done) PK_MUST_CHECK;
/* Whether any referral of the case is still under way, and any closed. */
int intake_store_referrals(PGconn *conn, const pk_log_t *log, const char *case_id, bool *open,
                           bool *closed) PK_MUST_CHECK;
/* The case's state, its row locked ("" when there is no such case). */
int intake_store_lock_state(PGconn *conn, const pk_log_t *log, const char *case_id, char state[32]) PK_MUST_CHECK;

/* A step of the case from another service's event: the state moves to
 * `to` when it is one of `from` (a text[] literal; `to` "": it does not
 * move), with its timeline entry and its CaseStateChanged event
 * (`envelope_hex` NULL: none); who the case is with now; and the event's
 * own timeline entry. */
typedef struct {
    const char *case_id, *from, *to;
    const char *companion; /* "" keeps hers; clear_companion drops her */
    bool clear_companion;
    const char *agency; /* "" keeps it */
    const char *type, *reason, *actor_kind, *actor_id, *producer;
    const char *topic, *envelope_hex;
} intake_step_row_t;
int intake_store_case_step(PGconn *conn, const pk_log_t *log, const intake_step_row_t *s) PK_MUST_CHECK;

/* ---- the desk's reads (intake_store.c) ---- */

/* The queue: the cases `actor` sees that the filter selects, one page, in
 * the order of the one-day promise, and the counts of all it selects. */
int intake_store_queue(PGconn *conn, intake_owner_t *o, const Pelukan__V1__ListCases *f,
                       const Pelukan__V1__Actor *actor, pk_arena_t **arena, Pelukan__V1__CaseQueue *out) PK_MUST_CHECK;

/* One case as `actor` (of agency `agency`) sees it, its timeline too; the
 * keys and the personal parts still sealed. `asked`: an agency asked to
 * take it may see it (without anything personal, which the caller keeps). */
typedef struct {
    Pelukan__V1__CaseView view; /* the unsealed parts, in the arena */
    char reporter_id[PK_ID_HEX_LEN + 1];
    uint8_t *case_key, *personal, *reporter_key, *phone, *safety; /* in the arena; NULL when none */
    size_t case_key_len, personal_len, reporter_key_len, phone_len, safety_len;
} intake_case_row_t;

int intake_store_case(PGconn *conn, intake_owner_t *o, const char *case_id, const Pelukan__V1__Actor *actor,
                      const char *agency, bool asked, pk_arena_t **arena, intake_case_row_t *out) PK_MUST_CHECK;

/* ---- the reference data (intake_store_people.c) ---- */

/* The codes requests are checked against (kind, code, label: one row
 * each), the catalogue the apps show and the regions, as JSON text (one
 * row each), for the edge (GetReference, intake_reference.c). 0, or
 * PK_EDB with the three NULL; the caller clears them. */
int intake_store_reference(PGconn *conn, const pk_log_t *log, PGresult **codes, PGresult **catalog,
                           PGresult **regions) PK_MUST_CHECK;
/* The case states the catalogue has words for, one a row (checked at
 * start, intake_reference_check()); NULL when it cannot be read. */
PGresult *intake_store_states_named(PGconn *conn, const pk_log_t *log);

#endif
