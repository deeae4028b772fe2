/* busauth.c -- CURVE key pairs, the endpoint policy and the ZAP handler. */
#include "pelukan/busauth.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pelukan/util.h"

const char *const pk_bus_peer_names[] = {"intake", "notification", "dispatch", "referral",
                                         "audit",  "edge",         "ctl",      NULL};
#define S_PEERS 7

struct pk_bus_keys {
    int self; /* index in pk_bus_peer_names */
    char secret_z85[PK_CURVE_KEY_Z85_LEN + 1];
    char public_z85[S_PEERS][PK_CURVE_KEY_Z85_LEN + 1];
    uint8_t public_bin[S_PEERS][32];
};

static int s_peer_index(const char *name)
{
    for (int i = 0; pk_bus_peer_names[i]; i++)
        if (strcmp(pk_bus_peer_names[i], name) == 0)
            return i;
    return -1;
}

static void s_setting(char *out, size_t len, const char *peer, const char *suffix)
{
    snprintf(out, len, "PELUKAN_%s_%s", peer, suffix);
    for (char *c = out; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 32);
}

int pk_secret_file_check(const char *path, char *why, size_t whylen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, whylen, "cannot read file: %s", strerror(errno));
        return PK_EIO;
    }
    if (st.st_uid != geteuid()) {
        snprintf(why, whylen, "is owned by uid %u, not by this user (uid %u)", (unsigned)st.st_uid,
                 (unsigned)geteuid());
        return PK_EKEY;
    }
    if (st.st_mode & 077) {
        snprintf(why, whylen, "is open to group or others (mode %03o): chmod 600 it", (unsigned)(st.st_mode & 0777));
        return PK_EKEY;
    }
    return 0;
}

/* A Z85 key of 40 characters, optionally followed by white space. */
static bool s_z85_key(const char *text, char out[PK_CURVE_KEY_Z85_LEN + 1], uint8_t bin[32])
{
    size_t n = strcspn(text, " \t\r\n");
    if (n != PK_CURVE_KEY_Z85_LEN || text[n + strspn(text + n, " \t\r\n")] != '\0')
        return false;
    memcpy(out, text, n);
    out[n] = '\0';
    return zmq_z85_decode(bin, out) != NULL;
}

pk_bus_keys_t *pk_bus_keys_load(const pk_config_t *cfg, const char *self_name, char *err, size_t errlen)
{
    int self = s_peer_index(self_name);
    if (self < 0) {
        snprintf(err, errlen, "\"%s\" is not a bus peer", self_name);
        return NULL;
    }
    pk_bus_keys_t *k = pk_calloc(1, sizeof *k);
    k->self = self;
    char name[96];
    for (int i = 0; i < S_PEERS; i++) {
        s_setting(name, sizeof name, pk_bus_peer_names[i], "CURVE_PUBLIC_KEY");
        const char *text = pk_config_str(cfg, name);
        if (!*text) {
            snprintf(err, errlen, "%s is not set (the bus refuses peers it cannot authenticate)", name);
            goto fail;
        }
        if (!s_z85_key(text, k->public_z85[i], k->public_bin[i])) {
            snprintf(err, errlen, "%s is not a CURVE public key (40 Z85 characters)", name);
            goto fail;
        }
    }
    s_setting(name, sizeof name, self_name, "CURVE_SECRET_KEY_FILE");
    const char *path = pk_config_str(cfg, name);
    char why[160];
    if (pk_secret_file_check(path, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s=\"%s\" %s", name, path, why);
        goto fail;
    }
    char *text = NULL;
    size_t len = 0;
    uint8_t secret[32], public[32];
    bool ok = pk_read_file(path, &text, &len) == 0 && s_z85_key(text, k->secret_z85, secret);
    if (text) {
        sodium_memzero(text, len);
        free(text);
    }
    if (!ok) {
        snprintf(err, errlen, "%s=\"%s\" does not hold a CURVE secret key (40 Z85 characters)", name, path);
        goto fail;
    }
    crypto_scalarmult_base(public, secret);
    sodium_memzero(secret, sizeof secret);
    if (memcmp(public, k->public_bin[self], 32) != 0) {
        s_setting(name, sizeof name, self_name, "CURVE_PUBLIC_KEY");
        snprintf(err, errlen, "%s does not match the secret key in its file", name);
        goto fail;
    }
    return k;
fail:
    pk_bus_keys_destroy(&k);
    return NULL;
}

