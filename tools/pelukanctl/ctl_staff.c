/* ctl_staff.c -- `pelukanctl staff add|list|disable`: staff accounts in
 * the intake schema, for the first admin and for scripts (make run seeds
 * its demo staff with it). Connects as the intake role. Each change is a
 * StaffAccountChanged event in intake's outbox, in the transaction that
 * makes it, like a change made through the API (security review N1): the
 * auditors see accounts made or disabled from the command line too, by
 * the actor "pelukanctl". */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "pelukan/account.h"
#include "pelukan/bus.h"
#include "pelukan/crypto.h"
#include "pelukan/db.h"
#include "pelukan/password.h"
#include "pelukan/util.h"

static PGconn *s_intake_db(const ctl_t *ctl)
{
    char *ci = pk_pg_conninfo(pk_config_str(ctl->cfg, "PELUKAN_DB_URL"),
                              pk_config_str(ctl->cfg, "PELUKAN_INTAKE_DB_URL"), "intake");
    PGconn *conn = pk_pg_connect(ci, ctl->log, 5000);
    free(ci);
    if (!conn)
        fprintf(stderr, "pelukanctl: cannot connect to the intake database\n");
    return conn;
}

/* The account change as an event of intake's, inside the open transaction. */
static int s_changed(PGconn *conn, const ctl_t *ctl, const char *staff_id, const char *role,
                     Pelukan__V1__StaffAccountChanged__Change change)
{
    Pelukan__V1__Envelope env;
    uint8_t eid[16];
    pk_envelope_init(&env, eid, "intake", "", "");
    Pelukan__V1__Actor actor = PELUKAN__V1__ACTOR__INIT;
    actor.kind = PELUKAN__V1__ACTOR__KIND__KIND_SYSTEM;
    actor.id = "pelukanctl";
    env.actor = &actor;
    Pelukan__V1__StaffAccountChanged ev = PELUKAN__V1__STAFF_ACCOUNT_CHANGED__INIT;
    ev.staff_id = (char *)staff_id;
    ev.role = (char *)role;
    ev.change = change;
    env.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_STAFF_ACCOUNT_CHANGED;
    env.staff_account_changed = &ev;
    return pk_outbox_add(conn, ctl->log, &env);
}

/* Runs `sql` in a transaction with its StaffAccountChanged when it changed
 * one account (its id and role are the result's first two columns). Returns
 * the result (caller clears it) or NULL on a failure, said on stderr. */
static PGresult *s_change(PGconn *conn, const ctl_t *ctl, const char *what, const char *sql, int n,
                          const char *const *p, Pelukan__V1__StaffAccountChanged__Change change)
{
    PGresult *r = PQexec(conn, "BEGIN");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    r = ok ? PQexecParams(conn, sql, n, NULL, p, NULL, NULL, 0) : NULL;
    ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "pelukanctl staff %s: %s", what, r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
    if (ok && PQntuples(r) == 1 && s_changed(conn, ctl, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), change) != 0) {
        fprintf(stderr, "pelukanctl staff %s: the event could not be written\n", what);
        ok = false;
    }
    PGresult *end = PQexec(conn, ok ? "COMMIT" : "ROLLBACK");
    ok = ok && PQresultStatus(end) == PGRES_COMMAND_OK;
    PQclear(end);
    if (!ok) {
        PQclear(r);
        return NULL;
    }
    return r;
}

