/* envelope.c -- building, naming, packing and checking event envelopes. */
#include <stdlib.h>
#include <string.h>

#include "pelukan/bus.h"
#include "pelukan/crypto.h"
#include "pelukan/util.h"

void pk_envelope_init(Pelukan__V1__Envelope *env, uint8_t id_buf[16], const char *producer, const char *case_id,
                      const char *correlation_id)
{
    pelukan__v1__envelope__init(env);
    pk_id_random(id_buf);
    env->event_id.data = id_buf;
    env->event_id.len = 16;
    env->producer = (char *)producer;
    env->occurred_at_us = pk_now_us();
    env->case_id = (char *)(case_id ? case_id : "");
    env->correlation_id = (char *)(correlation_id ? correlation_id : "");
}

const char *pk_envelope_type(const Pelukan__V1__Envelope *env)
{
    if (env->payload_case == PELUKAN__V1__ENVELOPE__PAYLOAD__NOT_SET)
        return "unknown";
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&pelukan__v1__envelope__descriptor, (unsigned)env->payload_case);
    return f ? f->name : "unknown";
}

void pk_envelope_pack(const Pelukan__V1__Envelope *env, uint8_t **out, size_t *len)
{
    *len = pelukan__v1__envelope__get_packed_size(env);
    *out = pk_malloc(*len);
    pelukan__v1__envelope__pack(env, *out);
}

Pelukan__V1__Envelope *pk_envelope_unpack(const uint8_t *data, size_t len, size_t max_bytes)
{
    if (len > max_bytes)
        return NULL;
    return pelukan__v1__envelope__unpack(NULL, len, data);
}

void pk_envelope_free(Pelukan__V1__Envelope *env)
{
    if (env)
        pelukan__v1__envelope__free_unpacked(env, NULL);
}

void pk_bus_header_write(uint8_t out[PK_BUS_HEADER_BYTES], uint64_t epoch, uint64_t seq)
{
    pk_be64_put(epoch, out);
    pk_be64_put(seq, out + 8);
}

void pk_bus_header_read(const uint8_t in[PK_BUS_HEADER_BYTES], uint64_t *epoch, uint64_t *seq)
{
    *epoch = pk_be64_get(in);
    *seq = pk_be64_get(in + 8);
}
