/* edge_notify.c -- delivers one-time codes by command to the notification
 * service, from an actor thread that owns its DEALER socket (the event loop
 * never blocks on it). A secret travels only in this command, never in an
 * event or a log line. */
#include "edge_notify.h"

#include <czmq.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/rpc.h"
#include "pelukan/util.h"

struct intake_notify {
    zactor_t *actor;
    char *endpoint;
    const pk_log_t *log;
    const pk_bus_keys_t *keys;
    pk_metric_t *failed, *sent;
};

static void s_deliver(intake_notify_t *self, pk_rpc_client_t *client, zframe_t *frame)
{
    Pelukan__V1__CommandRequest *req =
        pelukan__v1__command_request__unpack(NULL, zframe_size(frame), zframe_data(frame));
    if (!req)
        return;
    /* Fresh id and deadline per delivery. */
    uint8_t id[16];
    Pelukan__V1__CommandRequest out;
    pk_rpc_request_init(&out, id, 1000, 2);
    out.command_case = req->command_case;
    out.send_otp = req->send_otp;
    out.actor = req->actor;
    Pelukan__V1__CommandReply *reply = NULL;
    if (pk_rpc_call(client, &out, 1000, 2, &reply) != 0) {
        pk_metric_add(self->failed, 1);
        pk_log_error(self->log,
                     "OTP delivery command to notification (%s) got no answer after 3 tries, the reporter "
                     "must ask for a new code",
                     self->endpoint);
    } else if (reply->status != PELUKAN__V1__COMMAND_REPLY__STATUS__STATUS_OK) {
        pk_metric_add(self->failed, 1);
        pk_log_error(self->log, "OTP delivery refused by notification: %s", reply->error_code);
    } else {
        pk_metric_add(self->sent, 1);
    }
    if (reply)
        pelukan__v1__command_reply__free_unpacked(reply, NULL);
    /* The code was in this buffer: wipe it. */
    sodium_memzero(zframe_data(frame), zframe_size(frame));
    pelukan__v1__command_request__free_unpacked(req, NULL);
}

static void s_actor(zsock_t *pipe, void *arg)
{
    intake_notify_t *self = arg;
    pk_rpc_client_t *client = pk_rpc_client_new(self->endpoint, 0, self->keys, "notification");
    zsock_signal(pipe, 0);
    for (;;) {
        zmsg_t *msg = zmsg_recv(pipe);
        if (!msg)
            break;
        zframe_t *f = zmsg_first(msg);
        if (zframe_streq(f, "$TERM")) {
            zmsg_destroy(&msg);
            break;
        }
        s_deliver(self, client, f);
        zmsg_destroy(&msg);
    }
    pk_rpc_client_destroy(&client);
}

intake_notify_t *intake_notify_new(const char *endpoint, const pk_bus_keys_t *keys, const pk_log_t *log,
                                   pk_metric_t *failed, pk_metric_t *sent)
{
    intake_notify_t *self = pk_calloc(1, sizeof *self);
    self->keys = keys;
    self->endpoint = pk_strdup(endpoint);
    self->log = log;
    self->failed = failed;
    self->sent = sent;
    self->actor = zactor_new(s_actor, self);
    return self;
}

void intake_notify_otp(intake_notify_t *self, const char *phone_e164, const char *code)
{
    Pelukan__V1__CommandRequest req = PELUKAN__V1__COMMAND_REQUEST__INIT;
    Pelukan__V1__SendOtp otp = PELUKAN__V1__SEND_OTP__INIT;
    otp.phone_e164 = (char *)phone_e164;
    otp.code = (char *)code;
    otp.locale = "id";
    req.command_case = PELUKAN__V1__COMMAND_REQUEST__COMMAND_SEND_OTP;
    req.send_otp = &otp;
    uint8_t buf[256];
    size_t len = pelukan__v1__command_request__get_packed_size(&req);
    if (len > sizeof buf)
        return;
    pelukan__v1__command_request__pack(&req, buf);
    if (zmq_send(zsock_resolve(self->actor), buf, len, ZMQ_DONTWAIT) < 0)
        pk_metric_add(self->failed, 1);
    sodium_memzero(buf, sizeof buf);
}

void intake_notify_destroy(intake_notify_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zactor_destroy(&(*self_p)->actor);
    free((*self_p)->endpoint);
    free(*self_p);
    *self_p = NULL;
}
