/* log.h -- one line per record, logfmt or JSON, safe to call from any thread.
 *
 * A record carries time (UTC), level, service, correlation id and a message.
 * Messages say what failed, why and what happens next, e.g.
 * "PQconnectPoll() failed: %s, retrying in 1 s". They never carry personal
 * data: log ids, codes and counts, never names, phones, addresses or text
 * written by a reporter. */
#ifndef PELUKAN_LOG_H
#define PELUKAN_LOG_H

#include <stdbool.h>

typedef enum { PK_LOG_DEBUG, PK_LOG_INFO, PK_LOG_WARN, PK_LOG_ERROR } pk_log_level_t;
typedef enum { PK_LOG_LOGFMT, PK_LOG_JSON } pk_log_format_t;

typedef struct pk_log pk_log_t;

/* Creates a logger writing to file descriptor `fd` (not closed by us).
 * Caller owns return value. */
pk_log_t *pk_log_new(const char *service, pk_log_level_t min_level, pk_log_format_t format, int fd);

/* Destroys the logger and sets *self_p to NULL; accepts NULL. */
void pk_log_destroy(pk_log_t **self_p);

/* Parses "debug", "info", "warn" or "error"; returns 0 or PK_EINVAL. */
int pk_log_level_parse(const char *text, pk_log_level_t *out);

bool pk_log_enabled(const pk_log_t *self, pk_log_level_t level);

/* Writes one record. `cid` is the correlation id or NULL. The formatted
 * message is escaped so that a record is always exactly one line. */
void pk_log_write(const pk_log_t *self, pk_log_level_t level, const char *cid, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define pk_log_debug(log, ...) pk_log_write((log), PK_LOG_DEBUG, NULL, __VA_ARGS__)
#define pk_log_info(log, ...)  pk_log_write((log), PK_LOG_INFO, NULL, __VA_ARGS__)
#define pk_log_warn(log, ...)  pk_log_write((log), PK_LOG_WARN, NULL, __VA_ARGS__)
#define pk_log_error(log, ...) pk_log_write((log), PK_LOG_ERROR, NULL, __VA_ARGS__)

#endif
