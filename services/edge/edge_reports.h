/* edge_reports.h -- a reporter's own routes that are not rows (edge_reports.c). */
#ifndef INTAKE_EDGE_REPORTS_H
#define INTAKE_EDGE_REPORTS_H

#include "pelukan/http.h"

/* GET /v1/reports/{id} */
void intake_report_get(pk_http_req_t *req, void *arg);
/* PUT /v1/me/contact-safety */
void intake_contact_safety(pk_http_req_t *req, void *arg);

#endif
