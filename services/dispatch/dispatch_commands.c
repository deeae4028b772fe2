/* dispatch_commands.c -- what the intake gateway asks of dispatch. Each
 * command runs in the command server's transaction: its state change, its
 * events (codes only, never a coordinate) and its stored reply commit
 * together. The case's place is asked of its owner when an assignment is
 * made (dispatch_place.c) and kept sealed with the case key until the
 * visit ends. Companions' profiles: dispatch_companions.c. */
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

#define S_ACTIVE      "('assigned', 'accepted', 'en_route', 'on_site')"
#define S_TARGET_SIZE (2 * sizeof(double))

static const char *const s_decline_reasons[] = {"unavailable",          "too_far", "unsafe",
                                                "conflict_of_interest", "other",   NULL};

void dispatch_command_done(Pelukan__V1__CommandReply *reply, void *arg)
{
    (void)reply;
    pk_arena_free(&((dispatch_t *)arg)->reply_mem);
}

void *dispatch_alloc(dispatch_t *d, size_t size)
{
    return pk_arena_alloc(&d->reply_mem, size);
}

char *dispatch_strdup(dispatch_t *d, const char *s)
{
    return pk_arena_strdup(&d->reply_mem, s);
}

Pelukan__V1__GeoPoint *dispatch_point(dispatch_t *d, double lat, double lon)
{
    Pelukan__V1__GeoPoint *g = dispatch_alloc(d, sizeof *g);
    pelukan__v1__geo_point__init(g);
    g->lat = lat;
    g->lon = lon;
    return g;
}

/* ---- geometry ------------------------------------------------------------ */

double dispatch_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371008.8, rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * atan2(sqrt(a), sqrt(1 - a));
}

uint32_t dispatch_eta_minutes(double distance_m, double speed_kmh)
{
    if (!(distance_m > 0) || !(speed_kmh > 0))
        return 0;
    double minutes = ceil(distance_m / 1000.0 / speed_kmh * 60.0);
    return minutes > 100000 ? 100000 : (uint32_t)minutes;
}

bool dispatch_point_valid(double lat, double lon)
{
    return isfinite(lat) && isfinite(lon) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 &&
           !(lat == 0 && lon == 0);
}

/* ---- statements: prepared once per connection ---------------------------- */

PGresult *dispatch_exec(PGconn *conn, dispatch_t *d, const char *sql, int n, const char *const *params)
{
    return pk_pg_exec_prepared(&d->stmts, conn, d->log, sql, n, params);
}

bool dispatch_is_query(const Pelukan__V1__CommandRequest *req)
{
    return req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUGGEST_COMPANIONS ||
           req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_APPROACH ||
           req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_VISITS ||
           req->command_case == PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING;
}

/* ---- small helpers ------------------------------------------------------- */

bool dispatch_all_in(char **v, size_t n, const char *const *set)
{
    for (size_t i = 0; i < n; i++)
        if (!pk_code_in(v[i], set))
            return false;
    return true;
}

bool dispatch_plain_codes(char **v, size_t n, size_t max_n, size_t max_len)
{
    if (n > max_n)
        return false;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]);
        if (len == 0 || len > max_len)
            return false;
        for (const char *c = v[i]; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-'))
                return false;
    }
    return true;
}

static void s_target_ctx(char *ctx, size_t cap, const char *case_id, const char *visit_id)
{
    snprintf(ctx, cap, "case:%s:visit:%s:target", case_id, visit_id);
}

