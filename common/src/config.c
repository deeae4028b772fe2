/* config.c -- the settings table, its checks, and the values it produced. */
#include "pelukan/config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pelukan/util.h"

#ifndef PK_DEFAULT_VAR_DIR
#define PK_DEFAULT_VAR_DIR "var"
#endif
#ifndef PK_DEFAULT_SQL_DIR
#define PK_DEFAULT_SQL_DIR "."
#endif

const char *const pk_service_names[] = {"intake", "notification", "dispatch", "referral", "audit", NULL};

/* Endpoints and ports of every service, known to every service: a consumer
 * must find the producers it subscribes to. Ports: 74<n>1 PUB, 74<n>2 replay,
 * 74<n>3 commands, 808<n> HTTP, n = position in pk_service_names. */
#define PK_CURVE_SETTINGS(UP, LOW)                                                                                     \
    {                                                                                                                  \
        "PELUKAN_" UP "_CURVE_PUBLIC_KEY",                                                                             \
        PK_CFG_STRING,                                                                                                 \
        "",                                                                                                            \
        "bus public key of " LOW " (40 Z85 characters)",                                                               \
        NULL,                                                                                                          \
        0,                                                                                                             \
        0},                                                                                                            \
    {                                                                                                                  \
        "PELUKAN_" UP "_CURVE_SECRET_KEY_FILE", PK_CFG_STRING, PK_DEFAULT_VAR_DIR "/keys/" LOW ".curve",               \
            "bus secret key of " LOW " (mode 0600, read only by " LOW ")", NULL, 0, 0                                  \
    }
#define PK_SERVICE_SETTINGS(UP, LOW, N)                                                                                \
    PK_CURVE_SETTINGS(UP, LOW),                                                                                        \
        {"PELUKAN_" UP "_MASTER_KEY_FILE",                                                                             \
         PK_CFG_STRING,                                                                                                \
         "",                                                                                                           \
         "this service's own master key; empty: PELUKAN_MASTER_KEY_FILE",                                              \
         NULL,                                                                                                         \
         0,                                                                                                            \
         0},                                                                                                           \
        {"PELUKAN_" UP "_HTTP_PORT", PK_CFG_PORT, "808" N, "HTTP port (API, health)", NULL, 0, 0},                     \
        {"PELUKAN_" UP "_METRICS_PORT", PK_CFG_PORT, "909" N, "metrics port (on PELUKAN_METRICS_ADDR)", NULL, 0, 0},   \
        {"PELUKAN_" UP "_PUB", PK_CFG_ENDPOINT, "tcp://127.0.0.1:74" N "1", "event PUB endpoint", NULL, 0, 0},         \
        {"PELUKAN_" UP "_REPLAY", PK_CFG_ENDPOINT, "tcp://127.0.0.1:74" N "2", "replay ROUTER endpoint", NULL, 0, 0},  \
        {"PELUKAN_" UP "_RPC", PK_CFG_ENDPOINT, "tcp://127.0.0.1:74" N "3", "command ROUTER endpoint", NULL, 0, 0},    \
    {                                                                                                                  \
        "PELUKAN_" UP "_DB_URL", PK_CFG_SECRET, "", "libpq conninfo; empty: PELUKAN_DB_URL as role " UP, NULL, 0, 0    \
    }

