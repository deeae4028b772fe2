/* edge_otp.h -- a reporter's registration by a code sent to her phone
 * (edge_otp.c). */
#ifndef EDGE_OTP_H
#define EDGE_OTP_H

#include "pelukan/http.h"

/* POST /v1/auth/otp and POST /v1/auth/otp/verify (otp.c). */
void intake_otp_request(pk_http_req_t *req, void *arg);
void intake_otp_verify(pk_http_req_t *req, void *arg);

#endif
