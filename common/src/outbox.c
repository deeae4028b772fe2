/* outbox.c -- writing events into the producer's outbox, inside the
 * transaction of the state change they describe. */
#include <stdio.h>
#include <stdlib.h>

#include "pelukan/bus.h"
#include "pelukan/db.h"
#include "pelukan/util.h"

void pk_outbox_params(const Pelukan__V1__Envelope *env, char topic[128], char **hex)
{
    snprintf(topic, 128, "%s.%s", env->producer, pk_envelope_type(env));
    uint8_t *packed;
    size_t len;
    pk_envelope_pack(env, &packed, &len);
    *hex = pk_pg_bytea(packed, len);
    free(packed);
}

void pk_outbox_redacted(const char *producer, char **hex, char topic[128], char erased_topic[128])
{
    Pelukan__V1__Envelope redacted = PELUKAN__V1__ENVELOPE__INIT;
    redacted.producer = (char *)producer;
    uint8_t *packed;
    size_t len;
    pk_envelope_pack(&redacted, &packed, &len);
    *hex = pk_pg_bytea(packed, len);
    free(packed);
    snprintf(topic, 128, "%s.redacted", producer);
    snprintf(erased_topic, 128, "%s.case_erased", producer);
}

int pk_outbox_redact_case(PGconn *conn, const pk_log_t *log, const char *producer, const char *case_id)
{
    char *hex, topic[128], erased[128];
    pk_outbox_redacted(producer, &hex, topic, erased);
    const char *params[] = {case_id, hex, topic, erased};
    int rc = pk_pg_run(conn, log, PK_OUTBOX_REDACT_SQL, 4, params);
    free(hex);
    return rc;
}

int pk_outbox_add(PGconn *conn, const pk_log_t *log, const Pelukan__V1__Envelope *env)
{
    char topic[128];
    char *hex;
    pk_outbox_params(env, topic, &hex);
    const char *params[] = {topic, env->case_id, hex};
    int rc = pk_pg_run(conn, log, PK_OUTBOX_INSERT_SQL, 3, params);
    free(hex);
    return rc;
}
