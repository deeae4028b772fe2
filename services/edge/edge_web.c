/* edge_web.c -- the web apps, served at / from PELUKAN_INTAKE_WEB_DIR
 * (what `make all` builds into build/web). The files are read once at
 * start-up and kept in memory (a few hundred kilobytes). Hashed assets are
 * cached for good; the page, the service worker and the manifests are
 * looked up again each time, so that an update reaches every phone. A path
 * that is no file and looks like a page of the app gets the app's page
 * (the app routes itself); anything else is a 404. Every answer carries a
 * Content-Security-Policy that allows our own origin and, for images, the
 * map tile server only. A file built with compressed copies beside it
 * (x.js.br, x.js.gz: web/scripts/compress.mjs) is sent compressed to a
 * browser that accepts it (Accept-Encoding), Brotli first. Also the
 * deployment's settings for the apps and the reference data. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "edge_web.h"

#include "edge.h"
#include "edge_json.h"
#include "pelukan/util.h"

typedef struct s_file {
    char *path; /* "/assets/index-3f2a.js" */
    char *body;
    size_t len;
    const char *type;
    const char *cache;
    const struct s_file *br, *gz; /* its compressed copies, if built */
    struct s_file *next;
} s_file_t;

struct intake_web {
    s_file_t *files;
    int count;
    size_t bytes;
    char *csp;
    char *config_json;
    char *assetlinks; /* /.well-known/assetlinks.json, or NULL */
};

static const char *s_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".webmanifest", "application/manifest+json"},
        {".json", "application/json; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
        {".ico", "image/x-icon"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < PK_ARRAY_LEN(types); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* Hashed build output never changes under its name; the rest may. */
static const char *s_cache(const char *path)
{
    if (strncmp(path, "/assets/", 8) == 0)
        return "public, max-age=31536000, immutable";
    return "no-cache";
}

static void s_load_dir(intake_web_t *w, const char *root, const char *rel, int depth)
{
    char *dir = pk_asprintf("%s%s", root, rel);
    DIR *d = depth < 4 ? opendir(dir) : NULL;
    free(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char *sub = pk_asprintf("%s/%s", rel, e->d_name);
        char *full = pk_asprintf("%s%s", root, sub);
        struct stat st;
        bool found = stat(full, &st) == 0;
        if (found && S_ISDIR(st.st_mode)) {
            s_load_dir(w, root, sub, depth + 1);
        } else if (found && S_ISREG(st.st_mode) && st.st_size < 8 * 1024 * 1024) {
            s_file_t *f = pk_calloc(1, sizeof *f);
            if (pk_read_file(full, &f->body, &f->len) == 0) {
                f->path = pk_strdup(sub);
                f->type = s_type(sub);
                f->cache = s_cache(sub);
                f->next = w->files;
                w->files = f;
                w->count++;
                w->bytes += f->len;
            } else {
                free(f);
            }
        }
        free(full);
        free(sub);
    }
    closedir(d);
}

/* Each compressed copy (x.br, x.gz) joins the file it is a copy of. */
static void s_link_encodings(intake_web_t *w)
{
    for (s_file_t *f = w->files; f; f = f->next) {
        size_t n = strlen(f->path);
        bool br = n > 3 && strcmp(f->path + n - 3, ".br") == 0, gz = n > 3 && strcmp(f->path + n - 3, ".gz") == 0;
        if (!br && !gz)
            continue;
        for (s_file_t *base = w->files; base; base = base->next)
            if (strlen(base->path) == n - 3 && strncmp(base->path, f->path, n - 3) == 0) {
                if (br)
                    base->br = f;
                else
                    base->gz = f;
            }
    }
}

/* Whether Accept-Encoding `ae` takes `coding` (a token without q=0). */
static bool s_accepts(const char *ae, const char *coding)
{
    size_t cl = strlen(coding);
    for (const char *p = ae; p && *p;) {
        p += strspn(p, " \t,");
        size_t tl = strcspn(p, " \t,;");
        const char *end = p + strcspn(p, ",");
        if (tl == cl && strncasecmp(p, coding, cl) == 0) {
            const char *q = strstr(p, "q=");
            bool zero = q && q < end && strtod(q + 2, NULL) == 0.0;
            return !zero;
        }
        p = *end ? end + 1 : end;
    }
    return false;
}

/* The origin (scheme://host[:port]) of a tile URL template, or "". */
static char *s_origin(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return pk_strdup("");
    const char *end = strchr(p + 3, '/');
    return pk_strndup(url, end ? (size_t)(end - url) : strlen(url));
}

bool intake_help_number_ok(const char *number)
{
    const char *d = number[0] == '+' ? number + 1 : number;
    size_t n = strspn(d, "0123456789");
    return !number[0] || (d[n] == '\0' && n >= 2 && n <= 15);
}

bool intake_android_package_ok(const char *p)
{
    /* Java package rules: two or more dot-separated parts, each a letter
     * then letters, digits or underscores. */
    int parts = 0;
    for (const char *s = p; *s;) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return false;
        while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')
            s++;
        parts++;
        if (*s == '.' && s[1])
            s++;
        else if (*s)
            return false;
    }
    return parts >= 2;
}

bool intake_cert_fingerprints_ok(const char *list)
{
    /* SHA-256 as keytool prints it: 32 bytes in upper-case hex, separated
     * by colons; several (the upload key and Play's signing key) separated
     * by commas. */
    const char *s = list;
    do {
        for (int i = 0; i < 32; i++, s += 3) {
            if (!strchr("0123456789ABCDEF", s[0]) || !s[0] || !strchr("0123456789ABCDEF", s[1]) || !s[1])
                return false;
            if (i < 31 && s[2] != ':')
                return false;
        }
        s--; /* at the byte after the last pair */
    } while (*s == ',' && *++s);
    return *s == '\0';
}

/* The Digital Asset Links statement that lets the Play Store app (a
 * Trusted Web Activity) open this origin full screen; NULL when no app is
 * configured. */
static char *s_assetlinks(const char *package, const char *fingerprints)
{
    if (!package[0] || !fingerprints[0])
        return NULL;
    json_t *fps = json_array();
    char *copy = pk_strdup(fingerprints), *save = NULL;
    for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save))
        json_array_append_new(fps, json_string(f));
    free(copy);
    json_t *doc =
        json_pack("[{s:[s], s:{s:s, s:s, s:o}}]", "relation", "delegate_permission/common.handle_all_urls", "target",
                  "namespace", "android_app", "package_name", package, "sha256_cert_fingerprints", fps);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

