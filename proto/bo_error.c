/* bo_error: names, messages and wire codes of the error table in bo_error.h. */
#include "bo_error.h"

#include <string.h>

struct bo_error_info {
    const char *name;
    const char *message;
    int rpc_code;
};

#define BO_ERROR_INFO_(name, rpc, msg) {#name, msg, BO_RPC_##rpc},
static const struct bo_error_info bo_errors[] = {BO_ERROR_MAP(BO_ERROR_INFO_)};
#undef BO_ERROR_INFO_

static const struct bo_error_info *bo_error_info(int err)
{
    if (err < 0 || err >= BO_E_COUNT_) {
        return &bo_errors[BO_E_INTERNAL];
    }
    return &bo_errors[err];
}

const char *bo_error_name(int err)
{
    return bo_error_info(err)->name;
}

const char *bo_error_message(int err)
{
    return bo_error_info(err)->message;
}

int bo_error_rpc_code(int err)
{
    return bo_error_info(err)->rpc_code;
}

int bo_error_from_name(const char *name, int rpc_code)
{
    if (name != NULL) {
        for (int i = 0; i < BO_E_COUNT_; i++) {
            if (strcmp(bo_errors[i].name, name) == 0) {
                return i;
            }
        }
    }
    switch (rpc_code) {
    case BO_RPC_OK:
        return BO_OK;
    case BO_RPC_INVALID_ARGUMENT:
        return BO_E_INVALID_ARGUMENT;
    case BO_RPC_NOT_FOUND:
        return BO_E_NOT_FOUND;
    case BO_RPC_ALREADY_EXISTS:
        return BO_E_SEAT_TAKEN;
    case BO_RPC_PERMISSION_DENIED:
        return BO_E_NOT_OWNER;
    case BO_RPC_UNAUTHENTICATED:
        return BO_E_TOKEN_INVALID;
    case BO_RPC_UNAVAILABLE:
        return BO_E_UNAVAILABLE;
    default:
        return BO_E_INTERNAL;
    }
}

const char *bo_rpc_code_name(int rpc_code)
{
    switch (rpc_code) {
    case BO_RPC_OK:
        return "OK";
    case BO_RPC_INVALID_ARGUMENT:
        return "INVALID_ARGUMENT";
    case BO_RPC_NOT_FOUND:
        return "NOT_FOUND";
    case BO_RPC_ALREADY_EXISTS:
        return "ALREADY_EXISTS";
    case BO_RPC_PERMISSION_DENIED:
        return "PERMISSION_DENIED";
    case BO_RPC_RESOURCE_EXHAUSTED:
        return "RESOURCE_EXHAUSTED";
    case BO_RPC_FAILED_PRECONDITION:
        return "FAILED_PRECONDITION";
    case BO_RPC_UNAVAILABLE:
        return "UNAVAILABLE";
    case BO_RPC_UNAUTHENTICATED:
        return "UNAUTHENTICATED";
    default:
        return "INTERNAL";
    }
}
