/* config.h -- declarative settings read from PELUKAN_* environment variables.
 *
 * Each setting is one row: name, type, default, help. All values are parsed
 * and checked at start-up; a malformed value, a missing required value, an
 * unreadable file or an unknown PELUKAN_* variable that this service would
 * own is a one-line error naming the variable. */
#ifndef PELUKAN_CONFIG_H
#define PELUKAN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pelukan/error.h"

typedef enum {
    PK_CFG_STRING,   /* any text */
    PK_CFG_SECRET,   /* any text, never echoed in errors or dumps */
    PK_CFG_INT,      /* decimal integer within [min, max] */
    PK_CFG_PORT,     /* 1..65535 */
    PK_CFG_BOOL,     /* true/false, 1/0, yes/no, on/off */
    PK_CFG_ENUM,     /* one of `choices`, "a|b|c" */
    PK_CFG_ENDPOINT, /* ZeroMQ endpoint: tcp://host:port, ipc://path, inproc://name */
    PK_CFG_FILE,     /* path of a readable file */
    PK_CFG_DIR,      /* path of a directory */
} pk_config_type_t;

typedef struct {
    const char *name; /* full variable name, "PELUKAN_..." */
    pk_config_type_t type;
    const char *default_value; /* NULL: the variable is required */
    const char *help;
    const char *choices; /* PK_CFG_ENUM only */
    int64_t min, max;    /* PK_CFG_INT only; both 0 means unbounded */
} pk_config_def_t;

/* Marks the end of a table. */
#define PK_CONFIG_END                                                                                                  \
    {                                                                                                                  \
        NULL, PK_CFG_STRING, NULL, NULL, NULL, 0, 0                                                                    \
    }

typedef struct pk_config pk_config_t;

/* Reads settings for service `service` from `envp` (NULL-terminated
 * "NAME=value" strings, usually `environ`) using the common table plus
 * `tables` (a NULL-terminated list of tables, may be NULL). On error returns
 * NULL and writes a one-line message naming the variable into `err`.
 * Caller owns return value. */
pk_config_t *pk_config_new(const char *service, const pk_config_def_t *const *tables, char *const *envp, char *err,
                           size_t errlen);

/* The same for command-line tools: files and directories left at their
 * defaults need not exist (a tool reports the one it needs when it needs
 * it); values that are set are checked as for a service. */
pk_config_t *pk_config_new_tool(const char *service, const pk_config_def_t *const *tables, char *const *envp, char *err,
                                size_t errlen);
void pk_config_destroy(pk_config_t **self_p);

/* Getters. Asking for a name that is in no table is a programming error
 * (assert). Strings stay valid until the config is destroyed. */
const char *pk_config_str(const pk_config_t *self, const char *name);
int64_t pk_config_int(const pk_config_t *self, const char *name);
bool pk_config_bool(const pk_config_t *self, const char *name);

/* The same with the service's own prefix: pk_config_own_str(c, "HTTP_PORT")
 * reads PELUKAN_<SERVICE>_HTTP_PORT. */
const char *pk_config_own_str(const pk_config_t *self, const char *suffix);
int64_t pk_config_own_int(const pk_config_t *self, const char *suffix);

/* Reads PELUKAN_<OTHER>_<SUFFIX> of any service, e.g. ("audit", "PUB"). */
const char *pk_config_service_str(const pk_config_t *self, const char *service, const char *suffix);

/* Writes the help of every setting of `service` (name, type, default, help)
 * to `out` as a table, for --help and the README. */
void pk_config_print_help(const char *service, const pk_config_def_t *const *tables, void *out_file);

/* The service names of PELUKAN, in a fixed order, NULL-terminated. */
extern const char *const pk_service_names[];

#endif
