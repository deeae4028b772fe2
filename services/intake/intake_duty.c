/* intake_duty.c -- admins on duty (issue 22 §1): an urgent report reaches
 * every admin on duty by SMS as well as by e-mail. An admin says she is on
 * duty, with her mobile number, and off duty; the desk shows who is. Each
 * change is a StaffAccountChanged event (ON_DUTY, OFF_DUTY), from which
 * notification keeps whom to text. Every statement is here. */
#include <stdio.h>
#include <string.h>

#include "edge/edge_json.h"
#include "intake_call.h"
#include "intake_report.h"
#include "intake_staff.h"
#include "pelukan/account.h"

/* $1 the staff member: her duty, her number, and the admins on duty. */
static const char S_READ_SQL[] =
    "SELECT on_duty, coalesce(phone_e164, ''),"
    " (SELECT coalesce(json_agg(display_name ORDER BY display_name), '[]') FROM staff"
    "   WHERE role = 'admin' AND on_duty AND NOT disabled)::text"
    " FROM staff WHERE id = $1";
/* $1 the admin, $2 on duty or not, $3 her number ('' going off duty:
 * the one kept stays). */
static const char S_SET_SQL[] =
    "UPDATE staff SET on_duty = $2::boolean, phone_e164 = coalesce(NULLIF($3, ''), phone_e164) WHERE id = $1";

static void s_answer(pk_db_txn_t *txn, int status, void *arg)
{
    intake_call_t *c = arg;
    if (!intake_db_ok(c, txn, status))
        return;
    const PGresult *r = pk_db_txn_result(txn, pk_db_txn_count(txn) - 1);
    json_t *names = json_loads(PQgetvalue(r, 0, 2), 0, NULL);
    if (!json_is_array(names)) {
        json_decref(names);
        names = json_array();
    }
    const char *phone = PQgetvalue(r, 0, 1);
    intake_json(c->req, 200,
                json_pack("{s:b, s:s?, s:o}", "on_duty", pk_pg_bool(r, 0, 0), "phone", *phone ? phone : NULL,
                          "admins_on_duty", names));
    intake_call_free(c);
}

void intake_duty_get(intake_call_t *c)
{
    const char *p[] = {c->staff_id};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, S_READ_SQL, 1, p);
    pk_db_txn_submit(txn, s_answer, c);
}

/* {"on_duty": bool, "phone": "08..."}: the number is asked whenever she
 * goes on duty (the alerts go to the number she carries that day). */
void intake_duty_set(intake_call_t *c)
{
    if (!(c->body = intake_body(c->req))) {
        intake_call_free(c);
        return;
    }
    json_t *errors = json_object(), *on = json_object_get(c->body, "on_duty"), *ph = json_object_get(c->body, "phone");
    char phone[24] = "";
    const char *key;
    json_t *v;
    json_object_foreach(c->body, key, v)
    {
        if (strcmp(key, "on_duty") != 0 && strcmp(key, "phone") != 0)
            json_object_set_new(errors, key, json_string("tidak dikenal"));
    }
    if (!json_is_boolean(on))
        json_object_set_new(errors, "on_duty", json_string("wajib diisi: true atau false"));
    if (ph && (!json_is_string(ph) || pk_phone_normalize(json_string_value(ph), phone) != 0))
        json_object_set_new(errors, "phone", json_string("nomor HP Indonesia, mis. 0812-3456-7890"));
    else if (!ph && json_is_true(on))
        json_object_set_new(errors, "phone", json_string("wajib diisi saat mulai piket: ke nomor ini laporan darurat dikirim"));
    if (intake_invalid(c, errors, "Data tidak valid"))
        return;
    const char *p[] = {c->staff_id, json_is_true(on) ? "t" : "f", phone};
    pk_db_txn_t *txn = pk_db_txn_new(c->in->db);
    pk_db_txn_add(txn, S_SET_SQL, 3, p);
    intake_staff_change_by(txn, c, c->staff_id, c->staff_role,
                           json_is_true(on) ? PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_ON_DUTY
                                            : PELUKAN__V1__STAFF_ACCOUNT_CHANGED__CHANGE__CHANGE_OFF_DUTY);
    pk_db_txn_add(txn, S_READ_SQL, 1, p);
    pk_db_txn_submit(txn, s_answer, c);
}
