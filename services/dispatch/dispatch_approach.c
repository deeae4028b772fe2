/* dispatch_approach.c -- the companion's way to the place: her phone's
 * positions (RecordPositions, in batches; an arrival when one comes within
 * the radius; nothing logged near a place of a visit) and the approach
 * the reporter and the desk watch (GetApproach). Coordinates never leave
 * in an event. */
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "pelukan/codes.h"
#include "pelukan/util.h"

typedef Pelukan__V1__CommandRequest s_req_t;
typedef Pelukan__V1__CommandReply s_reply_t;

#define S_MAX_BATCH 2000

/* ---- the approach ---------------------------------------------------------- */

static Pelukan__V1__Approach *s_approach(dispatch_t *d, const char *case_id, const char *visit_id, const char *first,
                                         const char *badge)
{
    Pelukan__V1__Approach *a = dispatch_alloc(d, sizeof *a);
    pelukan__v1__approach__init(a);
    a->case_id = dispatch_strdup(d, case_id);
    a->visit_id = dispatch_strdup(d, visit_id);
    a->first_name = dispatch_strdup(d, first);
    a->badge = dispatch_strdup(d, badge);
    a->state = "en_route";
    return a;
}

static void s_approach_position(dispatch_t *d, Pelukan__V1__Approach *a, double clat, double clon, uint64_t at_us,
                                bool target_known, double tlat, double tlon)
{
    a->companion = dispatch_point(d, clat, clon);
    a->position_known = true;
    a->position_at_us = at_us;
    if (target_known) {
        a->distance_m = round(dispatch_distance_m(clat, clon, tlat, tlon));
        a->eta_minutes = dispatch_eta_minutes(a->distance_m, d->speed_kmh);
    }
}

int dispatch_get_approach(PGconn *conn, dispatch_t *d, const s_req_t *req, s_reply_t *reply)
{
    char age[16];
    snprintf(age, sizeof age, "%d", d->position_max_age_s);
    const char *p[] = {req->case_id, age};
    PGresult *r = dispatch_exec(conn, d,
                                "SELECT v.id, v.state, c.first_name, c.badge, v.target_sealed, k.wrapped_key,"
                                "  ST_Y(c.position::geometry), ST_X(c.position::geometry),"
                                "  (extract(epoch FROM c.position_at) * 1000000)::bigint,"
                                "  coalesce(c.position_at > now() - make_interval(secs => $2::int), false)"
                                " FROM visit v JOIN companion c ON c.id = v.companion_id"
                                " LEFT JOIN case_key k ON k.case_id = v.case_id"
                                " WHERE v.case_id = $1 ORDER BY v.assigned_at DESC LIMIT 1",
                                2, p);
    if (!r)
        return PK_EDB;
    /* Before any companion leaves (none assigned yet, or not on the way):
     * a conflict, as the contract says; after: gone, with why. */
    const char *state = PQntuples(r) == 1 ? PQgetvalue(r, 0, 1) : "";
    if (!state[0] || strcmp(state, "assigned") == 0 || strcmp(state, "accepted") == 0 ||
        strcmp(state, "declined") == 0) {
        PQclear(r);
        PK_RPC_CONFLICT(reply, "not_en_route");
        return PK_RPC_READ_ONLY;
    }
    if (strcmp(state, "en_route") != 0) {
        bool arrived = strcmp(state, "on_site") == 0 || strcmp(state, "completed") == 0;
        PQclear(r);
        pk_rpc_fail(reply, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_GONE, arrived ? "arrived" : "visit_over", NULL);
        return PK_RPC_READ_ONLY;
    }
    Pelukan__V1__Approach *a =
        s_approach(d, req->case_id, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3));
    if (pk_pg_bool(r, 0, 9)) {
        double tlat = 0, tlon = 0;
        bool known = dispatch_open_target(d, r, 0, 4, 5, req->case_id, a->visit_id, &tlat, &tlon);
        s_approach_position(d, a, atof(PQgetvalue(r, 0, 6)), atof(PQgetvalue(r, 0, 7)),
                            strtoull(PQgetvalue(r, 0, 8), NULL, 10), known, tlat, tlon);
    }
    PQclear(r);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_APPROACH;
    reply->approach = a;
    return PK_RPC_READ_ONLY;
}