void pk_bus_keys_destroy(pk_bus_keys_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sodium_memzero(*self_p, sizeof **self_p);
    free(*self_p);
    *self_p = NULL;
}

const char *pk_bus_keys_self(const pk_bus_keys_t *self)
{
    return pk_bus_peer_names[self->self];
}

void pk_bus_secure_server(zsock_t *sock, const pk_bus_keys_t *keys, const char *domain)
{
    if (!keys)
        return; /* plain_bus_for_benchmark only */
    zsock_set_zap_domain(sock, domain);
    zsock_set_curve_server(sock, 1);
    zsock_set_curve_secretkey(sock, keys->secret_z85);
}

void pk_bus_secure_client(zsock_t *sock, const pk_bus_keys_t *keys, const char *server)
{
    if (!keys)
        return; /* plain_bus_for_benchmark only */
    int i = s_peer_index(server);
    assert(i >= 0 && i < S_PEERS - 2); /* servers are services: neither the edge nor ctl */
    zsock_set_curve_serverkey(sock, keys->public_z85[i]);
    zsock_set_curve_publickey(sock, keys->public_z85[keys->self]);
    zsock_set_curve_secretkey(sock, keys->secret_z85);
}

/* Who consumes whose events (security review N10): each service the
 * producers it applies, the audit log and the operator every one. A
 * service's own list (pk_service_def_t.consumes) must lie within it. */
static const struct {
    const char *consumer, *producers[5];
} s_consumes[] = {
    {"intake", {"dispatch", "referral", NULL}},
    {"dispatch", {"intake", NULL}},
    {"referral", {"intake", "dispatch", NULL}},
    {"notification", {"intake", "dispatch", "referral", NULL}},
};

bool pk_bus_consumes(const char *peer, const char *producer)
{
    if (!peer || !producer)
        return false;
    if (strcmp(peer, "audit") == 0 || strcmp(peer, "ctl") == 0)
        return s_peer_index(producer) >= 0;
    for (size_t i = 0; i < sizeof s_consumes / sizeof s_consumes[0]; i++)
        if (strcmp(s_consumes[i].consumer, peer) == 0)
            for (const char *const *p = s_consumes[i].producers; *p; p++)
                if (strcmp(*p, producer) == 0)
                    return true;
    return false;
}

bool pk_bus_may_connect(const char *domain, const char *peer)
{
    const char *dot = strrchr(domain, '.');
    if (!dot || s_peer_index(peer) < 0)
        return false;
    const char *kind = dot + 1;
    size_t n = (size_t)(dot - domain);
    if (strcmp(kind, "pub") == 0 || strcmp(kind, "replay") == 0) {
        /* A producer's events: to the services that consume them only. */
        char producer[32];
        snprintf(producer, sizeof producer, "%.*s", (int)(n < sizeof producer ? n : sizeof producer - 1), domain);
        return pk_bus_consumes(peer, producer);
    }
    if (strcmp(kind, "archive") == 0)
        return true; /* every consumer may rebuild: the archive serves each its own producers only */
    if (strcmp(kind, "rpc") != 0)
        return false;
    if (n == 6 && strncmp(domain, "intake", n) == 0) /* GetContact, GetPlace; the edge's commands to the owner */
        return strcmp(peer, "notification") == 0 || strcmp(peer, "dispatch") == 0 || strcmp(peer, "edge") == 0;
    return strcmp(peer, "edge") == 0; /* the HTTP edge */
}

bool pk_bus_vouches(const char *peer)
{
    return strcmp(peer, "edge") == 0; /* only the edge has met a staff member or a reporter */
}

const char *pk_bus_peer_of(zframe_t *frame)
{
    return frame ? zframe_meta(frame, "User-Id") : NULL;
}

/* ---- the ZAP handler (RFC 27) -------------------------------------------- */

struct pk_zap {
    zactor_t *actor;
    const pk_bus_keys_t *keys;
    const pk_log_t *log;
    pk_metric_t *m_refused;
    bool bound;
};

static void s_zap_reply(zsock_t *rep, const char *request_id, const char *status, const char *text, const char *user_id)
{
    zstr_sendx(rep, "1.0", request_id, status, text, user_id, "", NULL);
}

