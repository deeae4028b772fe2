/* test_audit.c -- the audit log: every event of a producer appended once to
 * a hash chain, signed checkpoints, and a verifier that names the first
 * entry edited, deleted or swapped behind its back. */
#include <criterion/criterion.h>
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../support/pktest.h"
#include "pelukan/bus.h"
#include "pelukan/util.h"
#include "pelukan/v1/bus.pb-c.h"

static pkt_env_t *env;

/* Runs `pelukanctl <args>` with the test's environment (and `input` as
 * its stdin when given); returns its exit status and output. */
static int s_ctl(const char *args, const char *input, char **out)
{
    return pkt_ctl(env, args, input, out);
}

static int s_verify(char **out)
{
    return s_ctl("audit verify", NULL, out);
}

static int s_lines(const char *text, const char *needle)
{
    int n = 0;
    for (const char *l = text; l && *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        if (!needle || memmem(l, len, needle, strlen(needle)))
            n++;
        l = e ? e + 1 : l + len;
    }
    return n;
}

/* Writes `text` to a file in the test's directory; caller frees the path. */
static char *s_file(const char *name, const char *text)
{
    char *path = pk_asprintf("%s/%s-%d", pkt_env("PKTEST_TMP"), name, (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const char *s_db = "t_audit";

static bool s_logged(void *arg)
{
    char *v = pkt_sql_value(s_db, "SELECT count(*) FROM audit.event_log");
    bool ok = v && atol(v) >= *(long *)arg;
    free(v);
    return ok;
}

static bool s_checkpointed(void *arg)
{
    char *v = pkt_sql_value(s_db, "SELECT coalesce(max(gseq), 0) FROM audit.checkpoint WHERE tree_root IS NOT NULL");
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
    pkt_sql("t_audit",
            S_AS_ATTACKER "DELETE FROM audit.event_log; INSERT INTO audit.event_log SELECT * FROM public.log_copy");
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
    pkt_sql("t_audit",
            S_AS_ATTACKER "UPDATE audit.event_log SET envelope = overlay(envelope placing '\\xff'::bytea from 3 for 1)"
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
        "t_audit", S_AS_ATTACKER
        "DO $$ DECLARE r record; p bytea; BEGIN"
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
    pkt_sql("t_audit",
            S_AS_ATTACKER "DELETE FROM audit.checkpoint; INSERT INTO audit.checkpoint SELECT * FROM public.cp_copy");
    cr_assert_eq(s_verify(&out), 0, "restored: %s", out);
    free(out);
    pkt_env_destroy(&env);
}

/* Appends 120 events of 5 cases, every 10th an access by one of 3 staff. */
static pkt_proc_t s_start_logged(const char *db, pkt_proc_t *producer)
{
    s_db = db;
    free(pkt_db_create(db));
    env = pkt_env_new(db);
    pkt_env_set(env, "PKNODE_COUNT", "120");
    pkt_env_set(env, "PKNODE_CASES", "5");
    pkt_env_set(env, "PKNODE_ACCESS_EVERY", "10");
    pkt_env_set(env, "PELUKAN_AUDIT_CHECKPOINT_S", "1");
    pkt_env_set(env, "PELUKAN_AUDIT_CHECKPOINT_ENTRIES", "50");
    char node[512];
    snprintf(node, sizeof node, "%s/tests/tools/pk-busnode", pkt_env("PKTEST_BUILD"));
    pkt_proc_t audit = pkt_service_start("audit", env);
    *producer = pkt_wait_healthy(pkt_spawn(node, "produce", "intake", env));
    long want = 120;
    cr_assert(pkt_wait_until(s_logged, &want, 60000), "120 events in the log");
    cr_assert(pkt_wait_until(s_checkpointed, &want, 30000), "a signed checkpoint with a tree root covers the head");
    return audit;
}

Test(audit, the_log_is_append_only_for_its_own_role)
{
    pkt_proc_t producer, audit = s_start_logged("t_audit_ro", &producer);
    static const char *const refused[] = {
        "SET ROLE audit; UPDATE audit.event_log SET case_ref = 'x' WHERE gseq = 1",
        "SET ROLE audit; DELETE FROM audit.event_log WHERE gseq = 1", "SET ROLE audit; TRUNCATE audit.event_log",
        "SET ROLE audit; DELETE FROM audit.checkpoint",
        "SET ROLE audit; ALTER TABLE audit.event_log DISABLE TRIGGER event_log_append_only",
        /* Even the owner's privileges given back, the trigger refuses. */
        "SET ROLE audit; GRANT UPDATE ON audit.event_log TO audit; UPDATE audit.event_log SET case_ref = 'x'",
        "UPDATE audit.event_log SET case_ref = 'x' WHERE gseq = 1", /* a superuser, triggers on */
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char *err = pkt_sql_error(s_db, refused[i]);
        cr_assert_not_null(err, "refused: %s", refused[i]);
        cr_assert(strstr(err, "permission denied") || strstr(err, "append-only") || strstr(err, "must be owner"),
                  "%s: %s", refused[i], err);
        free(err);
    }
    char *err = pkt_sql_error(s_db, "SET ROLE audit; SELECT count(*) FROM audit.event_log");
    cr_assert_null(err, "reading is allowed: %s", err);
    char *out;
    cr_assert_eq(s_verify(&out), 0, "%s", out);
    free(out);

    /* An event whose case id is not UTF-8 (a broken or hostile producer):
     * logged with the column NULL, the envelope as it came; the log goes
     * on and still verifies. */
    Pelukan__V1__Envelope odd;
    uint8_t eid[16];
    pk_envelope_init(&odd, eid, "intake", "\xff\xfe-not-utf8", NULL);
    Pelukan__V1__TestEvent te = PELUKAN__V1__TEST_EVENT__INIT;
    odd.payload_case = PELUKAN__V1__ENVELOPE__PAYLOAD_TEST_EVENT;
    odd.test_event = &te;
    char topic[128], *hex;
    pk_outbox_params(&odd, topic, &hex);
    char *sql = pk_asprintf("INSERT INTO intake.outbox (topic, envelope) VALUES ('%s', '%s'::bytea)", topic, hex);
    pkt_sql(s_db, sql);
    free(sql);
    free(hex);
    long want = 121;
    cr_assert(pkt_wait_until(s_logged, &want, 30000), "the odd event is logged");
    cr_assert(pkt_wait_until(s_checkpointed, &want, 30000));
    char *v = pkt_sql_value(s_db, "SELECT count(*) FROM audit.event_log WHERE case_ref IS NULL AND gseq = 121");
    cr_assert_str_eq(v, "1");
    free(v);
    cr_assert_eq(s_verify(&out), 0, "%s", out);
    free(out);
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&audit, SIGTERM, 15000), 0);
    pkt_env_destroy(&env);
}

static bool s_file_lines(void *arg)
{
    char *text = NULL;
    bool ok = pk_read_file(((char **)arg)[0], &text, NULL) == 0 && s_lines(text, NULL) >= atoi(((char **)arg)[1]);
    free(text);
    return ok;
}

Test(audit, auditors_replay_follow_and_see_who_opened_what)
{
    pkt_proc_t producer, audit = s_start_logged("t_audit_replay", &producer);
    char *out;
    cr_assert_eq(s_ctl("audit replay", NULL, &out), 0, "%s", out);
    cr_assert_eq(s_lines(out, NULL), 120, "%s", out);
    cr_assert(strncmp(out, "1 ", 2) == 0 && strstr(out, " intake/1 "), "%s", out);
    cr_assert_eq(s_lines(out, " test_event case=case-"), 108, "%s", out);
    cr_assert_eq(s_lines(out, " actor=system:bench {\"n\":"), 108, "%s", out);
    free(out);
    cr_assert_eq(s_ctl("audit replay --case case-3 --json", NULL, &out), 0, "%s", out);
    cr_assert_eq(s_lines(out, NULL), 24, "%s", out);
    cr_assert_eq(s_lines(out, "\"case_id\":\"case-3\""), 24, "%s", out);
    free(out);
    cr_assert_eq(s_ctl("audit replay --type case_data_accessed", NULL, &out), 0, "%s", out);
    cr_assert_eq(s_lines(out, " case_data_accessed "), 12, "%s", out);
    free(out);
    cr_assert_eq(s_ctl("audit replay --from 101", NULL, &out), 0, "%s", out);
    cr_assert_eq(s_lines(out, NULL), 20, "%s", out);
    cr_assert(strncmp(out, "101 ", 4) == 0, "%s", out);
    free(out);

    /* Who opened what: by case and by staff member. */
    cr_assert_eq(s_ctl("audit access --case case-0", NULL, &out), 0, "%s", out);
    cr_assert_eq(s_lines(out, "case=case-0 purpose=confirmation_call fields=reporter_phone,victim_name"), 12, "%s",
                 out);
    free(out);
    cr_assert_eq(s_ctl("audit access --staff staff-1", NULL, &out), 0, "%s", out);
    cr_assert_eq(s_lines(out, NULL), 4, "n = 10, 40, 70, 100: %s", out);
    cr_assert_eq(s_lines(out, "staff=staff-1 role=admin"), 4, "%s", out);
    free(out);
    cr_assert_eq(s_ctl("audit access", NULL, &out), 2, "a case or a staff member is required: %s", out);
    free(out);

    /* --follow prints what arrives later. */
    char *follow = pk_asprintf("%s/follow-%d", pkt_env("PKTEST_TMP"), (int)getpid());
    pid_t follower = pkt_ctl_spawn(env, "audit replay --follow --from 121", follow);
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0);
    pkt_env_set(env, "PKNODE_COUNT", "130");
    char node[512];
    snprintf(node, sizeof node, "%s/tests/tools/pk-busnode", pkt_env("PKTEST_BUILD"));
    producer = pkt_wait_healthy(pkt_spawn(node, "produce", "intake", env));
    char *want[] = {follow, "10"};
    cr_assert(pkt_wait_until(s_file_lines, want, 30000), "10 new events followed");
    char *text = NULL;
    cr_assert_eq(pk_read_file(follow, &text, NULL), 0);
    cr_assert(strncmp(text, "121 ", 4) == 0, "%s", text);
    free(text);
    free(follow);
    kill(follower, SIGTERM);
    waitpid(follower, NULL, 0);
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&audit, SIGTERM, 15000), 0);
    pkt_env_destroy(&env);
}