/* ---- RecordPositions -------------------------------------------------------- */

/* Appends `s` to a growing text buffer. */
typedef struct {
    char *p;
    size_t len, cap;
} s_buf_t;

static void s_put(s_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_put(s_buf_t *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n >= 0 && b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap ? b->cap * 2 + (size_t)n : 4096 + (size_t)n;
        b->p = pk_realloc(b->p, b->cap);
    }
}

/* A ping near a place visited earlier: the approach keeps the distance, in
 * 500 m steps, and the ETA; the position is withheld (N2). */
static void s_approach_withhold(dispatch_t *d, Pelukan__V1__Approach *a)
{
    a->companion = NULL;
    a->position_known = false;
    a->position_at_us = 0;
    if (a->distance_m > 0) {
        a->distance_m = ceil(a->distance_m / 500.0) * 500.0;
        a->eta_minutes = dispatch_eta_minutes(a->distance_m, d->speed_kmh);
    }
}

/* For each ping of `rp`, "t" when it lies within the quiet radius of a
 * place its companion visited in the quiet time (the places of ended
 * visits, opened with their case keys and wiped from memory after), as a
 * PostgreSQL boolean array into `out`; 0 or PK_EDB. */
static int s_quiet_pings(PGconn *conn, dispatch_t *d, const Pelukan__V1__RecordPositions *rp, const char *ids,
                         s_buf_t *out)
{
    char secs[24];
    snprintf(secs, sizeof secs, "%d", d->quiet_s);
    const char *p[] = {ids, secs};
    PGresult *r =
        dispatch_exec(conn, d,
                      "SELECT v.companion_id, v.case_id, v.id, v.quiet_sealed, k.wrapped_key FROM visit v"
                      " JOIN case_key k ON k.case_id = v.case_id WHERE v.quiet_sealed IS NOT NULL"
                      " AND v.companion_id = ANY ($1::text[]) AND v.ended_at > now() - make_interval(secs => $2::int)",
                      2, p);
    if (!r)
        return PK_EDB;
    int n = PQntuples(r);
    double(*places)[2] = pk_calloc((size_t)(n ? n : 1), sizeof *places);
    bool *opened = pk_calloc((size_t)(n ? n : 1), sizeof *opened);
    for (int k = 0; k < n; k++)
        opened[k] =
            dispatch_open_target(d, r, k, 3, 4, PQgetvalue(r, k, 1), PQgetvalue(r, k, 2), &places[k][0], &places[k][1]);
    for (size_t i = 0; i < rp->n_positions; i++) {
        const Pelukan__V1__Position *ping = rp->positions[i];
        bool near = false;
        for (int k = 0; k < n && !near; k++)
            near = opened[k] && strcmp(PQgetvalue(r, k, 0), ping->companion_id) == 0 &&
                   dispatch_distance_m(ping->lat, ping->lon, places[k][0], places[k][1]) <= d->quiet_radius_m;
        s_put(out, "%s%s", i ? "," : "{", near ? "t" : "f");
        if (near)
            pk_metric_add(d->m_quiet, 1);
    }
    s_put(out, "}");
    sodium_memzero(places, sizeof *places * (size_t)(n ? n : 1));
    free(places);
    free(opened);
    PQclear(r);
    return 0;
}

/* The batch as PostgreSQL arrays, one per column; false for a position
 * that is not one (the buffers freed). */
typedef struct {
    s_buf_t ids, lats, lons, accs, ats;
} s_columns_t;

static void s_columns_free(s_columns_t *c)
{
    free(c->ids.p), free(c->lats.p), free(c->lons.p), free(c->accs.p), free(c->ats.p);
}

