/* pbrow.h -- a PostgreSQL row into a protobuf-c message by its
 * descriptor, so a read names each field once, in its SQL:
 *
 *     SELECT x.id AS case_id, x.urgent, x.reach_reason AS "reach_request.reason_code" ...
 *
 * Each column fills the field its name names; "a.b" the field b of the
 * message field a, made (in the arena) at its first column that is not
 * NULL, so a NULL group leaves it unset. Columns whose name begins with
 * "_" are the caller's (sealed parts, say: PQfnumber finds them). A NULL
 * column leaves its field at its default.
 *
 * Types: a string (text), a bool ('t'), an integer, an enum (its value's
 * name, or a number), bytes (bytea), and a repeated string from a text[]
 * ("{a,b}") or comma-separated codes ("a,b"); strings and arrays go to
 * the arena. */
#ifndef PELUKAN_PBROW_H
#define PELUKAN_PBROW_H

#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

#include "pelukan/util.h"

/* Row `row` of `res` into `msg`: the columns whose names begin with
 * `under` ("row.": a part several reads share), read without it (NULL:
 * every column). False when a column names no field of a type it can
 * fill (its name in `bad`, which may be NULL): the SQL and the message
 * disagree, a mistake a test finds. */
bool pk_pbrow_read(ProtobufCMessage *msg, const PGresult *res, int row, const char *under, pk_arena_t **arena,
                   char *bad, size_t badlen);

/* Every row of `res` as a new message of `desc` in the arena, into
 * *items (room for them and a NULL) and *n. False as pk_pbrow_read. */
bool pk_pbrow_read_all(const ProtobufCMessageDescriptor *desc, const PGresult *res, const char *under,
                       pk_arena_t **arena, ProtobufCMessage ***items, size_t *n, char *bad, size_t badlen);

#endif