/* Opens a visit's sealed target (row `i`, columns: target, wrapped key). */
bool dispatch_open_target(dispatch_t *d, const PGresult *r, int i, int col_target, int col_key, const char *case_id,
                          const char *visit_id, double *lat, double *lon)
{
    if (PQgetisnull(r, i, col_target) || PQgetisnull(r, i, col_key))
        return false;
    char ctx[160];
    snprintf(ctx, sizeof ctx, "case:%s", case_id);
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES + 8], key[PK_DATAKEY_BYTES];
    long wn = pk_pg_bytea_get(r, i, col_key, wrapped, sizeof wrapped);
    if (wn <= 0 || pk_datakey_unwrap(d->keys, ctx, wrapped, (size_t)wn, key) != 0)
        return false;
    uint8_t sealed[S_TARGET_SIZE + PK_SEAL_OVERHEAD];
    double point[2];
    long sn = pk_pg_bytea_get(r, i, col_target, sealed, sizeof sealed);
    s_target_ctx(ctx, sizeof ctx, case_id, visit_id);
    bool ok = sn == (long)sizeof sealed && pk_open(key, ctx, sealed, sizeof sealed, (uint8_t *)point) == 0;
    sodium_memzero(key, sizeof key);
    if (ok) {
        *lat = point[0];
        *lon = point[1];
    }
    sodium_memzero(point, sizeof point);
    return ok;
}

/* ---- SuggestCompanions ------------------------------------------------------ */

/* The nearest by the GiST index (planar KNN for candidates, then their
 * true distance: see sql/0003), then, when too few are near, the others
 * on duty whose position is unknown or stale: those covering the
 * case's kecamatan first, then those meeting the victim's preference,
 * then the least loaded. A case whose place is not known yet (a report
 * with its kecamatan only) gets only these. Nobody on duty and free is
 * left out: every verified case can be given a companion. */
static const char s_suggest_sql[] =
    "WITH cand AS ("
    "  SELECT c.id, c.position FROM companion c WHERE $1::text <> '' AND c.on_duty AND c.load < $5::int"
    "   AND c.position_at > now() - make_interval(secs => $4::int)"
    "  ORDER BY c.position_g <-> ST_SetSRID(ST_MakePoint(NULLIF($2::text, '')::float8,"
    "   NULLIF($1::text, '')::float8), 4326) LIMIT $3::int * 4),"
    " near AS (SELECT id, ST_Distance(position, ST_MakePoint(NULLIF($2::text, '')::float8,"
    "   NULLIF($1::text, '')::float8)::geography) AS dist FROM cand ORDER BY dist LIMIT $3::int),"
    " covering AS ("
    "  SELECT c.id, NULL::float8 AS dist FROM companion c"
    "  WHERE c.on_duty AND c.load < $5::int"
    "   AND c.id NOT IN (SELECT id FROM near) AND (SELECT count(*) FROM near) < $3::int"
    "  ORDER BY ($6 <> '' AND $6 = ANY (c.kecamatan_codes)) DESC,"
    "   (($7 = '' OR c.sex = $7) AND ($8 = '' OR $8 = ANY (c.languages))) DESC, c.load, c.id"
    "  LIMIT $3::int),"
    " pick AS (SELECT * FROM near UNION ALL SELECT * FROM covering)"
    " SELECT c.id, c.first_name, c.badge, p.dist, c.load,"
    "  ($7 = '' OR c.sex = $7) AND ($8 = '' OR $8 = ANY (c.languages)) AS pref,"
    "  $6 <> '' AND $6 = ANY (c.kecamatan_codes) AS covers,"
    "  ST_Y(c.position::geometry), ST_X(c.position::geometry)"
    " FROM pick p JOIN companion c ON c.id = p.id"
    " ORDER BY p.dist NULLS LAST, covers DESC, pref DESC, c.load, c.id LIMIT $3::int";

/* The suggestions of the statement's rows (place_known: the case's point
 * was given). */