Test(audit, proofs_hold_offline_and_a_changed_one_does_not)
{
    pkt_proc_t producer, audit = s_start_logged("t_audit_proof", &producer);
    /* 30 more: checkpoints at 120 (at least) and at 150, the tree taken up
     * again from the signed state after a restart. */
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&audit, SIGTERM, 15000), 0);
    audit = pkt_service_start("audit", env);
    pkt_env_set(env, "PKNODE_COUNT", "150");
    char node[512];
    snprintf(node, sizeof node, "%s/tests/tools/pk-busnode", pkt_env("PKTEST_BUILD"));
    producer = pkt_wait_healthy(pkt_spawn(node, "produce", "intake", env));
    long want = 150;
    cr_assert(pkt_wait_until(s_checkpointed, &want, 30000), "a checkpoint at 150");
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&audit, SIGTERM, 15000), 0);
    char *out;
    cr_assert_eq(s_verify(&out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "Merkle root "), "%s", out);
    free(out);

    /* Inclusion of one case's 30 entries in the newest checkpoint. The
     * archive finds them (only the audit knows the case's pseudonym,
     * security review N3); the proof is then made from the log. */
    audit = pkt_service_start("audit", env);
    char *proof;
    cr_assert_eq(s_ctl("audit prove --case case-2", NULL, &proof), 0, "%s", proof);
    cr_assert_eq(pkt_proc_stop(&audit, SIGTERM, 15000), 0);
    cr_assert_eq(s_lines(proof, "entry "), 30, "%s", proof);
    char *file = s_file("proof", proof);
    cr_assert_eq(s_ctl("audit check-proof", file, &out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "OK: 30 entries are in the log signed at entry 150"), "%s", out);
    cr_assert_eq(s_lines(out, "proven: "), 30, "%s", out);
    free(out);
    /* Checked with the public key alone, no signing key, no database. */
    char *pk = pkt_sql_value(s_db, "SELECT encode(public_key, 'hex') FROM audit.checkpoint LIMIT 1");
    char *args = pk_asprintf("audit check-proof --public-key %s %s", pk, file);
    char *cmd =
        pk_asprintf("env -i PATH=/usr/bin:/bin %s/bin/pelukanctl %s > /dev/null 2>&1", pkt_env("PKTEST_BUILD"), args);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    free(cmd);
    free(args);
    free(file);

    /* An entry changed in the proof: it is not in the signed tree. */
    char *bad = pk_strdup(proof);
    char *entry = strstr(bad, "\nentry ");
    char *eol = strchr(entry + 1, '\n');
    eol[-3] = eol[-3] == '0' ? '1' : '0'; /* one hex digit of the envelope */
    file = s_file("proof-bad", bad);
    cr_assert_eq(s_ctl("audit check-proof", file, &out), 1, "%s", out);
    cr_assert_not_null(strstr(out, "FAILED: line 4: the entry is not in the signed tree"), "%s", out);
    free(out);
    free(file);
    free(bad);
    /* Another key: the checkpoint is not the audit's. */
    file = s_file("proof", proof);
    args = pk_asprintf("audit check-proof --public-key %064d %s", 0, file);
    cr_assert_eq(s_ctl(args, NULL, &out), 1, "%s", out);
    cr_assert_not_null(strstr(out, "not signed by the audit's key"), "%s", out);
    free(out);
    free(args);
    free(file);
    free(proof);

    /* Consistency between the first and the last checkpoint. */
    char *first = pkt_sql_value(s_db, "SELECT min(gseq) FROM audit.checkpoint WHERE tree_root IS NOT NULL");
    cr_assert_lt(atoi(first), 150);
    args = pk_asprintf("audit prove --from %s --to 150", first);
    cr_assert_eq(s_ctl(args, NULL, &proof), 0, "%s", proof);
    free(args);
    file = s_file("consistency", proof);
    cr_assert_eq(s_ctl("audit check-proof", file, &out), 0, "%s", out);
    char *ok = pk_asprintf("OK: the log signed at entry %s is a prefix of the log signed at entry 150", first);
    cr_assert_not_null(strstr(out, ok), "%s", out);
    free(ok);
    free(out);
    free(file);
    char *c = strstr(proof, "consistency ");
    cr_assert_not_null(c, "%s", proof);
    c += strlen("consistency ");
    c[0] = c[0] == 'a' ? 'b' : 'a';
    file = s_file("consistency-bad", proof);
    cr_assert_eq(s_ctl("audit check-proof", file, &out), 1, "%s", out);
    cr_assert_not_null(strstr(out, "history was rewritten"), "%s", out);
    free(out);
    free(file);
    free(proof);
    free(first);
    free(pk);

    /* The log rewritten behind the checkpoints: no proof is made from it. */
    pkt_sql(s_db, S_AS_ATTACKER "UPDATE audit.event_log SET hash = sha256(hash) WHERE gseq = 7");
    cr_assert_eq(s_ctl("audit prove --case case-2", NULL, &out), 2, "%s", out);
    cr_assert_not_null(strstr(out, "no longer matches checkpoint 150"), "%s", out);
    free(out);
    pkt_env_destroy(&env);
}

