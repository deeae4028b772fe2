/* pbjson.c -- JSON to and from protobuf-c messages by their descriptors
 * (pbjson.h). Walks protobuf-c's field descriptors: offsets, quantifiers
 * (a repeated field's count, a oneof's case) and types. */
#include "pelukan/pbjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/util.h"

/* ---- one value ---------------------------------------------------------------------- */

static json_t *s_hex(const uint8_t *data, size_t len)
{
    char small[512], *hex = 2 * len < sizeof small ? small : pk_malloc(2 * len + 1);
    pk_hex(data, len, hex);
    json_t *j = json_stringn_nocheck(hex, 2 * len); /* hex digits: ASCII */
    if (hex != small)
        free(hex);
    return j;
}

static bool s_is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return *(const uint64_t *)p == 0;
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *)p == 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *)p == 0;
    case PROTOBUF_C_TYPE_BOOL:
        return !*(const protobuf_c_boolean *)p;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)p)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(void *const *)p == NULL;
    default: /* the 32-bit integers and enums */
        return *(const uint32_t *)p == 0;
    }
}

/* One value of a field that is not a message. */
static json_t *s_scalar(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return json_integer((json_int_t) * (const uint64_t *)p);
    case PROTOBUF_C_TYPE_FLOAT:
        return json_real(*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return json_real(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
        return ev ? json_string(ev->name) : json_integer(v);
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        json_t *j = json_string(s ? s : "");
        return j ? j : s_hex((const uint8_t *)s, strlen(s)); /* not UTF-8: show the bytes */
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        return s_hex(b->data, b->len);
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        break;
    }
    return json_null();
}

static size_t s_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    default:
        return 4;
    }
}

/* ---- shapes ------------------------------------------------------------------------- */

/* One name of a shape: "name", "name?", "name{inner}". */
typedef struct {
    char name[64];
    bool nullable;
    const char *inner; /* NULL: none */
    size_t inner_len;
} s_item_t;

/* The next item of the shape [*p, end): 1, 0 at its end, -1 malformed. */
static int s_next(const char **p, const char *end, s_item_t *it)
{
    while (*p < end && **p == ' ')
        (*p)++;
    if (*p >= end)
        return 0;
    size_t n = strspn(*p, "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (n == 0 || n >= sizeof it->name || *p + n > end)
        return -1;
    memcpy(it->name, *p, n);
    it->name[n] = '\0';
    *p += n;
    it->nullable = *p < end && **p == '?';
    *p += it->nullable;
    it->inner = NULL;
    it->inner_len = 0;
    if (*p < end && **p == '{') {
        const char *start = ++*p;
        for (int depth = 1; depth; (*p)++) {
            if (*p >= end)
                return -1;
            depth += **p == '{' ? 1 : **p == '}' ? -1 : 0;
        }
        it->inner = start;
        it->inner_len = (size_t)(*p - start) - 1;
    }
    return *p < end && **p != ' ' ? -1 : 1;
}

static const ProtobufCFieldDescriptor *s_field(const ProtobufCMessageDescriptor *d, const char *name)
{
    return protobuf_c_message_descriptor_get_field_by_name(d, name);
}

static bool s_oneof_other(const ProtobufCFieldDescriptor *f, const char *base)
{
    return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(const uint32_t *)(base + f->quantifier_offset) != f->id;
}

static json_t *s_print(const ProtobufCMessage *msg, const char *shape, size_t len);

/* A message value: by its inner shape, or in full. */
static json_t *s_message(const ProtobufCMessage *m, const s_item_t *it)
{
    if (!m)
        return json_null();
    return it->inner ? s_print(m, it->inner, it->inner_len) : pk_pbjson_print(m, NULL);
}

/* A nullable field's "said" flag: a bool field named "<name>_said" beside
 * it, for a bool whose false is an answer too; NULL when it has none. */
static const protobuf_c_boolean *s_said(const ProtobufCMessageDescriptor *d, const char *base, const char *name)
{
    char said[80];
    snprintf(said, sizeof said, "%s_said", name);
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, said);
    return f && f->type == PROTOBUF_C_TYPE_BOOL && f->label != PROTOBUF_C_LABEL_REPEATED
               ? (const protobuf_c_boolean *)(base + f->offset)
               : NULL;
}

