/* account.h -- the checks a staff account and a phone number must pass,
 * pure and shared: intake applies them to the API's accounts, pelukanctl to
 * the ones it makes (so the tool needs none of intake's code). */
#ifndef PELUKAN_ACCOUNT_H
#define PELUKAN_ACCOUNT_H

#include <jansson.h>

#include "pelukan/error.h"

/* Normalises an Indonesian mobile number given as 08xx, 628xx or +62 8xx
 * (spaces, dashes, dots and parentheses allowed) to E.164 "+628..." with 8
 * to 11 digits after "+628". Returns 0 or PK_EINVAL. */
int pk_phone_normalize(const char *in, char out[24]) PK_MUST_CHECK;

/* Checks a new account's fields (login, display_name, role, agency_code,
 * password, email, phone; nothing else); fills `errors` (field -> message)
 * and returns PK_EINVAL, or 0. The password's length is the caller's. */
int pk_account_check(const json_t *body, json_t *errors);

#endif
