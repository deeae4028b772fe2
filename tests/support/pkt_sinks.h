/* pkt_sinks.h -- stand-ins for the message providers, started by the tests:
 * an SMS/WhatsApp HTTP gateway and an SMTP server, both real servers on
 * loopback that record what they receive. */
#ifndef PKT_SINKS_H
#define PKT_SINKS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pkt_gateway pkt_gateway_t;
typedef struct pkt_push pkt_push_t;
typedef struct pkt_smtp pkt_smtp_t;

pkt_gateway_t *pkt_gateway_start(void);
int pkt_gateway_port(const pkt_gateway_t *g);
/* The next `count` requests are answered `status`. */
void pkt_gateway_fail(pkt_gateway_t *g, int status, int count);
/* Every answer comes `ms` late (the delivery itself is recorded first). */
void pkt_gateway_delay(pkt_gateway_t *g, int ms);
/* Requests taken and not yet answered. */
int pkt_gateway_in_flight(pkt_gateway_t *g);
/* Every request to `to` is answered `status` (a permanent refusal). */
void pkt_gateway_refuse(pkt_gateway_t *g, const char *to, int status);
/* Messages delivered (distinct Idempotency-Keys answered 2xx) whose "to"
 * contains `to` (NULL: all); the last one's text into `text`. */
int pkt_gateway_delivered(pkt_gateway_t *g, const char *to, char *text, size_t cap);
/* When the deliveries to `to` (NULL: all) arrived, in order (pkt_now_ms). */
int pkt_gateway_arrivals(pkt_gateway_t *g, const char *to, double *at_ms, int cap);
/* When the delivery with Idempotency-Key `key` arrived; false if none did. */
bool pkt_gateway_arrival_of(pkt_gateway_t *g, const char *key, double *at_ms);
/* Requests received, messages delivered, and repeats of a delivered key. */
void pkt_gateway_counts(pkt_gateway_t *g, int *requests, int *delivered, int *duplicates);
void pkt_gateway_stop(pkt_gateway_t **g_p);

pkt_smtp_t *pkt_smtp_start(void);
int pkt_smtp_port(const pkt_smtp_t *m);
/* Mails received with a recipient containing `rcpt` (NULL: all); the last
 * one's data (headers and body) into `data`. */
int pkt_smtp_received(pkt_smtp_t *m, const char *rcpt, char *data, size_t cap);
void pkt_smtp_stop(pkt_smtp_t **m_p);

/* A push service stand-in (Web Push): records each POST as it came (its
 * path, VAPID header, coding, TTL and encrypted body) and answers 201. */
typedef struct {
    char path[256];
    char authorization[1200];
    char encoding[64];
    char ttl[16];
    unsigned char *body;
    size_t len;
} pkt_push_msg_t;
pkt_push_t *pkt_push_start(void);
int pkt_push_port(const pkt_push_t *p);
/* Pushes received (answered 2xx); the last one into `last` when not NULL
 * (its body a copy: free(last->body)). */
int pkt_push_received(pkt_push_t *p, pkt_push_msg_t *last);
void pkt_push_stop(pkt_push_t **p_p);

#endif
