/*
 * br_input: a request's JSON body and its fields, checked with messages that
 * name the field and what is expected, and whole-number fields put into a
 * request message.
 *
 * Each function either succeeds (returns 0) or answers the request with a 4xx
 * and returns its HTTP status.
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

/* br_input_object reads and parses the body, which must be a JSON object. On 0, *out is the
 * parsed object (caller frees with cJSON_Delete). */
int br_input_object(struct br_req *r, cJSON **out);

/* br_input_int reads member name as a whole number in min..max (max at most
 * BR_INPUT_MAX_SAFE). A missing or null member is an error when required, else leaves *out
 * alone and sets *present (may be NULL) to 0. */
int br_input_int(struct br_req *r, const cJSON *obj, const char *name, int required, int64_t min,
                 int64_t max, int64_t *out, int *present);

/* One whole-number member of a request body: its name (the request field's member name,
 * br_pb.h), whether it must be there and its range. */
struct br_input_field {
    const char *name;
    int required;
    int64_t min;
    int64_t max; /* at most BR_INPUT_MAX_SAFE */
};

/* br_input_message reads the body as a JSON object (br_input_object) and the fields of f, up
 * to the one named NULL, in order (br_input_int) into the fields of m they name (left alone
 * when absent and not required); returns 0, or the HTTP status of the first problem answered
 * (500 when m has no whole-number field of a name: a programmer error). */
int br_input_message(struct br_req *r, const struct br_input_field *f, ProtobufCMessage *m);

/* br_input_string reads required member name as a string of 1..maxlen bytes; *out is borrowed
 * from obj. */
int br_input_string(struct br_req *r, const cJSON *obj, const char *name, size_t maxlen,
                    const char **out);

/* br_input_number checks that item (named name in messages) is a whole number in min..max. */
int br_input_number(struct br_req *r, const cJSON *item, const char *name, int64_t min, int64_t max,
                    int64_t *out);

#endif
