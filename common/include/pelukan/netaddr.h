/* netaddr.h -- client addresses behind trusted proxies.
 *
 * In production nginx sits in front of intake: every TCP peer is nginx.
 * The client's own address comes from X-Forwarded-For, but only when the
 * peer is a proxy we trust (PELUKAN_HTTP_TRUSTED_PROXIES), and then it is
 * the right-most address that is not itself a trusted proxy: everything to
 * its left was written by the client and proves nothing. */
#ifndef PELUKAN_NETADDR_H
#define PELUKAN_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "pelukan/error.h"

#define PK_ADDR_TEXT_MAX 64

typedef struct pk_netlist pk_netlist_t;

/* Parses "10.0.0.1, 192.168.0.0/16, ::1, fd00::/8" (empty: nobody).
 * Returns NULL and the bad entry in `err` when one is malformed. Caller
 * owns return value. */
pk_netlist_t *pk_netlist_parse(const char *text, char *err, size_t errlen);
void pk_netlist_destroy(pk_netlist_t **self_p);
/* True when the address `addr` (text) lies in one of the networks. */
bool pk_netlist_contains(const pk_netlist_t *self, const char *addr);

/* The client's address for a request from `peer` carrying the header
 * value `xff` (or NULL), as above; `trusted` may be NULL (trust nobody).
 * Writes it into `out`. */
void pk_client_address(const char *peer, const char *xff, const pk_netlist_t *trusted, char out[PK_ADDR_TEXT_MAX]);

/* The bucket that limits count an address in: the address itself for
 * IPv4, its /64 network for IPv6 (one subscriber holds a whole /64). */
void pk_client_bucket(const char *addr, char out[PK_ADDR_TEXT_MAX]);

#endif
