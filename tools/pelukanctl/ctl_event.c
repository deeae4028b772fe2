/* ctl_event.c -- decoded events for people and for machines, by walking
 * protobuf-c's descriptors (common's pk_pbjson_print(): a new event type
 * prints without code). */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "pelukan/bus.h"
#include "pelukan/pbjson.h"
#include "pelukan/util.h"

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
            json_object_set_new(o, "envelope", pk_pbjson_print(&env->base, NULL));
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
            json_t *j = pk_pbjson_print(m, NULL);
            fputc(' ', out);
            json_dumpf(j, out, JSON_COMPACT);
            json_decref(j);
        }
    }
    fputc('\n', out);
}
