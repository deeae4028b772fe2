/* test_web.c -- the web apps in a real browser: Debian's Chromium,
 * headless, driven by playwright-core (tests/web/reporter.mjs for the
 * reporter's app, tests/web/staff.mjs for the staff's), against the real
 * intake, notification (its sink file standing in for the SMS gateway),
 * dispatch and referral, with a tile server stand-in. One test per
 * scenario; screenshots of every screen under build/screenshots. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/pkt_intake.h"
#include "pelukan/util.h"

static pkt_intake_t T;
static int s_tile_port;
static char s_sink[256];

static void s_setup(void)
{
    s_tile_port = pkt_free_port();
    char tiles[96];
    snprintf(tiles, sizeof tiles, "http://127.0.0.1:%d/{z}/{x}/{y}.png", s_tile_port);
    snprintf(s_sink, sizeof s_sink, "%s/web-sink-%d.jsonl", pkt_env("PKTEST_TMP"), (int)getpid());
    unlink(s_sink);
    char *web = pk_asprintf("%s/build/web", pkt_env("PKTEST_ROOT"));
    (void)tiles; /* the default: no tile server (security review N5); the stand-in stays for a deployment's own */
    const char *extra[] = {"PELUKAN_INTAKE_WEB_DIR",
                           web,
                           "PELUKAN_NOTIFICATION_SINK_FILE",
                           s_sink,
                           "PELUKAN_LOG_LEVEL", /* info: why a stream ended, printed when a scenario fails */
                           "info",
                           "PELUKAN_INTAKE_HELP_OFFICE", /* the office's own line, shown once the app asked */
                           "0265330010",
                           NULL};
    pkt_intake_start(&T, "t_web", extra);
    free(web);
    pkt_intake_start_notification(&T);
    pkt_intake_start_dispatch(&T);
    pkt_intake_start_referral(&T);
    pkt_intake_staff(&T, "admin1", "Admin Satu", "admin", NULL, "kata-sandi-admin-1");
    pkt_intake_staff(&T, "rina", "Rina Pendamping", "companion", NULL, "kata-sandi-rina-1");
    pkt_intake_staff(&T, "budi", "Budi Pendamping", "companion", NULL, "kata-sandi-budi-1");
    pkt_intake_staff(&T, "uptd1", "Petugas UPTD PPA", "agency", "uptd_ppa", "kata-sandi-uptd-1");
    pkt_intake_staff(&T, "puspaga1", "Petugas Puspaga", "agency", "puspaga", "kata-sandi-puspaga-1");
}

static void s_teardown(void)
{
    pkt_intake_stop(&T);
}

TestSuite(web, .init = s_setup, .fini = s_teardown, .timeout = 900); /* a bound on a hang, not a pace: 60 s per wait */

/* A line of a scenario: PK-RESTART-INTAKE stops intake and starts it again
 * on the same port, then creates the file `arg` to say it is back;
 * "PK-SQL <statement>" runs the statement on the test database, then
 * creates that file. */
static void s_control(const char *line, void *arg)
{
    if (strncmp(line, "PK-SQL ", 7) == 0) {
        /* What only time can do (a case sent 30 hours ago), done to the
         * read model; then the file `arg` says it is done. */
        pkt_sql(T.db, line + 7);
        FILE *f = fopen(arg, "w");
        if (f)
            fclose(f);
        return;
    }
    if (strncmp(line, "PK-RESTART-INTAKE", 17) != 0)
        return;
    cr_assert_eq(pkt_proc_stop(&T.proc, SIGTERM, 20000), 0, "intake stopped cleanly");
    T.proc = pkt_service_start("intake", T.env);
    FILE *f = fopen(arg, "w");
    if (f)
        fclose(f);
}

/* Runs one scenario of tests/web/<app>.mjs; its exit status. When the
 * scenario prints PK-RESTART-INTAKE, intake is stopped and started again on
 * the same port, and the file PK_CTL says it is back. */
