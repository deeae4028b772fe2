/* bus.h -- the reliable event bus: envelopes, the outbox, the relay that
 * numbers and publishes, and the subscriber that applies exactly once.
 *
 * Wire format of an event on a producer's PUB socket (and in replay):
 *   [topic "<producer>.<event_type>"] [header: epoch u64 BE, seq u64 BE] [Envelope]
 * A heartbeat every second: ["<producer>.$hb"] [epoch, last_seq] [Heartbeat].
 * Consumers subscribe to "<producer>." (the whole stream), detect gaps from
 * the header alone and fill them from the producer's replay ROUTER. */
#ifndef PELUKAN_BUS_H
#define PELUKAN_BUS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pelukan/busauth.h"
#include "pelukan/error.h"
#include "pelukan/log.h"
#include "pelukan/metrics.h"
#include "pelukan/v1/envelope.pb-c.h"

#define PK_BUS_HEADER_BYTES     16
#define PK_BUS_HEARTBEAT_SUFFIX "$hb"

/* ---- envelopes ---------------------------------------------------------- */

/* Fills the common fields of a new envelope: a random event id, producer,
 * the current UTC time, case id and correlation id (both may be NULL). The
 * strings are not copied: they must outlive the envelope's packing. The
 * caller sets the actor and the payload. `id_buf` holds the event id. */
void pk_envelope_init(Pelukan__V1__Envelope *env, uint8_t id_buf[16], const char *producer, const char *case_id,
                      const char *correlation_id);

/* The event type of an envelope: the name of its payload field, such as
 * "report_submitted"; "unknown" when the payload is not set. */
const char *pk_envelope_type(const Pelukan__V1__Envelope *env);

/* Packs an envelope. Caller owns *out (free()). */
void pk_envelope_pack(const Pelukan__V1__Envelope *env, uint8_t **out, size_t *len);

/* Unpacks `len` bytes, refusing more than `max_bytes` before decoding.
 * Returns NULL when too big or malformed. Free with pk_envelope_free(). */
Pelukan__V1__Envelope *pk_envelope_unpack(const uint8_t *data, size_t len, size_t max_bytes);
void pk_envelope_free(Pelukan__V1__Envelope *env);

void pk_bus_header_write(uint8_t out[PK_BUS_HEADER_BYTES], uint64_t epoch, uint64_t seq);
void pk_bus_header_read(const uint8_t in[PK_BUS_HEADER_BYTES], uint64_t *epoch, uint64_t *seq);

/* ---- the outbox --------------------------------------------------------- */

/* Adds the event to the outbox inside the caller's open transaction on
 * `conn` (blocking use). Commit, then pk_relay_kick(). */
int pk_outbox_add(PGconn *conn, const pk_log_t *log, const Pelukan__V1__Envelope *env) PK_MUST_CHECK;

/* The SQL and parameters of the same insert, for the non-blocking client:
 * pk_db_txn_add(txn, PK_OUTBOX_INSERT_SQL, 3, params). `hex` receives the
 * envelope as a bytea hex literal; caller frees it. */
#define PK_OUTBOX_INSERT_SQL PK_OUTBOX_INSERT_SELECT("$1", "NULLIF($2, '')", "$3")
/* The same row inside a statement of the caller's (a CTE that writes the
 * event only when the change it records was made): the topic, case id and
 * envelope as SQL expressions; the caller adds FROM and WHERE. The only
 * place outside outbox.c that names the table's columns (make lint checks). */
#define PK_OUTBOX_INSERT_SELECT(topic, case_id, envelope)                                                              \
    "INSERT INTO outbox (topic, case_id, envelope) SELECT " topic ", " case_id ", " envelope "::bytea"
void pk_outbox_params(const Pelukan__V1__Envelope *env, char topic[128], char **hex);

/* Erasure of a case in the outbox (review M10): its events that are still
 * kept for replay (PELUKAN_OUTBOX_RETENTION_S), or not yet published,
 * become an envelope naming only `producer`, under the topic
 * "<producer>.redacted", with no case id; their sequence numbers stay, so
 * a consumer replaying them counts an unknown event and goes on.
 * CaseErased itself is left as it is. Run it in the transaction that
 * applies (or raises) the erasure. */
int pk_outbox_redact_case(PGconn *conn, const pk_log_t *log, const char *producer, const char *case_id) PK_MUST_CHECK;
/* The same as SQL for the non-blocking client, with parameters: $1 the
 * case id, $2 the redacted envelope (pk_outbox_redacted), $3 its topic,
 * $4 the producer's CaseErased topic. */
#define PK_OUTBOX_REDACT_SQL                                                                                           \
    "UPDATE outbox SET envelope = $2::bytea, topic = $3, case_id = NULL WHERE case_id = $1 AND topic <> $4"