static const pk_config_def_t s_common[] = {
    {"PELUKAN_LOG_LEVEL", PK_CFG_ENUM, "info", "minimum level logged", "debug|info|warn|error", 0, 0},
    {"PELUKAN_LOG_FORMAT", PK_CFG_ENUM, "logfmt", "log record format", "logfmt|json", 0, 0},
    {"PELUKAN_HTTP_ADDR", PK_CFG_STRING, "127.0.0.1", "address the HTTP listeners bind to", NULL, 0, 0},
    {"PELUKAN_METRICS_ADDR", PK_CFG_STRING, "127.0.0.1",
     "address the metrics listeners bind to (keep it off the public network)", NULL, 0, 0},
    {"PELUKAN_HTTP_TRUSTED_PROXIES", PK_CFG_STRING, "",
     "proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client; empty: none", NULL, 0,
     0},
    /* Security review N5: a tile server learns which places the office
     * looks at, and when: the victims' homes. None by default; the maps
     * draw the district's kecamatan from a file intake serves. */
    {"PELUKAN_WEB_TILE_URL", PK_CFG_STRING, "",
     "map tiles of the web apps: a URL template with {z}, {x}, {y} of a tile server the office runs (it learns every"
     " place looked at); empty: the district's kecamatan boundaries only, served by intake",
     NULL, 0, 0},
    {"PELUKAN_WEB_TILE_ATTRIBUTION", PK_CFG_STRING, "", "the attribution the tile server asks for", NULL, 0, 0},
    {"PELUKAN_DB_URL", PK_CFG_SECRET, "host=127.0.0.1 port=5432 dbname=pelukan",
     "libpq conninfo shared by services (each adds its own user)", NULL, 0, 0},
    {"PELUKAN_DB_CONNECT_TIMEOUT_MS", PK_CFG_INT, "30000", "how long start-up waits for PostgreSQL", NULL, 0, 3600000},
    {"PELUKAN_MASTER_KEY_FILE", PK_CFG_FILE, PK_DEFAULT_VAR_DIR "/keys/master.key",
     "32-byte master key (64 hex digits) that wraps per-case data keys", NULL, 0, 0},
    {"PELUKAN_SQL_DIR", PK_CFG_DIR, PK_DEFAULT_SQL_DIR, "directory holding <service>/sql and bus/", NULL, 0, 0},
    {"PELUKAN_MAX_MSG_BYTES", PK_CFG_INT, "1048576", "largest ZeroMQ message accepted", NULL, 1024, 67108864},
    {"PELUKAN_OUTBOX_RETENTION_S", PK_CFG_INT, "604800", "sequenced events are kept this long for replay", NULL, 1,
     315360000},
    {"PELUKAN_BUS_RELAY_BATCH", PK_CFG_INT, "2000", "outbox rows numbered per relay transaction", NULL, 1, 100000},
    {"PELUKAN_BUS_SNDHWM", PK_CFG_INT, "100000", "relay PUB send high-water mark per subscriber", NULL, 1, 10000000},
    {"PELUKAN_BUS_RCVHWM", PK_CFG_INT, "0", "SUB receive high-water mark (0: libzmq default; replay fills drops)", NULL,
     0, 10000000},
    PK_SERVICE_SETTINGS("INTAKE", "intake", "0"),
    PK_SERVICE_SETTINGS("NOTIFICATION", "notification", "1"),
    PK_SERVICE_SETTINGS("DISPATCH", "dispatch", "2"),
    PK_SERVICE_SETTINGS("REFERRAL", "referral", "3"),
    PK_SERVICE_SETTINGS("AUDIT", "audit", "4"),
    /* The HTTP edge (services/edge): a bus peer that keeps nothing of its
     * own, so it has no database, events or command endpoint. It reads
     * intake's settings for what it checks, and seals with intake's key. */
    PK_CURVE_SETTINGS("EDGE", "edge"),
    {"PELUKAN_EDGE_MASTER_KEY_FILE", PK_CFG_STRING, "",
     "the key the edge seals with and derives blind indexes from: intake's master key (the same file as"
     " PELUKAN_INTAKE_MASTER_KEY_FILE); empty: PELUKAN_MASTER_KEY_FILE",
     NULL, 0, 0},
    {"PELUKAN_EDGE_HTTP_PORT", PK_CFG_PORT, "8085", "HTTP port of the public API and the web apps (and health)", NULL,
     0, 0},
    {"PELUKAN_EDGE_METRICS_PORT", PK_CFG_PORT, "9095", "the edge's metrics port (on PELUKAN_METRICS_ADDR)", NULL, 0, 0},
    PK_CURVE_SETTINGS("CTL", "pelukanctl"),
    {"PELUKAN_AUDIT_ARCHIVE", PK_CFG_ENDPOINT, "tcp://127.0.0.1:7444",
     "the audit log's replay ROUTER: auditors replay it, consumers rebuild from it", NULL, 0, 0},
    PK_CONFIG_END,
};

typedef struct {
    const pk_config_def_t *def;
    char *text;     /* the value as given, or the default */
    int64_t number; /* PK_CFG_INT, PK_CFG_PORT, PK_CFG_BOOL */
} s_value_t;

struct pk_config {
    char *service;
    char *prefix; /* "PELUKAN_INTAKE_" */
    s_value_t *values;
    size_t count;
};

static void s_upper(char *s)
{
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
}

static const char *s_getenv(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (char *const *e = envp; e && *e; e++) {
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    }
    return NULL;
}

static int s_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int s_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return PK_ECONFIG;
}