static Pelukan__V1__Suggestions *s_suggestions(dispatch_t *d, const PGresult *r, bool place_known)
{
    int n = PQntuples(r);
    Pelukan__V1__Suggestions *out = dispatch_alloc(d, sizeof *out);
    pelukan__v1__suggestions__init(out);
    out->place_known = place_known;
    out->items = dispatch_alloc(d, sizeof *out->items * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        Pelukan__V1__Suggestion *it = dispatch_alloc(d, sizeof *it);
        pelukan__v1__suggestion__init(it);
        it->companion_id = dispatch_strdup(d, PQgetvalue(r, i, 0));
        it->first_name = dispatch_strdup(d, PQgetvalue(r, i, 1));
        it->badge = dispatch_strdup(d, PQgetvalue(r, i, 2));
        it->position_known = !PQgetisnull(r, i, 3);
        if (it->position_known) {
            it->distance_m = atof(PQgetvalue(r, i, 3));
            it->eta_minutes = dispatch_eta_minutes(it->distance_m, d->speed_kmh);
            it->position = dispatch_point(d, atof(PQgetvalue(r, i, 7)), atof(PQgetvalue(r, i, 8)));
        }
        it->load = (uint32_t)atoi(PQgetvalue(r, i, 4));
        it->preference_met = pk_pg_bool(r, i, 5);
        it->covers_kecamatan = pk_pg_bool(r, i, 6);
        out->items[out->n_items++] = it;
    }
    return out;
}

static int s_suggest(PGconn *conn, dispatch_t *d, const s_req_t *req, s_reply_t *reply)
{
    const Pelukan__V1__SuggestCompanions *s = req->suggest_companions;
    if (!req->case_id[0] || strlen(req->case_id) > PK_ID_HEX_LEN)
        return PK_RPC_INVALID(reply, "case_id");
    if (s->prefer_sex[0] && strcmp(s->prefer_sex, "F") != 0 && strcmp(s->prefer_sex, "M") != 0)
        return PK_RPC_INVALID(reply, "prefer_sex");
    char *lang = s->prefer_language;
    if (lang[0] && !dispatch_plain_codes(&lang, 1, 1, 8))
        return PK_RPC_INVALID(reply, "prefer_language");
    unsigned limit = s->limit ? s->limit : (unsigned)d->suggest_limit;
    if (limit > 50)
        limit = 50;
    dispatch_place_t place;
    if (!dispatch_get_place(d, req, "companion_suggestion", NULL, reply, &place))
        return 0; /* the refusal is the answer */
    char lat[32] = "", lon[32] = "", lim[16], age[16], load[16];
    if (place.known) {
        snprintf(lat, sizeof lat, "%.7f", place.lat);
        snprintf(lon, sizeof lon, "%.7f", place.lon);
    }
    sodium_memzero(&place.lat, sizeof place.lat);
    sodium_memzero(&place.lon, sizeof place.lon);
    snprintf(lim, sizeof lim, "%u", limit);
    snprintf(age, sizeof age, "%d", d->position_max_age_s);
    snprintf(load, sizeof load, "%d", d->max_load);
    const char *p[] = {lat, lon, lim, age, load, place.kecamatan, s->prefer_sex, lang};
    PGresult *r = dispatch_exec(conn, d, s_suggest_sql, 8, p);
    sodium_memzero(lat, sizeof lat);
    sodium_memzero(lon, sizeof lon);
    if (!r)
        return PK_EDB;
    Pelukan__V1__Suggestions *out = s_suggestions(d, r, place.known);
    PQclear(r);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_SUGGESTIONS;
    reply->suggestions = out;
    return PK_RPC_READ_ONLY;
}

/* ---- visits ------------------------------------------------------------------- */

static Pelukan__V1__Visit *s_visit_of(dispatch_t *d, const PGresult *r, int i)
{
    /* columns: id, case_id, state, kecamatan_code, assigned_at (us), identification id, companion */
    Pelukan__V1__Visit *v = dispatch_alloc(d, sizeof *v);
    pelukan__v1__visit__init(v);
    v->visit_id = dispatch_strdup(d, PQgetvalue(r, i, 0));
    v->case_id = dispatch_strdup(d, PQgetvalue(r, i, 1));
    v->state = dispatch_strdup(d, PQgetvalue(r, i, 2));
    v->kecamatan_code = dispatch_strdup(d, PQgetvalue(r, i, 3));
    v->assigned_at_us = strtoull(PQgetvalue(r, i, 4), NULL, 10);
    v->identification_id = dispatch_strdup(d, PQgetvalue(r, i, 5));
    v->companion_id = dispatch_strdup(d, PQgetvalue(r, i, 6));
    return v;
}

