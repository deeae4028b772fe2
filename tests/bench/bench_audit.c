/* bench_audit.c -- the audit log: durable appends (chain included) from a
 * producer's backlog, full verification by pelukanctl, and raw SHA-256 over
 * the same entries in the same run. Prints BENCH lines; never fails. */
#include <math.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>

#include "../../services/audit/audit_chain.h"
#include "../../services/audit/audit_merkle.h"
#include "../support/pktest.h"
#include "pelukan/bus.h"
#include "pelukan/util.h"
#include "pelukan/v1/bus.pb-c.h"

#define S_EVENTS 50000

/* Reads the whole log from the archive as a rebuilding consumer does:
 * pages of 5,000, every envelope decoded. Returns the entries read. */
static long s_archive_read(const pkt_env_t *env)
{
    zsock_t *d = pkt_bus_connect(env, ZMQ_DEALER, "ctl", "audit", "PELUKAN_AUDIT_ARCHIVE");
    zsock_set_rcvtimeo(d, 10000);
    long total = 0;
    uint64_t next = 1;
    for (;;) {
        Pelukan__V1__ArchiveRequest req = PELUKAN__V1__ARCHIVE_REQUEST__INIT;
        req.from_gseq = next;
        req.max_count = 5000;
        uint8_t buf[64];
        size_t len = pelukan__v1__archive_request__pack(&req, buf);
        zmq_send(zsock_resolve(d), buf, len, 0);
        zmsg_t *rep = zmsg_recv(d);
        if (!rep)
            break;
        zframe_t *f = zmsg_pop(rep);
        Pelukan__V1__ArchiveReply *r = pelukan__v1__archive_reply__unpack(NULL, zframe_size(f), zframe_data(f));
        zframe_destroy(&f);
        uint32_t count = r ? r->count : 0;
        if (r)
            pelukan__v1__archive_reply__free_unpacked(r, NULL);
        for (uint32_t i = 0; i < count; i++) {
            zframe_t *pos = zmsg_pop(rep), *body = zmsg_pop(rep);
            next = pk_be64_get(zframe_data(pos) + PK_BUS_HEADER_BYTES) + 1;
            pk_envelope_free(pk_envelope_unpack(zframe_data(body), zframe_size(body), zframe_size(body)));
            zframe_destroy(&pos);
            zframe_destroy(&body);
            total++;
        }
        zmsg_destroy(&rep);
        if (count == 0)
            break;
    }
    zsock_destroy(&d);
    return total;
}

static long s_count_in(const char *db, const char *sql)
{
    char *v = pkt_sql_value(db, sql);
    long n = v ? atol(v) : 0;
    free(v);
    return n;
}

static long s_count(const char *sql)
{
    return s_count_in("b_audit", sql);
}

/* Appending a backlog of `events` events of `cases` cases (0: events of
 * no case), in events/s: an event of a case is sealed under its key. */
static double s_append(const char *db, int events, int cases)
{
    free(pkt_db_create(db));
    pkt_env_t *env = pkt_env_new(db);
    char n[16];
    snprintf(n, sizeof n, "%d", events);
    pkt_env_set(env, "PKNODE_COUNT", n);
    snprintf(n, sizeof n, "%d", cases);
    if (cases)
        pkt_env_set(env, "PKNODE_CASES", n);
    pkt_env_set(env, "PELUKAN_LOG_LEVEL", "warn");
    char node[512];
    snprintf(node, sizeof node, "%s/tests/tools/pk-busnode", pkt_env("PKTEST_BUILD"));
    pkt_proc_t producer = pkt_wait_healthy(pkt_spawn(node, "produce", "intake", env));
    double deadline = pkt_now_ms() + 300000;
    while (s_count_in(db, "SELECT count(*) FROM intake.outbox WHERE seq IS NOT NULL") < events &&
           pkt_now_ms() < deadline)
        usleep(100000);
    /* Timed from audit's readiness (its start-up and migrations are not
     * appending). */
    pkt_proc_t audit = pkt_service_start("audit", env);
    double t0 = pkt_now_ms();
    long done;
    while ((done = s_count_in(db, "SELECT count(*) FROM audit.event_log")) < events && pkt_now_ms() < deadline)
        usleep(20000);
    double secs = (pkt_now_ms() - t0) / 1000;
    pkt_proc_stop(&producer, SIGTERM, 20000);
    pkt_proc_stop(&audit, SIGTERM, 20000);
    pkt_env_destroy(&env);
    /* Cut by the deadline: not a rate of the whole work. */
    return done < events ? NAN : events / secs;
}