/* The redacted envelope (bytea hex literal) and topics of `producer`;
 * caller frees *hex. */
void pk_outbox_redacted(const char *producer, char **hex, char topic[128], char erased_topic[128]);

/* ---- the relay (producer side) ----------------------------------------- */

typedef struct pk_relay pk_relay_t;

typedef struct {
    const char *producer; /* service name, also the schema */
    const char *conninfo; /* the producer's role */
    const char *pub_endpoint;
    const char *replay_endpoint;
    const pk_log_t *log;
    pk_metrics_t *metrics;
    int batch;                 /* rows numbered per transaction (default 2000) */
    int poll_ms;               /* fallback poll when not kicked (default 100) */
    int retention_s;           /* sequenced rows older than this are deleted (default 7 days) */
    int max_msg_bytes;         /* largest message accepted on the replay socket */
    int sndhwm;                /* PUB high-water mark per subscriber (default 100000) */
    const pk_bus_keys_t *keys; /* CURVE: this service's key pair and its peers' keys */
} pk_relay_config_t;

/* Starts the relay in its own thread (a zactor). It waits as a hot standby
 * until it holds the producer's advisory lock, then binds its sockets,
 * numbers outbox rows densely in its own transactions, publishes them and
 * serves replay. Caller owns return value. */
pk_relay_t *pk_relay_new(const pk_relay_config_t *cfg);

/* Wakes the relay at once (call right after committing outbox rows). Never
 * blocks on the relay; kicks that find it busy are merged. Safe from any
 * thread (the loop, a command server). */
void pk_relay_kick(pk_relay_t *self);

/* True while this instance holds the relay lock. */
bool pk_relay_is_leader(const pk_relay_t *self);

/* Stops the relay thread and frees it; accepts NULL. */
void pk_relay_destroy(pk_relay_t **self_p);

/* ---- the subscriber (consumer side) ------------------------------------ */

typedef struct {
    const char *producer;
    uint64_t epoch;
    uint64_t seq;
    const Pelukan__V1__Envelope *envelope; /* valid during the apply call only */
    const uint8_t *raw;
    size_t raw_len;
} pk_bus_event_t;

/* Applies one event inside the subscriber's open transaction on `conn`.
 * Returns 0 when applied, PK_ENOENT when the consumer does not handle this
 * event type (skipped and counted), or another PK_E* code to roll the batch
 * back and try again. */
typedef int (*pk_bus_apply_fn)(PGconn *conn, const pk_bus_event_t *ev, void *arg);

/* Called right after each batch's BEGIN, before its first apply, with
 * `new_connection` true the first time on a (re)connected session (the
 * place to prepare statements and to read state that a rolled-back batch
 * may have left stale). Non-zero rolls the batch back and reconnects. */
typedef int (*pk_bus_batch_fn)(PGconn *conn, bool new_connection, void *arg);

/* Called after the batch's last apply, before its offsets are stored and
 * it commits: the place to write what apply gathered (for instance with
 * one COPY). Non-zero rolls the batch back and reconnects. */
typedef int (*pk_bus_batch_end_fn)(PGconn *conn, void *arg);

#define PK_BUS_MAX_PRODUCERS 8

typedef struct {
    const char *name;
    const char *pub_endpoint;
    const char *replay_endpoint;
} pk_bus_producer_t;

typedef struct {
    const char *consumer; /* the consuming service's name, for logs */
    const char *conninfo; /* the consumer's role */
    const pk_log_t *log;
    pk_metrics_t *metrics;
    pk_bus_producer_t producers[PK_BUS_MAX_PRODUCERS];
    int nproducers;
    pk_bus_apply_fn apply;
    pk_bus_batch_fn batch_begin;   /* optional */
    pk_bus_batch_end_fn batch_end; /* optional */
    void *apply_arg;
    int max_batch;         /* events per transaction (default 1000) */
    int replay_max;        /* events per replay request (default 2000) */
    int rcvhwm;            /* SUB receive high-water mark (0: libzmq default) */
    int max_msg_bytes;     /* larger messages are refused (default 1 MiB) */
    int replay_timeout_ms; /* resend a replay request after this (default 2000) */
    /* Optional: the audit's archive ROUTER. When a producer no longer
     * holds events this consumer needs (older than its retention), they
     * are taken from the archive in the producer's order, then the
     * consumer goes on from the producer. Without it, the consumer stops
     * at the gap and says so. */
    const char *archive_endpoint;
    const pk_bus_keys_t *keys; /* CURVE: this service's key pair and its peers' keys */
} pk_subscriber_config_t;

typedef struct pk_subscriber pk_subscriber_t;

/* Starts the subscriber in its own thread. Caller owns return value. */
pk_subscriber_t *pk_subscriber_new(const pk_subscriber_config_t *cfg);
void pk_subscriber_destroy(pk_subscriber_t **self_p);

#endif
