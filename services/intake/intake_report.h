/* intake_report.h -- the reporter-facing rules of intake, without I/O:
 * the catalogue's codes, report validation, times and keys (phone numbers:
 * pelukan/account.h). */
#ifndef INTAKE_REPORT_H
#define INTAKE_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "pelukan/error.h"

/* Codes that requests may use, loaded from the seed tables at start-up. */
typedef struct intake_catalog intake_catalog_t;

/* Caller owns return value. */
intake_catalog_t *intake_catalog_new(void);
void intake_catalog_destroy(intake_catalog_t **self_p);
/* Adds a code of a kind ("violence_form", "place_type", "relation",
 * "age_band", "safe_channel", "kecamatan"). */
void intake_catalog_add(intake_catalog_t *self, const char *kind, const char *code, const char *label);
/* The code's words (a category's Indonesian label, a region's name), or
 * NULL when the code is not in the list. */
const char *intake_catalog_label(const intake_catalog_t *self, const char *kind, const char *code);
bool intake_catalog_has(const intake_catalog_t *self, const char *kind, const char *code);

#define INTAKE_MAX_FORMS 7

typedef struct {
    char reporter_kind[16];
    char witness_relation[32];
    char victim_sex[2];
    char age_band[8];
    bool child;
    bool disability;
    char forms[INTAKE_MAX_FORMS][24];
    int nforms;
    char place_type[40];
    char perpetrator_relation[32];
    int64_t incident_at; /* Unix seconds, 0 when not given */
    bool incident_approx;
    bool has_coords;
    double lat, lon;
    char kecamatan[16];
    char desa[20];
    bool urgent;
    json_t *personal; /* the fields to seal: victim name, address, coordinates, account */
    json_t *safety;   /* contact safety, sealed with the reporter */
} intake_report_t;

/* Validates a report body against the catalog and the clock (`now`, Unix
 * seconds). On success fills `out` (release with intake_report_clear) and
 * returns 0; otherwise returns PK_EINVAL and adds "field": "message" pairs
 * (Bahasa Indonesia) to `errors`. Values never appear in messages. */
int intake_report_parse(const json_t *body, const intake_catalog_t *cat, int64_t now, intake_report_t *out,
                        json_t *errors);
void intake_report_clear(intake_report_t *r);

/* Validates contact-safety choices (also used by PUT /v1/me/contact-safety);
 * `prefix` names the field in errors ("contact_safety."). Returns 0 or
 * PK_EINVAL. */
int intake_safety_check(const json_t *safety, const intake_catalog_t *cat, const char *prefix, json_t *errors);

/* Parses "YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM)" into Unix seconds. */
int intake_parse_time(const char *text, int64_t *out) PK_MUST_CHECK;

#endif