#define S_VISIT_COLS                                                                                                   \
    "v.id, v.case_id, v.state, coalesce(v.kecamatan_code, ''),"                                                        \
    " (extract(epoch FROM v.assigned_at) * 1000000)::bigint,"                                                          \
    " coalesce((SELECT i.id FROM identification i WHERE i.visit_id = v.id), ''), v.companion_id"

int dispatch_reply_visit(PGconn *conn, dispatch_t *d, const char *visit_id, s_reply_t *reply)
{
    const char *p[] = {visit_id};
    PGresult *r = dispatch_exec(conn, d, "SELECT " S_VISIT_COLS " FROM visit v WHERE v.id = $1", 1, p);
    if (!r)
        return PK_EDB;
    if (PQntuples(r) == 1) {
        reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_VISIT;
        reply->visit = s_visit_of(d, r, 0);
    }
    PQclear(r);
    return 0;
}

/* Refuses an assignment to a companion who is unknown (404), off duty or
 * at capacity (409); the companion's row stays locked for the assignment. */
static int s_companion_free(PGconn *conn, dispatch_t *d, const char *companion_id, s_reply_t *reply)
{
    const char *pc[] = {companion_id};
    PGresult *c = dispatch_exec(conn, d, "SELECT on_duty, load FROM companion WHERE id = $1 FOR UPDATE", 1, pc);
    if (!c)
        return PK_EDB;
    bool found = PQntuples(c) == 1, on_duty = found && pk_pg_bool(c, 0, 0);
    int load = found ? atoi(PQgetvalue(c, 0, 1)) : 0;
    PQclear(c);
    if (!found)
        return PK_RPC_NOT_FOUND(reply, "companion_not_found");
    if (!on_duty)
        return PK_RPC_CONFLICT(reply, "companion_off_duty");
    if (load >= d->max_load)
        return PK_RPC_CONFLICT(reply, "companion_at_capacity");
    return 0;
}

/* The CompanionAssigned event of the request's assignment. */
static int s_assigned(PGconn *conn, dispatch_t *d, const s_req_t *req)
{
    const Pelukan__V1__AssignCompanion *a = req->assign_companion;
    Pelukan__V1__CompanionAssigned ev = PELUKAN__V1__COMPANION_ASSIGNED__INIT;
    ev.visit_id = a->visit_id;
    ev.companion_id = a->companion_id;
    return pk_rpc_event(conn, d->log, "dispatch", req, req->case_id, &ev.base);
}

/* Refuses (409) an assignment of a case that has an active visit already,
 * before its place is asked for; the insert's conflict guard stays for
 * another instance's race. */
static int s_case_free(PGconn *conn, dispatch_t *d, const char *case_id, s_reply_t *reply)
{
    const char *p[] = {case_id};
    PGresult *r = dispatch_exec(conn, d, "SELECT 1 FROM visit WHERE case_id = $1 AND state IN " S_ACTIVE, 1, p);
    if (!r)
        return PK_EDB;
    bool busy = PQntuples(r) > 0;
    PQclear(r);
    return busy ? PK_RPC_CONFLICT(reply, "case_already_assigned") : 0;
}

/* The visit's target: the place sealed under the case's key (dispatch's
 * copy, made when intake's CaseKey event arrived). */
