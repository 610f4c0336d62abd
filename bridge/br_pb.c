/*
 * br_pb: protobuf fields by member name and messages as JSON, through descriptors (see
 * br_pb.h).
 *
 * Keys cost: a key list's keys are written as given, each matched against the field names in
 * place; a message written whole has the keys of its type built once (br_pb_keys), so the
 * elements of a repeated field (the 50 seats of a seat map) share one set.
 */
#include "br_pb.h"

#include "bo_enum.h"
#include "bo_error.h"

#include <stdint.h>
#include <string.h>

/* Room for the longest key, with its NUL, and for the most fields of a message written whole. */
#define BR_PB_KEY_MAX    32
#define BR_PB_FIELDS_MAX 32

/* The keys of every field of one message type, in .proto order. */
struct br_pb_keys {
    char key[BR_PB_FIELDS_MAX][BR_PB_KEY_MAX];
};

static void br_pb_member(struct br_json *j, const ProtobufCMessage *m,
                         const ProtobufCFieldDescriptor *f, const char *key);

/* br_pb_is_time tells whether f holds a time: an int64 named "*_ms". */
static int br_pb_is_time(const ProtobufCFieldDescriptor *f)
{
    const char *ms = f->type == PROTOBUF_C_TYPE_INT64 ? strrchr(f->name, '_') : NULL;

    return ms != NULL && strcmp(ms, "_ms") == 0;
}

/* br_pb_upper returns c in upper case (field names are lower snake case). */
static char br_pb_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* br_pb_key_build writes f's key, the lowerCamelCase of its name (without "_ms" for a time),
 * into key (BR_PB_KEY_MAX bytes); returns BO_OK, or BO_E_TOO_LARGE when it does not fit. */
static int br_pb_key_build(const ProtobufCFieldDescriptor *f, char *key)
{
    const char *p = f->name;
    size_t end = strlen(p) - (br_pb_is_time(f) ? 3 : 0);
    size_t k = 0;

    for (size_t i = 0; i < end; i++, k++) {
        if (k == BR_PB_KEY_MAX - 1) {
            return BO_E_TOO_LARGE;
        }
        key[k] = p[i] == '_' && i + 1 < end ? br_pb_upper(p[++i]) : p[i];
    }
    key[k] = '\0';
    return BO_OK;
}

/* br_pb_is_key tells whether key[0..len) is f's key. */
static int br_pb_is_key(const ProtobufCFieldDescriptor *f, const char *key, size_t len)
{
    const char *p = f->name;

    for (size_t i = 0; i < len; i++, p++) {
        if ((*p == '_' ? br_pb_upper(*++p) : *p) != key[i]) {
            return 0; /* the name's end, too: keys hold no NUL */
        }
    }
    return *p == '\0' || (f->type == PROTOBUF_C_TYPE_INT64 && strcmp(p, "_ms") == 0);
}

/* br_pb_find returns the field of d that spec ("key" or "key=field") names, or NULL; *len
 * gets the length of its key. Keys mostly follow .proto order, so the search starts at *next
 * and leaves it after the field found. */
static const ProtobufCFieldDescriptor *br_pb_find(const ProtobufCMessageDescriptor *d,
                                                  const char *spec, size_t *len, unsigned *next)
{
    *len = strcspn(spec, "=");
    if (spec[*len] == '=') {
        return protobuf_c_message_descriptor_get_field_by_name(d, spec + *len + 1);
    }
    for (unsigned k = 0, i = *next; k < d->n_fields; k++, i++) {
        i = i < d->n_fields ? i : 0;
        if (br_pb_is_key(&d->fields[i], spec, *len)) {
            *next = i + 1;
            return &d->fields[i];
        }
    }
    return NULL;
}

void *br_pb_field(const ProtobufCMessage *m, const char *key, ProtobufCType *type)
{
    unsigned next = 0;
    size_t len;
    const ProtobufCFieldDescriptor *f = br_pb_find(m->descriptor, key, &len, &next);

    if (f == NULL || f->label == PROTOBUF_C_LABEL_REPEATED) {
        return NULL;
    }
    *type = f->type;
    return (char *)m + f->offset;
}

unsigned br_pb_field_number(const ProtobufCMessage *m, const char *key)
{
    unsigned next = 0;
    size_t len;
    const ProtobufCFieldDescriptor *f = br_pb_find(m->descriptor, key, &len, &next);

    return f != NULL ? f->id : 0;
}

/* br_pb_keys_build fills k with the keys of d's fields; returns BO_OK, or BO_E_TOO_LARGE when
 * they do not fit. */
static int br_pb_keys_build(const ProtobufCMessageDescriptor *d, struct br_pb_keys *k)
{
    if (d->n_fields > BR_PB_FIELDS_MAX) {
        return BO_E_TOO_LARGE;
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (br_pb_key_build(&d->fields[i], k->key[i]) != BO_OK) {
            return BO_E_TOO_LARGE;
        }
    }
    return BO_OK;
}

