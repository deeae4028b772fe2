/* test_audit.c -- the audit log: every event of a producer appended once to
 * a hash chain, signed checkpoints, and a verifier that names the first
 * entry edited, deleted or swapped behind its back. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/pktest.h"
#include "pelukan/util.h"

static pkt_env_t *env;

/* Runs `pelukanctl audit verify` with the test's environment; returns its
 * exit status and output. */
static int s_verify(char **out)
{
    char *log = pk_asprintf("%s/verify-%d.out", pkt_env("PKTEST_TMP"), (int)getpid());
    char *cmd = pk_asprintf("env -i PATH=/usr/bin:/bin PELUKAN_DB_URL='%s' PELUKAN_AUDIT_SIGNING_KEY_FILE='%s' "
                            "PELUKAN_MASTER_KEY_FILE='%s' %s/bin/pelukanctl audit verify > %s 2>&1",
                            pkt_env_get(env, "PELUKAN_DB_URL"), pkt_env_get(env, "PELUKAN_AUDIT_SIGNING_KEY_FILE"),
                            pkt_env_get(env, "PELUKAN_MASTER_KEY_FILE"), pkt_env("PKTEST_BUILD"), log);
    int st = system(cmd);
    *out = NULL;
    if (pk_read_file(log, out, NULL) != 0)
        *out = pk_strdup("");
    free(cmd);
    free(log);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool s_logged(void *arg)
{
    char *v = pkt_sql_value("t_audit", "SELECT count(*) FROM audit.event_log");
    bool ok = v && atol(v) >= *(long *)arg;
    free(v);
    return ok;
}

static bool s_checkpointed(void *arg)
{
    char *v = pkt_sql_value("t_audit", "SELECT coalesce(max(gseq), 0) FROM audit.checkpoint");
    bool ok = v && atol(v) >= *(long *)arg;
    free(v);
    return ok;
}

/* A superuser can switch the append-only triggers off; that is the
 * attacker these tests play. */
#define S_AS_ATTACKER "SET session_replication_role = replica; "

/* Puts the log back as it was before a tampering. */
static void s_restore(void)
{
    pkt_sql("t_audit", S_AS_ATTACKER
            "DELETE FROM audit.event_log; INSERT INTO audit.event_log SELECT * FROM public.log_copy");
}

Test(audit, the_chain_verifies_and_each_tampering_is_named)
{
    free(pkt_db_create("t_audit"));
    env = pkt_env_new("t_audit");
    pkt_env_set(env, "PKNODE_COUNT", "300");
    pkt_env_set(env, "PELUKAN_AUDIT_CHECKPOINT_S", "1");
    char node[512];
    snprintf(node, sizeof node, "%s/tests/tools/pk-busnode", pkt_env("PKTEST_BUILD"));
    pkt_proc_t audit = pkt_service_start("audit", env);
    pkt_proc_t producer = pkt_wait_healthy(pkt_spawn(node, "produce", "intake", env));
    long want = 300;
    cr_assert(pkt_wait_until(s_logged, &want, 60000), "300 events in the log");
    cr_assert(pkt_wait_until(s_checkpointed, &want, 30000), "a signed checkpoint covers the head");
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&audit, SIGTERM, 15000), 0);
    char *log = pkt_proc_log(&audit);
    cr_assert_not_null(strstr(log, "checkpoints are signed with Ed25519 public key "), "%s", log);
    free(log);
    char *v = pkt_sql_value("t_audit", "SELECT count(*) || ' ' || count(DISTINCT seq) || ' ' || min(gseq) || ' ' ||"
                                       " max(gseq) FROM audit.event_log WHERE producer = 'intake'");
    cr_assert_str_eq(v, "300 300 1 300", "each event once, in one sequence");
    free(v);

    char *out;
    cr_assert_eq(s_verify(&out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "OK: 300 entries in one unbroken chain"), "%s", out);
    free(out);
    pkt_sql("t_audit", "CREATE TABLE public.log_copy AS SELECT * FROM audit.event_log");

    /* Edit one entry. */
    pkt_sql("t_audit", S_AS_ATTACKER "UPDATE audit.event_log SET envelope = overlay(envelope placing '\\xff'::bytea from 3 for 1)"
                       " WHERE gseq = 100");
    cr_assert_eq(s_verify(&out), 1);
    cr_assert_not_null(strstr(out, "entry 100 was changed"), "%s", out);
    free(out);
    s_restore();

    /* Delete one. */
    pkt_sql("t_audit", S_AS_ATTACKER "DELETE FROM audit.event_log WHERE gseq = 150");
    cr_assert_eq(s_verify(&out), 1);
    cr_assert_not_null(strstr(out, "entry 150 is missing"), "%s", out);
    free(out);
    s_restore();

    /* Swap two. */
    pkt_sql("t_audit", S_AS_ATTACKER "UPDATE audit.event_log a SET envelope = b.envelope FROM public.log_copy b"
                       " WHERE (a.gseq, b.gseq) IN ((200, 201), (201, 200))");
    cr_assert_eq(s_verify(&out), 1);
    cr_assert_not_null(strstr(out, "entry 200"), "%s", out);
    free(out);
    s_restore();

    /* Rewrite history consistently from entry 250 on: only the signed
     * checkpoint can tell. */
    pkt_sql(
        "t_audit",
        S_AS_ATTACKER "DO $$ DECLARE r record; p bytea; BEGIN"
        " SELECT hash INTO p FROM audit.event_log WHERE gseq = 249;"
        " FOR r IN SELECT * FROM audit.event_log WHERE gseq >= 250 ORDER BY gseq LOOP"
        "  UPDATE audit.event_log SET prev_hash = p, envelope = CASE WHEN r.gseq = 250 THEN"
        "   overlay(r.envelope placing '\\xfe'::bytea from 3 for 1) ELSE r.envelope END WHERE gseq = r.gseq;"
        "  UPDATE audit.event_log SET hash = sha256(p || int8send(gseq) || convert_to(producer, 'UTF8') ||"
        "   '\\x00'::bytea || int8send(epoch) || int8send(seq) || envelope) WHERE gseq = r.gseq RETURNING hash INTO p;"
        " END LOOP; END $$");
    cr_assert_eq(s_verify(&out), 1);
    cr_assert_not_null(strstr(out, "differs from the signed checkpoint"), "%s", out);
    free(out);
    s_restore();

    /* A forged checkpoint. */
    pkt_sql("t_audit", S_AS_ATTACKER "CREATE TABLE public.cp_copy AS SELECT * FROM audit.checkpoint;"
                       " UPDATE audit.checkpoint SET signed_at_us = signed_at_us + 1"
                       " WHERE gseq = (SELECT max(gseq) FROM audit.checkpoint)");
    cr_assert_eq(s_verify(&out), 1);
    cr_assert_not_null(strstr(out, ": bad signature"), "%s", out);
    free(out);
    pkt_sql("t_audit", S_AS_ATTACKER
            "DELETE FROM audit.checkpoint; INSERT INTO audit.checkpoint SELECT * FROM public.cp_copy");
    cr_assert_eq(s_verify(&out), 0, "restored: %s", out);
    free(out);
    pkt_env_destroy(&env);
}