static int s_seal_target(PGconn *conn, dispatch_t *d, const char *case_id, const char *visit_id,
                         const dispatch_place_t *place, char **target)
{
    uint8_t key[PK_DATAKEY_BYTES];
    int rc = pk_pg_case_key(conn, &d->stmts, d->keys, d->log, case_id, true, key);
    if (rc != 0)
        return rc;
    double point[2] = {place->lat, place->lon};
    char ctx[160];
    s_target_ctx(ctx, sizeof ctx, case_id, visit_id);
    *target = pk_pg_sealed(key, ctx, point, sizeof point);
    sodium_memzero(key, sizeof key);
    sodium_memzero(point, sizeof point);
    return 0;
}

static int s_assign(PGconn *conn, dispatch_t *d, const s_req_t *req, s_reply_t *reply)
{
    const Pelukan__V1__AssignCompanion *a = req->assign_companion;
    if (!req->case_id[0] || strlen(req->case_id) > PK_ID_HEX_LEN)
        return PK_RPC_INVALID(reply, "case_id");
    if (!a->visit_id[0] || strlen(a->visit_id) > PK_ID_HEX_LEN)
        return PK_RPC_INVALID(reply, "visit_id");
    /* Only an assignment that will be made asks for the place: its opening
     * is recorded by intake when it answers. */
    const char *pc[] = {a->companion_id};
    int rc = s_companion_free(conn, d, a->companion_id, reply);
    if (rc == 0 && reply->status == PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_UNSPECIFIED)
        rc = s_case_free(conn, d, req->case_id, reply);
    if (rc != 0 || reply->status != PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_UNSPECIFIED)
        return rc;
    dispatch_place_t place;
    if (!dispatch_get_place(d, req, "companion_dispatch", a->visit_id, reply, &place))
        return 0; /* the refusal is the answer */
    char *target = NULL;
    rc = place.known ? s_seal_target(conn, d, req->case_id, a->visit_id, &place, &target) : 0;
    sodium_memzero(&place.lat, sizeof place.lat);
    sodium_memzero(&place.lon, sizeof place.lon);
    if (rc != 0)
        return rc == PK_ECRYPTO ? PK_RPC_CONFLICT(reply, "case_erased") : rc;
    const char *p[] = {a->visit_id, req->case_id, a->companion_id, target, place.kecamatan, pk_rpc_actor_id(req)};
    PGresult *r = dispatch_exec(conn, d,
                                "INSERT INTO visit (id, case_id, companion_id, state, target_sealed, kecamatan_code,"
                                " assigned_by) VALUES ($1, $2, $3, 'assigned', $4::bytea, NULLIF($5, ''), $6)"
                                " ON CONFLICT (case_id) WHERE state IN " S_ACTIVE " DO NOTHING RETURNING id",
                                6, p);
    free(target);
    if (!r)
        return PK_EDB;
    bool inserted = PQntuples(r) == 1;
    PQclear(r);
    if (!inserted)
        return PK_RPC_CONFLICT(reply, "case_already_assigned");
    if (pk_pg_run(conn, d->log, "UPDATE companion SET load = load + 1 WHERE id = $1", 1, pc) != 0 ||
        s_assigned(conn, d, req) != 0)
        return PK_EDB;
    pk_metric_add(d->m_assigned, 1);
    return dispatch_reply_visit(conn, d, a->visit_id, reply);
}

/* Ends a visit's hold on its companion and its target. The place stays
 * sealed a while as a quiet place (pings near it are dropped), and the
 * companion's last position, perhaps taken there, is forgotten (N2). */
int dispatch_visit_end(PGconn *conn, dispatch_t *d, const char *visit_id, const char *state, const char *reason)
{
    const char *p[] = {visit_id, state, reason};
    return pk_pg_run(conn, d->log,
                     "WITH v AS (UPDATE visit SET state = $2, reason_code = NULLIF($3, ''), ended_at = now(),"
                     "  quiet_sealed = target_sealed, target_sealed = NULL WHERE id = $1 RETURNING companion_id)"
                     " UPDATE companion SET load = greatest(load - 1, 0), position = NULL, position_at = NULL"
                     " WHERE id = (SELECT companion_id FROM v)",
                     3, p);
}

