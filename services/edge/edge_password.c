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

typedef struct {
    uv_work_t work;
    edge_call_t *c;
    bool verify;
    char hash[PK_PASSWORD_HASH_MAX];
    char *password;
    int rc;
    intake_pw_done_fn done;
} s_pw_job_t;

static void s_pw_work(uv_work_t *w)
{
    s_pw_job_t *j = w->data;
    j->rc = j->verify ? pk_password_verify(j->hash, j->password) : pk_password_hash(j->password, j->hash);
}

static void s_pw_after(uv_work_t *w, int status)
{
    s_pw_job_t *j = w->data;
    sodium_memzero(j->password, strlen(j->password));
    free(j->password);
    j->done(j->c, status == 0 ? j->rc : PK_ECRYPTO, j->hash);
    sodium_memzero(j->hash, sizeof j->hash);
    free(j);
}

/* Verifies `password` against `hash` (verify) or hashes it (hash NULL) on
 * the thread pool, then calls `done` on the event loop. */
void intake_pw(edge_call_t *c, const char *hash, const char *password, intake_pw_done_fn done)
{
    s_pw_job_t *j = pk_calloc(1, sizeof *j);
    j->c = c;
    j->verify = hash != NULL;
    if (hash)
        snprintf(j->hash, sizeof j->hash, "%s", hash);
    j->password = pk_strdup(password);
    j->done = done;
    j->work.data = j;
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

typedef struct {
    uv_work_t work;
    edge_call_t *c;
    const char *field;
    char *password;
    char *words[4]; /* the account's: its login and name, the asker's name */
    const char *why;
    intake_pw_next_fn next;
} s_judge_t;

static void s_judge_work(uv_work_t *w)
{
    s_judge_t *j = w->data;
    if (pk_password_weak(j->password, (const char *const *)j->words, &j->why) == 0)
        j->why = NULL;
}

static void s_judge_after(uv_work_t *w, int status)
{
    s_judge_t *j = w->data;
    sodium_memzero(j->password, strlen(j->password));
    free(j->password);
    for (size_t i = 0; j->words[i]; i++)
        free(j->words[i]);
    edge_call_t *c = j->c;
    if (status != 0) { /* cancelled: the edge is stopping */
        intake_error(c->req, 503, "busy", "Layanan sedang sibuk, coba lagi sebentar lagi", NULL);
        edge_call_free(c);
    } else if (j->why) {
        intake_error(c->req, 422, "validation_failed", "Data tidak valid", json_pack("{s:s}", j->field, j->why));
        edge_call_free(c);
    } else {
        j->next(c);
    }
    free(j);
}

void intake_pw_judge(edge_call_t *c, const char *field, intake_pw_next_fn next)
{
    s_judge_t *j = pk_calloc(1, sizeof *j);
    j->c = c;
    j->field = field;
    j->next = next;
    j->password = pk_strdup(json_string_value(json_object_get(c->body, field)));
    const char *given[] = {json_string_value(json_object_get(c->body, "login")),
                           json_string_value(json_object_get(c->body, "display_name")), c->staff_name};
    size_t n = 0;
    for (size_t i = 0; i < 3; i++)
        if (given[i] && *given[i])
            j->words[n++] = pk_strdup(given[i]);
    j->work.data = j;
    uv_queue_work(pk_service_loop(c->in->svc), &j->work, s_judge_work, s_judge_after);
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
