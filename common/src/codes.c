/* codes.c -- see codes.h. NULL-terminated, for pk_code_in(). */
#include "pelukan/codes.h"

#include <stddef.h>

const char *const pk_codes_service[] = {"pengaduan",
                                        "kesehatan",
                                        "bantuan_hukum",
                                        "penegakan_hukum",
                                        "rehabilitasi_sosial",
                                        "reintegrasi_sosial",
                                        "pemulangan",
                                        "pendampingan_tokoh_agama",
                                        NULL};
const char *const pk_codes_need[] = {"medical", "legal", "psychological", "shelter", "economic", NULL};
const char *const pk_codes_agency[] = {"uptd_ppa", "puspaga", "faskes", "polres_ppa", "lbh", NULL};
const char *const pk_codes_role[] = {"admin", "companion", "agency", "supervisor", "auditor", NULL};
