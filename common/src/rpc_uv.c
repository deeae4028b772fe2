/* rpc_uv.c -- the command client of an event loop: one DEALER whose
 * ZMQ_FD is watched by libuv, calls matched to replies by command id, and
 * a timer that sends a silent call again (the same bytes: the receiver
 * runs a command id once) or gives up on it.
 *
 * ZMQ_FD is edge-triggered: the socket is drained while ZMQ_EVENTS says
 * POLLIN after every wake-up and after every send. */
#include <czmq.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/crypto.h"
#include "pelukan/rpc.h"
#include "pelukan/util.h"

#define S_TICK_MS 10

typedef struct s_call {
    struct s_call *prev, *next;
    uint8_t id[16];
    uint8_t *bytes;
    size_t len;
    int timeout_ms, tries_left;
    uint64_t retry_at_us; /* monotonic */
    pk_rpc_uv_done_fn done;
    void *arg;
} s_call_t;

struct pk_rpc_uv {
    uv_loop_t *loop;
    const pk_log_t *log;
    char *endpoint;
    zsock_t *dealer;
    uv_poll_t poll;
    uv_timer_t timer;
    s_call_t *calls;
    int pending, open_handles;
    bool closing;
};

static void s_unlink(pk_rpc_uv_t *self, s_call_t *call)
{
    if (call->prev)
        call->prev->next = call->next;
    else
        self->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    self->pending--;
    if (self->pending == 0 && !self->closing)
        uv_timer_stop(&self->timer);
}

static void s_finish(pk_rpc_uv_t *self, s_call_t *call, int rc, const Pelukan__V1__CommandReply *reply)
{
    s_unlink(self, call);
    call->done(rc, reply, call->arg);
    free(call->bytes);
    free(call);
}

static void s_drain(pk_rpc_uv_t *self)
{
    void *raw = zsock_resolve(self->dealer);
    while (!self->closing && (zsock_events(self->dealer) & ZMQ_POLLIN)) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, raw, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            break;
        }
        bool more = zmq_msg_more(&msg);
        Pelukan__V1__CommandReply *r =
            more ? NULL : pelukan__v1__command_reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
        sodium_memzero(zmq_msg_data(&msg), zmq_msg_size(&msg)); /* an answer may hold personal data */
        zmq_msg_close(&msg);
        while (more) { /* a multi-part answer is not ours: drop it whole */
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, raw, ZMQ_DONTWAIT) < 0)
                more = false;
            else
                more = zmq_msg_more(&msg);
            zmq_msg_close(&msg);
        }
        if (!r)
            continue;
        s_call_t *call = self->calls;
        while (call && !(r->command_id.len == 16 && memcmp(call->id, r->command_id.data, 16) == 0))
            call = call->next;
        if (call) /* otherwise the late twin of an answered call */
            s_finish(self, call, 0, r);
        pelukan__v1__command_reply__free_unpacked(r, NULL);
    }
}

static void s_send(pk_rpc_uv_t *self, s_call_t *call)
{
    if (zmq_send(zsock_resolve(self->dealer), call->bytes, call->len, ZMQ_DONTWAIT) < 0)
        pk_log_warn(self->log, "command to %s not queued: %s (tried again later)", self->endpoint,
                    zmq_strerror(zmq_errno()));
    call->retry_at_us = pk_mono_us() + (uint64_t)call->timeout_ms * 1000u;
    s_drain(self); /* a send may consume the edge */
}

static void s_poll_cb(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    s_drain(h->data);
}

static void s_tick(uv_timer_t *t)
{
    pk_rpc_uv_t *self = t->data;
    uint64_t now = pk_mono_us();
    for (s_call_t *call = self->calls, *next; call; call = next) {
        next = call->next;
        if (now < call->retry_at_us)
            continue;
        if (call->tries_left-- > 0) {
            s_send(self, call);
            next = self->calls; /* the send's drain may have ended calls: scan again (sent ones wait) */
        } else {
            s_finish(self, call, PK_ETIMEOUT, NULL);
        }
    }
    s_drain(self);
}

pk_rpc_uv_t *pk_rpc_uv_new(uv_loop_t *loop, const char *endpoint, int max_msg_bytes, const pk_log_t *log,
                           const pk_bus_keys_t *keys, const char *server)
{
    pk_rpc_uv_t *self = pk_calloc(1, sizeof *self);
    self->loop = loop;
    self->log = log;
    self->endpoint = pk_strdup(endpoint);
    self->dealer = zsock_new(ZMQ_DEALER);
    zsock_set_linger(self->dealer, 0);
    zsock_set_maxmsgsize(self->dealer, max_msg_bytes > 0 ? max_msg_bytes : 1 << 20);
    pk_bus_secure_client(self->dealer, keys, server);
    if (zsock_connect(self->dealer, "%s", endpoint) < 0)
        pk_log_error(log, "command client: connect %s failed: %s", endpoint, zmq_strerror(zmq_errno()));
    uv_poll_init(loop, &self->poll, zsock_fd(self->dealer));
    self->poll.data = self;
    uv_poll_start(&self->poll, UV_READABLE, s_poll_cb);
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    self->open_handles = 2;
    return self;
}

void pk_rpc_uv_call(pk_rpc_uv_t *self, Pelukan__V1__CommandRequest *req, int timeout_ms, int retries,
                    pk_rpc_uv_done_fn done, void *arg)
{
    s_call_t *call = pk_calloc(1, sizeof *call);
    if (req->command_id.len == sizeof call->id)
        memcpy(call->id, req->command_id.data, sizeof call->id); /* the caller's: a retried request */
    else
        pk_id_random(call->id);
    req->command_id.data = call->id;
    req->command_id.len = sizeof call->id;
    req->deadline_us = pk_now_us() + (uint64_t)timeout_ms * 1000u * (uint64_t)(retries + 1);
    call->len = pelukan__v1__command_request__get_packed_size(req);
    call->bytes = pk_malloc(call->len ? call->len : 1);
    pelukan__v1__command_request__pack(req, call->bytes);
    req->command_id.data = NULL;
    req->command_id.len = 0;
    call->timeout_ms = timeout_ms;
    call->tries_left = retries;
    call->done = done;
    call->arg = arg;
    if (self->closing) {
        call->done(PK_ECLOSED, NULL, call->arg);
        free(call->bytes);
        free(call);
        return;
    }
    call->next = self->calls;
    if (self->calls)
        self->calls->prev = call;
    self->calls = call;
    if (self->pending++ == 0)
        uv_timer_start(&self->timer, s_tick, S_TICK_MS, S_TICK_MS);
    s_send(self, call);
}

int pk_rpc_uv_pending(const pk_rpc_uv_t *self)
{
    return self->pending;
}

static void s_closed(uv_handle_t *h)
{
    pk_rpc_uv_t *self = h->data;
    if (--self->open_handles == 0) {
        free(self->endpoint);
        free(self);
    }
}

void pk_rpc_uv_close(pk_rpc_uv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_rpc_uv_t *self = *self_p;
    *self_p = NULL;
    self->closing = true;
    while (self->calls)
        s_finish(self, self->calls, PK_ECLOSED, NULL);
    uv_poll_stop(&self->poll);
    uv_timer_stop(&self->timer);
    uv_close((uv_handle_t *)&self->poll, s_closed);
    uv_close((uv_handle_t *)&self->timer, s_closed);
    zsock_destroy(&self->dealer);
}