static json_t *s_shown(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f, const char *base,
                       const s_item_t *it)
{
    const void *p = base + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        json_t *a = json_array();
        size_t n = *(const size_t *)(base + f->quantifier_offset);
        const char *items = *(char *const *)p;
        for (size_t k = 0; k < n; k++) {
            const void *ip = items + k * s_size(f->type);
            json_t *v =
                f->type == PROTOBUF_C_TYPE_MESSAGE ? s_message(*(ProtobufCMessage *const *)ip, it) : s_scalar(f, ip);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return s_message(*(ProtobufCMessage *const *)p, it);
    const protobuf_c_boolean *said = it->nullable ? s_said(d, base, f->name) : NULL;
    if (said ? !*said : it->nullable && s_is_default(f, p))
        return json_null();
    return s_scalar(f, p);
}

static json_t *s_print(const ProtobufCMessage *msg, const char *shape, size_t len)
{
    const char *p = shape, *end = shape + len, *base = (const char *)msg;
    json_t *obj = json_object();
    s_item_t it;
    int more;
    while ((more = s_next(&p, end, &it)) > 0) {
        const ProtobufCFieldDescriptor *f = s_field(msg->descriptor, it.name);
        if (!f || (it.inner && f->type != PROTOBUF_C_TYPE_MESSAGE))
            break;
        bool unset = f->label != PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE &&
                     !*(void *const *)(base + f->offset);
        if (s_oneof_other(f, base) || (unset && !it.nullable))
            continue;
        json_t *v = unset ? json_null() : s_shown(msg->descriptor, f, base, &it);
        if (!v)
            break;
        json_object_set_new(obj, it.name, v);
    }
    if (more != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* Every field holding more than its default (pelukanctl's view). */
static json_t *s_print_all(const ProtobufCMessage *msg)
{
    json_t *obj = json_object();
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const char *base = (const char *)msg;
    static const s_item_t full = {.inner = NULL};
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *p = base + f->offset;
        bool shown;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            shown = !s_oneof_other(f, base);
        else if (f->label == PROTOBUF_C_LABEL_REPEATED)
            shown = *(const size_t *)(base + f->quantifier_offset) > 0;
        else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset && f->type != PROTOBUF_C_TYPE_MESSAGE &&
                 f->type != PROTOBUF_C_TYPE_STRING)
            shown = *(const protobuf_c_boolean *)(base + f->quantifier_offset); /* proto3 `optional` */
        else
            shown = !s_is_default(f, p);
        if (shown)
            json_object_set_new(obj, f->name, s_shown(d, f, base, &full));
    }
    return obj;
}

json_t *pk_pbjson_print(const ProtobufCMessage *msg, const char *shape)
{
    return shape ? s_print(msg, shape, strlen(shape)) : s_print_all(msg);
}

static bool s_shape_ok(const ProtobufCMessageDescriptor *desc, const char *shape, size_t len, char *bad, size_t badlen)
{
    const char *p = shape, *end = shape + len;
    s_item_t it;
    int more;
    while ((more = s_next(&p, end, &it)) > 0) {
        const ProtobufCFieldDescriptor *f = s_field(desc, it.name);
        bool ok = f && (!it.inner || f->type == PROTOBUF_C_TYPE_MESSAGE);
        if (ok && it.inner)
            ok = s_shape_ok(f->descriptor, it.inner, it.inner_len, bad, badlen);
        else if (!ok && bad)
            snprintf(bad, badlen, "%s.%s", desc->short_name, it.name);
        if (!ok)
            return false;
    }
    if (more < 0 && bad)
        snprintf(bad, badlen, "%s: \"%.*s\"", desc->short_name, (int)len, shape);
    return more == 0;
}

bool pk_pbjson_shape_ok(const ProtobufCMessageDescriptor *desc, const char *shape, char *bad, size_t badlen)
{
    return s_shape_ok(desc, shape, strlen(shape), bad, badlen);
}

/* ---- reading ------------------------------------------------------------------------ */

static bool s_code_ok(const json_t *v, unsigned max)
{
    const char *s = json_string_value(v);
    return s && *s && pk_utf8_chars(s) <= (max ? max : 64);
}

static void s_set_strings(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, const json_t *a)
{
    char *base = (char *)msg;
    const char **items = pk_calloc(json_array_size(a) + 1, sizeof *items);
    for (size_t i = 0; i < json_array_size(a); i++)
        items[i] = json_string_value(json_array_get(a, i));
    *(const char ***)(base + f->offset) = items;
    *(size_t *)(base + f->quantifier_offset) = json_array_size(a);
}

/* One rule: its value checked and set; the hint when it is wrong. */
static const char *s_read_one(const json_t *body, ProtobufCMessage *msg, const pk_pbjson_rule_t *r)
{
    const ProtobufCFieldDescriptor *f = s_field(msg->descriptor, r->field);
    if (!f) /* pk_pbjson_rules_ok() refuses such rules first */
        return "tidak dikenal";
    char *slot = (char *)msg + f->offset;
    const json_t *v = json_object_get(body, r->field);
    switch (r->kind) {
    case PK_PBJSON_CODE_OR_NULL:
        if (json_is_null(v))
            return NULL;
        /* fall through */
    case PK_PBJSON_CODE:
        if ((!v && r->required) || (v && !s_code_ok(v, r->max)) ||
            (v && r->one_of && !pk_code_in(json_string_value(v), r->one_of)))
            return r->hint ? r->hint : r->required ? "wajib diisi (kode)" : "kode";
        break;
    case PK_PBJSON_TEXT:
        if (!v && r->required)
            return r->hint ? r->hint : "wajib diisi";
        if (v && (!json_is_string(v) || (r->max && pk_utf8_chars(json_string_value(v)) > r->max)))
            return r->hint ? r->hint : "teks";
        break;
    case PK_PBJSON_BOOL:
        if (!v && r->required)
            return r->hint ? r->hint : "wajib diisi";
        if (v && !json_is_boolean(v))
            return r->hint ? r->hint : "true atau false";
        if (v)
            *(protobuf_c_boolean *)slot = json_is_true(v);
        return NULL;
    case PK_PBJSON_CODES: {
        bool ok = !v ? !r->required : json_is_array(v) && json_array_size(v) <= r->max;
        for (size_t i = 0; ok && v && i < json_array_size(v); i++)
            ok = s_code_ok(json_array_get(v, i), 0);
        if (!ok)
            return r->hint ? r->hint : "daftar kode";
        if (v)
            s_set_strings(msg, f, v);
        return NULL;
    }
    }
    if (v)
        *(const char **)slot = json_string_value(v);
    return NULL;
}

bool pk_pbjson_read(const json_t *body, ProtobufCMessage *msg, const pk_pbjson_rule_t *rules, json_t *errors)
{
    bool wrong = false;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        const pk_pbjson_rule_t *r = rules;
        while (r->field && strcmp(r->field, key) != 0)
            r++;
        if (!r->field && errors)
            json_object_set_new(errors, key, json_string("tidak dikenal"));
        wrong |= !r->field;
    }
    for (const pk_pbjson_rule_t *r = rules; r->field; r++) {
        const char *hint = s_read_one(body, msg, r);
        if (hint && errors)
            json_object_set_new(errors, r->field, json_string(hint));
        wrong |= hint != NULL;
    }
    return !wrong;
}

bool pk_pbjson_rules_ok(const ProtobufCMessageDescriptor *desc, const pk_pbjson_rule_t *rules, char *bad, size_t badlen)
{
    for (const pk_pbjson_rule_t *r = rules; r->field; r++) {
        const ProtobufCFieldDescriptor *f = s_field(desc, r->field);
        bool repeated = f && f->label == PROTOBUF_C_LABEL_REPEATED;
        bool ok = f && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                  (r->kind == PK_PBJSON_BOOL    ? f->type == PROTOBUF_C_TYPE_BOOL && !repeated
                   : r->kind == PK_PBJSON_CODES ? f->type == PROTOBUF_C_TYPE_STRING && repeated
                                                : f->type == PROTOBUF_C_TYPE_STRING && !repeated);
        if (!ok) {
            if (bad)
                snprintf(bad, badlen, "%s.%s", desc->short_name, r->field);
            return false;
        }
    }
    return true;
}

void pk_pbjson_release(ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    char *base = (char *)msg;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_STRING)
            continue;
        free(*(void **)(base + f->offset));
        *(void **)(base + f->offset) = NULL;
        *(size_t *)(base + f->quantifier_offset) = 0;
    }
}

