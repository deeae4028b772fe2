/* test_erasure.c -- erasing a case through the real services: a
 * supervisor asks with a reason, the same supervisor cannot approve, a
 * second one does; then intake, dispatch, referral and notification hold
 * nothing of the case, their outboxes' events of it are redacted (in a
 * pg_dump no row names it but the erasure's record, CaseErased and the
 * audit log, whose entries of the case no longer open; its place, name and
 * notes are nowhere), while the audit chain still verifies. And the retention of closed cases
 * erases by itself. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/pkt_intake.h"
#include "pelukan/util.h"

static pkt_intake_t T;

#define NAME  "Nia Hapuslah"
#define NOTES "Catatan pendamping tentang Nia Hapuslah di rumah neneknya"
#define PLACE "-7.3456789"

static int s_call(const char *method, const char *path, const char *body, const char *token, json_t **out)
{
    return pkt_intake_call(&T, method, path, body, token, NULL, out);
}

/* The whole database as pg_dump writes it; caller frees. */
static char *s_dump(void)
{
    char *file = pk_asprintf("%s/erasure-%d.sql", pkt_env("PKTEST_TMP"), (int)getpid());
    char *cmd = pk_asprintf("/usr/lib/postgresql/15/bin/pg_dump --data-only -h 127.0.0.1 -p %s -U postgres %s > %s",
                            pkt_env("PKTEST_PG_PORT"), T.db, file);
    cr_assert_eq(system(cmd), 0, "pg_dump ran");
    char *text = NULL;
    cr_assert_eq(pk_read_file(file, &text, NULL), 0);
    unlink(file);
    free(file);
    free(cmd);
    return text;
}

/* The tables of `dump` with a data row holding `needle`, as
 * "schema.table,..." (empty when none). Caller frees. */
static char *s_tables_with(const char *dump, const char *needle)
{
    char *out = pk_strdup(""), table[128] = "";
    for (const char *line = dump; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, "COPY ", 5) == 0) {
            snprintf(table, sizeof table, "%.*s", (int)strcspn(line + 5, " "), line + 5);
        } else if (table[0] && memmem(line, len, needle, strlen(needle)) && !strstr(out, table)) {
            char *more = pk_asprintf("%s%s,", out, table);
            free(out);
            out = more;
        }
        line = end ? end + 1 : NULL;
    }
    return out;
}

static bool s_gone(void *arg)
{
    const char *id = arg;
    char *sql = pk_asprintf("SELECT ((SELECT count(*) FROM dispatch.visit WHERE case_id = '%s')"
                            " + (SELECT count(*) FROM referral.referral WHERE case_id = '%s')"
                            " + (SELECT count(*) FROM notification.message WHERE case_id = '%s')"
                            " + (SELECT count(*) FROM intake.cases WHERE id = '%s'))::text",
                            id, id, id, id);
    char *n = pkt_sql_value(T.db, sql);
    bool gone = n && strcmp(n, "0") == 0;
    free(n);
    free(sql);
    return gone;
}