static bool s_parse_int(const char *text, int64_t *out)
{
    if (!*text)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool s_choice_ok(const char *choices, const char *text)
{
    size_t n = strlen(text);
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, text, n) == 0)
            return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

/* Checks one value against its definition. The value is shown in the
 * message unless the setting is a secret. */
static int s_check(s_value_t *v, char *err, size_t errlen)
{
    const pk_config_def_t *d = v->def;
    const char *t = v->text;
    const char *shown = d->type == PK_CFG_SECRET ? "(secret)" : t;
    switch (d->type) {
    case PK_CFG_STRING:
    case PK_CFG_SECRET:
        return 0;
    case PK_CFG_INT:
        if (!s_parse_int(t, &v->number))
            return s_fail(err, errlen, "%s=\"%s\" is not an integer", d->name, shown);
        if ((d->min || d->max) && (v->number < d->min || v->number > d->max))
            return s_fail(err, errlen, "%s=\"%s\" is out of range (%lld..%lld)", d->name, shown, (long long)d->min,
                          (long long)d->max);
        return 0;
    case PK_CFG_PORT:
        if (!s_parse_int(t, &v->number) || v->number < 1 || v->number > 65535)
            return s_fail(err, errlen, "%s=\"%s\" is not a valid port (1-65535)", d->name, shown);
        return 0;
    case PK_CFG_BOOL:
        if (s_choice_ok("1|true|yes|on", t))
            v->number = 1;
        else if (s_choice_ok("0|false|no|off", t))
            v->number = 0;
        else
            return s_fail(err, errlen, "%s=\"%s\" is not a boolean (true/false)", d->name, shown);
        return 0;
    case PK_CFG_ENUM:
        if (!s_choice_ok(d->choices, t))
            return s_fail(err, errlen, "%s=\"%s\" is not one of %s", d->name, shown, d->choices);
        return 0;
    case PK_CFG_ENDPOINT:
        if (strncmp(t, "tcp://", 6) != 0 && strncmp(t, "ipc://", 6) != 0 && strncmp(t, "inproc://", 9) != 0)
            return s_fail(err, errlen, "%s=\"%s\" is not a ZeroMQ endpoint (tcp://host:port, ipc://, inproc://)",
                          d->name, shown);
        if (strncmp(t, "tcp://", 6) == 0) {
            const char *colon = strrchr(t + 6, ':');
            int64_t port;
            if (!colon || colon == t + 6 || !s_parse_int(colon + 1, &port) || port < 1 || port > 65535)
                return s_fail(err, errlen, "%s=\"%s\" has no valid host:port", d->name, shown);
        }
        return 0;
    case PK_CFG_FILE:
        if (access(t, R_OK) != 0)
            return s_fail(err, errlen, "%s=\"%s\": cannot read file: %s", d->name, shown, strerror(errno));
        return 0;
    case PK_CFG_DIR: {
        struct stat st;
        if (stat(t, &st) != 0)
            return s_fail(err, errlen, "%s=\"%s\": %s", d->name, shown, strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return s_fail(err, errlen, "%s=\"%s\" is not a directory", d->name, shown);
        return 0;
    }
    }
    return s_fail(err, errlen, "%s: unknown setting type", d->name);
}

static s_value_t *s_find(const pk_config_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++) {
        if (strcmp(self->values[i].def->name, name) == 0)
            return &self->values[i];
    }
    return NULL;
}

/* A PELUKAN_* variable is ours to judge unless it starts with the prefix of
 * another service: that service checks its own. */
static bool s_is_other_service(const pk_config_t *self, const char *name)
{
    for (const char *const *s = pk_service_names; *s; s++) {
        if (strcmp(*s, self->service) == 0)
            continue;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "PELUKAN_%s_", *s);
        s_upper(prefix);
        if (strncmp(name, prefix, strlen(prefix)) == 0)
            return true;
    }
    return false;
}

static void s_add_table(pk_config_t *self, const pk_config_def_t *table, size_t *cap)
{
    for (const pk_config_def_t *d = table; d && d->name; d++) {
        if (self->count == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            self->values = pk_realloc(self->values, *cap * sizeof *self->values);
        }
        self->values[self->count++] = (s_value_t){.def = d};
    }
}

