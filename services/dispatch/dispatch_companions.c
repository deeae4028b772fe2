/* dispatch_companions.c -- the companions' profiles (SetCompanion,
 * ListCompanions): a companion's own duty, and what an admin sets (sex,
 * languages, the kecamatan they cover), each admin change an account
 * event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "pelukan/util.h"

typedef Pelukan__V1__CommandRequest s_req_t;
typedef Pelukan__V1__CommandReply s_reply_t;

static bool s_kecamatan_code(const char *s)
{
    /* PP.KK.CC */
    if (strlen(s) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        if ((i == 2 || i == 5) ? s[i] != '.' : (s[i] < '0' || s[i] > '9'))
            return false;
    return true;
}

#define S_COMPANION_COLS                                                                                               \
    "id, badge, on_duty, load, coalesce(sex, ''), array_to_string(languages, ','),"                                    \
    " array_to_string(kecamatan_codes, ',')"

/* A comma-separated list (codes never hold a comma) as strings of d's arena. */
static char **s_split(dispatch_t *d, const char *list, size_t *n)
{
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    char **out = dispatch_alloc(d, sizeof *out * cap);
    char *copy = dispatch_strdup(d, list);
    *n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        out[(*n)++] = tok;
    return out;
}

/* Row i of a result with S_COMPANION_COLS. */
static Pelukan__V1__Companion *s_companion_of(dispatch_t *d, const PGresult *r, int i)
{
    Pelukan__V1__Companion *out = dispatch_alloc(d, sizeof *out);
    pelukan__v1__companion__init(out);
    out->companion_id = dispatch_strdup(d, PQgetvalue(r, i, 0));
    out->badge = dispatch_strdup(d, PQgetvalue(r, i, 1));
    out->on_duty = pk_pg_bool(r, i, 2);
    out->load = (uint32_t)atoi(PQgetvalue(r, i, 3));
    out->sex = dispatch_strdup(d, PQgetvalue(r, i, 4));
    out->languages = s_split(d, PQgetvalue(r, i, 5), &out->n_languages);
    out->kecamatan_codes = s_split(d, PQgetvalue(r, i, 6), &out->n_kecamatan_codes);
    return out;
}

/* The first of the profile's fields that is not valid, or NULL. */
static const char *s_companion_invalid(const Pelukan__V1__SetCompanion *c)
{
    size_t name_len = strlen(c->first_name);
    if (name_len == 0 || name_len > 40 || !pk_utf8_valid(c->first_name, name_len))
        return "first_name";
    if (c->sex[0] && strcmp(c->sex, "F") != 0 && strcmp(c->sex, "M") != 0)
        return "sex";
    if (!dispatch_plain_codes(c->languages, c->n_languages, 10, 8))
        return "languages";
    if (c->n_kecamatan_codes > 60)
        return "kecamatan_codes";
    for (size_t i = 0; i < c->n_kecamatan_codes; i++)
        if (!s_kecamatan_code(c->kecamatan_codes[i]))
            return "kecamatan_codes";
    return NULL;
}

/* A profile not being set is kept (a companion going on duty does not wipe
 * the coverage an admin gave); an admin's change keeps on_duty. The badge
 * is drawn once, for a companion new to dispatch (an upsert would draw one
 * at every change: review N12). Commands run one at a time on this thread,
 * so the update-or-insert does not race. */
static const char s_set_companion_sql[] =
    "WITH u AS (UPDATE companion SET"
    "   first_name = CASE WHEN $7 THEN first_name ELSE $2 END,"
    "   on_duty = CASE WHEN $7 THEN on_duty ELSE $3 END,"
    "   sex = CASE WHEN $8 THEN NULLIF($4, '') ELSE sex END,"
    "   languages = CASE WHEN $8 THEN $5 ELSE languages END,"
    "   kecamatan_codes = CASE WHEN $8 THEN $6 ELSE kecamatan_codes END, updated_at = now()"
    "   WHERE id = $1 RETURNING " S_COMPANION_COLS "),"
    " i AS (INSERT INTO companion (id, badge, first_name, on_duty, sex, languages, kecamatan_codes)"
    "   SELECT $1, 'PDP-' || lpad(nextval('badge_seq')::text, 4, '0'), $2, $3, NULLIF($4, ''), $5, $6"
    "   WHERE NOT EXISTS (SELECT 1 FROM u) RETURNING " S_COMPANION_COLS ")"
    " SELECT * FROM u UNION ALL SELECT * FROM i";