Test(erasure, two_supervisors_erase_a_case_from_every_service, .timeout = 600)
{
    /* No cooling-off here: the erasure runs once approved (its waiting is
     * tested below). */
    static const char *const extra[] = {"PELUKAN_NOTIFICATION_PLAINTEXT", "true", "PELUKAN_INTAKE_ERASURE_COOLING_S",
                                        "0", NULL};
    pkt_intake_start(&T, "t_erasure", extra);
    pkt_intake_start_dispatch(&T);
    pkt_intake_start_referral(&T);
    pkt_proc_t audit = pkt_service_start("audit", T.env);
    pkt_intake_staff(&T, "admin1", "Admin Satu", "admin", NULL, "kata-sandi-admin-1");
    pkt_intake_staff(&T, "pdp1", "Rina Pendamping", "companion", NULL, "kata-sandi-rina-1");
    pkt_intake_staff(&T, "spv1", "Supervisor Satu", "supervisor", NULL, "kata-sandi-spv-1");
    pkt_intake_staff(&T, "spv2", "Supervisor Dua", "supervisor", NULL, "kata-sandi-spv-2");
    char *admin = pkt_intake_login(&T, "admin1", "kata-sandi-admin-1", NULL), *cid = NULL;
    char *comp = pkt_intake_login(&T, "pdp1", "kata-sandi-rina-1", &cid);
    char *spv1 = pkt_intake_login(&T, "spv1", "kata-sandi-spv-1", NULL);
    char *spv2 = pkt_intake_login(&T, "spv2", "kata-sandi-spv-2", NULL);
    char *reporter = pkt_intake_register(&T, "081366660099");
    pkt_intake_start_notification(&T); /* messages of the case, to be erased too */

    /* A case taken to a referral with a follow-up: every service holds some of it. */
    json_t *j = NULL;
    cr_assert_eq(
        pkt_intake_call(&T, "POST", "/v1/reports",
                        "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":15,\"name\":\"" NAME
                        "\"},\"violence_forms\":[\"seksual\"],\"urgent\":true,"
                        "\"location\":{\"lat\":" PLACE ",\"lon\":108.1,\"kecamatan_code\":\"32.06.24\"},"
                        "\"contact_safety\":{\"safe_hours\":\"00:00-23:59\"}}",
                        reporter, "erase-1", &j),
        201);
    char *id = pk_strdup(pkt_json_str(j, "case_id"));
    json_decref(j);
    char path[200], body[200];
    snprintf(path, sizeof path, "/v1/staff/cases/%s/calls", id);
    cr_assert_eq(s_call("POST", path, "{\"outcome\":\"reached\"}", admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/verify", id);
    cr_assert_eq(s_call("POST", path, "{}", admin, NULL), 200);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/notes", id);
    cr_assert_eq(s_call("POST", path, "{\"text\":\"" NOTES "\"}", admin, NULL), 200);
    cr_assert_eq(s_call("PUT", "/v1/companion/status", "{\"on_duty\":true}", comp, NULL), 200);
    cr_assert_eq(s_call("POST", "/v1/companion/location", "{\"lat\":-7.36,\"lon\":108.1}", comp, NULL), 204);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/assign", id);
    snprintf(body, sizeof body, "{\"companion_id\":\"%s\"}", cid);
    cr_assert_eq(s_call("POST", path, body, admin, &j), 200);
    char visit[40];
    snprintf(visit, sizeof visit, "%s", pkt_json_str(j, "visit_id"));
    json_decref(j);
    static const char *const steps[] = {"accept", "en-route", "arrived"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "/v1/companion/visits/%s/%s", visit, steps[i]);
        cr_assert_eq(s_call("POST", path, "{}", comp, NULL), 200, "%s", steps[i]);
    }
    snprintf(path, sizeof path, "/v1/companion/visits/%s/identification", visit);
    cr_assert_eq(s_call("POST", path,
                        "{\"situation_confirmed\":true,\"immediate_danger\":false,\"needs\":[\"psychological\"],"
                        "\"recommended_services\":[\"rehabilitasi_sosial\"],\"recommended_agencies\":[\"uptd_ppa\"],"
                        "\"referral_consent\":true,\"consented_agencies\":[\"uptd_ppa\"],"
                        "\"guardian_situation\":\"with_parents\",\"notes\":\"" NOTES "\"}",
                        comp, NULL),
                 200);
    cr_assert(pkt_intake_wait_state(&T, id, "assessed"));
    /* The companion leaves (2.9 km away: outside the quiet radius, so it
     * is logged): a ping the erasure takes with the visit's window (N2);
     * the one from before the visit stays. */
    cr_assert_eq(s_call("POST", "/v1/companion/location", "{\"lat\":-7.32,\"lon\":108.1}", comp, NULL), 204);
    char *pings = pk_asprintf("SELECT count(*) FROM dispatch.position_log WHERE companion_id = '%s'"
                              " AND ST_DWithin(position, ST_MakePoint(108.1, -7.32)::geography, 10)",
                              cid);
    cr_assert(pkt_sql_wait(T.db, pings, 15000), "the ping after the visit is logged");
    snprintf(path, sizeof path, "/v1/staff/cases/%s/referrals", id);
    int st = 0;
    for (double end = pkt_now_ms() + pkt_wait_ms();
         pkt_now_ms() < end && (st = s_call("POST", path,
                                            "{\"agency_code\":\"uptd_ppa\",\"services\":"
                                            "[\"rehabilitasi_sosial\"],\"reason_code\":\"identification_needs\"}",
                                            admin, NULL)) == 409;)
        usleep(100000); /* referral has not seen the identification yet */
    cr_assert_eq(st, 200);
    cr_assert(pkt_intake_wait_state(&T, id, "referred"));
    char *count = pk_asprintf("SELECT count(*) FROM notification.message WHERE case_id = '%s'", id);
    cr_assert(pkt_sql_wait(T.db, count, 15000), "notification holds messages of the case");
    free(count);

    /* The audit log holds the case's events sealed under its key, and
     * opens them for an auditor while the case exists. */
    char args[200], *out = NULL;
    snprintf(args, sizeof args, "audit replay --case %s --json", id);
    out = pkt_ctl_wait(T.env, args, "referral_created");
    cr_assert_not_null(strstr(out, "\"seksual\""), "the report, opened for the auditor: %s", out);
    free(out);
    /* Security review N3: the log names the case only by its pseudonym,
     * and says nothing else of its entries in clear. */
    count = pk_asprintf("SELECT ref FROM audit.case_key WHERE case_id = '%s'", id);
    char *ref = pkt_sql_value(T.db, count);
    free(count);
    cr_assert(ref && strlen(ref) == 32, "the case has a pseudonym in the audit: %s", ref ? ref : "(none)");
    count = pk_asprintf("SELECT count(*) FILTER (WHERE case_ref = '%s') || '|' ||"
                        " count(*) FILTER (WHERE case_ref = '%s' AND (get_byte(envelope, 0) <> 0"
                        "  OR event_type IS NOT NULL OR actor_id IS NOT NULL OR occurred_at IS NOT NULL"
                        "  OR logged_at IS NOT NULL)) || '|' ||"
                        " count(*) FILTER (WHERE case_ref = '%s')"
                        " FROM audit.event_log",
                        ref, ref, id);
    char *clear = pkt_sql_value(T.db, count);
    cr_assert(atoi(clear) > 0 && strstr(clear, "|0|0"),
              "every entry of the case is sealed, named by its pseudonym, with nothing else in clear: %s", clear);
    free(clear);
    free(count);
    count = pk_asprintf("SELECT reporter_id FROM intake.cases WHERE id = '%s'", id);
    char *reporter_id = pkt_sql_value(T.db, count);
    free(count);

    /* Asked by one supervisor, with a reason; not approved by the same. */
    snprintf(path, sizeof path, "/v1/staff/cases/%s/erasure", id);
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"because\"}", spv1, NULL), 422);
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"reporter_request\"}", admin, NULL), 403, "supervisors only");
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"reporter_request\"}", spv1, &j), 202);
    char erasure[40];
    snprintf(erasure, sizeof erasure, "%s", pkt_json_str(j, "erasure_id"));
    json_decref(j);
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"reporter_request\"}", spv2, NULL), 409, "one at a time");
    snprintf(path, sizeof path, "/v1/staff/erasures/%s/approve", erasure);
    cr_assert_eq(s_call("POST", path, NULL, spv1, &j), 403);
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "second_supervisor_required");
    json_decref(j);
    cr_assert_eq(s_call("POST", path, "{\"zz_extra\":1}", spv2, &j), 422, "an approval takes no fields");
    cr_assert_str_eq(pkt_json_str(j, "error.fields.zz_extra"), "tidak dikenal");
    json_decref(j);
    cr_assert_eq(s_call("POST", path, NULL, spv2, &j), 202, "the refused approval changed nothing");
    cr_assert_str_eq(pkt_json_str(j, "state"), "scheduled");
    json_decref(j);
    cr_assert_eq(s_call("POST", path, NULL, spv2, NULL), 409, "approved once");

    /* Every service destroys what it held. */
    cr_assert(pkt_wait_until(s_gone, id, 20000), "the case is gone from intake, dispatch, referral, notification");
    char *after = pkt_sql_value(T.db, pings);
    cr_assert_str_eq(after, "0", "the ping of the visit's window went with the case");
    free(after);
    free(pings);
    char *before = pk_asprintf("SELECT count(*) FROM dispatch.position_log WHERE companion_id = '%s'"
                               " AND ST_DWithin(position, ST_MakePoint(108.1, -7.36)::geography, 10)",
                               cid);
    char *kept = pkt_sql_value(T.db, before);
    cr_assert_str_eq(kept, "1", "the ping from before the visit stays (its own retention)");
    free(kept);
    free(before);
    snprintf(path, sizeof path, "/v1/reports/%s", id);
    cr_assert_eq(s_call("GET", path, NULL, reporter, NULL), 404, "the reporter's list no longer holds it");
    char *dump = s_dump();
    char *where = s_tables_with(dump, id);
    /* Still naming the case: intake's CaseErased in its outbox (until its
     * retention: every service must learn of it, even one that is down)
     * and the record of the erasure; everything else must not, the audit
     * log included (security review N3). */
    static const char *const event_stores[] = {"intake.outbox,"};
    for (size_t i = 0; i < sizeof event_stores / sizeof event_stores[0]; i++) {
        char *at = strstr(where, event_stores[i]);
        if (at)
            memmove(at, at + strlen(event_stores[i]), strlen(at + strlen(event_stores[i])) + 1);
    }
    cr_assert_str_eq(where, "intake.erasure_request,", "only the record of the erasure names the case: %s", where);
    free(where);
    char *sql = pk_asprintf("SELECT ((SELECT count(*) FROM intake.outbox WHERE case_id = '%s'"
                            "  AND topic <> 'intake.case_erased')"
                            " + (SELECT count(*) FROM dispatch.outbox WHERE topic LIKE 'dispatch.%%'"
                            "  AND topic <> 'dispatch.redacted' AND seq IS NOT NULL AND case_id = '%s'))::text",
                            id, id);
    char *left = pkt_sql_value(T.db, sql);
    cr_assert_str_eq(left, "0", "the case's events in the outboxes are redacted");
    free(left);
    free(sql);
    char *redacted = pkt_sql_value(T.db, "SELECT count(*) FROM intake.outbox WHERE topic = 'intake.redacted'");
    cr_assert_neq(atoi(redacted), 0, "intake's events of the case were redacted, their places kept");
    free(redacted);
    static const char *const never[] = {NAME, NOTES, PLACE, "Hapuslah"};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        where = s_tables_with(dump, never[i]);
        cr_assert_str_eq(where, "", "\"%s\" left in %s", never[i], where);
        free(where);
    }
    free(dump);

    /* The audit log keeps the erasure and the case's place in the chain,
     * and nothing of what happened to whom: its key is gone. */
    out = pkt_ctl_wait(T.env, args, "case_erased");
    cr_assert_not_null(strstr(out, "case_erased"), "the erasure is in the log: %s", out);
    cr_assert_null(strstr(out, "seksual"), "what happened is gone: %s", out);
    cr_assert_null(strstr(out, "32.06.24"), "where is gone: %s", out);
    cr_assert_null(strstr(out, cid), "who visited is gone: %s", out);
    free(out);
    /* N3: the key and the pseudonym are gone; the case's entries keep
     * their place and the pseudonym nobody can tie to the case; no clear
     * column of the log names the reporter or the companion in an entry of
     * a case, nor when anything happened to it. */
    char *keys = pk_asprintf("SELECT (SELECT count(*) FROM audit.case_key WHERE case_id = '%s' OR ref = '%s')"
                             " || '|' || (SELECT count(*) FROM audit.event_log WHERE case_ref = '%s')"
                             " || '|' || (SELECT count(*) FROM audit.event_log WHERE case_ref = '%s'"
                             "  AND (event_type IS NOT NULL OR actor_id IS NOT NULL OR occurred_at IS NOT NULL"
                             "   OR logged_at IS NOT NULL))"
                             " || '|' || (SELECT count(*) FROM audit.event_log WHERE case_ref IS NOT NULL"
                             "  AND event_type IS DISTINCT FROM 'case_erased' AND actor_id IN ('%s', '%s'))"
                             " || '|' || (SELECT count(*) FROM audit.case_erased)",
                             id, ref, ref, ref, reporter_id, cid);
    left = pkt_sql_value(T.db, keys);
    cr_assert(left && strncmp(left, "0|", 2) == 0 && strstr(left, "|0|0|1") && atoi(left + 2) > 0,
              "key and pseudonym destroyed, entries kept with nothing in clear, a tombstone: %s", left);
    free(left);
    free(keys);
    free(ref);
    free(reporter_id);
    /* The audit chain still verifies. */
    cr_assert_eq(pkt_ctl(T.env, "audit verify", NULL, &out), 0, "%s", out);
    free(out);
    cr_assert_eq(pkt_proc_stop(&audit, SIGTERM, 15000), 0);
    free(admin), free(comp), free(cid), free(spv1), free(spv2), free(reporter), free(id);
    pkt_intake_stop(&T);
}

