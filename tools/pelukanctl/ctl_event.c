/* ctl_event.c -- decoded events for people and for machines, by walking
 * protobuf-c's descriptors (so a new event type prints without code). */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "pelukan/bus.h"
#include "pelukan/util.h"

static json_t *s_hex(const uint8_t *data, size_t len)
{
    char small[512], *hex = 2 * len < sizeof small ? small : pk_malloc(2 * len + 1);
    pk_hex(data, len, hex);
    json_t *j = json_stringn_nocheck(hex, 2 * len); /* hex digits: ASCII */
    if (hex != small)
        free(hex);
    return j;
}

/* One value of a field; NULL when it holds its default. */
static json_t *s_value(const ProtobufCFieldDescriptor *f, const void *p, bool keep_default)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: {
        int32_t v = *(const int32_t *)p;
        return v || keep_default ? json_integer(v) : NULL;
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        uint32_t v = *(const uint32_t *)p;
        return v || keep_default ? json_integer(v) : NULL;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t v = *(const int64_t *)p;
        return v || keep_default ? json_integer(v) : NULL;
    }
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v = *(const uint64_t *)p;
        return v || keep_default ? json_integer((json_int_t)v) : NULL;
    }
    case PROTOBUF_C_TYPE_FLOAT: {
        float v = *(const float *)p;
        return v != 0 || keep_default ? json_real(v) : NULL;
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        double v = *(const double *)p;
        return v != 0 || keep_default ? json_real(v) : NULL;
    }
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean v = *(const protobuf_c_boolean *)p;
        return v || keep_default ? json_boolean(v) : NULL;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        if (!v && !keep_default)
            return NULL;
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
        return ev ? json_string(ev->name) : json_integer(v);
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        if (!s || (!*s && !keep_default))
            return NULL;
        json_t *j = json_string(s);
        return j ? j : s_hex((const uint8_t *)s, strlen(s)); /* not UTF-8: show the bytes */
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        return b->len || keep_default ? s_hex(b->data, b->len) : NULL;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        return m ? ctl_message_json(m) : NULL;
    }
    }
    return NULL;
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

json_t *ctl_message_json(const ProtobufCMessage *msg)
{
    json_t *obj = json_object();
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const char *base = (const char *)msg;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *p = base + f->offset;
        json_t *v = NULL;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(const uint32_t *)(base + f->quantifier_offset) == f->id)
                v = s_value(f, p, true);
        } else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            if (n) {
                v = json_array();
                const char *items = *(char *const *)p;
                for (size_t k = 0; k < n; k++)
                    json_array_append_new(v, s_value(f, items + k * s_size(f->type), true));
            }
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
                   f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING) {
            if (*(const protobuf_c_boolean *)(base + f->quantifier_offset))
                v = s_value(f, p, true);
        } else {
            v = s_value(f, p, false);
        }
        if (v)
            json_object_set_new(obj, f->name, v);
    }
    return obj;
}

static void s_time(uint64_t us, char out[40])
{
    /* Events come in bursts within the same second: format it once. */
    static __thread time_t last = -1;
    static __thread char date[24];
    time_t s = (time_t)(us / 1000000u);
    if (s != last) {
        struct tm tm;
        gmtime_r(&s, &tm);
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
        last = s;
    }
    snprintf(out, 40, "%s.%06uZ", date, (unsigned)(us % 1000000u));
}

void ctl_print_entry(FILE *out, uint64_t gseq, const char *producer, uint64_t epoch, uint64_t seq,
                     const Pelukan__V1__Envelope *env, bool json)
{
    const char *type = env ? pk_envelope_type(env) : "undecodable";
    if (json) {
        json_t *o = json_object();
        if (gseq)
            json_object_set_new(o, "gseq", json_integer((json_int_t)gseq));
        json_object_set_new(o, "producer", json_string(producer));
        json_object_set_new(o, "epoch", json_integer((json_int_t)epoch));
        json_object_set_new(o, "seq", json_integer((json_int_t)seq));
        json_object_set_new(o, "type", json_string(type));
        if (env)
            json_object_set_new(o, "envelope", ctl_message_json(&env->base));
        json_dumpf(o, out, JSON_COMPACT);
        fputc('\n', out);
        json_decref(o);
        return;
    }
    char when[40] = "-";
    if (env)
        s_time(env->occurred_at_us, when);
    if (gseq)
        fprintf(out, "%" PRIu64 " ", gseq);
    fprintf(out, "%s %s/%" PRIu64 " %s", when, producer, seq, type);
    if (env && env->case_id[0])
        fprintf(out, " case=%s", env->case_id);
    if (env && env->actor) {
        const ProtobufCEnumValue *k =
            protobuf_c_enum_descriptor_get_value(&pelukan__v1__actor__kind__descriptor, (int)env->actor->kind);
        char kind[32] = "?";
        if (k && strncmp(k->name, "KIND_", 5) == 0) {
            snprintf(kind, sizeof kind, "%s", k->name + 5);
            for (char *c = kind; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        }
        fprintf(out, " actor=%s:%s", kind, env->actor->id);
    }
    /* The payload: the oneof field that is set. */
    if (env && env->payload_case != PELUKAN__V1__ENVELOPE__PAYLOAD__NOT_SET) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(&pelukan__v1__envelope__descriptor, (unsigned)env->payload_case);
        const ProtobufCMessage *m = f ? *(ProtobufCMessage *const *)((const char *)env + f->offset) : NULL;
        if (m) {
            json_t *j = ctl_message_json(m);
            fputc(' ', out);
            json_dumpf(j, out, JSON_COMPACT);
            json_decref(j);
        }
    }
    fputc('\n', out);
}
