/* intake_reference.c -- the reference data requests are checked against,
 * and that the apps show: the code lists in words (GET /v1/catalog) and the
 * regions of Kabupaten Tasikmalaya down to the desa (GET /v1/regions).
 * Read once at start-up from the seed tables (their SQL is all here), held
 * in memory, served to anyone, cacheable: it names no one. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "edge/edge_json.h"
#include "intake.h"
#include "intake_case.h"
#include "pelukan/util.h"

/* The codes a request may use, by kind. */
#define S_CODES_SQL                                                                                                    \
    "SELECT kind, code, label_id FROM category"                                                                        \
    " UNION ALL SELECT 'kecamatan', code, name FROM region WHERE level = 'kecamatan'"                                  \
    " UNION ALL SELECT 'desa', code, name FROM region WHERE level IN ('desa', 'kelurahan')"

/* {"<kind>": [{code, label_id, label_en, plain_id?, plain_en?}, ...], ...},
 * each list in the order the apps show it. */
#define S_CATALOG_SQL                                                                                                  \
    "SELECT json_object_agg(kind, items ORDER BY kind)::text FROM (SELECT kind, json_agg(jsonb_strip_nulls("        \
    "  jsonb_build_object('code', code, 'label_id', label_id, 'label_en', label_en, 'label_su', label_su,"             \
    "  'plain_id', plain_id, 'plain_en', plain_en, 'plain_su', plain_su)) ORDER BY position, code) AS items"             \
    " FROM category GROUP BY kind) k"

/* {"kecamatan": [{code, name, desa: [{code, name}, ...]}, ...]}, by code. */
#define S_REGIONS_SQL                                                                                                  \
    "SELECT json_build_object('kecamatan', json_agg(json_build_object('code', k.code, 'name', k.name,"              \
    "  'desa', (SELECT coalesce(json_agg(json_build_object('code', d.code, 'name', d.name) ORDER BY d.code),"          \
    "  '[]'::json) FROM region d WHERE d.parent_code = k.code)) ORDER BY k.code))::text"                             \
    " FROM region k WHERE k.level = 'kecamatan'"

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
    PGresult *codes = pk_pg_exec(conn, in->log, S_CODES_SQL, 0, NULL);
    PGresult *catalog = codes ? pk_pg_exec(conn, in->log, S_CATALOG_SQL, 0, NULL) : NULL;
    PGresult *regions = catalog ? pk_pg_exec(conn, in->log, S_REGIONS_SQL, 0, NULL) : NULL;
    PQfinish(conn);
    int rc = regions && PQntuples(catalog) == 1 && PQntuples(regions) == 1 ? 0 : PK_EDB;
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

static void s_serve(pk_http_req_t *req, const char *json)
{
    pk_http_cache(req, "public, max-age=3600");
    pk_http_respond(req, 200, "application/json; charset=utf-8", json, strlen(json));
}

void intake_reference_catalog(pk_http_req_t *req, void *arg)
{
    s_serve(req, ((const intake_t *)arg)->catalog_json);
}

void intake_reference_regions(pk_http_req_t *req, void *arg)
{
    s_serve(req, ((const intake_t *)arg)->regions_json);
}
