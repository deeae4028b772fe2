/* password.c -- whether a new staff password is too easy to guess (see
 * pelukan/password.h). The estimate is zxcvbn's (Dropbox's, in its C port):
 * the guesses an attacker who knows the common passwords, English words,
 * names, keyboard patterns, dates, repeats and sequences would need. */
#include "pelukan/password.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zxcvbn.h>

/* Words that zxcvbn's English dictionaries lack and that a password here
 * is likely built on: the service's and the district's names, and the
 * commonest Indonesian password words. */
static const char *const s_local_words[] = {
    "pelukan", "tasikmalaya", "tasik",     "dinsos",     "sapa",          "uptd",    "puspaga",   "pendamping",
    "admin",   "sayang",      "sayangku",  "sayangkamu", "akusayangkamu", "aku",     "kamu",      "cinta",
    "cintaku", "bismillah",   "indonesia", "merdeka",    "katasandi",     "rahasia", "rahasiaku", "bandung",
    "jakarta", "sunda",       NULL,
};

/* Log2 of 10^8 guesses: zxcvbn's "safely unguessable" (its score 3). */
#define S_MIN_BITS 26.6

int pk_password_weak(const char *password, const char *const *account_words, const char **why)
{
    const char *words[64];
    size_t n = 0;
    for (const char *const *w = s_local_words; *w && n < 40; w++)
        words[n++] = *w;
    char parts[8][64];
    size_t nparts = 0;
    /* The account's own words, whole and split at what is not a letter or
     * digit ("budi.santoso": "budi", "santoso"), lower case. */
    for (const char *const *w = account_words; w && *w && nparts < 8; w++) {
        const char *p = *w;
        while (*p && nparts < 8) {
            size_t len = 0;
            while (p[len] && isalnum((unsigned char)p[len]))
                len++;
            if (len >= 3 && len < sizeof parts[0]) {
                for (size_t i = 0; i < len; i++)
                    parts[nparts][i] = (char)tolower((unsigned char)p[i]);
                parts[nparts][len] = '\0';
                words[n++] = parts[nparts++];
            }
            p += len;
            while (*p && !isalnum((unsigned char)*p))
                p++;
        }
    }
    words[n] = NULL;
    double bits = ZxcvbnMatch(password, words, NULL);
    if (why)
        *why = bits < S_MIN_BITS ? "terlalu mudah ditebak (kata umum, nama, tanggal, urutan atau pola papan ketik); "
                                   "pakai beberapa kata yang tidak berhubungan"
                                 : NULL;
    return bits < S_MIN_BITS ? PK_EINVAL : 0;
}
