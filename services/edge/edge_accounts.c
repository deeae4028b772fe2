/* edge_accounts.c -- the two account routes that carry a password (a new
 * account's, and a reset's): the edge checks the body, hashes the password
 * on its thread pool (Argon2id within the password slots, never on the case
 * owner's command thread: issue 24, decision 1), wipes it, and asks the
 * owner (ManageAccount, intake_accounts.c) with the hash only. The other
 * account routes are rows (edge_routes.c). */
#include "edge_accounts.h"

#include "../intake/intake_case.h"
#include "edge_call.h"
#include "edge_forward.h"
#include "edge_password.h"
#include "pelukan/account.h"

/* How the owner's answers are shown. */
static const intake_forward_t s_made = {INTAKE_TO_OWNER, "manage_account", .reply = "staff_account", .shape = "id",
                                        .status = 201};
static const intake_forward_t s_reset = {INTAKE_TO_OWNER, "manage_account", .reply = "staff_account",
                                         .shape = "id reset", .ends_sessions = true};

static void s_made_answered(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_forward_reply(arg, rc, reply, &s_made);
}

static void s_reset_answered(int rc, const Pelukan__V1__CommandReply *reply, void *arg)
{
    intake_forward_reply(arg, rc, reply, &s_reset);
}

static const char *s_str(const edge_call_t *c, const char *field)
{
    const char *v = json_string_value(json_object_get(c->body, field));
    return v ? v : "";
}

static void s_account_hashed(edge_call_t *c, int rc, const char *hash)
{
    if (!intake_pw_hashed(c, rc))
        return;
    char e164[24] = "";
    if (*s_str(c, "phone") && pk_phone_normalize(s_str(c, "phone"), e164) != 0)
        e164[0] = '\0'; /* checked before: not reached */
    Pelukan__V1__ManageAccount m = PELUKAN__V1__MANAGE_ACCOUNT__INIT;
    m.step = PELUKAN__V1__MANAGE_ACCOUNT__STEP__STEP_CREATE;
    m.password_hash = (char *)hash;
    m.login = (char *)s_str(c, "login");
    m.display_name = (char *)s_str(c, "display_name");
    m.role = (char *)s_str(c, "role");
    m.agency_code = (char *)s_str(c, "agency_code");
    m.email = (char *)s_str(c, "email");
    m.phone_e164 = e164;
    intake_forward_send(c, INTAKE_TO_OWNER, NULL, &m.base, s_made_answered);
}

/* The new account's password, judged: hashed in its slot. */
static void s_account_judged(edge_call_t *c)
{
    intake_pw(c, NULL, json_string_value(json_object_get(c->body, "password")), s_account_hashed);
}

void intake_staff_account_create(edge_call_t *c)
{
    if (!(c->body = intake_body(c->req))) {
        edge_call_free(c);
        return;
    }
    json_t *errors = json_object();
    (void)pk_account_check(c->body, errors);
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    /* The owner decides; asked first here, no password is hashed in vain. */
    if (!intake_role_manages(c->staff_role, s_str(c, "role"))) {
        intake_wipe_passwords(c->body);
        intake_error(c->req, 403, "role_not_managed", intake_cmd_message("role_not_managed"), NULL);
        edge_call_free(c);
        return;
    }
    if (intake_password_field(c, "password", true) && intake_pw_slot(c))
        intake_pw_judge(c, "password", s_account_judged);
}

static void s_reset_hashed(edge_call_t *c, int rc, const char *hash)
{
    if (!intake_pw_hashed(c, rc))
        return;
    Pelukan__V1__ManageAccount m = PELUKAN__V1__MANAGE_ACCOUNT__INIT;
    m.step = PELUKAN__V1__MANAGE_ACCOUNT__STEP__STEP_RESET;
    m.staff_id = (char *)pk_http_param(c->req, 0);
    m.password_hash = (char *)hash;
    intake_forward_send(c, INTAKE_TO_OWNER, NULL, &m.base, s_reset_answered);
}

static void s_reset_judged(edge_call_t *c)
{
    intake_pw(c, NULL, json_string_value(json_object_get(c->body, "password")), s_reset_hashed);
}

/* A new password for an account whose owner forgot theirs (told to them in
 * person or by phone): the lock-out is lifted, every session of the
 * account ends, and the owner must change it at the next login. */
void intake_staff_account_reset(edge_call_t *c)
{
    static const char *const allowed[] = {"password", NULL};
    json_t *errors = intake_strict_body(c, allowed);
    if (!errors || intake_invalid(c, errors, "Data tidak valid"))
        return;
    if (intake_password_field(c, "password", true) && intake_pw_slot(c))
        intake_pw_judge(c, "password", s_reset_judged);
}