/* The companion's steps on a visit: from which states each may come, and
 * what it writes (NULL: the visit ends, declined). */
static const struct {
    Pelukan__V1__VisitStep__Step step;
    const char *from; /* "|state|state|" */
    const char *sql;  /* $1 the visit */
} s_steps[] = {
    {PELUKAN__V1__VISIT_STEP__STEP__STEP_ACCEPT, "|assigned|",
     "UPDATE visit SET state = 'accepted', accepted_at = now() WHERE id = $1"},
    {PELUKAN__V1__VISIT_STEP__STEP__STEP_EN_ROUTE, "|assigned|accepted|",
     "UPDATE visit SET state = 'en_route', en_route_at = now(), accepted_at = coalesce(accepted_at, now())"
     " WHERE id = $1"},
    {PELUKAN__V1__VISIT_STEP__STEP__STEP_ARRIVED, "|en_route|",
     "UPDATE visit SET state = 'on_site', arrived_at = now(), arrival_method = 'confirmed' WHERE id = $1"},
    {PELUKAN__V1__VISIT_STEP__STEP__STEP_DECLINE, "|assigned|accepted|en_route|", NULL},
};

/* Whether `state` is one of the "|a|b|" list. */
static bool s_state_in(const char *state, const char *list)
{
    char needle[24];
    snprintf(needle, sizeof needle, "|%s|", state);
    return strstr(list, needle) != NULL;
}

/* The visit, locked, with what the ETA needs: the place (sealed), the
 * companion's position and whether it is fresh. NULL: a refusal is in
 * `reply` (no such visit, or not hers), or the database failed (*rc). */
static PGresult *s_step_visit(PGconn *conn, dispatch_t *d, const s_req_t *req, s_reply_t *reply, int *rc)
{
    char age[16];
    snprintf(age, sizeof age, "%d", d->position_max_age_s);
    const char *p[] = {req->visit_step->visit_id, age};
    PGresult *r = dispatch_exec(conn, d,
                                "SELECT v.case_id, v.companion_id, v.state, v.target_sealed, k.wrapped_key,"
                                "  ST_Y(c.position::geometry), ST_X(c.position::geometry),"
                                "  coalesce(c.position_at > now() - make_interval(secs => $2::int), false)"
                                " FROM visit v JOIN companion c ON c.id = v.companion_id"
                                " LEFT JOIN case_key k ON k.case_id = v.case_id WHERE v.id = $1 FOR UPDATE OF v",
                                2, p);
    *rc = r ? 0 : PK_EDB;
    if (r && (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 1), pk_rpc_actor_id(req)) != 0)) {
        PQclear(r);
        /* not "not yours": that would confirm it exists */
        *rc = PK_RPC_NOT_FOUND(reply, "visit_not_found");
        return NULL;
    }
    return r;
}

typedef struct {
    Pelukan__V1__VisitAccepted accepted;
    Pelukan__V1__CompanionEnRoute en_route;
    Pelukan__V1__CompanionArrived arrived;
    Pelukan__V1__VisitDeclined declined;
} s_step_events_t;

/* The step's event into `env`, its payload kept in `ev`; leaving, with the
 * ETA where the place and a fresh position are known. */
