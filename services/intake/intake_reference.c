/* intake_reference.c -- the reference data requests are checked against,
 * and that the apps show: every code with its words, the code lists in
 * words (GET /v1/catalog) and the regions of Kabupaten Tasikmalaya down to
 * the desa (GET /v1/regions), read from the seed tables
 * (intake_store_reference). The owner answers them to its edge
 * (GetReference, a query), which holds them in memory and serves them
 * (services/edge/edge_reference.c): the edge reads no database, not even at start.
 * At start the owner checks that every state of the life cycle has its
 * words. */
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "intake_case.h"
#include "intake_desk.h"
#include "intake_store.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

/* Every state of the life cycle has its words in the catalogue (the staff
 * app shows them from there): a state without is a deployment whose
 * migrations and code disagree, refused at the start. `named` holds the
 * states that have words, one a row. */
static int s_states_named(const pk_log_t *log, const PGresult *named)
{
    for (int s = 1; intake_state_name((Pelukan__V1__CaseState)s); s++) {
        const char *state = intake_state_name((Pelukan__V1__CaseState)s);
        int i = 0;
        while (i < PQntuples(named) && strcmp(PQgetvalue(named, i, 0), state) != 0)
            i++;
        if (i == PQntuples(named)) {
            pk_log_error(log, "the catalogue has no words for the case state %s (intake.category), exiting", state);
            return PK_ECONFIG;
        }
    }
    return 0;
}

int intake_reference_check(const intake_t *in)
{
    PGconn *conn = pk_pg_connect(pk_service_conninfo(in->svc), in->log, 10000);
    if (!conn)
        return PK_EDBCONN;
    PGresult *named = intake_store_states_named(conn, in->log);
    PQfinish(conn);
    int rc = named ? s_states_named(in->log, named) : PK_EDB;
    PQclear(named);
    return rc;
}

int intake_reference_command(PGconn *conn, intake_owner_t *o, const Pelukan__V1__CommandRequest *req,
                             Pelukan__V1__CommandReply *reply)
{
    if (req->actor->kind != PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM || strcmp(req->actor->id, "reference") != 0)
        return PK_RPC_FORBIDDEN(reply, "forbidden");
    PGresult *codes, *catalog, *regions;
    if (intake_store_reference(conn, o->log, &codes, &catalog, &regions) != 0)
        return PK_EDB;
    Pelukan__V1__Reference *out = pk_arena_alloc(&o->mem, sizeof *out);
    pelukan__v1__reference__init(out);
    out->n_codes = (size_t)PQntuples(codes);
    out->codes = pk_arena_alloc(&o->mem, (out->n_codes ? out->n_codes : 1) * sizeof *out->codes);
    for (size_t i = 0; i < out->n_codes; i++) {
        Pelukan__V1__Reference__Code *c = pk_arena_alloc(&o->mem, sizeof *c);
        pelukan__v1__reference__code__init(c);
        c->kind = intake_store_text(&o->mem, codes, (int)i, 0);
        c->code = intake_store_text(&o->mem, codes, (int)i, 1);
        c->label = intake_store_text(&o->mem, codes, (int)i, 2);
        out->codes[i] = c;
    }
    out->catalog_json = intake_store_text(&o->mem, catalog, 0, 0);
    out->regions_json = intake_store_text(&o->mem, regions, 0, 0);
    PQclear(codes);
    PQclear(catalog);
    PQclear(regions);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_REFERENCE;
    reply->reference = out;
    return PK_RPC_READ_ONLY; /* a query (intake_command_is_query) */
}