/* Stops intake's edge alone (the public API): the case owner's clock runs
 * what is due without it (intake_clock.c). */
static void s_edge_down(void)
{
    pkt_proc_t edge = {.pid = T.proc.edge_pid};
    kill(edge.pid, SIGTERM);
    cr_assert_eq(pkt_proc_wait(&edge, pkt_wait_ms()), 0, "the edge stops cleanly");
    T.proc.edge_pid = 0;
}

/* A new edge under the running case owner. */
static void s_edge_up(void)
{
    pkt_proc_t edge = pkt_wait_healthy(pkt_service_spawn("edge", T.env));
    T.proc.edge_pid = edge.pid;
    snprintf(T.proc.edge_log_path, sizeof T.proc.edge_log_path, "%s", edge.log_path);
}

/* By itself: no one asks, and no edge need be up (the case owner's clock). */
Test(erasure, the_retention_erases_closed_cases_by_itself, .timeout = 300)
{
    static const char *const extra[] = {"PELUKAN_INTAKE_RETENTION_S", "1", "PELUKAN_INTAKE_PURGE_S", "1", NULL};
    pkt_intake_start(&T, "t_retention", extra);
    char *reporter = pkt_intake_register(&T, "081366660098");
    json_t *j = NULL;
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports",
                                 "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":30},"
                                 "\"violence_forms\":[\"psikis\"],\"location\":{\"kecamatan_code\":\"32.06.24\"}}",
                                 reporter, "keep-1", &j),
                 201);
    char *open = pk_strdup(pkt_json_str(j, "case_id"));
    json_decref(j);
    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports",
                                 "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":30},"
                                 "\"violence_forms\":[\"psikis\"],\"location\":{\"kecamatan_code\":\"32.06.24\"}}",
                                 reporter, "gone-1", &j),
                 201);
    char *ended = pk_strdup(pkt_json_str(j, "case_id"));
    json_decref(j);
    char path[160];
    snprintf(path, sizeof path, "/v1/reports/%s/withdraw", ended);
    cr_assert_eq(pkt_intake_call(&T, "POST", path, NULL, reporter, NULL, NULL), 200);
    s_edge_down();
    char *sql = pk_asprintf("SELECT count(*) FROM intake.erasure_request WHERE case_id = '%s' AND reason_code ="
                            " 'retention' AND approved_at IS NOT NULL",
                            ended);
    cr_assert(pkt_sql_wait(T.db, sql, 15000), "the withdrawn case was erased by the retention");
    free(sql);
    sql = pk_asprintf("SELECT count(*) FROM intake.cases WHERE id = '%s'", open);
    char *n = pkt_sql_value(T.db, sql);
    cr_assert_str_eq(n, "1", "a case still open is kept");
    free(n);
    free(sql);
    sql =
        pk_asprintf("SELECT count(*) FROM intake.outbox WHERE case_id = '%s' AND topic LIKE '%%case_erased%%'", ended);
    n = pkt_sql_value(T.db, sql);
    cr_assert_str_eq(n, "1", "CaseErased raised once");
    free(n);
    free(sql);
    free(open), free(ended), free(reporter);
    pkt_intake_stop(&T);
}

