/* intake_report.c -- report validation and the rules around it. */
#include "intake_report.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pelukan/util.h"

struct intake_catalog {
    char **entries; /* "kind:code" */
    size_t count;
};

intake_catalog_t *intake_catalog_new(void)
{
    return pk_calloc(1, sizeof(intake_catalog_t));
}

void intake_catalog_destroy(intake_catalog_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (size_t i = 0; i < (*self_p)->count; i++)
        free((*self_p)->entries[i]);
    free((*self_p)->entries);
    free(*self_p);
    *self_p = NULL;
}

/* An entry is "kind:code", a NUL, then its label. */
void intake_catalog_add(intake_catalog_t *self, const char *kind, const char *code, const char *label)
{
    self->entries = pk_realloc(self->entries, (self->count + 1) * sizeof *self->entries);
    size_t head = strlen(kind) + 1 + strlen(code) + 1, len = head + strlen(label) + 1;
    char *e = pk_malloc(len);
    snprintf(e, head, "%s:%s", kind, code);
    memcpy(e + head, label, strlen(label) + 1);
    self->entries[self->count++] = e;
}

const char *intake_catalog_label(const intake_catalog_t *self, const char *kind, const char *code)
{
    size_t kl = strlen(kind);
    for (size_t i = 0; i < self->count; i++) {
        const char *e = self->entries[i];
        if (strncmp(e, kind, kl) == 0 && e[kl] == ':' && strcmp(e + kl + 1, code) == 0)
            return e + strlen(e) + 1;
    }
    return NULL;
}

bool intake_catalog_has(const intake_catalog_t *self, const char *kind, const char *code)
{
    return intake_catalog_label(self, kind, code) != NULL;
}

int intake_parse_time(const char *text, int64_t *out)
{
    /* RFC 3339 date-time: seconds optional (a common client shortcut),
     * fractions of a second (what JavaScript's toISOString writes) and a
     * lower-case t or z accepted; the fraction is dropped. */
    int y, mo, d, h, mi, s = 0, consumed = 0;
    char t;
    if (sscanf(text, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &t, &h, &mi, &consumed) != 6 || (t != 'T' && t != 't') ||
        consumed != 16)
        return PK_EINVAL;
    const char *p = text + consumed;
    if (*p == ':') {
        if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
            return PK_EINVAL;
        s = (p[1] - '0') * 10 + (p[2] - '0');
        p += 3;
        if (*p == '.') {
            size_t digits = strspn(p + 1, "0123456789");
            if (digits == 0 || digits > 9)
                return PK_EINVAL;
            p += 1 + digits;
        }
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        if (strlen(p) != 6 || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) || p[3] != ':' ||
            !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
            return PK_EINVAL;
        int oh = (p[1] - '0') * 10 + (p[2] - '0'), om = (p[4] - '0') * 10 + (p[5] - '0');
        if (oh > 14 || om > 59)
            return PK_EINVAL;
        offset = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return PK_EINVAL;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || y < 1900)
        return PK_EINVAL;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
    time_t tt = timegm(&tm);
    if (tm.tm_mday != d) /* 31 February and friends */
        return PK_EINVAL;
    *out = (int64_t)tt - offset;
    return 0;
}

static void s_err(json_t *errors, const char *field, const char *message)
{
    if (!json_object_get(errors, field))
        json_object_set_new(errors, field, json_string(message));
}

/* Rejects keys that the API does not define: a typo must not be ignored. */
static void s_only(const json_t *obj, const char *prefix, const char *const *allowed, json_t *errors)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            char field[96];
            snprintf(field, sizeof field, "%s%.60s", prefix, key);
            s_err(errors, field, "tidak dikenal");
        }
    }
}

/* Reads an optional string; wrong type or too long is an error. */
static const char *s_str(const json_t *obj, const char *key, const char *field, size_t max, bool required,
                         json_t *errors)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            s_err(errors, field, "wajib diisi");
        return NULL;
    }
    if (!json_is_string(v)) { /* null too: a field left out is absent, not null */
        s_err(errors, field, "harus berupa teks");
        return NULL;
    }
    if (json_string_length(v) == 0 && required) {
        s_err(errors, field, "wajib diisi");
        return NULL;
    }
    if (pk_utf8_chars(json_string_value(v)) > max) {
        s_err(errors, field, "terlalu panjang");
        return NULL;
    }
    return json_string_value(v);
}