/* br_pb_no_reference tells whether f is a reference to another object (a uint64 named
 * "*_id") that names none (0): such a member is left out, so an answer that gained an optional
 * reference (a date's venueId) reads as before where there is none. */
static int br_pb_no_reference(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    size_t len = strlen(f->name);

    return f->type == PROTOBUF_C_TYPE_UINT64 && f->label != PROTOBUF_C_LABEL_REPEATED && len > 3 &&
           strcmp(f->name + len - 3, "_id") == 0 &&
           *(const uint64_t *)((const char *)m + f->offset) == 0;
}

/* br_pb_fields writes every field of m as a member, keyed by k (the keys of m's type), but a
 * reference naming nothing. */
static void br_pb_fields(struct br_json *j, const ProtobufCMessage *m, const struct br_pb_keys *k)
{
    for (unsigned i = 0; i < m->descriptor->n_fields; i++) {
        if (!br_pb_no_reference(m, &m->descriptor->fields[i])) {
            br_pb_member(j, m, &m->descriptor->fields[i], k->key[i]);
        }
    }
}

/* br_pb_size returns the size of one element of a repeated field of f's type. */
static size_t br_pb_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_UINT32:
        return sizeof(uint32_t);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
        return sizeof(uint64_t);
    default:
        return sizeof(void *); /* strings and messages; other types fail in br_pb_value */
    }
}

/* br_pb_value writes the value of f stored at p (one element when f is repeated); a message
 * as an object with every field, keyed by k (the keys of its type), or null. */
static void br_pb_value(struct br_json *j, const ProtobufCFieldDescriptor *f, const void *p,
                        const struct br_pb_keys *k)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        br_json_bool(j, *(const protobuf_c_boolean *)p);
        break;
    case PROTOBUF_C_TYPE_ENUM:
        br_json_str(j, bo_enum_name(f->descriptor, *(const int *)p));
        break;
    case PROTOBUF_C_TYPE_UINT32:
        br_json_u64(j, *(const uint32_t *)p);
        break;
    case PROTOBUF_C_TYPE_INT64:
        if (br_pb_is_time(f)) {
            br_json_time(j, *(const int64_t *)p);
        } else {
            br_json_i64(j, *(const int64_t *)p);
        }
        break;
    case PROTOBUF_C_TYPE_UINT64:
        br_json_u64(j, *(const uint64_t *)p);
        break;
    case PROTOBUF_C_TYPE_STRING:
        br_json_str(j, *(const char *const *)p);
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        if (*(const ProtobufCMessage *const *)p == NULL) {
            br_json_null(j);
            break;
        }
        br_json_obj_begin(j);
        br_pb_fields(j, *(const ProtobufCMessage *const *)p, k);
        br_json_obj_end(j);
        break;
    default:
        j->b->failed = 1; /* a type no message here uses: a programmer error, answered as 500 */
        break;
    }
}

/* br_pb_member writes m's field f as the member key; the keys of a message field's type are
 * built once for all its elements. */
static void br_pb_member(struct br_json *j, const ProtobufCMessage *m,
                         const ProtobufCFieldDescriptor *f, const char *key)
{
    const char *p = (const char *)m + f->offset;
    struct br_pb_keys k;

    if (f->type == PROTOBUF_C_TYPE_MESSAGE && br_pb_keys_build(f->descriptor, &k) != BO_OK) {
        j->b->failed = 1; /* a message type too large for br_pb_keys: a programmer error */
        return;
    }
    br_json_key(j, key);
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
        br_pb_value(j, f, p, &k);
        return;
    }
    size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
    const char *elems = *(const char *const *)p;
    br_json_arr_begin(j);
    for (size_t i = 0; i < n; i++) {
        br_pb_value(j, f, elems + i * br_pb_size(f), &k);
    }
    br_json_arr_end(j);
}

void br_pb_json_members(struct br_json *j, const ProtobufCMessage *m, const char *const *keys)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    char key[BR_PB_KEY_MAX];
    struct br_pb_keys all;
    unsigned next = 0;
    size_t len;

    if (keys == NULL) {
        if (br_pb_keys_build(d, &all) != BO_OK) {
            j->b->failed = 1; /* a message type too large for br_pb_keys: a programmer error */
            return;
        }
        br_pb_fields(j, m, &all);
        return;
    }
    for (; *keys != NULL; keys++) {
        const ProtobufCFieldDescriptor *f = br_pb_find(d, *keys, &len, &next);
        if (f == NULL || len >= sizeof(key)) {
            j->b->failed = 1; /* a key list naming no field: a programmer error */
            return;
        }
        if ((*keys)[len] != '\0') { /* "key=field": the key alone */
            memcpy(key, *keys, len);
            key[len] = '\0';
        }
        br_pb_member(j, m, f, (*keys)[len] != '\0' ? key : *keys);
    }
}

void br_pb_json_object(struct br_json *j, const ProtobufCMessage *m, const char *const *keys)
{
    if (m == NULL) {
        br_json_null(j);
        return;
    }
    br_json_obj_begin(j);
    br_pb_json_members(j, m, keys);
    br_json_obj_end(j);
}
