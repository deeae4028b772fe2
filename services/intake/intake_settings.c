/* intake_settings.c -- intake's settings (PELUKAN_INTAKE_*), read by its two
 * processes: the case owner (services/intake) and the edge (services/edge).
 * One table: the owner's rows, then the edge's. The owner's process takes
 * the whole table, so one environment file serves both (a setting of
 * intake's that its table lacked would refuse the start); the edge's
 * takes the rows from intake_edge_settings on. */
#include "intake_settings.h"

#include "intake.h"

const pk_config_def_t intake_settings[] = {
    /* The case owner's: the codes' and sessions' rules, the reports a
     * day, retention and erasure, staff accounts, its workers, its clock. */
    {"PELUKAN_INTAKE_OTP_MAX_ATTEMPTS", PK_CFG_INT, "5", "wrong codes before the code is locked", NULL, 1, 20},
    {"PELUKAN_INTAKE_OTP_PER_PHONE", PK_CFG_INT, "3", "codes per phone per window, from one client address", NULL, 1,
     1000},
    {"PELUKAN_INTAKE_OTP_PHONE_WINDOW_S", PK_CFG_INT, "900", "window of the per-phone limit", NULL, 1, 86400},
    {"PELUKAN_INTAKE_OTP_PER_CLIENT", PK_CFG_INT, "20", "codes per client address per window", NULL, 1, 100000},
    {"PELUKAN_INTAKE_OTP_CLIENT_WINDOW_S", PK_CFG_INT, "3600", "window of the per-address limit", NULL, 1, 86400},
    /* Security review N12: not "for ever". Five years after a case ended,
     * as the office keeps its social-service case files; a district sets
     * its own (0: kept). */
    {"PELUKAN_INTAKE_RETENTION_S", PK_CFG_INT, "157788000",
     "a closed, rejected, duplicate or withdrawn case is erased this long after it ended (default five years); 0: kept",
     NULL, 0, 2000000000},
    {"PELUKAN_INTAKE_ERASURE_COOLING_S", PK_CFG_INT, "86400",
     "an approved erasure waits this long, every supervisor told, before it runs; any supervisor can stop it", NULL, 0,
     2592000},
    {"PELUKAN_INTAKE_ERASURE_TRUST_DAYS", PK_CFG_INT, "7",
     "an erasure is not approved from an account created, reset or unlocked (by another) this many days ago", NULL, 0,
     365},
    {"PELUKAN_INTAKE_REPORTS_PER_DAY", PK_CFG_INT, "10",
     "reports one reporter may send per 24 hours (0: no limit, for benchmarks)", NULL, 0, 1000000},
    {"PELUKAN_INTAKE_OWNER_WORKERS", PK_CFG_INT, "3",
     "threads answering the case owner's commands, each with its own connection (a case locked by one does not"
     " hold up the others); with three or more, one answers only queries (sessions, lists)",
     NULL, 1, INTAKE_OWNERS_MAX},
    {"PELUKAN_INTAKE_OTP_PER_PHONE_DAY", PK_CFG_INT, "8", "codes per phone per 24 hours, from one client address", NULL,
     1, 1000},
    {"PELUKAN_INTAKE_OTP_PER_HOUR", PK_CFG_INT, "2000", "codes per hour in all (the SMS budget)", NULL, 1, 10000000},
    {"PELUKAN_INTAKE_OTP_FAILS_PER_CLIENT_DAY", PK_CFG_INT, "10",
     "wrong codes per phone and client address per 24 hours", NULL, 1, 1000},
    {"PELUKAN_INTAKE_OTP_FAILS_PER_PHONE_DAY", PK_CFG_INT, "10",
     "wrong codes per phone per 24 hours from addresses other than the one the code was sent for", NULL, 1, 1000},
    {"PELUKAN_INTAKE_SESSION_TTL_S", PK_CFG_INT, "2592000", "reporter session lifetime (30 days)", NULL, 60, 31536000},
    {"PELUKAN_INTAKE_SESSION_IDLE_S", PK_CFG_INT, "259200", "a reporter session unused this long ends (3 days)", NULL,
     60, 31536000},
    {"PELUKAN_INTAKE_STAFF_SESSION_TTL_S", PK_CFG_INT, "43200", "staff session lifetime (12 hours)", NULL, 60, 604800},
    {"PELUKAN_INTAKE_STAFF_MAX_FAILURES", PK_CFG_INT, "5", "wrong passwords in a row before a staff account locks",
     NULL, 1, 100},
    {"PELUKAN_INTAKE_STAFF_LOCK_S", PK_CFG_INT, "900", "how long a locked staff account stays locked", NULL, 1, 86400},
    {"PELUKAN_INTAKE_PURGE_S", PK_CFG_INT, "300",
     "seconds between the case owner's sweeps: erasures due, then expired codes, requests and sessions purged", NULL, 1,
     86400},
    /* The edge's (intake_edge_settings): the code's lifetime it tells, the
     * limits it applies itself, its streams, the web apps and what they
     * are given. */
    {"PELUKAN_INTAKE_DEV_PRINT_OTP", PK_CFG_BOOL, "false",
     "development only: print one-time codes to the log (never in production)", NULL, 0, 0},
    {"PELUKAN_INTAKE_OTP_TTL_S", PK_CFG_INT, "300", "lifetime of a one-time code", NULL, 60, 3600},
    {"PELUKAN_INTAKE_PASSWORD_SLOTS", PK_CFG_INT, "4",
     "password checks at once (64 MiB each); more get 503 with Retry-After", NULL, 1, 64},
    {"PELUKAN_INTAKE_STREAMS_PER_SESSION", PK_CFG_INT, "3",
     "live streams per session (a staff member's or a reporter's)", NULL, 1, 100},
    {"PELUKAN_INTAKE_STREAMS_PER_ACCOUNT", PK_CFG_INT, "5", "live streams per account", NULL, 1, 1000},
    {"PELUKAN_INTAKE_STREAMS_MAX", PK_CFG_INT, "1500", "live streams in all: staff feeds and companions' approaches",
     NULL, 1, 100000},
    {"PELUKAN_INTAKE_FEED_TICK_MS", PK_CFG_INT, "200",
     "how often an open staff feed asks the case owner for what this edge did not cause (the owner's clock, other"
     " services' events); what it caused is asked for at the owner's answer",
     NULL, 20, 3600000},
    {"PELUKAN_INTAKE_LOGINS_PER_CLIENT", PK_CFG_INT, "30",
     "staff login tries a minute from one client address, before any password check (review N6)", NULL, 1, 10000000},
    {"PELUKAN_INTAKE_LOGIN_CHECKS_PER_CLIENT", PK_CFG_INT, "2",
     "password checks one client address may have at once (the others' logins keep their slots)", NULL, 1, 100000},
    {"PELUKAN_INTAKE_SESSION_CACHE_MS", PK_CFG_INT, "1000",
     "how long the edge holds the case owner's answer on a session, for a companion's position (a logout or an account "
     "change on this edge"
     " ends it at once; another edge's holds this long); 0: every request asks",
     NULL, 0, 10000},
    {"PELUKAN_INTAKE_WEB_DIR", PK_CFG_STRING, PK_DEFAULT_SQL_DIR "/build/web",
     "the built web apps, served at / (make all builds them); empty: none", NULL, 0, 0},
    {"PELUKAN_INTAKE_PUSH_PUBLIC_KEY", PK_CFG_STRING, "",
     "Web Push: notification's VAPID public key (base64url, notification logs it at start); empty: no push,"
     " staff alerts go by SMS",
     NULL, 0, 0},
    /* Ways out for a reporter in danger now, shown by the app at once (a
     * district sets its own): digits, an optional leading +; empty hides it. */
    {"PELUKAN_INTAKE_HELP_EMERGENCY", PK_CFG_STRING, "112", "the emergency number the app offers", NULL, 0, 0},
    {"PELUKAN_INTAKE_HELP_POLICE", PK_CFG_STRING, "110", "the police number the app offers", NULL, 0, 0},
    {"PELUKAN_INTAKE_HELP_SAPA", PK_CFG_STRING, "129", "SAPA 129, the ministry's line (KemenPPPA)", NULL, 0, 0},
    {"PELUKAN_INTAKE_HELP_SAPA_WHATSAPP", PK_CFG_STRING, "08111129129", "SAPA 129 on WhatsApp", NULL, 0, 0},
    {"PELUKAN_INTAKE_HELP_OFFICE", PK_CFG_STRING, "", "the social office's own number; empty: not shown", NULL, 0, 0},
    {"PELUKAN_INTAKE_ANDROID_PACKAGE", PK_CFG_STRING, "id.go.tasikmalayakab.pelukan",
     "the Play Store app's package name (deploy/android/twa-manifest.json)", NULL, 0, 0},
    {"PELUKAN_INTAKE_ANDROID_CERT_SHA256", PK_CFG_STRING, "",
     "SHA-256 of the app's signing certificates, as keytool prints them, comma-separated (the upload key and Play's"
     " app signing key); empty: no /.well-known/assetlinks.json",
     NULL, 0, 0},
    {"PELUKAN_INTAKE_OTP_PHONE_ALERT_DAY", PK_CFG_INT, "20",
     "codes asked for one phone in 24 hours (all addresses) before a warning and metric alert the staff", NULL, 1,
     100000},
    PK_CONFIG_END,
};

const pk_config_def_t *const intake_edge_settings = intake_settings + INTAKE_OWNER_SETTINGS;