static const char *s_arg(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static bool s_flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

/* The account's fields pass common's checks (the API's too); each that
 * does not is said on stderr. */
static bool s_account_valid(const json_t *body)
{
    json_t *errors = json_object();
    bool ok = pk_account_check(body, errors) == 0;
    const char *key;
    json_t *v;
    json_object_foreach(errors, key, v) fprintf(stderr, "pelukanctl staff add: %s: %s\n", key, json_string_value(v));
    json_decref(errors);
    return ok;
}

/* The password: one line on stdin, or a new random one (shown once);
 * false, said on stderr, without one of 12 to 256 characters or with one
 * too easy to guess, the account's login and name included (as the edge
 * judges a new password, pelukan/password.h). */
static bool s_password(bool generated, char *password, size_t size, const char *const *account_words)
{
    if (generated) {
        uint8_t raw[12];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2base64(password, size, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    } else if (!fgets(password, (int)size, stdin)) {
        fprintf(stderr, "pelukanctl staff add: no password on stdin\n");
        return false;
    }
    password[strcspn(password, "\r\n")] = '\0';
    size_t chars = pk_utf8_chars(password);
    const char *why = NULL;
    if (chars < 12 || chars > 256)
        why = "the password must have 12 to 256 characters";
    else if (pk_password_weak(password, account_words, NULL) != 0)
        why = "the password is too easy to guess (a common word, a name, a date, a sequence or a keyboard pattern);"
              " use several unrelated words";
    if (!why)
        return true;
    fprintf(stderr, "pelukanctl staff add: %s\n", why);
    sodium_memzero(password, size);
    return false;
}

int ctl_staff_add(const ctl_t *ctl, int argc, char **argv)
{
    const char *login = s_arg(argc, argv, "--login"), *name = s_arg(argc, argv, "--name"),
               *role = s_arg(argc, argv, "--role"), *agency = s_arg(argc, argv, "--agency"),
               *email = s_arg(argc, argv, "--email");
    json_t *body = json_pack("{s:s?, s:s?, s:s?}", "login", login, "display_name", name, "role", role);
    if (agency)
        json_object_set_new(body, "agency_code", json_string(agency));
    if (email)
        json_object_set_new(body, "email", json_string(email));
    bool valid = s_account_valid(body);
    json_decref(body);
    if (!valid)
        return CTL_ERROR;
    char password[258] = "";
    bool generated = !s_flag(argc, argv, "--password-stdin");
    const char *words[] = {login, name, NULL};
    if (!s_password(generated, password, sizeof password, words))
        return CTL_ERROR;
    char hash[PK_PASSWORD_HASH_MAX], id[PK_ID_HEX_LEN + 1];
    int rc = pk_password_hash(password, hash);
    if (rc != 0) {
        sodium_memzero(password, sizeof password);
        return CTL_ERROR;
    }
    pk_id_new(id);
    PGconn *conn = s_intake_db(ctl);
    if (!conn) {
        sodium_memzero(password, sizeof password);
        return CTL_ERROR;
    }
    const char *p[] = {id, login, name, role, agency ? agency : "", hash, email ? email : ""};
    PGresult *r = s_change(conn, ctl, "add",
                           "INSERT INTO staff (id, login, display_name, role, agency_code, password_hash, email)"
                           " VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6, NULLIF($7, ''))"
                           " ON CONFLICT (login) DO NOTHING RETURNING id, role",
                           7, p, PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_CREATED);
    if (!r) {
        rc = CTL_ERROR;
    } else if (PQntuples(r) != 1) {
        fprintf(stderr, "pelukanctl staff add: login \"%s\" exists already\n", login);
        rc = CTL_FAILED;
    } else {
        printf("added %s (%s) id=%s%s%s\n", login, role, id, generated ? " password=" : "", generated ? password : "");
        rc = CTL_OK;
    }
    sodium_memzero(password, sizeof password);
    PQclear(r);
    PQfinish(conn);
    return rc;
}

int ctl_staff_list(const ctl_t *ctl, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    PGconn *conn = s_intake_db(ctl);
    if (!conn)
        return CTL_ERROR;
    PGresult *r = PQexec(conn, "SELECT login, role, coalesce(agency_code, '-'), id,"
                               " CASE WHEN disabled THEN 'disabled' WHEN locked_until > now() THEN 'locked'"
                               " ELSE 'active' END, display_name FROM staff ORDER BY role, login");
    int rc = CTL_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pelukanctl staff list: %s", PQresultErrorMessage(r));
        rc = CTL_ERROR;
    } else {
        for (int i = 0; i < PQntuples(r); i++)
            printf("%-16s %-10s %-10s %s %-8s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                   PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5));
    }
    PQclear(r);
    PQfinish(conn);
    return rc;
}

int ctl_staff_disable(const ctl_t *ctl, int argc, char **argv)
{
    const char *login = s_arg(argc, argv, "--login");
    if (!login) {
        fprintf(stderr, "pelukanctl staff disable: --login LOGIN\n");
        return CTL_ERROR;
    }
    PGconn *conn = s_intake_db(ctl);
    if (!conn)
        return CTL_ERROR;
    const char *p[] = {login};
    PGresult *r = s_change(conn, ctl, "disable",
                           "WITH d AS (UPDATE staff SET disabled = true WHERE login = $1 RETURNING id, role),"
                           " s AS (DELETE FROM staff_session WHERE staff_id IN (SELECT id FROM d))"
                           " SELECT id, role FROM d",
                           1, p, PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_DISABLED);
    int rc = CTL_OK;
    if (!r) {
        rc = CTL_ERROR;
    } else if (PQntuples(r) != 1) {
        fprintf(stderr, "pelukanctl staff disable: no login \"%s\"\n", login);
        rc = CTL_FAILED;
    } else {
        printf("disabled %s; its sessions ended\n", login);
    }
    PQclear(r);
    PQfinish(conn);
    return rc;
}