static bool s_bool(const json_t *obj, const char *key, const char *field, json_t *errors)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return false;
    if (!json_is_boolean(v)) {
        s_err(errors, field, "harus true atau false");
        return false;
    }
    return json_is_true(v);
}

static void s_code(const intake_catalog_t *cat, const char *kind, const char *value, const char *field, char *dst,
                   size_t dstlen, json_t *errors)
{
    if (!value)
        return;
    if (!intake_catalog_has(cat, kind, value) || strlen(value) >= dstlen) {
        s_err(errors, field, "kode tidak dikenal");
        return;
    }
    snprintf(dst, dstlen, "%s", value);
}

static const json_t *s_obj(const json_t *body, const char *key, bool required, json_t *errors)
{
    json_t *v = json_object_get(body, key);
    if (!v) {
        if (required)
            s_err(errors, key, "wajib diisi");
        return NULL;
    }
    if (!json_is_object(v)) { /* null too (contracts review B6) */
        s_err(errors, key, "harus berupa objek");
        return NULL;
    }
    return v;
}

static const char *s_band_of_age(json_int_t age)
{
    return age <= 5    ? "0-5"
           : age <= 12 ? "6-12"
           : age <= 17 ? "13-17"
           : age <= 24 ? "18-24"
           : age <= 44 ? "25-44"
           : age <= 59 ? "45-59"
                       : "60+";
}

int intake_safety_check(const json_t *safety, const intake_catalog_t *cat, const char *prefix, json_t *errors)
{
    size_t before = json_object_size(errors);
    char f[96];
    static const char *const keys[] = {"safe_hours", "safe_channel", "phone_monitored", "notes", NULL};
    s_only(safety, prefix, keys, errors);
    snprintf(f, sizeof f, "%ssafe_hours", prefix);
    const char *hours = s_str(safety, "safe_hours", f, 11, false, errors);
    int h1, m1, h2, m2, used = 0;
    if (hours && (sscanf(hours, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &used) != 4 || hours[used] || h1 > 23 ||
                  h2 > 24 || m1 > 59 || m2 > 59))
        s_err(errors, f, "format HH:MM-HH:MM (WIB)");
    snprintf(f, sizeof f, "%ssafe_channel", prefix);
    const char *channel = s_str(safety, "safe_channel", f, 16, false, errors);
    char tmp[16];
    s_code(cat, "safe_channel", channel, f, tmp, sizeof tmp, errors);
    snprintf(f, sizeof f, "%sphone_monitored", prefix);
    s_bool(safety, "phone_monitored", f, errors);
    snprintf(f, sizeof f, "%snotes", prefix);
    s_str(safety, "notes", f, 500, false, errors);
    return json_object_size(errors) == before ? 0 : PK_EINVAL;
}

/* Who reports. */
static void s_reporter(const json_t *rep, const intake_catalog_t *cat, intake_report_t *out, json_t *errors)
{
    static const char *const keys[] = {"kind", "relation", NULL};
    s_only(rep, "reporter.", keys, errors);
    const char *kind = s_str(rep, "kind", "reporter.kind", 16, true, errors);
    if (kind && strcmp(kind, "victim") != 0 && strcmp(kind, "witness") != 0)
        s_err(errors, "reporter.kind", "harus 'victim' atau 'witness'");
    else if (kind)
        snprintf(out->reporter_kind, sizeof out->reporter_kind, "%s", kind);
    const char *rel = s_str(rep, "relation", "reporter.relation", 32, kind && !strcmp(kind, "witness"), errors);
    s_code(cat, "relation", rel, "reporter.relation", out->witness_relation, sizeof out->witness_relation, errors);
}

/* The victim's age: a number, a band, or only "a child"; they must agree. */
static void s_victim_age(const json_t *victim, const intake_catalog_t *cat, intake_report_t *out, json_t *errors)
{
    json_t *age = json_object_get(victim, "age");
    const char *band = s_str(victim, "age_band", "victim.age_band", 8, false, errors);
    s_code(cat, "age_band", band, "victim.age_band", out->age_band, sizeof out->age_band, errors);
    if (age) {
        if (!json_is_integer(age) || json_integer_value(age) < 0 || json_integer_value(age) > 120)
            s_err(errors, "victim.age", "harus bilangan bulat 0-120");
        else if (band && strcmp(band, s_band_of_age(json_integer_value(age))) != 0)
            s_err(errors, "victim.age_band", "tidak sesuai dengan umur");
        else
            snprintf(out->age_band, sizeof out->age_band, "%s", s_band_of_age(json_integer_value(age)));
    }
    bool band_child = out->age_band[0] && (strcmp(out->age_band, "0-5") == 0 || strcmp(out->age_band, "6-12") == 0 ||
                                           strcmp(out->age_band, "13-17") == 0);
    json_t *child = json_object_get(victim, "child");
    if (child && !json_is_boolean(child))
        s_err(errors, "victim.child", "harus true atau false");
    else if (child && json_is_boolean(child) && out->age_band[0] && json_is_true(child) != band_child)
        s_err(errors, "victim.child", "tidak sesuai dengan umur");
    out->child = out->age_band[0] ? band_child : child && json_is_true(child);
    if (!out->age_band[0] && !child)
        s_err(errors, "victim.child", "isi umur, kelompok umur, atau anak/dewasa");
}

