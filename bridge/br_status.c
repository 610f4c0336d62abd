/*
 * br_status: error code -> HTTP status (see br_status.h).
 *
 * Invariant: every code maps to exactly one status here and nowhere else;
 * handlers never pick an HTTP status for an error themselves.
 */
#include "br_status.h"

int br_status_http(int err)
{
    switch (err) {
    case BR_E_INVALID_JSON:
        return 400;
    case BR_E_METHOD_NOT_ALLOWED:
        return 405;
    case BR_E_UNSUPPORTED_MEDIA_TYPE:
        return 415;
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
    switch (err) {
    case BR_E_INVALID_JSON:
        return "INVALID_JSON";
    case BR_E_METHOD_NOT_ALLOWED:
        return "METHOD_NOT_ALLOWED";
    case BR_E_UNSUPPORTED_MEDIA_TYPE:
        return "UNSUPPORTED_MEDIA_TYPE";
    case BO_E_TIMEOUT: /* REST clients see one code for "service not answering" */
        return "UNAVAILABLE";
    default:
        return bo_error_name(err);
    }
}

const char *br_status_message(int err)
{
    switch (err) {
    case BR_E_INVALID_JSON:
        return "the request body must be a JSON object";
    case BR_E_METHOD_NOT_ALLOWED:
        return "this method is not allowed on this path";
    case BR_E_UNSUPPORTED_MEDIA_TYPE:
        return "the request body must be sent as Content-Type: application/json";
    default:
        return bo_error_message(err);
    }
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
