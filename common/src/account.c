/* account.c -- see account.h. */
#include "pelukan/account.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "pelukan/codes.h"
#include "pelukan/util.h"

int pk_phone_normalize(const char *in, char out[24])
{
    char digits[32];
    size_t n = 0;
    bool plus = false;
    for (const char *p = in; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (n + 1 >= sizeof digits)
                return PK_EINVAL;
            digits[n++] = *p;
        } else if (*p == '+' && n == 0 && !plus) {
            plus = true;
        } else if (!strchr(" -.()", *p)) {
            return PK_EINVAL;
        }
    }
    digits[n] = '\0';
    const char *national; /* after the country code, starting with 8 */
    if (!plus && digits[0] == '0')
        national = digits + 1;
    else if (strncmp(digits, "62", 2) == 0)
        national = digits + 2;
    else
        return PK_EINVAL;
    size_t len = strlen(national);
    /* +628 then 8 to 11 digits. */
    if (national[0] != '8' || len < 9 || len > 12)
        return PK_EINVAL;
    memcpy(out, "+62", 3);
    memcpy(out + 3, national, len + 1); /* len <= 12: fits in 24 */
    return 0;
}

int pk_account_check(const json_t *body, json_t *errors)
{
    static const char *const keys[] = {"login",    "display_name", "role",  "agency_code",
                                       "password", "email",        "phone", NULL};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        bool known = false;
        for (const char *const *k = keys; *k; k++)
            known = known || strcmp(*k, key) == 0;
        if (!known)
            json_object_set_new(errors, key, json_string("tidak dikenal"));
    }
    const char *login = json_string_value(json_object_get(body, "login"));
    size_t n = login ? strlen(login) : 0;
    if (n < 3 || n > 64 || strspn(login, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
        json_object_set_new(errors, "login", json_string("3-64 karakter: huruf kecil, angka, titik, garis"));
    const char *name = json_string_value(json_object_get(body, "display_name"));
    if (!name || !*name || pk_utf8_chars(name) > 100)
        json_object_set_new(errors, "display_name", json_string("wajib diisi, paling banyak 100 karakter"));
    const char *role = json_string_value(json_object_get(body, "role"));
    bool known = pk_code_in(role, pk_codes_role), agency_role = known && strcmp(role, "agency") == 0;
    if (!known)
        json_object_set_new(errors, "role", json_string("admin, companion, agency, supervisor atau auditor"));
    const char *agency = json_string_value(json_object_get(body, "agency_code"));
    if (agency_role && (!agency || !*agency || strlen(agency) > 31))
        json_object_set_new(errors, "agency_code", json_string("wajib untuk peran agency"));
    if (known && !agency_role && json_object_get(body, "agency_code"))
        json_object_set_new(errors, "agency_code", json_string("hanya untuk peran agency"));
    json_t *email = json_object_get(body, "email");
    const char *e = json_string_value(email);
    if (email && (!e || strlen(e) > 254 || !strchr(e, '@') || strchr(e, '@') == e || !strchr(e, '@')[1] ||
                  strpbrk(e, " \t\r\n<>,;\"") || strchr(strchr(e, '@') + 1, '@')))
        json_object_set_new(errors, "email", json_string("alamat e-mail"));
    /* A staff member's own mobile: a new visit is texted to a companion, an
     * urgent report to an admin on duty (issue 22 §1, §3). */
    json_t *phone = json_object_get(body, "phone");
    char e164[24];
    if (phone && (!json_is_string(phone) || pk_phone_normalize(json_string_value(phone), e164) != 0))
        json_object_set_new(errors, "phone", json_string("nomor HP Indonesia, mis. 0812-3456-7890"));
    return json_object_size(errors) ? PK_EINVAL : 0;
}
