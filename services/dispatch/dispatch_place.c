/* dispatch_place.c -- the case's place, asked of its owner (issue 24,
 * decision 3): when an admin assigns a companion or asks for suggestions,
 * dispatch asks intake (GetPlace) for the point the reporter gave, and
 * intake records that it gave it. The point is kept only sealed in the
 * visit (an assignment) or used for one query (suggestions), then wiped.
 * Called on the command thread only, which owns the client. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "pelukan/rpc.h"

#define S_TIMEOUT_MS 800
#define S_RETRIES    1

/* intake's refusal is the command's: a case it does not know (404), or one
 * whose life cycle allows no companion now (409, with its state); anything
 * else, intake unavailable. */
static void s_refused(dispatch_t *d, const Pelukan__V1__CommandReply *got, Pelukan__V1__CommandReply *reply)
{
    Pelukan__V1__CommandReply__Status st = got->status;
    bool passed = st == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_NOT_FOUND ||
                  st == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_CONFLICT;
    pk_rpc_fail(reply, passed ? st : PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_UNAVAILABLE,
                dispatch_strdup(d, got->error_code[0] ? got->error_code : "intake_refused"), NULL);
    size_t n = !passed ? 0 : got->n_error_details < 4 ? got->n_error_details : 4; /* its state and step */
    reply->error_details = n ? pk_arena_alloc(&d->reply_mem, n * sizeof *reply->error_details) : NULL;
    for (size_t i = 0; i < n; i++) {
        Pelukan__V1__CommandReply__Detail *x = pk_arena_alloc(&d->reply_mem, sizeof *x);
        pelukan__v1__command_reply__detail__init(x);
        x->field = dispatch_strdup(d, got->error_details[i]->field);
        x->value = dispatch_strdup(d, got->error_details[i]->value);
        reply->error_details[i] = x;
    }
    reply->n_error_details = n;
}

bool dispatch_get_place(dispatch_t *d, const Pelukan__V1__CommandRequest *req, const char *purpose,
                        const char *visit_id, Pelukan__V1__CommandReply *reply, dispatch_place_t *out)
{
    memset(out, 0, sizeof *out);
    if (!d->intake)
        d->intake = pk_rpc_client_new(d->intake_endpoint, 0, pk_service_bus_keys(d->svc), "intake");
    Pelukan__V1__CommandRequest ask;
    uint8_t id[16];
    pk_rpc_request_init(&ask, id, S_TIMEOUT_MS, S_RETRIES);
    ask.case_id = req->case_id;
    ask.correlation_id = req->correlation_id;
    Pelukan__V1__GetPlace g = PELUKAN__V1__GET_PLACE__INIT;
    g.purpose_code = (char *)purpose;
    g.staff_id = (char *)pk_rpc_actor_id(req);
    g.visit_id = (char *)(visit_id ? visit_id : "");
    ask.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_PLACE;
    ask.get_place = &g;
    Pelukan__V1__CommandReply *got = NULL;
    if (pk_rpc_call(d->intake, &ask, S_TIMEOUT_MS, S_RETRIES, &got) != 0) {
        pk_log_warn(d->log, "intake did not answer GetPlace (%s): the command is refused, to be tried again", purpose);
        pk_rpc_fail(reply, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_UNAVAILABLE, "intake_unavailable", NULL);
        return false;
    }
    bool ok = true;
    if (got->status != PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK ||
        got->result_case != PELUKAN__V1__COMMAND_REPLY__RESULT_PLACE) {
        ok = false;
        s_refused(d, got, reply);
    } else {
        const Pelukan__V1__Place *pl = got->place;
        snprintf(out->kecamatan, sizeof out->kecamatan, "%s", pl->kecamatan_code);
        if (pl->where_case == PELUKAN__V1__PLACE__WHERE_LOCATION && pl->location &&
            dispatch_point_valid(pl->location->lat, pl->location->lon)) {
            out->known = true;
            out->lat = pl->location->lat;
            out->lon = pl->location->lon;
            sodium_memzero(&pl->location->lat, sizeof pl->location->lat);
            sodium_memzero(&pl->location->lon, sizeof pl->location->lon);
        }
    }
    pelukan__v1__command_reply__free_unpacked(got, NULL);
    return ok;
}
