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

int intake_store_desk_case(PGconn *conn, intake_t *in, const char *case_id, intake_desk_case_t *out) PK_MUST_CHECK;

/* Whether case `case_id` exists. */
int intake_store_case_exists(PGconn *conn, intake_t *in, const char *case_id, bool *exists) PK_MUST_CHECK;

/* What a desk step changes in the case row. */
typedef struct {
    const char *case_id;
    const char *to;           /* the new state, or NULL */
    bool call;                /* a confirmation call: one more attempt */
    bool reached;             /* ... that reached someone */
    const char *duplicate_of; /* or NULL */
} intake_desk_change_t;

/* Applies `ch`; the case's state and call attempts after it. */
int intake_store_desk_change(PGconn *conn, intake_t *in, const intake_desk_change_t *ch, char state[16],
                             int *call_attempts) PK_MUST_CHECK;

/* A timeline entry by staff member `staff_id`: `kind` "state" (the state
 * entered, with its reason), "call" (reason: the outcome) or "note"; the
 * entry holds the case's state `state`. */
int intake_store_timeline(PGconn *conn, intake_t *in, const char *case_id, const char *kind, const char *state,
                          const char *reason_code, const char *staff_id) PK_MUST_CHECK;

/* An internal note or a call's note, sealed (`sealed_hex`, a bytea literal). */
int intake_store_note(PGconn *conn, intake_t *in, const char *case_id, const char *staff_id, const char *kind,
                      const char *outcome, const char *sealed_hex) PK_MUST_CHECK;

#endif
