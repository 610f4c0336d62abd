/*
 * br_status: error code -> HTTP status (see br_status.h).
 *
 * Invariant: every code maps to exactly one status here and nowhere else;
 * handlers never pick an HTTP status for an error themselves.
 */
#include "br_status.h"

#include <stddef.h>

/* The bridge's own codes, one row each. */
static const struct br_status_own {
    int err;
    int http;
    const char *name;
    const char *message;
} br_status_own[] = {
    {BR_E_INVALID_JSON, 400, "INVALID_JSON", "the request body must be a JSON object"},
    {BR_E_METHOD_NOT_ALLOWED, 405, "METHOD_NOT_ALLOWED", "this method is not allowed on this path"},
    {BR_E_UNSUPPORTED_MEDIA_TYPE, 415, "UNSUPPORTED_MEDIA_TYPE",
     "the request body must be sent as Content-Type: application/json"},
};

/* br_status_find returns err's row when it is one of the bridge's own codes, else NULL. */
static const struct br_status_own *br_status_find(int err)
{
    for (size_t i = 0; i < sizeof(br_status_own) / sizeof(br_status_own[0]); i++) {
        if (br_status_own[i].err == err) {
            return &br_status_own[i];
        }
    }
    return NULL;
}

int br_status_http(int err)
{
    const struct br_status_own *own = br_status_find(err);

    if (own != NULL) {
        return own->http;
    }
    switch (err) {
    case BO_E_TOO_LARGE:
        return 413;
    case BO_E_IDEMPOTENCY_MISMATCH:
        return 422;
    case BO_E_TIMEOUT:
        return 503;
    case BO_E_UNKNOWN_METHOD: /* bridge and service disagree on the rpc table */
        return 500;
    default:
        break;
    }
    switch (bo_error_rpc_code(err)) {
    case BO_RPC_OK:
        return 200;
    case BO_RPC_INVALID_ARGUMENT:
        return 400;
    case BO_RPC_NOT_FOUND:
        return 404;
    case BO_RPC_ALREADY_EXISTS:
        return 409;
    case BO_RPC_FAILED_PRECONDITION:
        return 409;
    case BO_RPC_PERMISSION_DENIED:
        return 403;
    case BO_RPC_UNAUTHENTICATED:
        return 401;
    case BO_RPC_RESOURCE_EXHAUSTED:
        return 429;
    case BO_RPC_UNAVAILABLE:
        return 503;
    default:
        return 500;
    }
}

const char *br_status_name(int err)
{
    const struct br_status_own *own = br_status_find(err);

    if (own != NULL) {
        return own->name;
    }
    /* REST clients see one code for "service not answering" */
    return err == BO_E_TIMEOUT ? "UNAVAILABLE" : bo_error_name(err);
}

const char *br_status_message(int err)
{
    const struct br_status_own *own = br_status_find(err);

    return own != NULL ? own->message : bo_error_message(err);
}

void br_status_error_json(struct br_json *j, int err, const char *msg)
{
    br_status_error_json_seats(j, err, msg, NULL, 0);
}

void br_status_error_json_seats(struct br_json *j, int err, const char *msg,
                                const uint32_t *seat_nos, size_t n)
{
    br_json_obj_begin(j);
    br_json_key(j, "error");
    br_json_obj_begin(j);
    br_json_kv_str(j, "code", br_status_name(err));
    br_json_kv_str(j, "message", msg != NULL ? msg : br_status_message(err));
    if (n > 0) {
        br_json_key(j, "seatNos");
        br_json_arr_begin(j);
        for (size_t i = 0; i < n; i++) {
            br_json_u64(j, seat_nos[i]);
        }
        br_json_arr_end(j);
    }
    br_json_obj_end(j);
    br_json_obj_end(j);
}

const char *br_status_reason(int http)
{
    switch (http) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}
