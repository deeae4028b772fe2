/* error.h -- result codes shared by every PELUKAN module. */
#ifndef PELUKAN_ERROR_H
#define PELUKAN_ERROR_H

/* Functions that can fail return 0 or one of these negative codes. One table
 * generates the enum and its message, so the two never drift apart. */
#define PK_ERRNO_MAP(X)                                                                                                \
    X(INVAL, "invalid argument or malformed value")                                                                    \
    X(NOENT, "not found")                                                                                              \
    X(IO, "input/output error")                                                                                        \
    X(DB, "database error")                                                                                            \
    X(DBCONN, "database connection lost")                                                                              \
    X(CHECKSUM, "applied migration changed")                                                                           \
    X(CRYPTO, "decryption or authentication failed")                                                                   \
    X(KEY, "key missing or malformed")                                                                                 \
    X(CONFIG, "configuration error")                                                                                   \
    X(TOOBIG, "message too large")                                                                                     \
    X(DECODE, "message does not decode")                                                                               \
    X(TIMEOUT, "deadline exceeded")                                                                                    \
    X(CONFLICT, "conflict")                                                                                            \
    X(BUSY, "busy, try again")                                                                                         \
    X(CLOSED, "closed")                                                                                                \
    X(TRUNCATED, "requested data is older than the retention")                                                         \
    X(SYS, "system call failed")

typedef enum {
    PK_OK = 0,
#define PK_ERRNO_ENUM(name, msg) PK_E##name,
    PK_ERRNO_BASE_ = -1000,
    PK_ERRNO_MAP(PK_ERRNO_ENUM)
#undef PK_ERRNO_ENUM
        PK_ERRNO_END_
} pk_errno_t;

/* Returns a static English description of `code` (0 or a PK_E* value). */
const char *pk_strerror(int code);

/* Returns the short name of `code`, e.g. "EINVAL". */
const char *pk_errname(int code);

#define PK_MUST_CHECK __attribute__((warn_unused_result))

#endif