static bool s_columns(const Pelukan__V1__RecordPositions *rp, s_columns_t *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < rp->n_positions; i++) {
        const Pelukan__V1__Position *p = rp->positions[i];
        char *id = p->companion_id;
        if (!dispatch_point_valid(p->lat, p->lon) || !dispatch_plain_codes(&id, 1, 1, PK_ID_HEX_LEN) ||
            !isfinite(p->accuracy_m) || p->accuracy_m < 0) {
            s_columns_free(c);
            return false;
        }
        const char *sep = i ? "," : "{";
        s_put(&c->ids, "%s%s", sep, id);
        s_put(&c->lats, "%s%.7f", sep, p->lat);
        s_put(&c->lons, "%s%.7f", sep, p->lon);
        s_put(&c->accs, "%s%.1f", sep, (double)p->accuracy_m);
        s_put(&c->ats, "%s%llu", sep, (unsigned long long)p->at_us);
    }
    s_put(&c->ids, "}"), s_put(&c->lats, "}"), s_put(&c->lons, "}"), s_put(&c->accs, "}"), s_put(&c->ats, "}");
    return true;
}

/* One statement: the newest ping per companion moves its position (older
 * ones arriving late do not), and the en-route visits of the companions who
 * moved come back with their sealed targets. A ping taken during a visit
 * may locate the victim's place: it is never logged, and a companion on
 * site keeps no position at all (review H1). A ping near a place visited
 * earlier (quiet) is neither logged nor kept, and its approach shows no
 * position (N2). Only the other pings outside visits are logged, for the
 * retention. */
static const char s_positions_sql[] =
    "WITH p AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[], $4::real[], $5::bigint[],"
    "   $6::bool[]) AS p (cid, lat, lon, acc, at_us, quiet)),"
    " known AS (SELECT p.*, to_timestamp(p.at_us / 1000000.0) AS at,"
    "   ST_MakePoint(p.lon, p.lat)::geography AS pos,"
    "   (SELECT max(v.state) FROM visit v WHERE v.companion_id = p.cid AND v.state IN ('en_route', 'on_site'))"
    "     AS visiting"
    "   FROM p JOIN companion c ON c.id = p.cid),"
    " latest AS (SELECT DISTINCT ON (cid) * FROM known ORDER BY cid, at_us DESC),"
    " moved AS (UPDATE companion c"
    "   SET position = CASE WHEN l.visiting = 'on_site' OR l.quiet THEN NULL ELSE l.pos END,"
    "   position_at = CASE WHEN l.quiet THEN NULL ELSE l.at END FROM latest l"
    "   WHERE c.id = l.cid AND (c.position_at IS NULL OR c.position_at <= l.at)"
    "   RETURNING c.id, c.first_name, c.badge, l.lat, l.lon, l.at_us, l.quiet),"
    " logged AS (INSERT INTO position_log (companion_id, at, position, accuracy_m)"
    "   SELECT cid, at, pos, acc FROM known WHERE visiting IS NULL AND NOT quiet)"
    " SELECT 'v', v.id, v.case_id, m.first_name, m.badge, m.lat, m.lon, m.at_us, v.target_sealed, k.wrapped_key,"
    "  m.id, m.quiet"
    " FROM moved m JOIN visit v ON v.companion_id = m.id AND v.state = 'en_route'"
    " LEFT JOIN case_key k ON k.case_id = v.case_id"
    " UNION ALL SELECT 'u', p.cid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM p"
    " WHERE NOT EXISTS (SELECT 1 FROM companion c WHERE c.id = p.cid)";

/* Arrived: the visit moves on site, and says so, by the companion whose
 * ping it was. 0 or PK_EDB. */
static int s_arrived(PGconn *conn, dispatch_t *d, const s_req_t *req, const char *case_id, const char *visit_id,
                     const char *companion_id)
{
    const char *pv[] = {visit_id};
    if (pk_pg_run(conn, d->log,
                  "WITH v AS (UPDATE visit SET state = 'on_site', arrived_at = now(), arrival_method = 'radius'"
                  " WHERE id = $1 RETURNING companion_id)"
                  " UPDATE companion SET position = NULL WHERE id = (SELECT companion_id FROM v)",
                  1, pv) != 0)
        return PK_EDB;
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    Pelukan__V1__Actor actor;
    pk_envelope_for_command(&env, eid, &actor, "dispatch", req, case_id);
    actor.id = (char *)companion_id;
    Pelukan__V1__CompanionArrived arrived = PELUKAN__V1__COMPANION_ARRIVED__INIT;
    arrived.visit_id = (char *)visit_id;
    arrived.method = "radius";
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_ARRIVED;
    env.companion_arrived = &arrived;
    if (pk_outbox_add(conn, d->log, &env) != 0)
        return PK_EDB;
    pk_metric_add(d->m_arrivals, 1);
    return 0;
}