/* The victim. Her name goes to `personal`, sealed with the report. */
static void s_victim(const json_t *victim, const intake_catalog_t *cat, intake_report_t *out, json_t *personal,
                     json_t *errors)
{
    static const char *const keys[] = {"sex", "age", "age_band", "child", "disability", "name", NULL};
    s_only(victim, "victim.", keys, errors);
    const char *sex = s_str(victim, "sex", "victim.sex", 1, false, errors);
    if (sex && strcmp(sex, "F") != 0 && strcmp(sex, "M") != 0)
        s_err(errors, "victim.sex", "harus 'F' atau 'M'");
    else if (sex)
        snprintf(out->victim_sex, sizeof out->victim_sex, "%s", sex);
    s_victim_age(victim, cat, out, errors);
    out->disability = s_bool(victim, "disability", "victim.disability", errors);
    const char *name = s_str(victim, "name", "victim.name", 200, false, errors);
    if (name)
        json_object_set_new(personal, "victim_name", json_string(name));
}

/* What happened: the forms of violence, each once. */
static void s_forms(const json_t *forms, const intake_catalog_t *cat, intake_report_t *out, json_t *errors)
{
    if (!json_is_array(forms) || json_array_size(forms) == 0) {
        s_err(errors, "violence_forms", "pilih satu atau lebih bentuk kekerasan");
        return;
    }
    if (json_array_size(forms) > INTAKE_MAX_FORMS) {
        s_err(errors, "violence_forms", "terlalu banyak");
        return;
    }
    size_t i;
    json_t *f;
    json_array_foreach(forms, i, f)
    {
        if (!json_is_string(f) || !intake_catalog_has(cat, "violence_form", json_string_value(f))) {
            s_err(errors, "violence_forms", "kode tidak dikenal");
            return;
        }
        bool dup = false;
        for (int k = 0; k < out->nforms; k++)
            dup = dup || strcmp(out->forms[k], json_string_value(f)) == 0;
        if (!dup)
            snprintf(out->forms[out->nforms++], sizeof out->forms[0], "%s", json_string_value(f));
    }
}

/* When: a time with its zone, not in the future (five minutes of clock
 * skew allowed). */
static void s_incident(const json_t *incident, int64_t now, intake_report_t *out, json_t *errors)
{
    static const char *const keys[] = {"at", "approximate", NULL};
    s_only(incident, "incident.", keys, errors);
    const char *at = s_str(incident, "at", "incident.at", 40, false, errors);
    if (at && intake_parse_time(at, &out->incident_at) != 0)
        s_err(errors, "incident.at", "format waktu ISO 8601 dengan zona, mis. 2026-11-27T20:00:00+07:00");
    else if (at && out->incident_at > now + 300)
        s_err(errors, "incident.at", "tidak boleh di masa depan");
    out->incident_approx = s_bool(incident, "approximate", "incident.approximate", errors);
}

/* Coordinates, both or neither, inside Indonesia; they go to `personal`. */
static void s_coords(const json_t *lat, const json_t *lon, intake_report_t *out, json_t *personal, json_t *errors)
{
    if (!json_is_number(lat) || !json_is_number(lon)) {
        s_err(errors, "location.lat", "lat dan lon harus angka, keduanya");
        return;
    }
    out->lat = json_number_value(lat);
    out->lon = json_number_value(lon);
    /* Indonesia's bounding box. */
    if (!isfinite(out->lat) || !isfinite(out->lon) || out->lat < -11.5 || out->lat > 6.5 || out->lon < 94.5 ||
        out->lon > 141.5) {
        s_err(errors, "location.lat", "di luar wilayah Indonesia");
        return;
    }
    out->has_coords = true;
    json_object_set_new(personal, "lat", json_real(out->lat));
    json_object_set_new(personal, "lon", json_real(out->lon));
}

