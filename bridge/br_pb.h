/*
 * br_pb: protobuf messages handled through their descriptors, by the names
 * REST gives their fields: a field found by its member name, and a message
 * written as JSON.
 *
 * The JSON mapping: a field's key is the lowerCamelCase of its .proto name
 * ("seat_no" -> "seatNo"); an int64 field named "*_ms" is a time, keyed
 * without the suffix ("expires_at_ms" -> "expiresAt") and written as
 * br_json_time does. Enumerations are written by name (bo_enum_name),
 * messages as objects with every field (null when absent), repeated fields
 * as arrays. A field of a type the messages do not use (signed 32-bit,
 * bytes, floating point) marks the buffer failed: a programmer error,
 * answered as 500.
 *
 * Which members, in which order: a key list names them, NULL-terminated, each
 * "key" (the field whose key it is) or "key=field" (the .proto field field
 * under another key: "reservationId=id"). No key list (NULL) writes every
 * field in .proto order. A key naming no field marks the buffer failed.
 */
#ifndef BR_PB_H
#define BR_PB_H

#include <protobuf-c/protobuf-c.h>

#include "br_json.h"

/* br_pb_field returns where m's field with member name key ("key" or "key=field" as in a key
 * list) is stored, with its type in *type; NULL when m has no such field or it is repeated.
 * Like strchr, the result is as writable as m is. */
void *br_pb_field(const ProtobufCMessage *m, const char *key, ProtobufCType *type);

/* br_pb_field_number returns the .proto field number of m's field key (as br_pb_field names
 * it), or 0 when m has no such field. */
unsigned br_pb_field_number(const ProtobufCMessage *m, const char *key);

/* br_pb_json_members writes m's members, those keys names or every field when keys is NULL,
 * into the object j has open. */
void br_pb_json_members(struct br_json *j, const ProtobufCMessage *m, const char *const *keys);

/* br_pb_json_object writes m as an object of br_pb_json_members, or null when m is NULL. */
void br_pb_json_object(struct br_json *j, const ProtobufCMessage *m, const char *const *keys);

#endif
