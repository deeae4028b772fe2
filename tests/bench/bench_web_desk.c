/* bench_web_desk.c -- a report committed -> its row on the admin's desk in
 * Debian's Chromium (tests/web/bench_desk.mjs), over 200 reports from 200
 * distinct reporters, against the real intake serving build/web. Prints
 * BENCH lines; never fails a test run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/pkt_intake.h"
#include "pelukan/util.h"

#define S_REPORTERS 200

static pkt_intake_t T;

int main(void)
{
    char *web = pk_asprintf("%s/build/web", pkt_env("PKTEST_ROOT"));
    const char *const extra[] = {"PELUKAN_INTAKE_WEB_DIR",
                                 web,
                                 "PELUKAN_LOG_LEVEL",
                                 "warn",
                                 "PELUKAN_INTAKE_OTP_PER_CLIENT",
                                 "1000", /* 200 reporters register from one address */
                                 "PELUKAN_INTAKE_OTP_PER_HOUR",
                                 "100000",
                                 NULL};
    pkt_intake_start(&T, "b_web_desk", extra);
    pkt_intake_staff(&T, "benchdesk", "Admin Bench", "admin", NULL, "kata-sandi-bench-desk");
    char *path = pk_asprintf("%s/bench-desk-tokens", pkt_env("PKTEST_TMP"));
    FILE *f = fopen(path, "w");
    for (int i = 0; f && i < S_REPORTERS; i++) {
        char phone[24];
        snprintf(phone, sizeof phone, "081277%06d", 100000 + i);
        char *token = pkt_intake_register(&T, phone);
        fprintf(f, "%s\n", token);
        free(token);
    }
    if (f)
        fclose(f);
    char *cmd =
        pk_asprintf("cd '%s' && PK_BASE=http://127.0.0.1:%d PK_TOKENS='%s' PK_ADMIN=benchdesk:kata-sandi-bench-desk"
                    " node tests/web/bench_desk.mjs 2>&1",
                    pkt_env("PKTEST_ROOT"), T.port, path);
    pkt_pipe(cmd, stdout, NULL, NULL);
    pkt_intake_stop(&T);
    unlink(path);
    free(path);
    free(cmd);
    free(web);
    return 0;
}
