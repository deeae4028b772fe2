/* bench_web.c -- the reporter's app on a cheap phone's bad connection:
 * intake serving build/web, measured by tests/web/bench.mjs in Debian's
 * Chromium (first screen's JavaScript and CSS gzipped; cold load at
 * 400 kbit/s and 400 ms round trip; the installed app opened again). */
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "../support/pktest.h"
#include "pelukan/util.h"

int main(void)
{
    zsys_handler_set(NULL);
    free(pkt_db_create("b_web"));
    pkt_env_t *env = pkt_env_new("b_web");
    char *web = pk_asprintf("%s/build/web", pkt_env("PKTEST_ROOT"));
    pkt_env_set(env, "PELUKAN_INTAKE_WEB_DIR", web);
    pkt_env_set(env, "PELUKAN_LOG_LEVEL", "warn");
    pkt_proc_t intake = pkt_service_start("intake", env);
    char *cmd = pk_asprintf("cd '%s' && PK_BASE=http://127.0.0.1:%d PK_WEB_DIR='%s' node tests/web/bench.mjs 2>&1",
                            pkt_env("PKTEST_ROOT"), intake.http_port, web);
    pkt_pipe(cmd, stdout, NULL, NULL);
    pkt_proc_stop(&intake, SIGTERM, 20000);
    free(cmd);
    free(web);
    pkt_env_destroy(&env);
    return 0;
}
