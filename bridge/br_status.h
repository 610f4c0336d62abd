/*
 * br_status: the one table from error code to HTTP status and REST error code,
 * and the REST error body built from it.
 *
 * Service errors are bo_error.h codes; the bridge adds a few of its own for
 * what only HTTP can get wrong (they live above the bo_error range).
 */
#ifndef BR_STATUS_H
#define BR_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "bo_error.h"
#include "br_json.h"

enum br_error {
    BR_E_INVALID_JSON = 1000,    /* 400: the body is not a JSON object */
    BR_E_METHOD_NOT_ALLOWED,     /* 405: the path exists, the method does not */
    BR_E_UNSUPPORTED_MEDIA_TYPE, /* 415: the body's Content-Type is not application/json */
};

/* br_status_http returns the HTTP status for err (a bo_error or br_error code). */
int br_status_http(int err);

/* br_status_name returns the REST error code for err ("SEAT_TAKEN", "INVALID_JSON"). */
const char *br_status_name(int err);

/* br_status_message returns the default message for people for err. */
const char *br_status_message(int err);

/* br_status_error_json writes the REST error body {"error":{"code","message"}} for err with
 * msg (NULL: the code's default message). */
void br_status_error_json(struct br_json *j, int err, const char *msg);

/* br_status_error_json_seats is br_status_error_json naming the seats the error concerns too
 * (SEAT_TAKEN, SEAT_NOT_FOUND): "seatNos":[seat_nos[0..n)] in the error object, left out when n
 * is 0. */
void br_status_error_json_seats(struct br_json *j, int err, const char *msg,
                                const uint32_t *seat_nos, size_t n);

/* br_status_reason returns the reason phrase of an HTTP status ("Not Found"). */
const char *br_status_reason(int http);

#endif