static int s_scenario_of(const char *app, const char *name)
{
    char ctl[256];
    snprintf(ctl, sizeof ctl, "%s/web-ctl-%d", pkt_env("PKTEST_TMP"), (int)getpid());
    unlink(ctl);
    char *cmd =
        pk_asprintf("cd '%s' && PK_BASE=http://127.0.0.1:%d PK_SINK='%s' PK_TILE_PORT=%d PK_CTL='%s'"
                    " PK_SHOTS='%s/build/screenshots' PK_ADMIN=admin1:kata-sandi-admin-1"
                    " PK_COMPANION=rina:kata-sandi-rina-1 PK_COMPANION2=budi:kata-sandi-budi-1"
                    " PK_AGENCY=uptd1:kata-sandi-uptd-1 PK_AGENCY2=puspaga1:kata-sandi-puspaga-1"
                    " node tests/web/%s.mjs %s 2>&1",
                    pkt_env("PKTEST_ROOT"), T.port, s_sink, s_tile_port, ctl, pkt_env("PKTEST_ROOT"), app, name);
    int rc = pkt_pipe(cmd, stderr, s_control, ctl);
    free(cmd);
    if (rc != 0) { /* what the screens cannot say: why a live stream ended */
        char *grep = pk_asprintf("grep -h 'stream.* ended' '%s' | tail -n 20 >&2", T.proc.log_path);
        if (system(grep) < 0)
            fprintf(stderr, "test_web: intake's log not read\n");
        free(grep);
    }
    return rc;
}

static int s_scenario(const char *name)
{
    return s_scenario_of("reporter", name);
}

Test(web, the_whole_journey_register_report_verified_companion_arrives)
{
    cr_assert_eq(s_scenario("journey"), 0);
}

Test(web, a_report_written_offline_waits_and_arrives_once)
{
    cr_assert_eq(s_scenario("offline"), 0);
}

Test(web, a_server_422_lands_on_its_field_and_a_429_shows_the_wait)
{
    cr_assert_eq(s_scenario("errors"), 0);
}

Test(web, quick_exit_leaves_a_neutral_page_and_nothing_on_the_phone)
{
    cr_assert_eq(s_scenario("exit"), 0);
}

Test(web, a_quick_exit_without_signal_still_covers_wipes_and_logs_out_later)
{
    cr_assert_eq(s_scenario("exitOffline"), 0);
}

Test(web, languages_and_the_neutral_name)
{
    cr_assert_eq(s_scenario("languages"), 0);
}

/* The admin's desk (issue 17, its first part): a report appears without a
 * reload; personal data only behind a purpose, the reporter's safety
 * choices first; the call, verification; nothing left after logout. */
Test(web, the_admin_s_desk_shows_a_new_report_live_and_verifies_it)
{
    cr_assert_eq(s_scenario_of("staff", "desk"), 0);
}

/* The companion's phone (issue 17, its second part): on duty, the phone's
 * position reaches dispatch; the visit accepted, the place opened, en
 * route, arrived; the identification report kept through a lost
 * connection and accepted once. */
Test(web, the_companion_s_phone_from_duty_to_the_identification_report)
{
    cr_assert_eq(s_scenario_of("staff", "companion"), 0);
}

/* The whole service standard through the screens only (issue 17): the
 * reporter's app, the admin's desk, the companion's phone and the agency's
 * inbox at once, from the report to the case closed as the reporter sees it. */
Test(web, the_whole_service_standard_through_the_screens_of_every_role, .timeout = 1200)
{
    cr_assert_eq(s_scenario_of("staff", "standard"), 0);
}

/* What a role must not see is absent from its screens: another companion's
 * visit, another agency's referral. */
Test(web, each_role_sees_only_its_own_on_its_screens)
{
    cr_assert_eq(s_scenario_of("staff", "roles"), 0);
}

/* The admin's stream drops (intake stopped and started again): the desk
 * says so, reconnects by itself and shows the reports made meanwhile. */
Test(web, the_desk_catches_up_after_intake_restarts)
{
    cr_assert_eq(s_scenario_of("staff", "streamdrop"), 0);
}

/* Every verified case can be given a companion (issue 22 §2): the admin
 * sets a companion's area in the accounts screen; a report with its
 * kecamatan only is verified and assigned from the desk; with nobody on
 * duty the empty suggestion says so. */
Test(web, a_report_with_its_kecamatan_only_is_assigned_from_the_desk)
{
    cr_assert_eq(s_scenario_of("staff", "nopoint"), 0);
}

/* A companion exactly at the victim's place: the suggestion's map shows
 * both pins and the page throws nothing (Leaflet fitted two pins on one
 * spot at an infinite zoom: Invalid LatLng (NaN, NaN), the reporter's
 * journey's rare failure). */
Test(web, a_companion_at_the_very_place_is_shown_on_the_map)
{
    cr_assert_eq(s_scenario_of("staff", "samespot"), 0);
}

/* The queue is ordered by the one-day promise (issue 22 §4): urgent on top,
 * then overdue, then by time left (under 4 hours in amber); the header
 * counts; the case page says when the promise ends. */
Test(web, the_queue_is_ordered_by_the_promise_with_an_overdue_case)
{
    cr_assert_eq(s_scenario_of("staff", "promise"), 0);
}
