/* edge_json.c -- JSON bodies and error answers, and the checks of a
 * body's fields that the routes with code of their own use. */
#include "edge_json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pelukan/crypto.h"
#include "pelukan/log.h"
#include "pelukan/util.h"

void intake_json(pk_http_req_t *req, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(body);
    pk_http_respond(req, status, "application/json; charset=utf-8", text, strlen(text));
    free(text);
}

void intake_error(pk_http_req_t *req, int status, const char *code, const char *message, json_t *fields)
{
    {
        /* Field names only: values may be personal. */
        char names[256] = "";
        size_t n = 0;
        const char *key;
        json_t *v;
        json_object_foreach(fields, key, v)
        {
            n += (size_t)snprintf(names + n, n < sizeof names ? sizeof names - n : 0, "%s%s", n ? "," : "", key);
            if (n >= sizeof names)
                break;
        }
        pk_log_write(pk_http_log(req), status >= 500 ? PK_LOG_ERROR : PK_LOG_INFO, pk_http_request_id(req),
                     "%s %s -> %d %s%s%s", pk_http_method(req), pk_http_path(req), status, code,
                     *names ? " fields=" : "", names);
    }
    /* Every 503 says when to try again (the contract requires it); a
     * caller that knows better has set its own. */
    if (status == 503 && !pk_http_has_response_header(req, "retry-after"))
        pk_http_add_header(req, "Retry-After", "2");
    json_t *err = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (fields)
        json_object_set_new(err, "fields", fields);
    intake_json(req, status, json_pack("{s:o}", "error", err));
}

/* The first string of `v` holding U+0000, by its field's dotted path
 * ("victim.name", "needs.2"), into `path`; false when there is none. */
static bool s_nul_at(const json_t *v, char *path, size_t cap)
{
    size_t n = strlen(path);
    if (json_is_string(v))
        return strlen(json_string_value(v)) != json_string_length(v);
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item)
        {
            snprintf(path + n, cap - n, "%s%s", n ? "." : "", key);
            if (s_nul_at(item, path, cap))
                return true;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item)
        {
            snprintf(path + n, cap - n, "%s%zu", n ? "." : "", i);
            if (s_nul_at(item, path, cap))
                return true;
        }
    }
    path[n] = '\0';
    return false;
}

json_t *intake_body(pk_http_req_t *req)
{
    const char *ct = pk_http_header(req, "content-type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 || (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
        intake_error(req, 415, "unsupported_media_type", "Kirim data sebagai application/json", NULL);
        return NULL;
    }
    size_t len;
    const char *body = pk_http_body(req, &len);
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!root) {
        /* jansson's text may quote the input: answer with the position only. */
        char msg[160];
        snprintf(msg, sizeof msg, "JSON tidak valid (baris %d, kolom %d)", jerr.line, jerr.column);
        intake_error(req, 400, strstr(jerr.text, "duplicate") ? "duplicate_key" : "invalid_json", msg, NULL);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        intake_error(req, 400, "invalid_json", "Isi permintaan harus berupa objek JSON", NULL);
        return NULL;
    }
    /* "\u0000" is valid JSON (contracts review C2), but no text here may
     * hold it: PostgreSQL cannot store it, and C would cut the text short
     * there. The field is named. */
    char path[256] = "";
    if (memmem(body, len, "\\u0000", 6) && s_nul_at(root, path, sizeof path)) {
        json_decref(root);
        intake_error(req, 422, "validation_failed", "Data tidak valid",
                     json_pack("{s:s}", path, "teks tidak boleh berisi karakter NUL (\\u0000)"));
        return NULL;
    }
    return root;
}

void intake_only_fields(const json_t *body, const char *const *allowed, json_t *errors)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok)
            json_object_set_new(errors, key, json_string("tidak dikenal"));
    }
}