static char s_sink[256];

/* A line of the notification sink to `w[0]` whose subject holds `w[1]`. */
static bool s_mailed(void *arg)
{
    const char *const *w = arg;
    char *text = NULL;
    bool found = false;
    if (pk_read_file(s_sink, &text, NULL) == 0) {
        for (char *line = strtok(text, "\n"); line && !found; line = strtok(NULL, "\n")) {
            json_t *j = json_loads(line, 0, NULL);
            const char *to = json_string_value(json_object_get(j, "to")),
                       *subject = json_string_value(json_object_get(j, "subject"));
            found = to && subject && strcmp(to, w[0]) == 0 && strstr(subject, w[1]);
            json_decref(j);
        }
    }
    free(text);
    return found;
}

/* Security review N1: nobody erases a case alone. A supervisor whose
 * account another changed lately (made, reset) cannot approve, nor the one
 * the asker changed; an approved erasure waits its cooling-off time, every
 * supervisor is told, and any of them can stop it; once the time is over it
 * runs. */
Test(erasure, n1_an_erasure_waits_every_supervisor_is_told_and_any_can_stop_it, .timeout = 300)
{
    snprintf(s_sink, sizeof s_sink, "%s/erasure-sink-%d.jsonl", pkt_env("PKTEST_TMP"), (int)getpid());
    unlink(s_sink);
    static const char *extra[] = {"PELUKAN_INTAKE_ERASURE_COOLING_S",
                                  "3600",
                                  "PELUKAN_INTAKE_PURGE_S",
                                  "1",
                                  "PELUKAN_NOTIFICATION_SINK_FILE",
                                  NULL,
                                  NULL};
    extra[5] = s_sink;
    pkt_intake_start(&T, "t_erasure_n1", extra);
    char *reporter = pkt_intake_register(&T, "081366660097"); /* before notification takes the OTP endpoint */
    pkt_intake_start_notification(&T);
    pkt_intake_staff(&T, "spv1", "Supervisor Satu", "supervisor", NULL, "kata-sandi-spv-1");
    pkt_intake_staff(&T, "spv2", "Supervisor Dua", "supervisor", NULL, "kata-sandi-spv-2");
    pkt_intake_staff(&T, "spv4", "Supervisor Empat", "supervisor", NULL, "kata-sandi-spv-4");
    char *spv1 = pkt_intake_login(&T, "spv1", "kata-sandi-spv-1", NULL);
    char *spv4 = pkt_intake_login(&T, "spv4", "kata-sandi-spv-4", NULL);
    char *spv2_id = NULL, *spv2 = pkt_intake_login(&T, "spv2", "kata-sandi-spv-2", &spv2_id);
    json_t *j = NULL;
    /* spv1 makes a third supervisor (with an e-mail) and resets spv2. */
    cr_assert_eq(s_call("POST", "/v1/staff/accounts",
                        "{\"login\":\"spv3\",\"display_name\":\"Supervisor Tiga\",\"role\":\"supervisor\","
                        "\"password\":\"kata-sandi-spv-3\",\"email\":\"spv3@dinsos.example\"}",
                        spv1, NULL),
                 201);
    char path[200];
    snprintf(path, sizeof path, "/v1/staff/accounts/%s/password", spv2_id);
    cr_assert_eq(s_call("POST", path, "{\"password\":\"set-by-spv1-for-2\"}", spv1, NULL), 200);
    free(spv2);
    spv2 = pkt_intake_login(&T, "spv2", "set-by-spv1-for-2", NULL);
    cr_assert_eq(s_call("POST", "/v1/staff/password",
                        "{\"current_password\":\"set-by-spv1-for-2\",\"new_password\":\"spv2-own-password\"}", spv2,
                        NULL),
                 204);
    char *spv3 = pkt_intake_login(&T, "spv3", "kata-sandi-spv-3", NULL);

    cr_assert_eq(pkt_intake_call(&T, "POST", "/v1/reports",
                                 "{\"reporter\":{\"kind\":\"victim\"},\"victim\":{\"sex\":\"F\",\"age\":30},"
                                 "\"violence_forms\":[\"psikis\"],\"location\":{\"kecamatan_code\":\"32.06.24\"}}",
                                 reporter, "n1-1", &j),
                 201);
    char *id = pk_strdup(pkt_json_str(j, "case_id"));
    json_decref(j);
    snprintf(path, sizeof path, "/v1/staff/cases/%s/erasure", id);
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"other\"}", spv1, &j), 202);
    char erasure[40];
    snprintf(erasure, sizeof erasure, "%s", pkt_json_str(j, "erasure_id"));
    json_decref(j);

    /* spv3 (made by spv1 today) and spv2 (reset by spv1 today) may not. */
    snprintf(path, sizeof path, "/v1/staff/erasures/%s/approve", erasure);
    cr_assert_eq(s_call("POST", path, NULL, spv3, &j), 403, "an account made lately");
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "approver_not_trusted_yet");
    json_decref(j);
    cr_assert_eq(s_call("POST", path, NULL, spv2, &j), 403, "an account the asker reset lately");
    cr_assert_str_eq(pkt_json_str(j, "error.code"), "approver_not_trusted_yet");
    json_decref(j);

    /* spv4 approves: scheduled an hour on; the supervisors are told. */
    cr_assert_eq(s_call("POST", path, NULL, spv4, &j), 202);
    cr_assert_str_eq(pkt_json_str(j, "state"), "scheduled");
    json_int_t run_at = json_integer_value(json_object_get(j, "run_at_us"));
    cr_assert(run_at > (json_int_t)pk_now_us() + 3500 * (json_int_t)1000000, "an hour on");
    json_decref(j);
    const char *told[] = {"spv3@dinsos.example", "Penghapusan kasus dijadwalkan"};
    cr_assert(pkt_wait_until(s_mailed, (void *)told, pkt_wait_ms()), "every supervisor is told");
    /* Told, after several purge ticks (each runs what is due): still there. */
    char *ticks = pk_asprintf("SELECT count(*) FROM intake.erasure_request WHERE id = '%s' AND done_at IS NULL"
                              " AND approved_at < now() - interval '3 seconds'",
                              erasure);
    cr_assert(pkt_sql_wait(T.db, ticks, 30000), "three ticks went by");
    free(ticks);
    snprintf(path, sizeof path, "/v1/reports/%s", id);
    cr_assert_eq(pkt_intake_call(&T, "GET", path, NULL, reporter, NULL, NULL), 200, "not erased in its cooling-off");

    /* Any supervisor stops it (here the one made lately); once only. */
    snprintf(path, sizeof path, "/v1/staff/erasures/%s/stop", erasure);
    cr_assert_eq(s_call("POST", path, NULL, spv3, &j), 200);
    cr_assert_str_eq(pkt_json_str(j, "state"), "stopped");
    json_decref(j);
    cr_assert_eq(s_call("POST", path, NULL, spv3, NULL), 409);
    pkt_sql(T.db, "UPDATE intake.erasure_request SET run_at = now() - interval '1 minute'");
    char *stopped = pk_asprintf("SELECT count(*) FROM intake.erasure_request WHERE id = '%s' AND stopped_at IS NOT NULL"
                                " AND done_at IS NULL",
                                erasure);
    char *v = pkt_sql_value(T.db, stopped);
    cr_assert_str_eq(v, "1", "stopped, never run");
    free(v);
    free(stopped);

    /* Asked again and approved: once its time is over, it runs, with the
     * edge down as well (the case owner's clock runs it). */
    snprintf(path, sizeof path, "/v1/staff/cases/%s/erasure", id);
    cr_assert_eq(s_call("POST", path, "{\"reason_code\":\"other\"}", spv1, &j), 202);
    snprintf(erasure, sizeof erasure, "%s", pkt_json_str(j, "erasure_id"));
    json_decref(j);
    snprintf(path, sizeof path, "/v1/staff/erasures/%s/approve", erasure);
    cr_assert_eq(s_call("POST", path, NULL, spv4, NULL), 202);
    s_edge_down();
    char *due = pk_asprintf("UPDATE intake.erasure_request SET run_at = now() WHERE id = '%s'", erasure);
    pkt_sql(T.db, due); /* an hour later */
    free(due);
    char *gone = pk_asprintf("SELECT count(*) FROM intake.erasure_request WHERE id = '%s' AND done_at IS NOT NULL"
                             " AND NOT EXISTS (SELECT 1 FROM intake.cases WHERE id = '%s')",
                             erasure, id);
    cr_assert(pkt_sql_wait(T.db, gone, 30000), "erased once its time was over");
    free(gone);
    s_edge_up();
    snprintf(path, sizeof path, "/v1/reports/%s", id);
    cr_assert_eq(pkt_intake_call(&T, "GET", path, NULL, reporter, NULL, NULL), 404);
    free(spv1), free(spv2), free(spv3), free(spv4), free(spv2_id), free(reporter), free(id);
    pkt_intake_stop(&T);
}