/* Where: coordinates and/or a region of Kabupaten Tasikmalaya. */
static void s_location(const json_t *loc, const intake_catalog_t *cat, intake_report_t *out, json_t *personal,
                       json_t *errors)
{
    static const char *const keys[] = {"lat", "lon", "kecamatan_code", "desa_code", "address", NULL};
    s_only(loc, "location.", keys, errors);
    json_t *lat = json_object_get(loc, "lat"), *lon = json_object_get(loc, "lon");
    if (lat || lon)
        s_coords(lat, lon, out, personal, errors);
    const char *kec = s_str(loc, "kecamatan_code", "location.kecamatan_code", 15, false, errors);
    s_code(cat, "kecamatan", kec, "location.kecamatan_code", out->kecamatan, sizeof out->kecamatan, errors);
    const char *desa = s_str(loc, "desa_code", "location.desa_code", 19, false, errors);
    if (desa) {
        /* A desa of Kabupaten Tasikmalaya (Kepmendagri), in the kecamatan
         * given. */
        size_t kl = strlen(out->kecamatan);
        bool inside = kl && strncmp(desa, out->kecamatan, kl) == 0 && desa[kl] == '.';
        if (!inside)
            s_err(errors, "location.desa_code", "kode desa tidak sesuai kecamatan");
        else
            s_code(cat, "desa", desa, "location.desa_code", out->desa, sizeof out->desa, errors);
    }
    const char *addr = s_str(loc, "address", "location.address", 500, false, errors);
    if (addr)
        json_object_set_new(personal, "address", json_string(addr));
    if (!lat && !lon && !kec)
        s_err(errors, "location", "isi koordinat atau kode kecamatan");
    /* A place must be one the district can reach: coordinates outside
     * Kabupaten Tasikmalaya (7 02'-7 50' S, 107 54'-108 26' E, with
     * about 5 km to spare for GPS) need a kecamatan of it, which then
     * says where the case is. */
    if (out->has_coords && !kec && (out->lat < -7.90 || out->lat > -6.98 || out->lon < 107.85 || out->lon > 108.49))
        s_err(errors, "location.lat", "di luar Kabupaten Tasikmalaya; pilih kecamatan");
}

int intake_report_parse(const json_t *body, const intake_catalog_t *cat, int64_t now, intake_report_t *out,
                        json_t *errors)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(body)) {
        s_err(errors, "body", "harus berupa objek JSON");
        return PK_EINVAL;
    }
    static const char *const top[] = {"reporter", "victim",   "violence_forms", "place_type", "perpetrator_relation",
                                      "incident", "location", "account",        "urgent",     "contact_safety",
                                      NULL};
    s_only(body, "", top, errors);
    json_t *personal = json_object();
    const json_t *rep = s_obj(body, "reporter", true, errors);
    if (rep)
        s_reporter(rep, cat, out, errors);
    const json_t *victim = s_obj(body, "victim", true, errors);
    if (victim)
        s_victim(victim, cat, out, personal, errors);
    s_forms(json_object_get(body, "violence_forms"), cat, out, errors);
    s_code(cat, "place_type", s_str(body, "place_type", "place_type", 40, false, errors), "place_type", out->place_type,
           sizeof out->place_type, errors);
    s_code(cat, "relation", s_str(body, "perpetrator_relation", "perpetrator_relation", 32, false, errors),
           "perpetrator_relation", out->perpetrator_relation, sizeof out->perpetrator_relation, errors);
    const json_t *incident = s_obj(body, "incident", false, errors);
    if (incident)
        s_incident(incident, now, out, errors);
    const json_t *loc = s_obj(body, "location", true, errors);
    if (loc)
        s_location(loc, cat, out, personal, errors);
    const char *account = s_str(body, "account", "account", 5000, false, errors);
    if (account)
        json_object_set_new(personal, "account", json_string(account));
    out->urgent = s_bool(body, "urgent", "urgent", errors);
    const json_t *safety = s_obj(body, "contact_safety", false, errors);
    if (safety && intake_safety_check(safety, cat, "contact_safety.", errors) == 0)
        out->safety = json_deep_copy(safety);
    out->personal = personal;
    if (json_object_size(errors) > 0) {
        intake_report_clear(out);
        return PK_EINVAL;
    }
    return 0;
}

void intake_report_clear(intake_report_t *r)
{
    json_decref(r->personal);
    json_decref(r->safety);
    r->personal = r->safety = NULL;
}
