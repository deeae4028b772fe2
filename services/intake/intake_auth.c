/* intake_auth.c -- a reporter's session, checked on each request, still
 * read by the edge itself: asked of the case owner (ResolveSession, as a
 * staff member's is: edge/edge_session.c), the hop cost a quarter to a
 * third of the reports a second (make bench), and a reporter's answer may
 * not be held (her use keeps it alive, an expired one is refused at
 * once). It moves with the report's submission, which would then check
 * the session in the same hop (README, issue 24). Registration:
 * edge/edge_otp.c; a logout is a row of the route table (EndSession). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_call.h"
#include "pelukan/util.h"

/* ---- authentication --------------------------------------------------- */

static void s_auth_done(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, 0);
    uint8_t wrapped[PK_WRAPPED_KEY_BYTES];
    char context[64];
    if (PQntuples(r) == 1)
        snprintf(context, sizeof context, "reporter:%s", PQgetvalue(r, 0, 0));
    if (PQntuples(r) != 1 || pk_pg_bytea_get(r, 0, 1, wrapped, sizeof wrapped) != PK_WRAPPED_KEY_BYTES ||
        pk_datakey_unwrap(c->in->keys, context, wrapped, sizeof wrapped, c->reporter_key) != 0) {
        intake_error(c->req, 401, "unauthorized", "Sesi tidak berlaku, silakan masuk lagi", NULL);
        intake_call_free(c);
        return;
    }
    snprintf(c->reporter_id, sizeof c->reporter_id, "%s", PQgetvalue(r, 0, 0));
    c->next(c);
}

bool intake_bearer(intake_call_t *c, char hash[65])
{
    const char *h = pk_http_header(c->req, "authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0 || strlen(h + 7) != 64 || strspn(h + 7, "0123456789abcdef") != 64) {
        intake_error(c->req, 401, "unauthorized", "Masuk terlebih dahulu", NULL);
        return false;
    }
    intake_token_hash(h + 7, hash);
    return true;
}

/* Checks "Authorization: Bearer <token>", then continues with `next`. */
void intake_authenticate(intake_call_t *c, void (*next)(intake_call_t *c))
{
    char hash[65], idle[16];
    if (!intake_bearer(c, hash)) {
        intake_call_free(c);
        return;
    }
    snprintf(idle, sizeof idle, "%d", c->in->otp.session_idle_s);
    c->next = next;
    const char *p[] = {hash, idle};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    /* Use keeps a session alive (at most one write a minute). */
    pk_db_txn_add(txn,
                  "WITH touch AS (UPDATE session SET idle_until = now() + make_interval(secs => $2::int)"
                  "   WHERE token_hash = $1 AND expires_at > now() AND idle_until > now()"
                  "   AND idle_until < now() + make_interval(secs => $2::int - 60))"
                  " SELECT s.reporter_id, r.wrapped_key FROM session s JOIN reporter r ON r.id = s.reporter_id"
                  " WHERE s.token_hash = $1 AND s.expires_at > now() AND s.idle_until > now()",
                  2, p);
    pk_db_txn_submit(txn, s_auth_done, c);
}
