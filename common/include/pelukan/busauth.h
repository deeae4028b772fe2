/* busauth.h -- who may speak on the bus: CURVE keys, the endpoint policy
 * and the ZAP handler.
 *
 * Every ZeroMQ socket of PELUKAN uses CURVE. Each service, and the
 * operator's tool `pelukanctl` (peer "ctl"), has its own key pair: the
 * secret key in a file only its owner can read, every public key in
 * configuration (PELUKAN_<PEER>_CURVE_PUBLIC_KEY). A server socket names
 * its endpoint as a ZAP domain ("dispatch.rpc", "intake.pub", ...); the
 * process's ZAP handler admits a client only when its key is one of the
 * known peers and pk_bus_may_connect() allows that peer on that domain,
 * and then tells the socket the peer's name: every message received
 * carries it as the "User-Id" property, which is how a command server
 * knows who sent a command without believing the command. */
#ifndef PELUKAN_BUSAUTH_H
#define PELUKAN_BUSAUTH_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

#include "pelukan/config.h"
#include "pelukan/error.h"
#include "pelukan/log.h"
#include "pelukan/metrics.h"

#define PK_CURVE_KEY_Z85_LEN 40

/* The bus's peers: the services of pk_service_names, then "edge" (the HTTP
 * edge, a client only) and "ctl". */
extern const char *const pk_bus_peer_names[];

typedef struct pk_bus_keys pk_bus_keys_t;

/* Loads the key pair of peer `self_name` (its secret key file,
 * PELUKAN_<SELF>_CURVE_SECRET_KEY_FILE) and the public key of every peer.
 * The secret file must be owned by this user and readable by nobody else.
 * On error returns NULL and writes one line naming the setting into `err`.
 * Caller owns return value. */
pk_bus_keys_t *pk_bus_keys_load(const pk_config_t *cfg, const char *self_name, char *err, size_t errlen);
/* Wipes and frees; accepts NULL. */
void pk_bus_keys_destroy(pk_bus_keys_t **self_p);
/* This peer's name. */
const char *pk_bus_keys_self(const pk_bus_keys_t *self);

/* `keys` is never NULL in a service; NULL leaves the socket plain, for
 * the benchmark node only (pk_service_def_t.plain_bus_for_benchmark). */
/* Makes `sock` a CURVE server for endpoint `domain` ("<service>.pub",
 * "<service>.replay", "<service>.rpc", "audit.archive"). Call before bind. */
void pk_bus_secure_server(zsock_t *sock, const pk_bus_keys_t *keys, const char *domain);
/* Makes `sock` a CURVE client of peer `server` (a service name). Call
 * before connect. */
void pk_bus_secure_client(zsock_t *sock, const pk_bus_keys_t *keys, const char *server);

/* Does `peer` consume `producer`'s events? Each service the producers it
 * applies; "audit" and "ctl" every one (security review N10). */
bool pk_bus_consumes(const char *peer, const char *producer);

/* The policy: may `peer` connect to endpoint `domain`? A producer's events
 * (codes, never personal data) only to its consumers (pk_bus_consumes);
 * the audit archive to every peer, which it serves only the producers the
 * peer consumes (everything to "ctl"); a command endpoint only to the
 * service that sends it commands (intake's to notification, which asks for
 * contacts; the others' to intake, the HTTP edge). */
bool pk_bus_may_connect(const char *domain, const char *peer);

/* Does `peer` vouch for the person a command names? Only the HTTP edge
 * (intake), which authenticated that person itself. */
bool pk_bus_vouches(const char *peer);

/* The peer name a received frame was authenticated as ("User-Id"), or NULL. */
const char *pk_bus_peer_of(zframe_t *frame);

/* The ZAP handler of this process (one per ZeroMQ context): start it
 * before binding any server socket. Returns NULL when the handler
 * endpoint cannot be bound (another handler runs). Caller owns return
 * value; `keys`, `log` and `metrics` must outlive it. */
typedef struct pk_zap pk_zap_t;
pk_zap_t *pk_zap_new(const pk_bus_keys_t *keys, const pk_log_t *log, pk_metrics_t *metrics);
void pk_zap_destroy(pk_zap_t **self_p);

/* Checks that a secret file is owned by this user and not readable,
 * writable or executable by group or others. Returns 0, PK_EIO (cannot
 * stat) or PK_EKEY (with the reason in `why`). */
int pk_secret_file_check(const char *path, char *why, size_t whylen) PK_MUST_CHECK;

/* Writes a new key pair for `name` into `dir`: <name>.curve (the secret
 * key, mode 0600) and <name>.pub (the public key). Fails with PK_EIO if
 * the secret file exists. */
int pk_bus_keygen(const char *dir, const char *name) PK_MUST_CHECK;

#endif
