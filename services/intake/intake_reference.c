/* intake_reference.c -- the reference data requests are checked against,
 * and that the apps show: the code lists in words (GET /v1/catalog) and the
 * regions of Kabupaten Tasikmalaya down to the desa (GET /v1/regions).
 * Read once at start-up from the seed tables (intake_store_reference) and
 * held in memory; the edge serves it (edge/edge_web.c). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "intake.h"
#include "intake_case.h"
#include "intake_store.h"
#include "pelukan/util.h"

/* PostgreSQL's JSON text, without its spaces; caller frees. */
static char *s_compact(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    char *out = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : pk_strdup("{}");
    json_decref(j);
    return out;
}

/* Every state of the life cycle has its words in the catalogue (the staff
 * app shows them from there): a state without is a deployment whose
 * migrations and code disagree, refused at the start. */
static int s_states_named(const intake_t *in)
{
    for (int s = 1; intake_state_name((Pelukan__V1__CaseState)s); s++)
        if (!intake_catalog_has(in->catalog, "case_state", intake_state_name((Pelukan__V1__CaseState)s))) {
            pk_log_error(in->log, "the catalogue has no words for the case state %s (intake.category), exiting",
                         intake_state_name((Pelukan__V1__CaseState)s));
            return PK_ECONFIG;
        }
    return 0;
}

int intake_reference_load(intake_t *in)
{
    PGconn *conn = pk_pg_connect(pk_service_conninfo(in->svc), in->log, 10000);
    if (!conn)
        return PK_EDBCONN;
    PGresult *codes, *catalog, *regions;
    int rc = intake_store_reference(conn, in->log, &codes, &catalog, &regions);
    PQfinish(conn);
    if (rc == 0) {
        for (int i = 0; i < PQntuples(codes); i++)
            intake_catalog_add(in->catalog, PQgetvalue(codes, i, 0), PQgetvalue(codes, i, 1), PQgetvalue(codes, i, 2));
        in->catalog_json = s_compact(PQgetvalue(catalog, 0, 0));
        in->regions_json = s_compact(PQgetvalue(regions, 0, 0));
    }
    PQclear(codes);
    PQclear(catalog);
    PQclear(regions);
    return rc == 0 ? s_states_named(in) : rc;
}
