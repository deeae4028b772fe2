/* edge_submit.h -- a reporter's reports, sent to the case owner a turn of
 * the loop at a time (edge_submit.c). */
#ifndef EDGE_SUBMIT_H
#define EDGE_SUBMIT_H

#include <uv.h>

#include "edge.h"

/* Caller owns return value; free with edge_submit_destroy(), before the
 * owner's client closes (what waits is sent first). */
edge_submit_t *edge_submit_new(edge_t *in, uv_loop_t *loop);
void edge_submit_destroy(edge_submit_t **self_p);

/* POST /v1/reports */
void intake_report_create(pk_http_req_t *req, void *arg);

#endif