/* The approach of row `i` of the statement (an en-route visit whose
 * companion moved); an arrival when the companion came close enough
 * (*arrived). NULL on a database failure. */
static Pelukan__V1__Approach *s_row_approach(PGconn *conn, dispatch_t *d, const s_req_t *req, const PGresult *r, int i,
                                             bool *arrived)
{
    const char *visit_id = PQgetvalue(r, i, 1), *case_id = PQgetvalue(r, i, 2);
    Pelukan__V1__Approach *a = s_approach(d, case_id, visit_id, PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
    double tlat = 0, tlon = 0;
    bool known = dispatch_open_target(d, r, i, 8, 9, case_id, visit_id, &tlat, &tlon);
    s_approach_position(d, a, atof(PQgetvalue(r, i, 5)), atof(PQgetvalue(r, i, 6)),
                        strtoull(PQgetvalue(r, i, 7), NULL, 10), known, tlat, tlon);
    if (pk_pg_bool(r, i, 11))
        s_approach_withhold(d, a);
    if (known && a->distance_m <= d->arrival_radius_m) {
        if (s_arrived(conn, d, req, case_id, visit_id, PQgetvalue(r, i, 10)) != 0)
            return NULL;
        a->state = "on_site";
        *arrived = true;
    }
    return a;
}

int dispatch_positions(PGconn *conn, dispatch_t *d, const s_req_t *req, s_reply_t *reply)
{
    const Pelukan__V1__RecordPositions *rp = req->record_positions;
    s_columns_t col;
    if (rp->n_positions == 0 || rp->n_positions > S_MAX_BATCH || !s_columns(rp, &col))
        return PK_RPC_INVALID(reply, "positions");
    s_buf_t quiet = {0};
    PGresult *r = NULL;
    if (s_quiet_pings(conn, d, rp, col.ids.p, &quiet) == 0) {
        const char *params[] = {col.ids.p, col.lats.p, col.lons.p, col.accs.p, col.ats.p, quiet.p};
        r = dispatch_exec(conn, d, s_positions_sql, 6, params);
    }
    s_columns_free(&col);
    free(quiet.p);
    if (!r)
        return PK_EDB;
    pk_metric_add(d->m_pings, (int64_t)rp->n_positions);
    int n = PQntuples(r);
    Pelukan__V1__Approaches *out = dispatch_alloc(d, sizeof *out);
    pelukan__v1__approaches__init(out);
    out->items = dispatch_alloc(d, sizeof *out->items * (size_t)(n ? n : 1));
    out->unknown_companions = dispatch_alloc(d, sizeof(char *) * (size_t)(n ? n : 1));
    bool events = false;
    for (int i = 0; i < n; i++) {
        if (PQgetvalue(r, i, 0)[0] == 'u') {
            out->unknown_companions[out->n_unknown_companions++] = dispatch_strdup(d, PQgetvalue(r, i, 1));
            continue;
        }
        Pelukan__V1__Approach *a = s_row_approach(conn, d, req, r, i, &events);
        if (!a) {
            PQclear(r);
            return PK_EDB;
        }
        out->items[out->n_items++] = a;
    }
    PQclear(r);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_APPROACHES;
    reply->approaches = out;
    /* Pings are many and each is soon replaced: they need not wait for the
     * disk. An arrival is a step of the case and does. */
    if (!events && pk_pg_run(conn, d->log, "SET LOCAL synchronous_commit = off", 0, NULL) != 0)
        return PK_EDB;
    return PK_RPC_IDEMPOTENT;
}