static void s_step_event(dispatch_t *d, const PGresult *r, const char *case_id, const Pelukan__V1__VisitStep *s,
                         Pelukan__V1__Envelope *env, s_step_events_t *ev)
{
    pelukan__v1__visit_accepted__init(&ev->accepted);
    pelukan__v1__companion_en_route__init(&ev->en_route);
    pelukan__v1__companion_arrived__init(&ev->arrived);
    pelukan__v1__visit_declined__init(&ev->declined);
    switch (s->step) {
    case PELUKAN__V1__VISIT_STEP__STEP__STEP_ACCEPT:
        ev->accepted.visit_id = s->visit_id;
        env->payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_VISIT_ACCEPTED;
        env->visit_accepted = &ev->accepted;
        break;
    case PELUKAN__V1__VISIT_STEP__STEP__STEP_EN_ROUTE: {
        ev->en_route.visit_id = s->visit_id;
        double tlat, tlon;
        if (pk_pg_bool(r, 0, 7) && dispatch_open_target(d, r, 0, 3, 4, case_id, s->visit_id, &tlat, &tlon))
            ev->en_route.eta_minutes = dispatch_eta_minutes(
                dispatch_distance_m(atof(PQgetvalue(r, 0, 5)), atof(PQgetvalue(r, 0, 6)), tlat, tlon), d->speed_kmh);
        env->payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_EN_ROUTE;
        env->companion_en_route = &ev->en_route;
        break;
    }
    case PELUKAN__V1__VISIT_STEP__STEP__STEP_ARRIVED:
        ev->arrived.visit_id = s->visit_id;
        ev->arrived.method = "confirmed";
        env->payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_ARRIVED;
        env->companion_arrived = &ev->arrived;
        break;
    default: /* decline: the only other step s_steps has */
        ev->declined.visit_id = s->visit_id;
        ev->declined.reason_code = s->reason_code;
        env->payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_VISIT_DECLINED;
        env->visit_declined = &ev->declined;
        break;
    }
}

/* VisitStep: accept, leave, arrive or decline, each from its states. */
static int s_step(PGconn *conn, dispatch_t *d, const s_req_t *req, s_reply_t *reply)
{
    const Pelukan__V1__VisitStep *s = req->visit_step;
    size_t k = 0;
    while (k < PK_ARRAY_LEN(s_steps) && s_steps[k].step != s->step)
        k++;
    if (k == PK_ARRAY_LEN(s_steps))
        return PK_RPC_INVALID(reply, "step");
    if (s->step == PELUKAN__V1__VISIT_STEP__STEP__STEP_DECLINE && !pk_code_in(s->reason_code, s_decline_reasons))
        return PK_RPC_INVALID(reply, "reason_code");
    int rc;
    PGresult *r = s_step_visit(conn, d, req, reply, &rc);
    if (!r)
        return rc;
    char case_id[PK_ID_HEX_LEN + 1], state[16];
    snprintf(case_id, sizeof case_id, "%s", PQgetvalue(r, 0, 0));
    snprintf(state, sizeof state, "%s", PQgetvalue(r, 0, 2));
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    Pelukan__V1__Actor actor;
    s_step_events_t ev;
    pk_envelope_for_command(&env, eid, &actor, "dispatch", req, case_id);
    s_step_event(d, r, case_id, s, &env, &ev);
    PQclear(r);
    /* Arrived by hand after the arrival was seen by the radius: the same
     * success, nothing new (issue 22 §3). */
    if (s->step == PELUKAN__V1__VISIT_STEP__STEP__STEP_ARRIVED && strcmp(state, "on_site") == 0)
        return dispatch_reply_visit(conn, d, s->visit_id, reply);
    if (!s_state_in(state, s_steps[k].from))
        return PK_RPC_CONFLICT(reply, "invalid_visit_state");
    const char *pv[] = {s->visit_id};
    rc = s_steps[k].sql ? pk_pg_run(conn, d->log, s_steps[k].sql, 1, pv)
                        : dispatch_visit_end(conn, d, s->visit_id, "declined", s->reason_code);
    if (rc != 0 || pk_outbox_add(conn, d->log, &env) != 0)
        return PK_EDB;
    if (env.payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD_COMPANION_ARRIVED)
        pk_metric_add(d->m_arrivals, 1);
    return dispatch_reply_visit(conn, d, s->visit_id, reply);
}

