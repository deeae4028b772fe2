/* edge_reports.h -- one of a reporter's reports (edge_reports.c). */
#ifndef INTAKE_EDGE_REPORTS_H
#define INTAKE_EDGE_REPORTS_H

#include "pelukan/http.h"

/* GET /v1/reports/{id} */
void intake_report_get(pk_http_req_t *req, void *arg);

#endif
