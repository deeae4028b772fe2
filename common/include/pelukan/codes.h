/* codes.h -- the code lists that more than one service checks, one copy
 * each (issue 24): the services an agency gives (dispatch checks a
 * companion's recommendations against them, referral a referral's and a
 * follow-up's), the needs a companion finds, the agencies of the district's
 * directory. Their words are intake's catalogue rows (/v1/catalog); the
 * agencies' rows are referral's directory. */
#ifndef PELUKAN_CODES_H
#define PELUKAN_CODES_H

extern const char *const pk_codes_service[];
extern const char *const pk_codes_need[];
extern const char *const pk_codes_agency[];
/* The staff roles (intake_case.h gives each its bit). */
extern const char *const pk_codes_role[];

#endif
