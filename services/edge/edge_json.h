/* edge_json.h -- JSON requests and answers of the intake API. */
#ifndef INTAKE_EDGE_JSON_H
#define INTAKE_EDGE_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "pelukan/http.h"

/* Answers `body` with `status`; takes the caller's reference (the body is
 * freed here). */
void intake_json(pk_http_req_t *req, int status, json_t *body);

/* Answers {"error":{"code","message","fields"}}; `fields` may be NULL (a
 * reference is taken). Messages are in Bahasa Indonesia, codes in English.
 * Logs the rejection once: method, path, status, code and field names,
 * never values. */
void intake_error(pk_http_req_t *req, int status, const char *code, const char *message, json_t *fields);

/* Parses a JSON body strictly (duplicate keys rejected). Answers 415 or 400
 * itself and returns NULL when the request is not acceptable. */
json_t *intake_body(pk_http_req_t *req);

/* ---- a body's fields: pelukan/pbjson.h reads them by rules; what a route with a
 * body of another form (nested, numbers) checks first ---- */

/* Each member of `body` other than `allowed` (NULL-ended) into `errors` as
 * "tidak dikenal". */
void intake_only_fields(const json_t *body, const char *const *allowed, json_t *errors);
#endif
