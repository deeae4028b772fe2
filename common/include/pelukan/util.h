/* util.h -- allocation policy, time and small string helpers. */
#ifndef PELUKAN_UTIL_H
#define PELUKAN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation failure aborts the process: one policy, in one place. Nothing
 * else in PELUKAN checks for NULL from these. */
void *pk_malloc(size_t size);
void *pk_calloc(size_t n, size_t size);
void *pk_realloc(void *ptr, size_t size);
char *pk_strdup(const char *s);
char *pk_strndup(const char *s, size_t n);
/* Formats like printf into a new string. Caller owns return value. */
char *pk_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Wall clock, UTC microseconds since the epoch. */
uint64_t pk_now_us(void);
/* Monotonic clock in microseconds, for deadlines and intervals. */
uint64_t pk_mono_us(void);

/* Writes `len` bytes of `in` as lowercase hex into `out` (2*len+1 bytes). */
void pk_hex(const void *in, size_t len, char *out);

/* Big-endian 64-bit integers, as in bus frame headers, PostgreSQL binary
 * int8 results and the audit chain. */
void pk_be64_put(uint64_t v, uint8_t out[8]);
uint64_t pk_be64_get(const void *in);

/* Reads a whole file. Caller owns *out (NUL-terminated); returns 0 or -errno. */
int pk_read_file(const char *path, char **out, size_t *len);

/* True when `v` is one of the NULL-terminated `set` (codes, keys). */
bool pk_code_in(const char *v, const char *const *set);

/* Minutes since midnight in WIB (Asia/Jakarta, UTC+7, no daylight saving). */
int pk_wib_minutes(void);
/* True when `minutes` falls in "HH:MM-HH:MM" (the end excluded, except an
 * end of 23:59, the apps' "until midnight"; a range may cross midnight); an
 * empty or malformed range contains every minute. */
bool pk_hours_contain(const char *range, int minutes);

/* An arena: allocations freed together (e.g. a command reply's results,
 * freed once the reply was sent). Start with a NULL pointer. */
typedef struct pk_arena pk_arena_t;
void *pk_arena_alloc(pk_arena_t **arena, size_t size); /* zeroed */
char *pk_arena_strdup(pk_arena_t **arena, const char *s);
void pk_arena_free(pk_arena_t **arena);

#define PK_ARRAY_LEN(a)                    (sizeof(a) / sizeof((a)[0]))
#define pk_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* True when `len` bytes are well-formed UTF-8 (Unicode Table 3-7: no
 * overlong forms, surrogates or code points above U+10FFFF) without NUL,
 * as PostgreSQL requires of text. */
bool pk_utf8_valid(const void *data, size_t len);
/* Characters (code points) of a UTF-8 string: what a length limit of the
 * API counts (JSON Schema's maxLength), not bytes. */
size_t pk_utf8_chars(const char *s);

#endif
