/* test_pbrow.c -- rows of a real PostgreSQL into protobuf-c messages by
 * their column names (pelukan/pbrow.h). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/pktest.h"
#include "pelukan/pbrow.h"
#include "pelukan/v1/commands.pb-c.h"

static PGconn *conn;
static pk_arena_t *arena;

static void s_setup(void)
{
    free(pkt_db_create("t_pbrow"));
    conn = pkt_superuser("t_pbrow");
}

static void s_teardown(void)
{
    PQfinish(conn);
    pk_arena_free(&arena);
}

TestSuite(pbrow, .init = s_setup, .fini = s_teardown);

static PGresult *s_query(const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(conn));
    return r;
}

Test(pbrow, each_column_fills_the_field_it_names)
{
    PGresult *r = s_query("SELECT 'c1' AS \"row.case_id\", true AS \"row.urgent\", 3 AS \"row.call_attempts\","
                          " ARRAY['fisik','psikis'] AS \"row.violence_forms\", NULL::text AS \"row.due_at\","
                          " 'far' AS \"row.reach_request.reason_code\", 'x' AS _mine,"
                          " NULL::bool AS \"identification.referral_consent\", NULL::text[] AS \"identification.needs\","
                          " 'witness' AS \"answers.reporter_kind\", false AS \"answers.disability_said\"");
    Pelukan__V1__CaseView v = PELUKAN__V1__CASE_VIEW__INIT;
    char bad[64] = "";
    cr_assert(pk_pbrow_read(&v.base, r, 0, NULL, &arena, bad, sizeof bad), "%s", bad);
    cr_assert_str_eq(v.row->case_id, "c1");
    cr_assert(v.row->urgent);
    cr_assert_eq(v.row->call_attempts, 3);
    cr_assert_eq(v.row->n_violence_forms, 2);
    cr_assert_str_eq(v.row->violence_forms[1], "psikis");
    cr_assert_str_eq(v.row->due_at, "", "a NULL leaves the default");
    cr_assert_str_eq(v.row->reach_request->reason_code, "far");
    cr_assert_null(v.identification, "a group of NULLs is not made");
    cr_assert_str_eq(v.answers->reporter_kind, "witness");
    PQclear(r);
}

Test(pbrow, a_prefix_reads_a_part_and_every_row)
{
    PGresult *r = s_query("SELECT x AS \"row.case_id\", 'a,b' AS \"row.violence_forms\", 'other' AS \"answers.x\""
                          " FROM (VALUES ('one'), ('two')) v(x)");
    ProtobufCMessage **items;
    size_t n;
    cr_assert(pk_pbrow_read_all(&pelukan__v1__case_row__descriptor, r, "row.", &arena, &items, &n, NULL, 0));
    cr_assert_eq(n, 2);
    cr_assert_str_eq(((Pelukan__V1__CaseRow *)items[1])->case_id, "two");
    cr_assert_eq(((Pelukan__V1__CaseRow *)items[0])->n_violence_forms, 2, "comma-separated codes too");
    cr_assert_null(items[2]);
    PQclear(r);
}

Test(pbrow, a_column_that_names_no_field_is_refused_by_name)
{
    const char *wrong[] = {"SELECT 'x' AS \"row.cse_id\"", "SELECT 'x' AS \"row\"",
                           "SELECT 'x' AS \"row.case_id.more\"", "SELECT NULL::text AS \"row.typo\"",
                           "SELECT 'x' AS \"timeline.kind\""};
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        PGresult *r = s_query(wrong[i]);
        Pelukan__V1__CaseView v = PELUKAN__V1__CASE_VIEW__INIT;
        char bad[64] = "";
        cr_assert_not(pk_pbrow_read(&v.base, r, 0, NULL, &arena, bad, sizeof bad), "%s", wrong[i]);
        cr_assert_str_eq(bad, PQfname(r, 0));
        PQclear(r);
    }
}

Test(pbrow, enums_by_name_and_bytes)
{
    PGresult *r = s_query("SELECT 'OUTCOME_EXPIRED' AS outcome, 'r1' AS reporter_id");
    Pelukan__V1__CodeVerified v = PELUKAN__V1__CODE_VERIFIED__INIT;
    cr_assert(pk_pbrow_read(&v.base, r, 0, NULL, &arena, NULL, 0));
    cr_assert_eq(v.outcome, PELUKAN__V1__CODE_VERIFIED__OUTCOME__OUTCOME_EXPIRED);
    PQclear(r);
    r = s_query("SELECT 'OUTCOME_NONE' AS outcome");
    cr_assert_not(pk_pbrow_read(&v.base, r, 0, NULL, &arena, NULL, 0), "an enum value that is not one");
    PQclear(r);
    r = s_query("SELECT '\\x0102ff'::bytea AS safety_sealed");
    Pelukan__V1__SetSafety s = PELUKAN__V1__SET_SAFETY__INIT;
    cr_assert(pk_pbrow_read(&s.base, r, 0, NULL, &arena, NULL, 0));
    cr_assert_eq(s.safety_sealed.len, 3);
    cr_assert_eq(s.safety_sealed.data[2], 0xff);
    PQclear(r);
}
