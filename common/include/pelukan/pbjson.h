/* pbjson.h -- JSON to and from protobuf-c messages by their descriptors,
 * so a new message or field needs no code of its own: the HTTP edge's
 * forwarding routes (services/intake/edge/) and pelukanctl's view
 * of events are both this.
 *
 * JSON's names are the protobuf fields' names. Printing shows the fields a
 * shape names and nothing else (an allow-list: a field added to a message
 * is not shown until a shape says so); reading takes the fields a rule
 * list names, checks each, and refuses every other. */
#ifndef PELUKAN_PBJSON_H
#define PELUKAN_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

/* A message as JSON. `shape` names the fields shown, separated by spaces,
 * each shown even when it holds its default:
 *   "name"           the field (a repeated field: an array);
 *   "name?"          the field, its default (an empty string) shown as null;
 *                    with a bool field "name_said" beside it, null unless
 *                    that is true (a bool whose false is an answer too);
 *   "name{a b?}"     a message field (or repeated message) with its own shape;
 *   "name?{a b?}"    the same, null when it is not set.
 * A message field that is not set (a oneof holding another member, a NULL
 * pointer) is otherwise left out. Enums show their value's name, bytes as hex.
 * shape NULL: every field that holds more than its default, messages in
 * full (pelukanctl's view of an event). Returns NULL when the shape names a
 * field the message does not have (pk_pbjson_shape_ok() says so first). */
json_t *pk_pbjson_print(const ProtobufCMessage *msg, const char *shape);

/* True when every field `shape` names exists in `desc`, with the right
 * kind (braces only on message fields); the first wrong name in `bad`
 * (may be NULL). */
bool pk_pbjson_shape_ok(const ProtobufCMessageDescriptor *desc, const char *shape, char *bad, size_t badlen);

typedef enum {
    PK_PBJSON_CODE = 1,     /* a non-empty string of at most `max` characters (64 when 0): a code,
                             * or a text that may not be empty */
    PK_PBJSON_TEXT,         /* a string of at most `max` characters (0: any length) */
    PK_PBJSON_BOOL,         /* true or false */
    PK_PBJSON_CODES,        /* an array of at most `max` codes, each as PK_PBJSON_CODE */
    PK_PBJSON_CODE_OR_NULL, /* as PK_PBJSON_CODE, or null: none (the field left empty), an answer too */
} pk_pbjson_kind_t;

/* One field a body may carry. `hint` is what the client is told when the
 * field is missing (if required) or wrong; NULL: the kind's own words.
 * null is a wrong value, not a missing one, except for PK_PBJSON_CODE_OR_NULL. */
typedef struct {
    const char *field;
    pk_pbjson_kind_t kind;
    bool required;
    unsigned max;
    const char *hint;
    const char *const *one_of; /* PK_PBJSON_CODE: one of these (NULL-ended); NULL: any */
} pk_pbjson_rule_t;

/* Reads `body` (a JSON object) into `msg` by `rules` (ended by a rule with
 * no field): each problem goes to `errors` as field -> hint, and a field no
 * rule names is one ("tidak dikenal"). Strings point into `body`, which
 * must outlive `msg`; the arrays of repeated fields are allocated (free them
 * with pk_pbjson_release()). Lengths are counted in characters, not bytes.
 * True when nothing was wrong. `errors` NULL: a body checked before, read
 * again. */
bool pk_pbjson_read(const json_t *body, ProtobufCMessage *msg, const pk_pbjson_rule_t *rules, json_t *errors);
/* True when every rule names a field of `desc` of a type its kind fits. */
bool pk_pbjson_rules_ok(const ProtobufCMessageDescriptor *desc, const pk_pbjson_rule_t *rules, char *bad,
                        size_t badlen);
/* Frees the arrays pk_pbjson_read() allocated in `msg` (not the strings,
 * which belong to the body). */
void pk_pbjson_release(ProtobufCMessage *msg);

/* Setting one field by name (false when `msg` has no such field of that
 * type): a string (borrowed, not copied), an enum or integer, or a message
 * field (borrowed; a oneof member also becomes the oneof's case). */
bool pk_pbjson_set_string(ProtobufCMessage *msg, const char *field, const char *value);
bool pk_pbjson_set_int(ProtobufCMessage *msg, const char *field, int value);
bool pk_pbjson_set_message(ProtobufCMessage *msg, const char *field, ProtobufCMessage *value);
/* Sets the one message field of `msg` whose type is value's (borrowed;
 * a oneof member also becomes the oneof's case): a command in its
 * request, an event in its envelope, where each type has one field. False
 * when `msg` has none or several. */
bool pk_pbjson_set_oneof(ProtobufCMessage *msg, ProtobufCMessage *value);
/* The message held in field `field` of `msg`; NULL when there is no such
 * field, it is unset, or it is a oneof member the oneof does not hold. */
const ProtobufCMessage *pk_pbjson_get_message(const ProtobufCMessage *msg, const char *field);

#endif
