/* error.c -- names and messages of the PK_E* result codes. */
#include "pelukan/error.h"

const char *pk_strerror(int code)
{
    switch (code) {
    case PK_OK:
        return "success";
#define PK_ERRNO_MSG(name, msg)                                                                                        \
    case PK_E##name:                                                                                                   \
        return msg;
        PK_ERRNO_MAP(PK_ERRNO_MSG)
#undef PK_ERRNO_MSG
    default:
        return "unknown error";
    }
}

const char *pk_errname(int code)
{
    switch (code) {
    case PK_OK:
        return "OK";
#define PK_ERRNO_NAME(name, msg)                                                                                       \
    case PK_E##name:                                                                                                   \
        return "E" #name;
        PK_ERRNO_MAP(PK_ERRNO_NAME)
#undef PK_ERRNO_NAME
    default:
        return "EUNKNOWN";
    }
}