static void s_zap_handle(pk_zap_t *self, zsock_t *rep)
{
    zmsg_t *msg = zmsg_recv(rep);
    if (!msg)
        return;
    char *version = zmsg_popstr(msg), *request_id = zmsg_popstr(msg), *domain = zmsg_popstr(msg),
         *address = zmsg_popstr(msg), *identity = zmsg_popstr(msg), *mechanism = zmsg_popstr(msg);
    zframe_t *key = zmsg_pop(msg);
    const char *peer = NULL, *why = "unknown key";
    if (!version || strcmp(version, "1.0") != 0 || !mechanism || strcmp(mechanism, "CURVE") != 0 || !key ||
        zframe_size(key) != 32) {
        why = "not CURVE";
    } else {
        for (int i = 0; i < S_PEERS; i++)
            if (sodium_memcmp(zframe_data(key), self->keys->public_bin[i], 32) == 0)
                peer = pk_bus_peer_names[i];
        if (peer && !pk_bus_may_connect(domain ? domain : "", peer)) {
            why = "not allowed on this endpoint";
            peer = NULL;
        }
    }
    if (peer) {
        s_zap_reply(rep, request_id ? request_id : "", "200", "OK", peer);
    } else {
        char shown[PK_CURVE_KEY_Z85_LEN + 1] = "-";
        if (key && zframe_size(key) == 32)
            zmq_z85_encode(shown, zframe_data(key), 32);
        pk_metric_add(self->m_refused, 1);
        pk_log_warn(self->log, "bus: refused a peer at %s on %s (%s, key %.8s...), connection dropped",
                    address ? address : "?", domain ? domain : "?", why, shown);
        s_zap_reply(rep, request_id ? request_id : "", "400", why, "");
    }
    zframe_destroy(&key);
    zstr_free(&version);
    zstr_free(&request_id);
    zstr_free(&domain);
    zstr_free(&address);
    zstr_free(&identity);
    zstr_free(&mechanism);
    zmsg_destroy(&msg);
}

static void s_zap_actor(zsock_t *pipe, void *arg)
{
    pk_zap_t *self = arg;
    zsock_t *rep = zsock_new(ZMQ_REP);
    self->bound = zsock_bind(rep, "inproc://zeromq.zap.01") == 0;
    zsock_signal(pipe, 0);
    if (!self->bound) {
        zsock_destroy(&rep);
        char *term = zstr_recv(pipe); /* wait for $TERM */
        zstr_free(&term);
        return;
    }
    zpoller_t *poller = zpoller_new(pipe, rep, NULL);
    for (;;) {
        void *which = zpoller_wait(poller, -1);
        if (!which || which == pipe)
            break;
        s_zap_handle(self, rep);
    }
    zpoller_destroy(&poller);
    zsock_destroy(&rep);
}

pk_zap_t *pk_zap_new(const pk_bus_keys_t *keys, const pk_log_t *log, pk_metrics_t *metrics)
{
    pk_zap_t *self = pk_calloc(1, sizeof *self);
    self->keys = keys;
    self->log = log;
    self->m_refused = pk_metrics_counter(metrics, "pelukan_bus_peers_refused_total", NULL,
                                         "bus connections refused by the ZAP handler");
    self->actor = zactor_new(s_zap_actor, self);
    if (!self->bound)
        pk_zap_destroy(&self);
    return self;
}

void pk_zap_destroy(pk_zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zactor_destroy(&(*self_p)->actor);
    free(*self_p);
    *self_p = NULL;
}

int pk_bus_keygen(const char *dir, const char *name)
{
    char public[PK_CURVE_KEY_Z85_LEN + 1], secret[PK_CURVE_KEY_Z85_LEN + 1];
    if (zmq_curve_keypair(public, secret) != 0)
        return PK_ECRYPTO;
    char *path = pk_asprintf("%s/%s.curve", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    free(path);
    int rc = PK_EIO;
    if (fd >= 0) {
        char line[PK_CURVE_KEY_Z85_LEN + 2];
        snprintf(line, sizeof line, "%s\n", secret);
        bool ok = write(fd, line, strlen(line)) == (ssize_t)strlen(line);
        sodium_memzero(line, sizeof line);
        ok = close(fd) == 0 && ok;
        path = pk_asprintf("%s/%s.pub", dir, name);
        FILE *f = ok ? fopen(path, "w") : NULL;
        free(path);
        if (f) {
            ok = fprintf(f, "%s\n", public) > 0;
            rc = fclose(f) == 0 && ok ? 0 : PK_EIO;
        }
    }
    sodium_memzero(secret, sizeof secret);
    return rc;
}