/* ---- one field by name -------------------------------------------------------------- */

static const ProtobufCFieldDescriptor *s_settable(const ProtobufCMessage *msg, const char *field)
{
    const ProtobufCFieldDescriptor *f = s_field(msg->descriptor, field);
    return f && f->label != PROTOBUF_C_LABEL_REPEATED ? f : NULL;
}

static void s_chosen(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        *(uint32_t *)((char *)msg + f->quantifier_offset) = f->id;
}

bool pk_pbjson_set_string(ProtobufCMessage *msg, const char *field, const char *value)
{
    const ProtobufCFieldDescriptor *f = s_settable(msg, field);
    if (!f || f->type != PROTOBUF_C_TYPE_STRING)
        return false;
    *(const char **)((char *)msg + f->offset) = value;
    s_chosen(msg, f);
    return true;
}

bool pk_pbjson_set_int(ProtobufCMessage *msg, const char *field, int value)
{
    const ProtobufCFieldDescriptor *f = s_settable(msg, field);
    if (!f ||
        (f->type != PROTOBUF_C_TYPE_ENUM && f->type != PROTOBUF_C_TYPE_INT32 && f->type != PROTOBUF_C_TYPE_UINT32))
        return false;
    *(int32_t *)((char *)msg + f->offset) = value;
    s_chosen(msg, f);
    return true;
}

bool pk_pbjson_set_message(ProtobufCMessage *msg, const char *field, ProtobufCMessage *value)
{
    const ProtobufCFieldDescriptor *f = s_settable(msg, field);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE || (value && f->descriptor != value->descriptor))
        return false;
    *(ProtobufCMessage **)((char *)msg + f->offset) = value;
    s_chosen(msg, f);
    return true;
}

bool pk_pbjson_set_oneof(ProtobufCMessage *msg, ProtobufCMessage *value)
{
    const ProtobufCFieldDescriptor *found = NULL;
    for (unsigned i = 0; i < msg->descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &msg->descriptor->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED ||
            f->descriptor != value->descriptor)
            continue;
        if (found)
            return false;
        found = f;
    }
    if (!found)
        return false;
    *(ProtobufCMessage **)((char *)msg + found->offset) = value;
    s_chosen(msg, found);
    return true;
}

const ProtobufCMessage *pk_pbjson_get_message(const ProtobufCMessage *msg, const char *field)
{
    const ProtobufCFieldDescriptor *f = s_settable(msg, field);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE || s_oneof_other(f, (const char *)msg))
        return NULL;
    return *(ProtobufCMessage *const *)((const char *)msg + f->offset);
}
