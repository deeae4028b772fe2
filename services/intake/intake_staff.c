/* intake_staff.c -- a staff member's session, checked on each request:
 * the session of the token, the role against the route's, and a password
 * someone else set opening nothing but its change. The login and the
 * password change: edge/edge_login.c; a logout is a row of the route
 * table (the case owner's EndSession). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_call.h"
#include "intake_case.h"
#include "pelukan/util.h"

#define S_TOKEN_PREFIX "stf_"

/* ---- authentication ------------------------------------------------------ */

typedef struct {
    intake_call_t *c;
    unsigned roles;
    void (*next)(intake_call_t *c);
} s_auth_t;

static void s_staff_auth_done(pk_db_txn_t *txn, int status, void *arg)
{
    s_auth_t *a = arg;
    intake_call_t *c = a->c;
    unsigned roles = a->roles;
    void (*next)(intake_call_t * c) = a->next;
    free(a);
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    if (PQntuples(r) != 1) {
        intake_error(c->req, 401, "unauthorized", "Sesi tidak berlaku, silakan masuk lagi", NULL);
        intake_call_free(c);
        return;
    }
    snprintf(c->staff_id, sizeof c->staff_id, "%s", PQgetvalue(r, 0, 0));
    snprintf(c->staff_role, sizeof c->staff_role, "%s", PQgetvalue(r, 0, 1));
    snprintf(c->staff_agency, sizeof c->staff_agency, "%s", PQgetvalue(r, 0, 2));
    snprintf(c->staff_name, sizeof c->staff_name, "%s", PQgetvalue(r, 0, 4));
    c->role_bit = intake_role_bit(c->staff_role);
    if (!(c->role_bit & roles)) {
        intake_error(c->req, 403, "forbidden", "Peran Anda tidak berhak atas tindakan ini",
                     json_pack("{s:s}", "role", c->staff_role));
        intake_call_free(c);
        return;
    }
    /* A password someone else set (a reset) opens nothing but its change
     * (security review N1). */
    const char *pattern = c->route ? c->route->pattern : "";
    if (pk_pg_bool(r, 0, 3) && strcmp(pattern, "/v1/staff/password") != 0 && strcmp(pattern, "/v1/staff/logout") != 0) {
        intake_error(c->req, 403, "password_change_required",
                     "Kata sandi Anda diatur ulang oleh orang lain: ganti dulu dengan kata sandi Anda sendiri", NULL);
        intake_call_free(c);
        return;
    }
    next(c);
}

/* The token after "Bearer stf_", or NULL. */
static const char *s_staff_token(pk_http_req_t *req)
{
    const char *h = pk_http_header(req, "authorization");
    size_t plen = strlen(S_TOKEN_PREFIX);
    if (!h || strncmp(h, "Bearer " S_TOKEN_PREFIX, 7 + plen) != 0)
        return NULL;
    const char *t = h + 7;
    return strlen(t + plen) == 64 && strspn(t + plen, "0123456789abcdef") == 64 ? t : NULL;
}

void intake_staff_authenticate(intake_call_t *c, unsigned roles, void (*next)(intake_call_t *c))
{
    const char *token = s_staff_token(c->req);
    if (!token) {
        intake_error(c->req, 401, "unauthorized", "Masuk sebagai petugas terlebih dahulu", NULL);
        intake_call_free(c);
        return;
    }
    char hash[65];
    intake_token_hash(token, hash);
    s_auth_t *a = pk_calloc(1, sizeof *a);
    *a = (s_auth_t){c, roles, next};
    const char *p[] = {hash};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(
        txn,
        "SELECT s.id, s.role, coalesce(s.agency_code, ''), s.must_change_password, s.display_name FROM staff_session x"
        " JOIN staff s ON s.id = x.staff_id WHERE x.token_hash = $1 AND x.expires_at > now() AND NOT s.disabled",
        1, p);
    pk_db_txn_submit(txn, s_staff_auth_done, a);
}