intake_web_t *intake_web_new(const char *dir, const char *tile_url, const char *tile_attribution,
                             const intake_help_t *help, const intake_android_t *android, const pk_log_t *log)
{
    intake_web_t *w = pk_calloc(1, sizeof *w);
    w->assetlinks = s_assetlinks(android->package, android->fingerprints);
    if (dir && *dir)
        s_load_dir(w, dir, "", 0);
    s_link_encodings(w);
    char *origin = s_origin(tile_url);
    w->csp = pk_asprintf("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: %s;"
                         " connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none';"
                         " base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                         origin);
    free(origin);
    json_t *cfg = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "tile_url", tile_url, "tile_attribution",
                            tile_attribution, "help", "emergency", help->emergency, "police", help->police, "sapa",
                            help->sapa, "sapa_whatsapp", help->sapa_whatsapp, "office", help->office);
    w->config_json = json_dumps(cfg, JSON_COMPACT);
    json_decref(cfg);
    if (w->count)
        pk_log_info(log, "web app: %d files (%zu bytes) from %s, at /", w->count, w->bytes, dir);
    else
        pk_log_info(log, "web app: none at %s (build it with make all); / answers 404", dir && *dir ? dir : "(unset)");
    return w;
}

void intake_web_destroy(intake_web_t **w_p)
{
    if (!w_p || !*w_p)
        return;
    intake_web_t *w = *w_p;
    *w_p = NULL;
    for (s_file_t *f = w->files, *next; f; f = next) {
        next = f->next;
        free(f->path);
        free(f->body);
        free(f);
    }
    free(w->csp);
    free(w->config_json);
    free(w->assetlinks);
    free(w);
}

static const s_file_t *s_find(const intake_web_t *w, const char *path)
{
    for (const s_file_t *f = w->files; f; f = f->next)
        if (strcmp(f->path, path) == 0)
            return f;
    return NULL;
}

/* GET / and every path no API route has. */
void intake_web_serve(pk_http_req_t *req, void *arg)
{
    const intake_web_t *w = arg;
    const char *path = pk_http_path(req);
    const s_file_t *f = s_find(w, strcmp(path, "/") == 0 ? "/index.html" : path);
    /* A page of an app (no file extension, not the API): that app's page,
     * the staff's under /staff, the reporter's elsewhere. */
    const char *last = strrchr(path, '/');
    bool staff = strncmp(path, "/staff", 6) == 0 && (path[6] == '\0' || path[6] == '/');
    if (!f && strncmp(path, "/v1/", 4) != 0 && last && !strchr(last, '.'))
        f = s_find(w, staff ? "/staff/index.html" : "/index.html");
    if (!f) {
        intake_error(req, 404, "not_found", "Alamat tidak ditemukan", NULL);
        return;
    }
    pk_http_cache(req, f->cache);
    pk_http_csp(req, w->csp);
    const char *ae = pk_http_header(req, "accept-encoding");
    const s_file_t *body = f;
    if (f->br || f->gz)
        pk_http_add_header(req, "Vary", "Accept-Encoding");
    if (ae && f->br && s_accepts(ae, "br"))
        body = f->br;
    else if (ae && f->gz && s_accepts(ae, "gzip"))
        body = f->gz;
    if (body != f)
        pk_http_add_header(req, "Content-Encoding", body == f->br ? "br" : "gzip");
    pk_http_respond(req, 200, f->type, body->body, body->len);
}

/* GET /.well-known/assetlinks.json: the Play Store app's statement (404
 * when the deployment has no app). */
void intake_web_assetlinks(pk_http_req_t *req, void *arg)
{
    const edge_t *in = arg;
    if (!in->web->assetlinks) {
        intake_error(req, 404, "not_found", "Tidak ada aplikasi Android untuk layanan ini", NULL);
        return;
    }
    pk_http_cache(req, "public, max-age=3600");
    pk_http_respond(req, 200, "application/json", in->web->assetlinks, strlen(in->web->assetlinks));
}

/* GET /v1/app-config: what the app needs to know of this deployment. */
void intake_web_config(pk_http_req_t *req, void *arg)
{
    const edge_t *in = arg;
    pk_http_cache(req, "no-cache");
    pk_http_respond(req, 200, "application/json; charset=utf-8", in->web->config_json, strlen(in->web->config_json));
}

/* GET /v1/catalog and GET /v1/regions: the reference data, read at start
 * (intake_reference.c); it names no one, so anyone may cache it. */
static void s_serve(pk_http_req_t *req, const char *json)
{
    pk_http_cache(req, "public, max-age=3600");
    pk_http_respond(req, 200, "application/json; charset=utf-8", json, strlen(json));
}

void intake_reference_catalog(pk_http_req_t *req, void *arg)
{
    s_serve(req, ((const edge_t *)arg)->catalog_json);
}

void intake_reference_regions(pk_http_req_t *req, void *arg)
{
    s_serve(req, ((const edge_t *)arg)->regions_json);
}
