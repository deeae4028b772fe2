/* netaddr.c -- trusted-proxy lists and the client's address. */
#include "pelukan/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pelukan/util.h"

typedef struct {
    int family; /* AF_INET or AF_INET6 */
    unsigned char bytes[16];
    int prefix; /* bits */
} s_net_t;

struct pk_netlist {
    s_net_t *nets;
    size_t count;
};

/* Parses one address (no prefix) into 4 or 16 bytes. */
static int s_parse_addr(const char *text, unsigned char bytes[16])
{
    if (inet_pton(AF_INET, text, bytes) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, text, bytes) == 1)
        return AF_INET6;
    return 0;
}

static bool s_in(const s_net_t *net, int family, const unsigned char *bytes)
{
    if (family != net->family)
        return false;
    int full = net->prefix / 8, rest = net->prefix % 8;
    if (memcmp(net->bytes, bytes, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (net->bytes[full] & mask) == (bytes[full] & mask);
}

pk_netlist_t *pk_netlist_parse(const char *text, char *err, size_t errlen)
{
    pk_netlist_t *self = pk_calloc(1, sizeof *self);
    char *copy = pk_strdup(text ? text : ""), *save = NULL;
    for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        s_net_t net = {0};
        char *slash = strchr(tok, '/');
        if (slash)
            *slash = '\0';
        net.family = s_parse_addr(tok, net.bytes);
        int max = net.family == AF_INET ? 32 : 128;
        net.prefix = max;
        if (net.family && slash) {
            char *end;
            long p = strtol(slash + 1, &end, 10);
            net.prefix = *end || end == slash + 1 || p < 0 || p > max ? -1 : (int)p;
        }
        if (!net.family || net.prefix < 0) {
            if (slash)
                *slash = '/';
            snprintf(err, errlen, "\"%s\" is not an address or network (a.b.c.d[/n], x:y::z[/n])", tok);
            free(copy);
            pk_netlist_destroy(&self);
            return NULL;
        }
        self->nets = pk_realloc(self->nets, (self->count + 1) * sizeof *self->nets);
        self->nets[self->count++] = net;
    }
    free(copy);
    return self;
}

void pk_netlist_destroy(pk_netlist_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->nets);
    free(*self_p);
    *self_p = NULL;
}

bool pk_netlist_contains(const pk_netlist_t *self, const char *addr)
{
    unsigned char bytes[16];
    int family = self ? s_parse_addr(addr, bytes) : 0;
    for (size_t i = 0; family && i < self->count; i++)
        if (s_in(&self->nets[i], family, bytes))
            return true;
    return false;
}

/* Copies the trimmed entry [b, e) when it is an address. */
static bool s_entry(const char *b, const char *e, char out[PK_ADDR_TEXT_MAX])
{
    while (b < e && (*b == ' ' || *b == '\t'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    size_t n = (size_t)(e - b);
    unsigned char bytes[16];
    if (n == 0 || n >= PK_ADDR_TEXT_MAX)
        return false;
    memcpy(out, b, n);
    out[n] = '\0';
    return s_parse_addr(out, bytes) != 0;
}

void pk_client_address(const char *peer, const char *xff, const pk_netlist_t *trusted, char out[PK_ADDR_TEXT_MAX])
{
    snprintf(out, PK_ADDR_TEXT_MAX, "%s", peer);
    if (!xff || !pk_netlist_contains(trusted, peer))
        return;
    /* From the right: each trusted proxy vouches for the hop before it. */
    const char *end = xff + strlen(xff);
    for (;;) {
        const char *comma = end;
        while (comma > xff && comma[-1] != ',')
            comma--;
        char hop[PK_ADDR_TEXT_MAX];
        if (!s_entry(comma, end, hop))
            return; /* garbage: the last address we could vouch for stands */
        snprintf(out, PK_ADDR_TEXT_MAX, "%s", hop);
        if (!pk_netlist_contains(trusted, hop) || comma == xff)
            return;
        end = comma - 1;
    }
}

void pk_client_bucket(const char *addr, char out[PK_ADDR_TEXT_MAX])
{
    unsigned char bytes[16];
    if (s_parse_addr(addr, bytes) != AF_INET6) {
        snprintf(out, PK_ADDR_TEXT_MAX, "%s", addr);
        return;
    }
    memset(bytes + 8, 0, 8);
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, bytes, text, sizeof text);
    snprintf(out, PK_ADDR_TEXT_MAX, "%s/64", text);
}