/* Sends one request to the archive and returns the reply's status, or -1
 * when no reply came within 3 s. */
static int s_archive_status(zsock_t *d, const Pelukan__V1__ArchiveRequest *req, uint32_t *count)
{
    uint8_t buf[512];
    size_t len = pelukan__v1__archive_request__pack(req, buf);
    zmq_send(zsock_resolve(d), buf, len, 0);
    zsock_set_rcvtimeo(d, 3000);
    zmsg_t *rep = zmsg_recv(d);
    if (!rep)
        return -1;
    zframe_t *f = zmsg_first(rep);
    Pelukan__V1__ArchiveReply *r = pelukan__v1__archive_reply__unpack(NULL, zframe_size(f), zframe_data(f));
    int st = r ? (int)r->status : -2;
    if (count)
        *count = r ? r->count : 0;
    if (r)
        pelukan__v1__archive_reply__free_unpacked(r, NULL);
    zmsg_destroy(&rep);
    return st;
}

Test(audit, the_archive_counts_garbage_and_keeps_serving)
{
    pkt_proc_t producer, audit = s_start_logged("t_audit_garbage", &producer);
    zsock_t *d = pkt_bus_connect(env, ZMQ_DEALER, "ctl", "audit", "PELUKAN_AUDIT_ARCHIVE");
    /* Not protobuf; three frames; then a request naming a producer's
     * stream without its epoch. The reply to the last comes after the
     * others were read (one connection keeps the order). */
    zstr_send(d, "\xff\xfe garbage");
    zstr_sendx(d, "a", "b", "c", NULL);
    Pelukan__V1__ArchiveRequest req = PELUKAN__V1__ARCHIVE_REQUEST__INIT;
    req.producer = "intake";
    cr_assert_eq(s_archive_status(d, &req, NULL), PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_BAD_REQUEST);
    cr_assert_geq(pkt_metric(audit.metrics_port, "pelukan_audit_archive_bad_requests_total{service=\"audit\"}"), 3);
    /* Larger than any request may be: ZeroMQ drops that connection. */
    zsock_t *big = pkt_bus_connect(env, ZMQ_DEALER, "ctl", "audit", "PELUKAN_AUDIT_ARCHIVE");
    /* Watched: the test goes on when audit has hung up on it. */
    char monitor_ep[64];
    snprintf(monitor_ep, sizeof monitor_ep, "inproc://big-monitor-%d", (int)getpid());
    cr_assert_eq(zmq_socket_monitor(zsock_resolve(big), monitor_ep, ZMQ_EVENT_DISCONNECTED), 0);
    zsock_t *monitor = zsock_new_pair(monitor_ep);
    cr_assert_not_null(monitor);
    zsock_set_rcvtimeo(monitor, pkt_http_timeout_ms());
    size_t big_len = 200000;
    char *huge = pk_malloc(big_len);
    memset(huge, 'x', big_len);
    zmq_send(zsock_resolve(big), huge, big_len, 0);
    free(huge);
    zframe_t *event = zframe_recv(monitor);
    cr_assert_not_null(event, "audit dropped the connection within %d s", pkt_http_timeout_ms() / 1000);
    cr_assert_geq(zframe_size(event), 2);
    uint16_t kind;
    memcpy(&kind, zframe_data(event), sizeof kind);
    cr_assert_eq(kind, ZMQ_EVENT_DISCONNECTED);
    zframe_destroy(&event);
    zmq_socket_monitor(zsock_resolve(big), NULL, 0);
    zsock_destroy(&monitor);
    zsock_destroy(&big);
    pelukan__v1__archive_request__init(&req);
    req.from_gseq = 1;
    req.max_count = 1000000; /* capped by the server */
    uint32_t count = 0;
    cr_assert_eq(s_archive_status(d, &req, &count), PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_OK);
    cr_assert_eq(count, 120, "still serving, the whole log");
    req.case_id = "case-1' OR '1'='1";
    cr_assert_eq(s_archive_status(d, &req, &count), PELUKAN__V1__ARCHIVE_REPLY__STATUS__STATUS_OK);
    cr_assert_eq(count, 0, "filters are parameters, not SQL");
    zsock_destroy(&d);
    cr_assert_eq(pkt_proc_stop(&producer, SIGTERM, 15000), 0);
    cr_assert_eq(pkt_proc_stop(&audit, SIGTERM, 15000), 0);
    char *log = pkt_proc_log(&audit);
    cr_assert_not_null(strstr(log, "archive: malformed request"), "%s", log);
    free(log);
    pkt_env_destroy(&env);
}
