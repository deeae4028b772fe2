/* test_web.c -- the reporter's app in a real browser: Debian's Chromium,
 * headless, driven by playwright-core (tests/web/reporter.mjs), against the
 * real intake, notification (its sink file standing in for the SMS
 * gateway) and dispatch, with a tile server stand-in. One test per
 * scenario; screenshots of every screen under build/screenshots. */
#include <criterion/criterion.h>
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
    const char *extra[] = {"PELUKAN_INTAKE_WEB_DIR",
                           web,
                           "PELUKAN_WEB_TILE_URL",
                           tiles,
                           "PELUKAN_NOTIFICATION_SINK_FILE",
                           s_sink,
                           "PELUKAN_LOG_LEVEL",
                           "warn",
                           NULL};
    pkt_intake_start(&T, "t_web", extra);
    free(web);
    pkt_intake_start_notification(&T);
    pkt_intake_start_dispatch(&T);
    pkt_intake_staff(&T, "admin1", "Admin Satu", "admin", NULL, "kata-sandi-admin-1");
    pkt_intake_staff(&T, "rina", "Rina Pendamping", "companion", NULL, "kata-sandi-rina-1");
}

static void s_teardown(void)
{
    pkt_intake_stop(&T);
}

TestSuite(web, .init = s_setup, .fini = s_teardown, .timeout = 180);

/* Runs one scenario of reporter.mjs; its exit status. */
static int s_scenario(const char *name)
{
    char *cmd = pk_asprintf("cd '%s' && PK_BASE=http://127.0.0.1:%d PK_SINK='%s' PK_TILE_PORT=%d"
                            " PK_SHOTS='%s/build/screenshots' PK_ADMIN=admin1:kata-sandi-admin-1"
                            " PK_COMPANION=rina:kata-sandi-rina-1 node tests/web/reporter.mjs %s 2>&1",
                            pkt_env("PKTEST_ROOT"), T.port, s_sink, s_tile_port, pkt_env("PKTEST_ROOT"), name);
    FILE *p = popen(cmd, "r");
    char line[1024];
    while (p && fgets(line, sizeof line, p))
        fputs(line, stderr);
    int rc = p ? pclose(p) : -1;
    free(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
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

Test(web, languages_and_the_neutral_name)
{
    cr_assert_eq(s_scenario("languages"), 0);
}

/* The admin's desk (issue 17, its first part): a report appears without a
 * reload; personal data only behind a purpose, the reporter's safety
 * choices first; the call, verification; nothing left after logout. */
Test(web, the_admin_s_desk_shows_a_new_report_live_and_verifies_it)
{
    cr_assert_eq(s_scenario("desk"), 0);
}

/* The companion's phone (issue 17, its second part): on duty, the phone's
 * position reaches dispatch; the visit accepted, the place opened, en
 * route, arrived; the identification report kept through a lost
 * connection and accepted once. */
Test(web, the_companion_s_phone_from_duty_to_the_identification_report)
{
    cr_assert_eq(s_scenario("companion"), 0);
}
