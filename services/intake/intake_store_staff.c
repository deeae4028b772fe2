/* intake_store_staff.c -- the case owner's statements about the staff:
 * accounts, an admin's duty, the sessions the live streams live on
 * (intake_store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_case.h"
#include "intake_store.h"
#include "pelukan/db.h"
#include "pelukan/error.h"

/* ---- staff accounts ----------------------------------------------------------- */

int intake_store_staff_role(PGconn *conn, intake_owner_t *o, const char *id, char role[16])
{
    const char *p[] = {id};
    PGresult *r;
    int rc = intake_store_one(conn, o, "SELECT role FROM staff WHERE id = $1 FOR UPDATE", 1, p, &r);
    if (rc != 0)
        return rc;
    snprintf(role, 16, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int intake_store_staff_list(PGconn *conn, intake_owner_t *o, pk_arena_t **arena, Pelukan__V1__StaffAccounts *out)
{
    PGresult *r = intake_store_exec(conn, o,
                                    "SELECT id, login, display_name, role, coalesce(agency_code, ''), disabled,"
                                    " coalesce(locked_until > now(), false) FROM staff ORDER BY role, login",
                                    0, NULL);
    if (!r)
        return PK_EDB;
    int n = PQntuples(r);
    out->items = pk_arena_alloc(arena, sizeof *out->items * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        Pelukan__V1__StaffAccount *a = pk_arena_alloc(arena, sizeof *a);
        pelukan__v1__staff_account__init(a);
        a->id = pk_arena_strdup(arena, PQgetvalue(r, i, 0));
        a->login = pk_arena_strdup(arena, PQgetvalue(r, i, 1));
        a->display_name = pk_arena_strdup(arena, PQgetvalue(r, i, 2));
        a->role = pk_arena_strdup(arena, PQgetvalue(r, i, 3));
        a->agency_code = pk_arena_strdup(arena, PQgetvalue(r, i, 4));
        a->disabled = pk_pg_bool(r, i, 5);
        a->locked = pk_pg_bool(r, i, 6);
        out->items[out->n_items++] = a;
    }
    PQclear(r);
    return 0;
}

int intake_store_staff_create(PGconn *conn, intake_owner_t *o, const Pelukan__V1__ManageAccount *m, const char *id,
                              const char *by, bool *made)
{
    const char *p[] = {id,       m->login, m->display_name, m->role, m->agency_code, m->password_hash,
                       m->email, by,       m->phone_e164};
    PGresult *r =
        intake_store_exec(conn, o,
                          "INSERT INTO staff (id, login, display_name, role, agency_code, password_hash, email,"
                          " changed_at, changed_by, phone_e164) VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6,"
                          " NULLIF($7, ''), now(), $8, NULLIF($9, '')) ON CONFLICT (login) DO NOTHING RETURNING id",
                          9, p);
    if (!r)
        return PK_EDB;
    *made = PQntuples(r) == 1;
    PQclear(r);
    return 0;
}

int intake_store_staff_disable(PGconn *conn, intake_owner_t *o, const char *id)
{
    const char *p[] = {id};
    if (intake_store_run(conn, o, "UPDATE staff SET disabled = true WHERE id = $1", 1, p) != 0)
        return PK_EDB;
    return intake_store_run(conn, o, "DELETE FROM staff_session WHERE staff_id = $1", 1, p);
}

int intake_store_staff_unlock(PGconn *conn, intake_owner_t *o, const char *id, const char *by)
{
    const char *p[] = {id, by};
    return intake_store_run(
        conn, o,
        "UPDATE staff SET failed_logins = 0, locked_until = NULL, changed_at = now(), changed_by = $2"
        " WHERE id = $1",
        2, p);
}

int intake_store_staff_reset(PGconn *conn, intake_owner_t *o, const char *id, const char *hash, const char *by)
{
    const char *p[] = {id, hash, by};
    if (intake_store_run(conn, o,
                         "UPDATE staff SET password_hash = $2, password_changed_at = now(), failed_logins = 0,"
                         " locked_until = NULL, must_change_password = true, changed_at = now(), changed_by = $3"
                         " WHERE id = $1",
                         3, p) != 0)
        return PK_EDB;
    if (intake_store_run(conn, o, "DELETE FROM staff_session WHERE staff_id = $1", 1, p) != 0)
        return PK_EDB;
    return intake_store_run(conn, o, "DELETE FROM staff_device WHERE staff_id = $1", 1, p);
}

/* ---- an admin's duty ------------------------------------------------------------ */

int intake_store_duty(PGconn *conn, intake_owner_t *o, const char *id, pk_arena_t **arena, Pelukan__V1__DutyStatus *out)
{
    const char *p[] = {id};
    PGresult *r;
    int found = intake_store_one(conn, o,
                                 "SELECT on_duty, coalesce(phone_e164, ''),"
                                 " (SELECT coalesce(json_agg(display_name ORDER BY display_name), '[]') FROM staff"
                                 "   WHERE role = 'admin' AND on_duty AND NOT disabled)::text"
                                 " FROM staff WHERE id = $1",
                                 1, p, &r);
    if (found != 0)
        return found;
    out->on_duty = pk_pg_bool(r, 0, 0);
    out->phone = pk_arena_strdup(arena, PQgetvalue(r, 0, 1));
    json_t *names = json_loads(PQgetvalue(r, 0, 2), 0, NULL);
    size_t n = json_array_size(names);
    out->admins_on_duty = pk_arena_alloc(arena, sizeof(char *) * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        if (json_is_string(json_array_get(names, i)))
            out->admins_on_duty[out->n_admins_on_duty++] =
                pk_arena_strdup(arena, json_string_value(json_array_get(names, i)));
    json_decref(names);
    PQclear(r);
    return 0;
}

int intake_store_duty_set(PGconn *conn, intake_owner_t *o, const char *id, bool on_duty, const char *phone)
{
    const char *p[] = {id, on_duty ? "t" : "f", phone};
    return intake_store_run(conn, o,
                            "UPDATE staff SET on_duty = $2::boolean, phone_e164 = coalesce(NULLIF($3, ''), phone_e164)"
                            " WHERE id = $1",
                            3, p);
}

int intake_store_sessions(PGconn *conn, intake_owner_t *o, const char *hashes, pk_arena_t **arena,
                          Pelukan__V1__Sessions *out)
{
    const char *p[] = {hashes};
    PGresult *r =
        intake_store_exec(conn, o,
                          "SELECT token_hash, '', '' FROM session WHERE token_hash = ANY($1::text[])"
                          " AND expires_at > now() AND idle_until > now()"
                          " UNION ALL SELECT x.token_hash, s.role, coalesce(s.agency_code, '') FROM staff_session x"
                          " JOIN staff s ON s.id = x.staff_id"
                          " WHERE x.token_hash = ANY($1::text[]) AND x.expires_at > now() AND NOT s.disabled",
                          1, p);
    if (!r)
        return PK_EDB;
    int n = PQntuples(r);
    out->items = pk_arena_alloc(arena, sizeof *out->items * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        Pelukan__V1__Sessions__Session *x = pk_arena_alloc(arena, sizeof *x);
        pelukan__v1__sessions__session__init(x);
        x->token_hash = intake_store_text(arena, r, i, 0);
        x->role = intake_store_text(arena, r, i, 1);
        x->agency_code = intake_store_text(arena, r, i, 2);
        out->items[out->n_items++] = x;
    }
    PQclear(r);
    return 0;
}

int intake_store_push(PGconn *conn, intake_owner_t *o, const char *staff_id, const Pelukan__V1__Push *push,
                      bool *subscribed)
{
    const char *me[] = {staff_id}, *p[] = {staff_id, push->endpoint, push->p256dh, push->auth};
    int rc = push->step == PELUKAN__V1__PUSH__STEP__STEP_SET
                 ? intake_store_run(conn, o,
                                    "INSERT INTO staff_push (staff_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)"
                                    " ON CONFLICT (staff_id) DO UPDATE SET endpoint = $2, p256dh = $3, auth = $4,"
                                    " created_at = now()",
                                    4, p)
             : push->step == PELUKAN__V1__PUSH__STEP__STEP_DROP
                 ? intake_store_run(conn, o, "DELETE FROM staff_push WHERE staff_id = $1", 1, me)
                 : 0;
    PGresult *r =
        rc == 0 ? intake_store_exec(conn, o, "SELECT count(*) > 0 FROM staff_push WHERE staff_id = $1", 1, me) : NULL;
    if (!r)
        return PK_EDB;
    *subscribed = pk_pg_bool(r, 0, 0);
    PQclear(r);
    return 0;
}

int intake_store_end_sessions(PGconn *conn, intake_owner_t *o, bool staff, const char *who, const char *token_hash,
                              bool all, int *ended)
{
    const char *p[] = {who, token_hash, all ? "t" : "f"};
    PGresult *r = intake_store_exec(
        conn, o,
        staff ? "WITH d AS (DELETE FROM staff_session WHERE staff_id = $1 AND (token_hash = $2 OR $3::boolean)"
                " RETURNING 1) SELECT count(*) FROM d"
              : "WITH d AS (DELETE FROM session WHERE reporter_id = $1 AND (token_hash = $2 OR $3::boolean)"
                " RETURNING 1) SELECT count(*) FROM d",
        3, p);
    if (!r)
        return PK_EDB;
    *ended = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int intake_store_purge(PGconn *conn, intake_owner_t *o, int keep_s, long *deleted)
{
    static const char *const sql[] = {
        "DELETE FROM otp WHERE expires_at < now()",
        "DELETE FROM otp_request WHERE at < now() - make_interval(secs => $1::int)",
        "DELETE FROM otp_failure WHERE at < now() - make_interval(secs => $1::int)",
        "DELETE FROM session WHERE expires_at < now() OR idle_until < now()",
        "DELETE FROM staff_session WHERE expires_at < now()",
    };
    char keep[16];
    snprintf(keep, sizeof keep, "%d", keep_s);
    const char *p[] = {keep};
    *deleted = 0;
    for (size_t i = 0; i < PK_ARRAY_LEN(sql); i++) {
        PGresult *r = intake_store_exec(conn, o, sql[i], i == 1 || i == 2 ? 1 : 0, p);
        if (!r)
            return PK_EDB;
        *deleted += atol(PQcmdTuples(r));
        PQclear(r);
    }
    return 0;
}
