/* edge_password.c -- see edge_password.h. */
#include "edge_password.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/password.h"
#include "pelukan/util.h"

#define S_PASSWORD_MIN 12
#define S_PASSWORD_MAX 256

/* A password's work on the thread pool: checked against a hash, hashed,
 * or judged (not too easy to guess). */
typedef enum { S_VERIFY, S_HASH, S_JUDGE } s_pw_mode_t;

typedef struct {
    uv_work_t work;
    edge_call_t *c;
    s_pw_mode_t mode;
    char hash[PK_PASSWORD_HASH_MAX];
    char *password;
    int rc;
    intake_pw_done_fn done; /* S_VERIFY, S_HASH */
    /* S_JUDGE: the body's field, the account's words (its login and name,
     * the asker's name), the reason when refused, what follows. */
    const char *field;
    char *words[4];
    const char *why;
    intake_pw_next_fn next;
} s_pw_job_t;

static void s_pw_work(uv_work_t *w)
{
    s_pw_job_t *j = w->data;
    if (j->mode == S_VERIFY)
        j->rc = pk_password_verify(j->hash, j->password);
    else if (j->mode == S_HASH)
        j->rc = pk_password_hash(j->password, j->hash);
    else if (pk_password_weak(j->password, (const char *const *)j->words, &j->why) == 0)
        j->why = NULL;
}

/* A judged password: `next`, or the refusal (422 with the reason on the
 * field; 503 when the work was cancelled: the edge is stopping). */
static void s_judged(s_pw_job_t *j, int status)
{
    edge_call_t *c = j->c;
    if (status == 0 && !j->why) {
        j->next(c);
        return;
    }
    if (status != 0)
        intake_error(c->req, 503, "busy", "Layanan sedang sibuk, coba lagi sebentar lagi", NULL);
    else
        intake_error(c->req, 422, "validation_failed", "Data tidak valid", json_pack("{s:s}", j->field, j->why));
    edge_call_free(c);
}

static void s_pw_after(uv_work_t *w, int status)
{
    s_pw_job_t *j = w->data;
    sodium_memzero(j->password, strlen(j->password));
    free(j->password);
    for (size_t i = 0; j->words[i]; i++)
        free(j->words[i]);
    if (j->mode == S_JUDGE)
        s_judged(j, status);
    else
        j->done(j->c, status == 0 ? j->rc : PK_ECRYPTO, j->hash);
    sodium_memzero(j->hash, sizeof j->hash);
    free(j);
}

static s_pw_job_t *s_pw_job(edge_call_t *c, s_pw_mode_t mode, const char *password)
{
    s_pw_job_t *j = pk_calloc(1, sizeof *j);
    j->c = c;
    j->mode = mode;
    j->password = pk_strdup(password);
    j->work.data = j;
    return j;
}

/* Verifies `password` against `hash` (verify) or hashes it (hash NULL) on
 * the thread pool, then calls `done` on the event loop. */
void intake_pw(edge_call_t *c, const char *hash, const char *password, intake_pw_done_fn done)
{
    s_pw_job_t *j = s_pw_job(c, hash ? S_VERIFY : S_HASH, password);
    if (hash)
        snprintf(j->hash, sizeof j->hash, "%s", hash);
    j->done = done;
    uv_queue_work(pk_service_loop(c->in->svc), &j->work, s_pw_work, s_pw_after);
}

void intake_pw_judge(edge_call_t *c, const char *field, intake_pw_next_fn next)
{
    s_pw_job_t *j = s_pw_job(c, S_JUDGE, json_string_value(json_object_get(c->body, field)));
    j->field = field;
    j->next = next;
    const char *given[] = {json_string_value(json_object_get(c->body, "login")),
                           json_string_value(json_object_get(c->body, "display_name")), c->staff_name};
    size_t n = 0;
    for (size_t i = 0; i < 3; i++)
        if (given[i] && *given[i])
            j->words[n++] = pk_strdup(given[i]);
    uv_queue_work(pk_service_loop(c->in->svc), &j->work, s_pw_work, s_pw_after);
}

/* The password in a body (12 to 256 characters when new: policy), or
 * NULL after answering 422. */
const char *intake_password_field(edge_call_t *c, const char *field, bool policy)
{
    const char *pw = json_string_value(json_object_get(c->body, field));
    size_t len = pw ? pk_utf8_chars(pw) : 0; /* characters, as the contract counts */
    if (!pw || len > S_PASSWORD_MAX || (policy && len < S_PASSWORD_MIN)) {
        char msg[96];
        snprintf(msg, sizeof msg, "wajib diisi, %d sampai %d karakter", policy ? S_PASSWORD_MIN : 1, S_PASSWORD_MAX);
        intake_error(c->req, 422, "validation_failed", "Data tidak valid", json_pack("{s:s}", field, msg));
        edge_call_free(c);
        return NULL;
    }
    return pw;
}

/* A password hashed (rc 0): the body's passwords are wiped either way; on
 * a failure the request is answered and freed, and false returned. */
bool intake_pw_hashed(edge_call_t *c, int rc)
{
    intake_wipe_passwords(c->body);
    if (rc == 0)
        return true;
    intake_error(c->req, 500, "internal", "Kata sandi tidak dapat disimpan", NULL);
    edge_call_free(c);
    return false;
}

/* Takes a password-hash slot for this request, or answers 503 with
 * Retry-After and frees the call (review M4: a login flood must neither
 * queue without end on the thread pool nor hold 64 MiB per waiting hash).
 * The slot is given back when the call is freed. */
bool intake_pw_slot(edge_call_t *c)
{
    if (c->in->pw_busy >= c->in->pw_slots) {
        pk_metric_add(c->in->m_rejected, 1);
        pk_http_add_header(c->req, "Retry-After", "1");
        intake_error(c->req, 503, "busy", "Layanan sedang sibuk, coba lagi sebentar lagi", NULL);
        edge_call_free(c);
        return false;
    }
    c->in->pw_busy++;
    c->pw_slot = true;
    return true;
}
