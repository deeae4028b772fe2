/* intake_accounts.c -- the staff accounts admins and supervisors manage:
 * made, listed, disabled, unlocked and given a new password, each change a
 * StaffAccountChanged event in its transaction (security review N1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_call.h"
#include "intake_case.h"
#include "intake_password.h"
#include "intake_staff.h"
#include "pelukan/account.h"
#include "pelukan/bus.h"
#include "pelukan/util.h"

/* ---- accounts (admins and supervisors) --------------------------------------- */

/* Who manages whom (security review N1): a role must not mint the roles
 * that check it. Admins manage companions and agency officers; supervisors
 * every account; an operator any, with pelukanctl on the server. */
static bool s_manages(const intake_call_t *c, const char *role)
{
    if (c->role_bit == INTAKE_SUPERVISOR)
        return intake_role_bit(role) != 0;
    return strcmp(role, "companion") == 0 || strcmp(role, "agency") == 0;
}

static void s_not_managed(intake_call_t *c)
{
    intake_error(c->req, 403, "role_not_managed",
                 "Akun admin, supervisor dan auditor hanya dapat diatur oleh supervisor", NULL);
    intake_call_free(c);
}

static void s_target_found(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (PQntuples(r) != 1) {
        intake_error(c->req, 404, "not_found", "Akun tidak ditemukan", NULL);
        intake_call_free(c);
        return;
    }
    if (!s_manages(c, PQgetvalue(r, 0, 0))) {
        s_not_managed(c);
        return;
    }
    snprintf(c->target_role, sizeof c->target_role, "%s", PQgetvalue(r, 0, 0));
    c->next(c);
}

/* The account of the path, then `next`: 404 when there is none, 403 when
 * the caller may not manage its role. */
static void s_target(intake_call_t *c, void (*next)(intake_call_t *c))
{
    c->next = next;
    const char *p[] = {pk_http_param(c->req, 0)};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "SELECT role FROM staff WHERE id = $1", 1, p);
    pk_db_txn_submit(txn, s_target_found, c);
}

/* The end of a change to one account (the first statement of `txn`):
 * {id, <flag>: true}; the staff feed and streams check their sessions
 * again at once (a change may have ended some); `what` goes to the log
 * with both ids. */
static void s_account_changed(intake_call_t *c, pk_db_txn_t *txn, int status, const char *flag, const char *what)
{
    if (!intake_db_ok(c, txn, status))
        return;
    const char *id = pk_http_param(c->req, 0);
    if (atoi(PQcmdTuples((PGresult *)pk_db_txn_result(txn, 0))) != 1) {
        intake_error(c->req, 404, "not_found", "Akun tidak ditemukan", NULL);
    } else {
        c->in->sessions_epoch++; /* the streams check their sessions at once */
        pk_relay_kick(pk_service_relay(c->in->svc));
        intake_log_info(c, "staff %s %s by staff %s", id, what, c->staff_id);
        intake_json(c->req, 200, json_pack("{s:s, s:b}", "id", id, flag, 1));
    }
    intake_call_free(c);
}

/* POST /v1/staff/accounts */

static void s_account_made(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    const char *state = pk_db_txn_sqlstate(txn);
    if (status != 0 && state && strcmp(state, "23505") == 0) {
        intake_error(c->req, 409, "login_taken", "Nama pengguna sudah dipakai", NULL);
        intake_call_free(c);
        return;
    }
    if (!intake_db_ok(c, txn, status))
        return;
    pk_relay_kick(pk_service_relay(c->in->svc));
    intake_json(c->req, 201, json_pack("{s:s}", "id", c->case_id));
    intake_call_free(c);
}

static void s_account_hashed(intake_call_t *c, int rc, const char *hash)
{
    if (!intake_pw_hashed(c, rc))
        return;
    pk_id_new(c->case_id); /* the new staff id */
    const char *agency = json_string_value(json_object_get(c->body, "agency_code"));
    const char *email = json_string_value(json_object_get(c->body, "email"));
    const char *role = json_string_value(json_object_get(c->body, "role"));
    const char *phone = json_string_value(json_object_get(c->body, "phone"));
    char e164[24] = "";
    if (phone && pk_phone_normalize(phone, e164) != 0)
        e164[0] = '\0'; /* checked before: not reached */
    const char *p[] = {c->case_id,
                       json_string_value(json_object_get(c->body, "login")),
                       json_string_value(json_object_get(c->body, "display_name")),
                       role,
                       agency ? agency : "",
                       hash,
                       email ? email : "",
                       c->staff_id,
                       e164};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn,
                  "INSERT INTO staff (id, login, display_name, role, agency_code, password_hash, email, changed_at,"
                  " changed_by, phone_e164) VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6, NULLIF($7, ''), now(), $8,"
                  " NULLIF($9, ''))",
                  9, p);
    intake_staff_change_by(txn, c, c->case_id, role, PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_CREATED);
    pk_db_txn_submit(txn, s_account_made, c);
}

