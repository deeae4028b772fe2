/* pbrow.c -- a PostgreSQL row into a protobuf-c message by its
 * descriptor (pbrow.h): each column's name walks the field descriptors
 * (offsets, labels, a oneof's case) to the field it fills. */
#include "pelukan/pbrow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/db.h"

static const ProtobufCFieldDescriptor *s_field(const ProtobufCMessageDescriptor *d, const char *name, size_t len)
{
    for (unsigned i = 0; i < d->n_fields; i++)
        if (strlen(d->fields[i].name) == len && strncmp(d->fields[i].name, name, len) == 0)
            return &d->fields[i];
    return NULL;
}

/* The field a column's name ends at, walking its message fields; NULL
 * when a name on the way is not a field, or not a (single) message. */
static const ProtobufCFieldDescriptor *s_resolve(const ProtobufCMessageDescriptor *d, const char *name)
{
    for (;;) {
        const char *dot = strchr(name, '.');
        const ProtobufCFieldDescriptor *f = s_field(d, name, dot ? (size_t)(dot - name) : strlen(name));
        if (!f || !dot)
            return f;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED)
            return NULL;
        d = f->descriptor;
        name = dot + 1;
    }
}

/* A member of a oneof becomes its case; a proto3 optional scalar, set. */
static void s_present(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        *(uint32_t *)((char *)m + f->quantifier_offset) = f->id;
    else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset && f->type != PROTOBUF_C_TYPE_STRING &&
             f->type != PROTOBUF_C_TYPE_MESSAGE)
        *(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
}

/* The message a column's name ends in, its message fields on the way made
 * in the arena where they are not yet. */
static ProtobufCMessage *s_holder(ProtobufCMessage *m, const char *name, pk_arena_t **arena)
{
    for (const char *dot; (dot = strchr(name, '.')) != NULL; name = dot + 1) {
        const ProtobufCFieldDescriptor *f = s_field(m->descriptor, name, (size_t)(dot - name));
        ProtobufCMessage **sub = (ProtobufCMessage **)((char *)m + f->offset);
        if (!*sub) {
            const ProtobufCMessageDescriptor *d = f->descriptor;
            *sub = pk_arena_alloc(arena, d->sizeof_message);
            d->message_init(*sub);
            s_present(m, f);
        }
        m = *sub;
    }
    return m;
}

/* "{a,b}" or "a,b" as an array of codes in the arena. */
static char **s_codes(pk_arena_t **arena, const char *v, size_t *n)
{
    char *s = pk_arena_strdup(arena, v + (*v == '{'));
    size_t len = strlen(s);
    if (*v == '{' && len && s[len - 1] == '}')
        s[--len] = '\0';
    *n = 0;
    if (!len)
        return NULL;
    size_t cap = 1;
    for (const char *c = s; *c; c++)
        cap += *c == ',';
    char **out = pk_arena_alloc(arena, cap * sizeof *out);
    for (char *tok = s, *comma; tok; tok = comma ? comma + 1 : NULL) {
        if ((comma = strchr(tok, ',')) != NULL)
            *comma = '\0';
        out[(*n)++] = tok;
    }
    return out;
}

static bool s_scalar(void *p, const ProtobufCFieldDescriptor *f, const PGresult *res, int row, int col,
                     pk_arena_t **arena)
{
    const char *v = PQgetvalue(res, row, col);
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        *(char **)p = pk_arena_strdup(arena, v);
        return true;
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *)p = v[0] == 't';
        return true;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        *(int32_t *)p = (int32_t)strtoll(v, NULL, 10);
        return true;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        *(int64_t *)p = strtoll(v, NULL, 10);
        return true;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *e = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, v);
        *(int *)p = e ? e->value : atoi(v);
        return e || (*v && strspn(v, "-0123456789") == strlen(v));
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *b = p;
        size_t cap = (size_t)PQgetlength(res, row, col) / 2 + 1;
        b->data = pk_arena_alloc(arena, cap);
        long got = pk_pg_bytea_get(res, row, col, b->data, cap);
        b->len = got > 0 ? (size_t)got : 0;
        return got >= 0;
    }
    default:
        return false;
    }
}

static bool s_fill(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const PGresult *res, int row, int col,
                   pk_arena_t **arena)
{
    void *p = (char *)m + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        if (f->type != PROTOBUF_C_TYPE_STRING)
            return false;
        *(char ***)p = s_codes(arena, PQgetvalue(res, row, col), (size_t *)((char *)m + f->quantifier_offset));
        return true;
    }
    if (!s_scalar(p, f, res, row, col, arena))
        return false;
    s_present(m, f);
    return true;
}

static bool s_bad(const char *name, char *bad, size_t badlen)
{
    if (bad && badlen)
        snprintf(bad, badlen, "%s", name);
    return false;
}

bool pk_pbrow_read(ProtobufCMessage *msg, const PGresult *res, int row, const char *under, pk_arena_t **arena,
                   char *bad, size_t badlen)
{
    size_t skip = under ? strlen(under) : 0;
    for (int col = 0; col < PQnfields(res); col++) {
        const char *name = PQfname(res, col);
        if (name[0] == '_' || strncmp(name, under ? under : "", skip) != 0)
            continue;
        name += skip;
        const ProtobufCFieldDescriptor *f = s_resolve(msg->descriptor, name);
        if (!f || f->type == PROTOBUF_C_TYPE_MESSAGE)
            return s_bad(name, bad, badlen);
        if (!PQgetisnull(res, row, col) && !s_fill(s_holder(msg, name, arena), f, res, row, col, arena))
            return s_bad(name, bad, badlen);
    }
    return true;
}

bool pk_pbrow_read_all(const ProtobufCMessageDescriptor *desc, const PGresult *res, const char *under,
                       pk_arena_t **arena, ProtobufCMessage ***items, size_t *n, char *bad, size_t badlen)
{
    int rows = PQntuples(res);
    *items = pk_arena_alloc(arena, (size_t)(rows + 1) * sizeof **items);
    for (*n = 0; *n < (size_t)rows; (*n)++) {
        ProtobufCMessage *m = (*items)[*n] = pk_arena_alloc(arena, desc->sizeof_message);
        desc->message_init(m);
        if (!pk_pbrow_read(m, res, (int)*n, under, arena, bad, badlen))
            return false;
    }
    return true;
}