static pk_config_t *s_new(const char *service, const pk_config_def_t *const *tables, char *const *envp, bool lenient,
                          char *err, size_t errlen)
{
    pk_config_t *self = pk_calloc(1, sizeof *self);
    self->service = pk_strdup(service);
    self->prefix = pk_asprintf("PELUKAN_%s_", service);
    s_upper(self->prefix);

    size_t cap = 0;
    s_add_table(self, s_common, &cap);
    for (const pk_config_def_t *const *t = tables; t && *t; t++)
        s_add_table(self, *t, &cap);

    for (size_t i = 0; i < self->count; i++) {
        s_value_t *v = &self->values[i];
        const char *given = s_getenv(envp, v->def->name);
        if (!given && !v->def->default_value) {
            s_fail(err, errlen, "%s is required: %s", v->def->name, v->def->help);
            goto fail;
        }
        v->text = pk_strdup(given ? given : v->def->default_value);
        /* A tool may leave default files and directories it does not use
         * absent; what is set is checked all the same. */
        bool unchecked = lenient && !given && (v->def->type == PK_CFG_FILE || v->def->type == PK_CFG_DIR);
        if (!unchecked && s_check(v, err, errlen) != 0)
            goto fail;
    }

    for (char *const *e = envp; e && *e; e++) {
        if (strncmp(*e, "PELUKAN_", 8) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        char *name = pk_strndup(*e, eq ? (size_t)(eq - *e) : strlen(*e));
        /* The local runner's own settings (deploy/local/run.sh, `make run`)
         * may stay exported in the shell that runs pelukanctl or a service. */
        bool runner = strcmp(name, "PELUKAN_VAR_DIR") == 0 || strcmp(name, "PELUKAN_PG_PORT") == 0;
        bool known = runner || s_find(self, name) || s_is_other_service(self, name);
        if (!known)
            s_fail(err, errlen, "%s is not a setting of PELUKAN %s (misspelt?); see --help", name, service);
        free(name);
        if (!known)
            goto fail;
    }
    return self;

fail:
    pk_config_destroy(&self);
    return NULL;
}

pk_config_t *pk_config_new(const char *service, const pk_config_def_t *const *tables, char *const *envp, char *err,
                           size_t errlen)
{
    return s_new(service, tables, envp, false, err, errlen);
}

pk_config_t *pk_config_new_tool(const char *service, const pk_config_def_t *const *tables, char *const *envp, char *err,
                                size_t errlen)
{
    return s_new(service, tables, envp, true, err, errlen);
}

void pk_config_destroy(pk_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_config_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free(self->values[i].text);
    free(self->values);
    free(self->prefix);
    free(self->service);
    free(self);
    *self_p = NULL;
}

static s_value_t *s_must_find(const pk_config_t *self, const char *name)
{
    s_value_t *v = s_find(self, name);
    assert(v && "setting is in no table");
    return v;
}

const char *pk_config_str(const pk_config_t *self, const char *name)
{
    return s_must_find(self, name)->text;
}

int64_t pk_config_int(const pk_config_t *self, const char *name)
{
    return s_must_find(self, name)->number;
}

bool pk_config_bool(const pk_config_t *self, const char *name)
{
    return s_must_find(self, name)->number != 0;
}

const char *pk_config_service_str(const pk_config_t *self, const char *service, const char *suffix)
{
    char name[128];
    snprintf(name, sizeof name, "PELUKAN_%s_%s", service, suffix);
    s_upper(name);
    return pk_config_str(self, name);
}

const char *pk_config_own_str(const pk_config_t *self, const char *suffix)
{
    return pk_config_service_str(self, self->service, suffix);
}

int64_t pk_config_own_int(const pk_config_t *self, const char *suffix)
{
    char name[128];
    snprintf(name, sizeof name, "%s%s", self->prefix, suffix);
    return pk_config_int(self, name);
}

void pk_config_print_help(const char *service, const pk_config_def_t *const *tables, void *out_file)
{
    FILE *out = out_file;
    fprintf(out, "Settings of PELUKAN %s (environment variables):\n", service);
    const pk_config_def_t *const common[] = {s_common, NULL};
    for (int pass = 0; pass < 2; pass++) {
        for (const pk_config_def_t *const *t = pass ? tables : common; t && *t; t++) {
            for (const pk_config_def_t *d = *t; d->name; d++) {
                fprintf(out, "  %-36s %s%s%s\n      %s\n", d->name, d->default_value ? "default: \"" : "required",
                        d->default_value ? d->default_value : "", d->default_value ? "\"" : "", d->help);
            }
        }
    }
}