/* An admin's change of a companion's profile: an account change, in the
 * audit log with who made it (N1). */
static int s_coverage_changed(PGconn *conn, dispatch_t *d, const s_req_t *req, const char *id)
{
    Pelukan__V1__StaffAccountChanged ev = PELUKAN__V1__STAFF_ACCOUNT_CHANGED__INIT;
    ev.staff_id = (char *)id;
    ev.role = "companion";
    ev.change = PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_COVERAGE;
    return pk_rpc_event(conn, d->log, "dispatch", req, "", &ev.base);
}

int dispatch_set_companion(PGconn *conn, dispatch_t *d, const Pelukan__V1__CommandRequest *req,
                           Pelukan__V1__CommandReply *reply)
{
    const Pelukan__V1__SetCompanion *c = req->set_companion;
    if (!pk_rpc_actor_id(req)[0])
        return PK_RPC_FORBIDDEN(reply, "no_actor");
    /* An admin sets a companion's profile; a companion sets their own duty. */
    bool by_admin = c->companion_id[0] != '\0';
    if (by_admin && !(req->actor && strcmp(req->actor->role, "admin") == 0))
        return PK_RPC_FORBIDDEN(reply, "admin_only");
    if (by_admin && (strlen(c->companion_id) > 64 || !c->set_profile))
        return PK_RPC_INVALID(reply, "companion_id");
    const char *bad = s_companion_invalid(c);
    if (bad)
        return PK_RPC_INVALID(reply, bad);
    char *langs = pk_pg_text_array(c->languages, c->n_languages),
         *kecs = pk_pg_text_array(c->kecamatan_codes, c->n_kecamatan_codes);
    const char *id = by_admin ? c->companion_id : pk_rpc_actor_id(req);
    const char *p[] = {id,
                       c->first_name,
                       by_admin     ? "f"
                       : c->on_duty ? "t"
                                    : "f",
                       c->sex,
                       langs,
                       kecs,
                       by_admin ? "t" : "f",
                       c->set_profile ? "t" : "f"};
    PGresult *r = dispatch_exec(conn, d, s_set_companion_sql, 8, p);
    free(langs);
    free(kecs);
    if (!r)
        return PK_EDB;
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_COMPANION;
    reply->companion = s_companion_of(d, r, 0);
    PQclear(r);
    if (by_admin && s_coverage_changed(conn, d, req, id) != 0)
        return PK_EDB;
    return 0;
}

int dispatch_list_companions(PGconn *conn, dispatch_t *d, const Pelukan__V1__CommandRequest *req,
                             Pelukan__V1__CommandReply *reply)
{
    const char *p[] = {req->list_companions->companion_id};
    if (req->actor && strcmp(req->actor->role, "admin") != 0 && strcmp(p[0], pk_rpc_actor_id(req)) != 0)
        return PK_RPC_FORBIDDEN(reply, "own_only"); /* a companion reads their own duty only */
    PGresult *r = dispatch_exec(
        conn, d, "SELECT " S_COMPANION_COLS " FROM companion WHERE $1 = '' OR id = $1 ORDER BY badge", 1, p);
    if (!r)
        return PK_EDB;
    int n = PQntuples(r);
    Pelukan__V1__Companions *out = dispatch_alloc(d, sizeof *out);
    pelukan__v1__companions__init(out);
    out->items = dispatch_alloc(d, sizeof *out->items * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        out->items[out->n_items++] = s_companion_of(d, r, i);
    PQclear(r);
    reply->result_case = PELUKAN__V1__COMMAND_REPLY__RESULT_COMPANIONS;
    reply->companions = out;
    return PK_RPC_READ_ONLY;
}
