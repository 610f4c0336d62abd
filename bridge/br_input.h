/*
 * br_input: a request's JSON body and its fields, checked with messages that
 * name the field and what is expected, and put into a request message.
 *
 * Each function either succeeds (returns 0) or answers the request with a 4xx
 * and returns its HTTP status. The body is parsed once per request and kept
 * with it, so strings put into a request borrow from it until the answer.
 */
#ifndef BR_INPUT_H
#define BR_INPUT_H

#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "br_http.h"

/* Largest integer a JSON number carries exactly (2^53 - 1). */
#define BR_INPUT_MAX_SAFE 9007199254740991LL

/* br_input_object reads and parses the body, which must be a JSON object, once per request:
 * *out is borrowed until the request ends (r->json; br_http_end frees it). */
int br_input_object(struct br_req *r, const cJSON **out);

/* br_input_int reads member name as a whole number in min..max (max at most
 * BR_INPUT_MAX_SAFE). A missing or null member is an error when required, else leaves *out
 * alone and sets *present (may be NULL) to 0. */
int br_input_int(struct br_req *r, const cJSON *obj, const char *name, int required, int64_t min,
                 int64_t max, int64_t *out, int *present);

/* What a member of a request body holds. */
enum br_input_kind {
    BR_INPUT_INT = 0, /* a whole number in min..max, into an integer field */
    BR_INPUT_STRING,  /* a non-empty string of at most max bytes (min unused), into a string
                       * field, borrowed from the body until the request ends */
    BR_INPUT_TIME,    /* an RFC 3339 time or null (0: none), into an int64 "*_ms" field (min,
                       * max unused); when required the member must be there, null or not */
};

/* One member of a request body: its name (the request field's member name, br_pb.h), whether
 * it must be there, its range and its kind. */
struct br_input_field {
    const char *name;
    int required;
    int64_t min;
    int64_t max; /* at most BR_INPUT_MAX_SAFE */
    enum br_input_kind kind;
};

/* br_input_message reads the body as a JSON object (br_input_object) and the members of f, up
 * to the one named NULL, in order into the fields of m they name; a member absent (or null,
 * but for a time) and not required leaves its field alone. Returns 0, or
 * the HTTP status of the first problem answered (500 when m has no field of a name and kind: a
 * programmer error). */
int br_input_message(struct br_req *r, const struct br_input_field *f, ProtobufCMessage *m);

/* br_input_only answers 400 naming the first member of the body (read by br_input_object)
 * that f, up to the one named NULL, does not name; returns 0 when there is none. */
int br_input_only(struct br_req *r, const struct br_input_field *f);

/* br_input_string reads required member name as a string of 1..maxlen bytes; *out is borrowed
 * from obj. */
int br_input_string(struct br_req *r, const cJSON *obj, const char *name, size_t maxlen,
                    const char **out);

/* br_input_time reads member name as an RFC 3339 time into *out (Unix ms); when nullable, null
 * is 0. A missing member is an error when required, else leaves *out alone. */
int br_input_time(struct br_req *r, const cJSON *obj, const char *name, int required, int nullable,
                  int64_t *out);

/* br_input_number checks that item (named name in messages) is a whole number in min..max. */
int br_input_number(struct br_req *r, const cJSON *item, const char *name, int64_t min, int64_t max,
                    int64_t *out);

#endif
