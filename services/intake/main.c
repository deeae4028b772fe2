/* main.c -- the PELUKAN intake service: the case owner. It answers the
 * edge's commands (services/edge, the only HTTP server the public reaches),
 * dispatch's and notification's questions, and applies dispatch's and
 * referral's events, each in one transaction on its own workers; its clock
 * runs the erasures due and the purges (intake_clock.c). */
#include <stddef.h>
#include <stdlib.h>

#include "intake.h"
#include "intake_settings.h"
#include "pelukan/util.h"

/* intake's whole-number settings, each read into its field of the case
 * owner's settings; S_INT refuses to compile a field that is not an int. */
#define S_INT(name, field)                                                                                             \
    {                                                                                                                  \
        name, offsetof(intake_config_t, field) +                                                                       \
                  0 * sizeof(char[sizeof(((intake_config_t *)0)->field) == sizeof(int) ? 1 : -1])                      \
    }
static const struct {
    const char *name;
    size_t offset;
} s_int_settings[] = {
    S_INT("PELUKAN_INTAKE_OWNER_WORKERS", nowners),
    S_INT("PELUKAN_INTAKE_OTP_TTL_S", otp.ttl_s),
    S_INT("PELUKAN_INTAKE_OTP_MAX_ATTEMPTS", otp.max_attempts),
    S_INT("PELUKAN_INTAKE_OTP_PER_PHONE", otp.per_phone),
    S_INT("PELUKAN_INTAKE_OTP_PHONE_WINDOW_S", otp.phone_window_s),
    S_INT("PELUKAN_INTAKE_OTP_PER_CLIENT", otp.per_client),
    S_INT("PELUKAN_INTAKE_OTP_CLIENT_WINDOW_S", otp.client_window_s),
    S_INT("PELUKAN_INTAKE_REPORTS_PER_DAY", reports_per_day),
    S_INT("PELUKAN_INTAKE_RETENTION_S", retention_s),
    S_INT("PELUKAN_INTAKE_ERASURE_COOLING_S", erasure_cooling_s),
    S_INT("PELUKAN_INTAKE_ERASURE_TRUST_DAYS", erasure_trust_days),
    S_INT("PELUKAN_INTAKE_OTP_PER_PHONE_DAY", otp.per_phone_day),
    S_INT("PELUKAN_INTAKE_OTP_PHONE_ALERT_DAY", otp.phone_alert_day),
    S_INT("PELUKAN_INTAKE_OTP_PER_HOUR", otp.per_hour),
    S_INT("PELUKAN_INTAKE_OTP_FAILS_PER_CLIENT_DAY", otp.fails_per_client_day),
    S_INT("PELUKAN_INTAKE_OTP_FAILS_PER_PHONE_DAY", otp.fails_per_phone_day),
    S_INT("PELUKAN_INTAKE_SESSION_TTL_S", otp.session_ttl_s),
    S_INT("PELUKAN_INTAKE_SESSION_IDLE_S", otp.session_idle_s),
    S_INT("PELUKAN_INTAKE_STAFF_SESSION_TTL_S", staff_session_ttl_s),
    S_INT("PELUKAN_INTAKE_STAFF_MAX_FAILURES", staff_max_failures),
    S_INT("PELUKAN_INTAKE_STAFF_LOCK_S", staff_lock_s),
    S_INT("PELUKAN_INTAKE_PURGE_S", purge_s),
};

static int s_start(pk_service_t *svc, void **state_p)
{
    intake_t *own = pk_calloc(1, sizeof *own);
    own->svc = svc;
    own->log = pk_service_log(svc);
    own->keys = pk_service_keyring(svc);
    for (size_t i = 0; i < PK_ARRAY_LEN(s_int_settings); i++)
        *(int *)((char *)&own->cfg + s_int_settings[i].offset) =
            (int)pk_config_int(pk_service_config(svc), s_int_settings[i].name);
    *state_p = own;
    int rc = intake_reference_check(own);
    if (rc == 0)
        own->clock = intake_clock_new(own);
    return rc;
}

static void s_stop(pk_service_t *svc, void *state)
{
    (void)svc;
    intake_t *own = state;
    if (!own)
        return;
    pk_clock_destroy(&own->clock);
    for (int i = 0; i < own->cfg.nowners; i++)
        pk_arena_free(&own->owners[i].mem);
    free(own);
}

int main(int argc, char **argv)
{
    static const char *const consumes[] = {"dispatch", "referral", NULL};
    static const pk_service_def_t def = {.name = "intake",
                                         .settings = intake_settings,
                                         .start = s_start,
                                         .stop = s_stop,
                                         .consumes = consumes,
                                         .apply = intake_apply,
                                         .command = intake_command,
                                         .command_done = intake_command_done,
                                         .command_is_query = intake_command_is_query,
                                         .command_server = intake_command_server};
    return pk_service_main(&def, argc, argv);
}