static int s_list_visits(PGconn *conn, dispatch_t *d, const s_req_t *req, s_reply_t *reply)
{
    const char *p[] = {pk_rpc_actor_id(req)};
    PGresult *r = dispatch_exec(conn, d,
                                "SELECT " S_VISIT_COLS " FROM visit v WHERE v.companion_id = $1"
                                " AND (v.state IN " S_ACTIVE " OR v.ended_at > now() - interval '1 day')"
                                " ORDER BY v.assigned_at DESC LIMIT 50",
                                1, p);
    if (!r)
        return PK_EDB;
    int n = PQntuples(r);
    Pelukan__V1__Visits *out = dispatch_alloc(d, sizeof *out);
    pelukan__v1__visits__init(out);
    out->items = dispatch_alloc(d, sizeof *out->items * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        out->items[out->n_items++] = s_visit_of(d, r, i);
    PQclear(r);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_VISITS;
    reply->visits = out;
    return PK_RPC_READ_ONLY;
}

/* One visit with its place, for its companion: the opening is recorded. */
static int s_get_visit(PGconn *conn, dispatch_t *d, const s_req_t *req, s_reply_t *reply)
{
    const char *p[] = {req->get_visit->visit_id};
    PGresult *r = dispatch_exec(conn, d,
                                "SELECT " S_VISIT_COLS ", v.target_sealed, k.wrapped_key FROM visit v"
                                " LEFT JOIN case_key k ON k.case_id = v.case_id WHERE v.id = $1",
                                1, p);
    if (!r)
        return PK_EDB;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return PK_RPC_NOT_FOUND(reply, "visit_not_found");
    }
    if (strcmp(PQgetvalue(r, 0, 6), pk_rpc_actor_id(req)) != 0) {
        PQclear(r);
        return PK_RPC_NOT_FOUND(reply, "visit_not_found"); /* not "not yours": that would confirm it exists */
    }
    Pelukan__V1__Visit *v = s_visit_of(d, r, 0);
    double lat, lon;
    bool opened = dispatch_open_target(d, r, 0, 7, 8, v->case_id, v->visit_id, &lat, &lon);
    PQclear(r);
    if (opened) {
        v->where_case = PELUKAN__V1__VISIT__WHERE_LOCATION;
        v->location = dispatch_point(d, lat, lon);
        char *fields[] = {"location"};
        if (pk_rpc_record_opening(conn, d->log, "dispatch", req, v->case_id, "visit", NULL, fields, 1) != 0)
            return PK_EDB;
    }
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_VISIT;
    reply->visit = v;
    /* The reply holds the place: it must not be stored in plain text as
     * command replies are. A retry opens it again and is recorded again. */
    return PK_RPC_IDEMPOTENT;
}

int dispatch_command(PGconn *conn, const Pelukan__V1__CommandRequest *req, Pelukan__V1__CommandReply *reply, void *arg)
{
    dispatch_t *d = arg;
    switch (req->command_case) {
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_SET_COMPANION:
        return dispatch_set_companion(conn, d, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_COMPANIONS:
        return dispatch_list_companions(conn, d, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUGGEST_COMPANIONS:
        return s_suggest(conn, d, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_ASSIGN_COMPANION:
        return s_assign(conn, d, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_VISIT_STEP:
        return s_step(conn, d, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_RECORD_POSITIONS:
        return dispatch_positions(conn, d, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_APPROACH:
        return dispatch_get_approach(conn, d, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_LIST_VISITS:
        return s_list_visits(conn, d, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_GET_VISIT:
        return s_get_visit(conn, d, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_SUBMIT_IDENTIFICATION:
        return dispatch_identification(conn, d, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_OPEN_NOTES:
        return dispatch_open_notes(conn, d, req, reply);
    case PELUKAN__V1__COMMAND_REQUEST__COMMAND_PING:
        return pk_rpc_pong(req, reply);
    default:
        return pk_rpc_fail(reply, PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_INVALID, "unknown_command", NULL);
    }
}
