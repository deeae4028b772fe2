/* intake_place.c -- intake answers GetPlace (issue 24, decision 3): the
 * case's place, asked by dispatch when an admin assigns a companion or asks
 * for suggestions, opened from the case's sealed personal part at that
 * moment. Only while the case's life cycle allows a companion (a verified
 * case): the owner decides that here, for both. A point given out is a
 * recorded opening, in the transaction that answers: the case's timeline
 * names the admin, the CaseDataAccessed event names dispatch as the asker
 * and the admin and visit in its reference. No place passes through the
 * HTTP edge, and nothing waits to be settled: the owner records what it
 * gave, when it gave it. The reply is never stored. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "intake.h"
#include "intake_desk.h"
#include "intake_seal.h"
#include "intake_store.h"
#include "pelukan/util.h"

static const char *const s_purposes[] = {"companion_dispatch", "companion_suggestion", NULL};

/* The point of the case's personal part, when the reporter gave one; false
 * without one (or without the case's key: erased). */
static bool s_point(intake_owner_t *o, const char *case_id, const intake_place_row_t *row, double *lat, double *lon)
{
    char ctx[64];
    snprintf(ctx, sizeof ctx, "case:%s", case_id);
    uint8_t key[PK_DATAKEY_BYTES];
    if (!row->case_key_known || pk_datakey_unwrap(o->keys, ctx, row->case_key, sizeof row->case_key, key) != 0)
        return false;
    json_t *personal = intake_open_sealed(key, ctx, "personal", row->personal, row->personal_len);
    sodium_memzero(key, sizeof key);
    json_t *jlat = json_object_get(personal, "lat"), *jlon = json_object_get(personal, "lon");
    bool known = json_is_number(jlat) && json_is_number(jlon);
    if (known) {
        *lat = json_number_value(jlat);
        *lon = json_number_value(jlon);
    }
    json_decref(personal);
    return known;
}

/* The opening of the point: the case's timeline (the admin, the purpose)
 * and intake's CaseDataAccessed (asked by dispatch; which admin and visit
 * in its reference). */
static int s_opened(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req)
{
    const Pelukan__V1__GetPlace *g = req->get_place;
    if (intake_store_access(conn, o, req->case_id, g->purpose_code, g->staff_id) != 0)
        return PK_EDB;
    char *fields[] = {"location"}, ref[128];
    if (g->visit_id[0])
        snprintf(ref, sizeof ref, "staff:%s:visit:%s", g->staff_id, g->visit_id);
    else
        snprintf(ref, sizeof ref, "staff:%s", g->staff_id);
    return pk_rpc_record_opening(conn, o->log, "intake", req, req->case_id, g->purpose_code, ref, fields, 1);
}

int intake_place_get(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                     Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__GetPlace *g = req->get_place;
    if (!pk_id_ok(req->case_id))
        return PK_RPC_INVALID(reply, "case_id");
    if (!pk_code_in(g->purpose_code, s_purposes))
        return PK_RPC_INVALID(reply, "purpose_code");
    if (!pk_id_ok(g->staff_id))
        return PK_RPC_INVALID(reply, "staff_id");
    bool dispatching = strcmp(g->purpose_code, "companion_dispatch") == 0;
    if (dispatching != pk_id_ok(g->visit_id))
        return PK_RPC_INVALID(reply, "visit_id");
    intake_place_row_t row;
    int rc = intake_store_place(conn, o, req->case_id, &o->mem, &row);
    if (rc == PK_ENOENT)
        return PK_RPC_NOT_FOUND(reply, "case_not_found");
    if (rc != 0)
        return rc;
    if (!intake_step_from(INTAKE_STEP_ASSIGN, row.state)) { /* its refusal is dispatch's answer */
        intake_reply_detail(o, reply, "state", row.state);
        intake_reply_detail(o, reply, "to", "assigned");
        return PK_RPC_CONFLICT(reply, "invalid_transition");
    }
    Pelukan__V1__Place *pl = pk_arena_alloc(&o->mem, sizeof *pl);
    pelukan__v1__place__init(pl);
    pl->kecamatan_code = pk_arena_strdup(&o->mem, row.kecamatan_code);
    double lat = 0, lon = 0;
    bool known = s_point(o, req->case_id, &row, &lat, &lon);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_PLACE;
    reply->place = pl;
    if (!known)
        return PK_RPC_READ_ONLY; /* nothing opened: nothing to record */
    if (s_opened(conn, o, req) != 0)
        return PK_EDB;
    Pelukan__V1__GeoPoint *at = pk_arena_alloc(&o->mem, sizeof *at);
    pelukan__v1__geo_point__init(at);
    at->lat = lat;
    at->lon = lon;
    pl->where_case = PELUKAN__V1__PLACE__WHERE_LOCATION;
    pl->location = at;
    return PK_RPC_IDEMPOTENT; /* committed with its opening, and the reply (a place) not stored */
}
