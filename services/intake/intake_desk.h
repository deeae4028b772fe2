/* intake_desk.h -- the case owner's answer to the desk's steps (CaseStep). */
#ifndef INTAKE_DESK_H
#define INTAKE_DESK_H

#include <libpq-fe.h>

#include "intake.h"
#include "pelukan/v1/commands.pb-c.h"

/* A pk_rpc_handler_fn for CaseStep, from the edge (its actor vouched for). */
int intake_desk_step(PGconn *conn, intake_t *in, const Pelukan__V1__CommandRequest *req,
                     Pelukan__V1__CommandReply *reply);

#endif
