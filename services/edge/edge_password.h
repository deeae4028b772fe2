/* edge_password.h -- staff passwords: Argon2id on libuv's thread pool,
 * never on the event loop, within a fixed number of slots (security review
 * M4), and the password fields of a body read and wiped. */
#ifndef EDGE_PASSWORD_H
#define EDGE_PASSWORD_H

#include <jansson.h>
#include <stdbool.h>

#include "edge_call.h"

typedef void (*intake_pw_done_fn)(edge_call_t *c, int rc, const char *hash);

/* Verifies `password` against `hash` (verify) or hashes it (hash NULL) on
 * the thread pool, then calls `done` on the event loop. */
void intake_pw(edge_call_t *c, const char *hash, const char *password, intake_pw_done_fn done);
/* Takes a password-hash slot for this request, or answers 503 with
 * Retry-After and frees the call; the slot is given back when the call is
 * freed. */
bool intake_pw_slot(edge_call_t *c);
/* A password hashed (rc 0): the body's passwords are wiped either way; on
 * a failure the request is answered and freed, and false returned. */
bool intake_pw_hashed(edge_call_t *c, int rc);
/* The password in `field` of the body (12 to 256 characters when `policy`),
 * or NULL after answering 422. */
const char *intake_password_field(edge_call_t *c, const char *field, bool policy);

typedef void (*intake_pw_next_fn)(edge_call_t *c);
/* Judges the new password in `field` (read by intake_password_field) on
 * the thread pool, as it may take some milliseconds (pelukan/password.h:
 * not too easy to guess, the account's login and name and the asker's
 * name included), then calls `next` on the event loop; or answers 422
 * with the reason on the field and frees the call. Take the call's
 * password slot first (intake_pw_slot): a judged password is hashed in
 * it. */
void intake_pw_judge(edge_call_t *c, const char *field, intake_pw_next_fn next);

#endif