void intake_staff_account_create(intake_call_t *c)
{
    if (!(c->body = intake_body(c->req))) {
        intake_call_free(c);
        return;
    }
    json_t *errors = json_object();
    (void)pk_account_check(c->body, errors);
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    if (!s_manages(c, json_string_value(json_object_get(c->body, "role")))) {
        intake_wipe_passwords(c->body);
        s_not_managed(c);
        return;
    }
    const char *pw = intake_password_field(c, "password", true);
    if (pw && intake_pw_slot(c))
        intake_pw(c, NULL, pw, s_account_hashed);
}

/* GET /v1/staff/accounts */

static void s_accounts_listed(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    json_t *items = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:b, s:b, s:b}", "id", PQgetvalue(r, i, 0),
                                               "login", PQgetvalue(r, i, 1), "display_name", PQgetvalue(r, i, 2),
                                               "role", PQgetvalue(r, i, 3), "agency_code",
                                               PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4), "disabled",
                                               pk_pg_bool(r, i, 5), "locked", pk_pg_bool(r, i, 6), "managed",
                                               s_manages(c, PQgetvalue(r, i, 3))));
    intake_json(c->req, 200, json_pack("{s:o}", "accounts", items));
    intake_call_free(c);
}

void intake_staff_account_list(intake_call_t *c)
{
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn,
                  "SELECT id, login, display_name, role, agency_code, disabled, coalesce(locked_until > now(), false)"
                  " FROM staff ORDER BY role, login",
                  0, NULL);
    pk_db_txn_submit(txn, s_accounts_listed, c);
}

/* POST /v1/staff/accounts/{id}/disable */

static void s_account_disabled(pk_db_txn_t *txn, int status, void *arg)
{
    s_account_changed(arg, txn, status, "disabled", "disabled");
}

static void s_disable(intake_call_t *c)
{
    const char *p[] = {pk_http_param(c->req, 0)};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, "UPDATE staff SET disabled = true WHERE id = $1", 1, p);
    pk_db_txn_add(txn, "DELETE FROM staff_session WHERE staff_id = $1", 1, p);
    intake_staff_change_by(txn, c, p[0], c->target_role, PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_DISABLED);
    pk_db_txn_submit(txn, s_account_disabled, c);
}

void intake_staff_account_disable(intake_call_t *c)
{
    if (!intake_empty_body(c))
        return;
    s_target(c, s_disable);
}

/* POST /v1/staff/accounts/{id}/unlock: a lock-out lifted (review M3: wrong
 * passwords from anyone lock an account; its owner asks). */

static void s_account_unlocked(pk_db_txn_t *txn, int status, void *arg)
{
    s_account_changed(arg, txn, status, "unlocked", "unlocked");
}

static void s_unlock(intake_call_t *c)
{
    const char *p[] = {pk_http_param(c->req, 0), c->staff_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn,
                  "UPDATE staff SET failed_logins = 0, locked_until = NULL, changed_at = now(), changed_by = $2"
                  " WHERE id = $1",
                  2, p);
    intake_staff_change_by(txn, c, p[0], c->target_role, PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_UNLOCKED);
    pk_db_txn_submit(txn, s_account_unlocked, c);
}

void intake_staff_account_unlock(intake_call_t *c)
{
    if (!intake_empty_body(c))
        return;
    s_target(c, s_unlock);
}

/* POST /v1/staff/accounts/{id}/password: a new password for an account
 * whose owner forgot theirs (told to them in person or by phone): the
 * lock-out is lifted, every session of the account ends, and the owner
 * must change it at the next login. */

static void s_reset_done(pk_db_txn_t *txn, int status, void *arg)
{
    s_account_changed(arg, txn, status, "reset", "password reset");
}

static void s_reset_hashed(intake_call_t *c, int rc, const char *hash)
{
    if (!intake_pw_hashed(c, rc))
        return;
    const char *p[] = {pk_http_param(c->req, 0), hash, c->staff_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn,
                  "UPDATE staff SET password_hash = $2, password_changed_at = now(), failed_logins = 0,"
                  " locked_until = NULL, must_change_password = true, changed_at = now(), changed_by = $3"
                  " WHERE id = $1",
                  3, p);
    pk_db_txn_add(txn, "DELETE FROM staff_session WHERE staff_id = $1", 1, p);
    /* A reset starts the account over: no device is known to it. */
    pk_db_txn_add(txn, "DELETE FROM staff_device WHERE staff_id = $1", 1, p);
    intake_staff_change_by(txn, c, p[0], c->target_role,
                           PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_PASSWORD_RESET);
    pk_db_txn_submit(txn, s_reset_done, c);
}

static void s_reset(intake_call_t *c)
{
    if (intake_pw_slot(c))
        intake_pw(c, NULL, json_string_value(json_object_get(c->body, "password")), s_reset_hashed);
}

void intake_staff_account_reset(intake_call_t *c)
{
    static const char *const allowed[] = {"password", NULL};
    json_t *errors = intake_strict_body(c, allowed);
    if (!errors || intake_invalid(c, errors, "Data tidak valid"))
        return;
    if (intake_password_field(c, "password", true))
        s_target(c, s_reset);
}
