/* password.h -- the one rule for a new staff password beyond its length
 * (the edge's and pelukanctl's alike): it must not be common, expected or
 * built on the account's own words (NIST SP 800-63B, 5.1.1.2; security
 * review L6). Staff accounts open victims' data. */
#ifndef PELUKAN_PASSWORD_H
#define PELUKAN_PASSWORD_H

#include "pelukan/error.h"

/* 0 when `password` would take at least 10^8 guesses to an attacker who
 * knows the common passwords, dictionary words, names, keyboard patterns,
 * dates, repeats and sequences, this service's and district's names and
 * `account_words` (the login, the display name; NULL-terminated, or NULL);
 * else PK_EINVAL, with `why` (when given) set to a reason in Indonesian
 * for the person choosing it. */
int pk_password_weak(const char *password, const char *const *account_words, const char **why) PK_MUST_CHECK;

#endif