int main(void)
{
    if (sodium_init() < 0)
        return 0;
    free(pkt_db_create("b_audit"));
    pkt_env_t *env = pkt_env_new("b_audit");
    char n[16];
    snprintf(n, sizeof n, "%d", S_EVENTS);
    pkt_env_set(env, "PKNODE_COUNT", n);
    pkt_env_set(env, "PELUKAN_LOG_LEVEL", "warn");
    pkt_env_set(env, "PELUKAN_AUDIT_CHECKPOINT_S", "1");
    char node[512];
    snprintf(node, sizeof node, "%s/tests/tools/pk-busnode", pkt_env("PKTEST_BUILD"));
    /* A backlog first, so that appending is measured on its own. */
    pkt_proc_t producer = pkt_wait_healthy(pkt_spawn(node, "produce", "intake", env));
    double deadline = pkt_now_ms() + 300000;
    while (s_count("SELECT count(*) FROM intake.outbox WHERE seq IS NOT NULL") < S_EVENTS && pkt_now_ms() < deadline)
        usleep(100000);
    pkt_proc_t audit = pkt_service_start("audit", env);
    double t0 = pkt_now_ms(); /* from readiness */
    long appended;
    while ((appended = s_count("SELECT count(*) FROM audit.event_log")) < S_EVENTS && pkt_now_ms() < deadline)
        usleep(20000);
    double append_s = (pkt_now_ms() - t0) / 1000;
    pkt_proc_stop(&producer, SIGTERM, 20000);
    if (appended < S_EVENTS)
        printf("BENCH audit_append_per_s NaN events/s (INCOMPLETE: %ld of %d by the deadline)\n", appended, S_EVENTS);
    else
        printf("BENCH audit_append_per_s %.0f events/s (from audit's readiness)\n", S_EVENTS / append_s);
    fflush(stdout);

    /* Replay of the whole log through the archive ROUTER: decoded (as a
     * consumer rebuilding from it), then printed by pelukanctl one line
     * per event, as text and as JSON. */
    double a0 = pkt_now_ms();
    long read = s_archive_read(env);
    double archive_s = (pkt_now_ms() - a0) / 1000;
    printf("BENCH audit_replay_per_s %.0f events/s%s\n", read / archive_s,
           read == S_EVENTS ? "" : " (replay INCOMPLETE)");
    /* pelukanctl with the test's environment: its bus key included. */
    double r0 = pkt_now_ms();
    int rst = pkt_ctl(env, "audit replay", NULL, NULL);
    double replay_s = (pkt_now_ms() - r0) / 1000;
    printf("BENCH audit_replay_print_per_s %.0f events/s%s\n", S_EVENTS / replay_s, rst == 0 ? "" : " (replay FAILED)");
    r0 = pkt_now_ms();
    rst = pkt_ctl(env, "audit replay --json", NULL, NULL);
    replay_s = (pkt_now_ms() - r0) / 1000;
    printf("BENCH audit_replay_json_per_s %.0f events/s%s\n", S_EVENTS / replay_s, rst == 0 ? "" : " (replay FAILED)");
    /* A filter on the type: the entries of cases keep it inside their seal
     * (security review N3), so the archive opens every one of them to
     * answer (none matches here: the whole log is looked at). */
    r0 = pkt_now_ms();
    rst = pkt_ctl(env, "audit replay --type case_data_accessed", NULL, NULL);
    replay_s = (pkt_now_ms() - r0) / 1000;
    printf("BENCH audit_type_filter_scan_per_s %.0f entries/s%s\n", S_EVENTS / replay_s,
           rst == 0 ? "" : " (replay FAILED)");
    pkt_proc_stop(&audit, SIGTERM, 20000);
    fflush(stdout);

    char *cmd = pk_asprintf("env -i PATH=/usr/bin:/bin PELUKAN_DB_URL='%s' PELUKAN_AUDIT_SIGNING_KEY_FILE='%s' "
                            "PELUKAN_MASTER_KEY_FILE='%s' %s/bin/pelukanctl audit verify > /dev/null 2>&1",
                            pkt_env_get(env, "PELUKAN_DB_URL"), pkt_env_get(env, "PELUKAN_AUDIT_SIGNING_KEY_FILE"),
                            pkt_env_get(env, "PELUKAN_MASTER_KEY_FILE"), pkt_env("PKTEST_BUILD"));
    double v0 = pkt_now_ms();
    int st = system(cmd);
    double verify_s = (pkt_now_ms() - v0) / 1000;
    free(cmd);
    double verify = S_EVENTS / verify_s;
    printf("BENCH audit_verify_per_s %.0f entries/s%s\n", verify, st == 0 ? "" : " (verify FAILED)");

    /* Raw hashing of entries of the same size, same chain construction. */
    long env_len = s_count("SELECT avg(length(envelope))::int FROM audit.event_log");
    uint8_t *envelope = pk_calloc(1, (size_t)env_len + 1);
    uint8_t h[32] = {0};
    double h0 = pkt_now_ms();
    for (uint64_t i = 1; i <= 1000000; i++)
        audit_chain_hash(h, i, "intake", 1, i, envelope, (size_t)env_len, h);
    double hash_rate = 1000000 / ((pkt_now_ms() - h0) / 1000);
    printf("BENCH sha256_chain_per_s %.0f entries/s (the chain hash alone, %ld-byte envelopes)\n", hash_rate, env_len);
    printf("BENCH audit_verify_vs_hash %.3f ratio\n", verify / hash_rate);
    /* What verify must hash per entry: the chain hash, the Merkle leaf and
     * (on average) one interior node. */
    audit_merkle_t tree;
    audit_merkle_init(&tree);
    h0 = pkt_now_ms();
    for (uint64_t i = 1; i <= 1000000; i++) {
        audit_chain_hash(h, i, "intake", 1, i, envelope, (size_t)env_len, h);
        audit_merkle_append(&tree, h);
    }
    double all_rate = 1000000 / ((pkt_now_ms() - h0) / 1000);
    printf("BENCH audit_hash_work_per_s %.0f entries/s (chain + Merkle leaf and nodes)\n", all_rate);
    printf("BENCH audit_verify_vs_hash_work %.3f ratio\n", verify / all_rate);
    free(envelope);
    pkt_env_destroy(&env);
    fflush(stdout);

    /* What sealing costs (review M10): the same backlog as events of 1,000
     * cases, each sealed under its case's key, beside events of no case. */
    double plain = s_append("b_audit_plain", 20000, 0), sealed = s_append("b_audit_sealed", 20000, 1000);
    printf("BENCH audit_append_plain_per_s %.0f events/s (20,000 events of no case%s)\n", plain,
           isnan(plain) ? "; INCOMPLETE by the deadline" : "");
    printf("BENCH audit_append_sealed_per_s %.0f events/s (20,000 events of 1,000 cases, 20 each, sealed%s)\n", sealed,
           isnan(sealed) ? "; INCOMPLETE by the deadline" : "");
    printf("BENCH audit_sealed_vs_plain %.2f ratio\n", sealed / plain);
    return 0;
}
