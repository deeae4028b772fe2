/* ctl_watch.c -- `pelukanctl watch`: the case events of every service as
 * they happen, one line each, straight from the producers' PUB sockets (a
 * live view: a missed message is not repaired; `audit replay` is the
 * complete record). Events carry no personal data. */
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "pelukan/bus.h"
#include "pelukan/config.h"
#include "pelukan/util.h"

int ctl_watch(const ctl_t *ctl, int argc, char **argv)
{
    const char *case_id = NULL, *type = NULL;
    bool json = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--case") == 0 && i + 1 < argc)
            case_id = argv[++i];
        else if (strcmp(argv[i], "--type") == 0 && i + 1 < argc)
            type = argv[++i];
        else {
            fprintf(stderr, "pelukanctl watch: unknown argument \"%s\"\n", argv[i]);
            return CTL_ERROR;
        }
    }
    zsock_t *sub = zsock_new(ZMQ_SUB);
    zsock_set_linger(sub, 0);
    zsock_set_maxmsgsize(sub, pk_config_int(ctl->cfg, "PELUKAN_MAX_MSG_BYTES") + 1024);
    for (const char *const *s = pk_service_names; *s; s++) {
        const char *ep = pk_config_service_str(ctl->cfg, *s, "PUB");
        pk_bus_secure_client(sub, ctl->keys, *s); /* the server key is taken at connect */
        if (zsock_connect(sub, "%s", ep) != 0)
            fprintf(stderr, "pelukanctl watch: cannot connect to %s\n", ep);
    }
    zsock_set_subscribe(sub, ""); /* every producer's stream */
    fprintf(stderr, "pelukanctl watch: listening to every service; Ctrl-C stops\n");
    /* Each producer's first message (a heartbeat comes every second) says
     * that its stream is reaching us: from then on nothing it publishes is
     * missed but for a dropped message. */
    char seen[512] = " ";
    while (!zsys_interrupted) {
        zmsg_t *msg = zmsg_recv(sub);
        if (!msg)
            break;
        zframe_t *topic = zmsg_first(msg), *hdr = zmsg_next(msg), *body = zmsg_next(msg);
        size_t tl = zframe_size(topic), sl = strlen(PK_BUS_HEARTBEAT_SUFFIX);
        const char *dot = memchr(zframe_data(topic), '.', tl);
        if (dot) {
            char name[64];
            snprintf(name, sizeof name, " %.*s ", (int)(dot - (const char *)zframe_data(topic)),
                     (const char *)zframe_data(topic));
            if (!strstr(seen, name) && strlen(seen) + strlen(name) < sizeof seen) {
                strcat(seen, name + 1);
                fprintf(stderr, "pelukanctl watch: receiving from %.*s\n", (int)strlen(name) - 2, name + 1);
            }
        }
        bool heartbeat = tl >= sl && memcmp(zframe_data(topic) + tl - sl, PK_BUS_HEARTBEAT_SUFFIX, sl) == 0;
        if (zmsg_size(msg) == 3 && !heartbeat && zframe_size(hdr) == PK_BUS_HEADER_BYTES) {
            uint64_t epoch, seq;
            pk_bus_header_read(zframe_data(hdr), &epoch, &seq);
            Pelukan__V1__Envelope *e = pk_envelope_unpack(zframe_data(body), zframe_size(body), zframe_size(body));
            bool wanted = e && (!case_id || strcmp(e->case_id, case_id) == 0) &&
                          (!type || strcmp(pk_envelope_type(e), type) == 0);
            if (wanted) {
                ctl_print_entry(stdout, 0, e->producer, epoch, seq, e, json);
                fflush(stdout);
            }
            pk_envelope_free(e);
        }
        zmsg_destroy(&msg);
    }
    zsock_destroy(&sub);
    return CTL_OK;
}
